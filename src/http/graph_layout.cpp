#include "http/graph_layout.hpp"

#include <cstring>
#include <map>
#include <mutex>

#include <dlfcn.h>

#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>

namespace cafflow {

namespace {

std::mutex graphviz_mutex;

/// Why a plugin could not be loaded ("" = both are there).
std::string plugin_error;

// The two Graphviz plugins used, opened from libgvc6's plugin directory
// (CAFFLOW_GRAPHVIZ_PLUGIN_DIR, found at build time) and handed to Graphviz
// as built-ins: no plugin configuration file is read, no other plugin is
// loaded (no X11, no fonts from pango). They live in a directory the
// dynamic linker does not search, so they are not linked: the binaries
// need no RPATH.
GVC_t* context() {
  // Lives as long as the process: Graphviz keeps global state anyway.
  static GVC_t* gvc = [] {
    static lt_symlist_t plugins[3] = {};
    int n = 0;
    for (auto [file, symbol] :
         {std::pair<const char*, const char*>{"libgvplugin_dot_layout.so.6",
                                              "gvplugin_dot_layout_LTX_library"},
          std::pair<const char*, const char*>{"libgvplugin_core.so.6",
                                              "gvplugin_core_LTX_library"}}) {
      auto path = std::string(CAFFLOW_GRAPHVIZ_PLUGIN_DIR) + "/" + file;
      void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      void* address = library != nullptr ? dlsym(library, symbol) : nullptr;
      if (address == nullptr) {
        const char* why = dlerror();
        plugin_error += (plugin_error.empty() ? "" : "; ") + std::string("cannot load ") + path
                        + (why != nullptr ? std::string(": ") + why : std::string());
        continue;
      }
      plugins[n++] = lt_symlist_t{symbol, address};
    }
    plugins[n] = lt_symlist_t{nullptr, nullptr};
    return gvContextPlugins(plugins, 0);
  }();
  return gvc;
}

/// Text for a Graphviz label: its escapes (\n, \l, \N ...) taken literally.
std::string label_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

void set(void* object, const char* name, const std::string& value) {
  agsafeset(object, const_cast<char*>(name), const_cast<char*>(value.c_str()),
            const_cast<char*>(""));
}

struct shape {
  const char* shape;
  const char* style;
};

shape shape_of(const std::string& kind) {
  static const std::map<std::string, shape> shapes{
    {"start", {"circle", "filled"}},       {"end", {"doublecircle", "filled"}},
    {"kill", {"octagon", "filled"}},       {"fork", {"invtrapezium", "filled"}},
    {"join", {"trapezium", "filled"}},     {"decision", {"diamond", "filled"}},
    {"action", {"box", "rounded,filled"}},
    {"self", {"box", "rounded,filled,bold"}},  {"upstream", {"box", "rounded,filled"}},
    {"downstream", {"box", "rounded,filled"}},
  };
  auto it = shapes.find(kind);
  return it == shapes.end() ? shape{"box", "filled"} : it->second;
}

} // namespace

expected<std::string> layout_svg(const std::vector<dag_node>& nodes,
                                 const std::vector<dag_edge>& edges, const graph_style& style) {
  std::lock_guard<std::mutex> lock(graphviz_mutex);
  auto* gvc = context();
  if (gvc == nullptr)
    return make_error(ec::unspecified, "cannot start Graphviz");
  Agraph_t* g = agopen(const_cast<char*>(style.name.c_str()), Agdirected, nullptr);
  set(g, "rankdir", style.rankdir);
  set(g, "nodesep", "0.35");
  set(g, "ranksep", "0.45");
  set(g, "bgcolor", "transparent");
  agattr(g, AGNODE, const_cast<char*>("fontname"), const_cast<char*>("Helvetica"));
  agattr(g, AGNODE, const_cast<char*>("fontsize"), const_cast<char*>("11"));
  agattr(g, AGNODE, const_cast<char*>("fillcolor"), const_cast<char*>("#ffffff"));
  agattr(g, AGEDGE, const_cast<char*>("fontname"), const_cast<char*>("Helvetica"));
  agattr(g, AGEDGE, const_cast<char*>("fontsize"), const_cast<char*>("9"));
  std::map<std::string, Agnode_t*> by_name;
  for (const auto& n : nodes) {
    auto* node = agnode(g, const_cast<char*>(n.name.c_str()), 1);
    by_name[n.name] = node;
    auto s = shape_of(n.kind);
    set(node, "shape", s.shape);
    set(node, "style", s.style);
    set(node, "id", style.node_prefix + n.name);
    set(node, "class", "kind-" + n.kind);
    auto label = label_text(n.name);
    // An action's type; a lineage's workflow: its dir.
    if (!n.action_type.empty())
      label += "\\n" + label_text(n.action_type);
    set(node, "label", label);
    if (n.kind == "start" || n.kind == "end" || n.kind == "kill")
      set(node, "width", "0.3");
    if (!n.desc.empty())
      set(node, "tooltip", label_text(n.desc));
  }
  int index = 0;
  for (const auto& e : edges) {
    auto from = by_name.find(e.from);
    auto to = by_name.find(e.to);
    if (from == by_name.end() || to == by_name.end())
      continue; // a transition to a node the graph lacks: drawn by nobody
    auto name = "e" + std::to_string(index++);
    auto* edge = agedge(g, from->second, to->second, const_cast<char*>(name.c_str()), 1);
    set(edge, "class", "edge-" + e.label);
    set(edge, "id", style.edge_prefix + std::to_string(index - 1));
    if (e.label == "error") {
      set(edge, "color", "#c0392b");
      set(edge, "style", "dashed");
      set(edge, "label", "error");
      set(edge, "fontcolor", "#c0392b");
    } else if (e.label == "case") {
      set(edge, "label", label_text(e.condition));
    } else if (e.label == "waiting") {
      // A lineage's dependency not ready for the coordinator's next fire.
      set(edge, "color", "#b7950b");
      set(edge, "style", "dashed");
    } else if (e.label == "default") {
      set(edge, "label", "default");
      set(edge, "style", "dotted");
    } else {
      set(edge, "color", "#555555");
    }
  }
  if (gvLayout(gvc, g, "dot") != 0) {
    agclose(g);
    return make_error(ec::unspecified,
                      "Graphviz could not lay the graph out"
                        + (plugin_error.empty() ? std::string() : " (" + plugin_error + ")"));
  }
  char* data = nullptr;
  unsigned int length = 0;
  int rendered = gvRenderData(gvc, g, "svg", &data, &length);
  std::string svg;
  if (rendered == 0 && data != nullptr)
    svg.assign(data, length);
  if (data != nullptr)
    gvFreeRenderData(data);
  gvFreeLayout(gvc, g);
  agclose(g);
  if (svg.empty())
    return make_error(ec::unspecified, "Graphviz could not draw the graph as SVG");
  return svg;
}

} // namespace cafflow
