#include "engine/dag.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "util/strings.hpp"

namespace cafflow {

namespace {

const char* label_name(edge::label kind) {
  switch (kind) {
  case edge::label::next:
    return "next";
  case edge::label::ok:
    return "ok";
  case edge::label::error:
    return "error";
  case edge::label::path:
    return "path";
  case edge::label::branch:
    return "case";
  }
  return "next";
}

/// The steps of the nodes and which edges lead back (loops).
struct layering {
  std::vector<int> steps;
  std::vector<bool> back;
};

layering layer(const std::vector<dag_node>& nodes, const std::vector<dag_edge>& edges) {
  layering result;
  result.steps.assign(nodes.size(), 0);
  result.back.assign(edges.size(), false);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    index.emplace(nodes[i].name, i);
  // Out-edges by node; edges naming unknown nodes are left out.
  std::vector<std::vector<std::size_t>> out(nodes.size());
  std::vector<int> incoming(nodes.size(), 0);
  std::vector<std::pair<std::size_t, std::size_t>> ends(edges.size(), {0, 0});
  std::vector<bool> known(edges.size(), false);
  for (std::size_t e = 0; e < edges.size(); ++e) {
    auto from = index.find(edges[e].from);
    auto to = index.find(edges[e].to);
    if (from == index.end() || to == index.end())
      continue;
    known[e] = true;
    ends[e] = {from->second, to->second};
    out[from->second].push_back(e);
    ++incoming[to->second];
  }
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].kind == "start")
      roots.push_back(i);
  if (roots.empty())
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (incoming[i] == 0)
        roots.push_back(i);
  // Depth-first from the roots, without recursion (a long chain must not
  // exhaust the stack): an edge to a node still on the way is a loop. The
  // reverse post-order is a topological order of the rest.
  enum class color { white, grey, black };
  std::vector<color> state(nodes.size(), color::white);
  std::vector<std::size_t> post;
  for (auto root : roots) {
    if (state[root] != color::white)
      continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
    state[root] = color::grey;
    while (!stack.empty()) {
      auto& [at, next] = stack.back();
      if (next == out[at].size()) {
        state[at] = color::black;
        post.push_back(at);
        stack.pop_back();
        continue;
      }
      auto e = out[at][next++];
      auto target = ends[e].second;
      if (state[target] == color::grey) {
        result.back[e] = true;
      } else if (state[target] == color::white) {
        state[target] = color::grey;
        stack.emplace_back(target, 0);
      }
    }
  }
  for (auto root : roots)
    result.steps[root] = 1;
  for (auto it = post.rbegin(); it != post.rend(); ++it)
    for (auto e : out[*it])
      if (known[e] && !result.back[e])
        result.steps[ends[e].second] =
            std::max(result.steps[ends[e].second], result.steps[*it] + 1);
  return result;
}

} // namespace

workflow_graph make_graph(const workflow& wf) {
  workflow_graph g;
  for (const auto& n : wf.nodes) {
    dag_node d;
    d.name = n.name;
    d.kind = to_string(n.kind);
    if (n.kind == node_kind::action) {
      d.action_type = action_type_name(n.action.body);
      d.desc = n.action.desc;
    } else {
      d.desc = n.desc;
    }
    g.nodes.push_back(std::move(d));
  }
  for (const auto& n : wf.nodes) {
    std::size_t branch = 0;
    for (const auto& e : n.out) {
      if (e.target >= wf.nodes.size())
        continue;
      dag_edge d{n.name, wf.nodes[e.target].name, label_name(e.kind), {}};
      if (e.kind == edge::label::branch) {
        // link() adds one edge per case, in order, then the default.
        if (branch < n.cases.size() && n.cases[branch].to == d.to)
          d.condition = n.cases[branch].condition;
        else
          d.label = "default";
        ++branch;
      }
      g.edges.push_back(std::move(d));
    }
  }
  return g;
}

std::vector<int> dag_steps(const std::vector<dag_node>& nodes, const std::vector<dag_edge>& edges) {
  return layer(nodes, edges).steps;
}

std::vector<std::vector<std::string>> dag_rows(const std::vector<dag_node>& nodes,
                                               const std::vector<dag_edge>& edges) {
  auto layers = layer(nodes, edges);
  std::vector<std::size_t> order(nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  auto key = [&](std::size_t i) {
    // Unreachable nodes (step 0) last.
    return std::make_pair(layers.steps[i] == 0 ? 1 << 30 : layers.steps[i], i);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::vector<std::vector<std::string>> rows{{"STEP", "NODE", "KIND", "NEXT"}};
  for (auto i : order) {
    const auto& n = nodes[i];
    std::vector<std::string> parts, paths, waits;
    for (std::size_t e = 0; e < edges.size(); ++e) {
      const auto& d = edges[e];
      auto loop = layers.back[e] ? std::string(" (loop)") : std::string();
      if (d.to == n.name && !layers.back[e])
        waits.push_back(d.from);
      if (d.from != n.name)
        continue;
      if (d.label == "path")
        paths.push_back(d.to + loop);
      else if (d.label == "next")
        parts.push_back("-> " + d.to + loop);
      else if (d.label == "case")
        parts.push_back("if " + d.condition + " -> " + d.to + loop);
      else if (d.label == "default")
        parts.push_back("else -> " + d.to + loop);
      else
        parts.push_back(d.label + " -> " + d.to + loop);
    }
    if (!paths.empty())
      parts.insert(parts.begin(), "-> " + join(paths, " | ") + " (in parallel)");
    auto next = join(parts, ", ");
    if (n.kind == "join" && !waits.empty())
      next += (next.empty() ? "" : " ") + std::string("(waits for ") + join(waits, ", ") + ")";
    auto kind = n.kind == "action" && !n.action_type.empty() ? "action:" + n.action_type : n.kind;
    rows.push_back(
        {layers.steps[i] == 0 ? "-" : std::to_string(layers.steps[i]), n.name, kind, next});
  }
  return rows;
}

} // namespace cafflow
