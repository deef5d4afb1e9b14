#include "xml/workflow_parser.hpp"

#include <set>

#include <pugixml.hpp>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

using severity = diagnostic::severity;

/// Collects diagnostics and knows how to turn pugixml nodes into positions.
class parser {
public:
  parser(const std::string& xml, std::string file) : xml_(xml), file_(std::move(file)) {}

  parse_result run() {
    parse_result result;
    auto status = doc_.load_buffer(xml_.data(), xml_.size(),
                                   pugi::parse_default | pugi::parse_declaration);
    if (!status) {
      error(offset_pos(static_cast<std::size_t>(status.offset)),
            std::string("malformed XML: ") + status.description());
      result.diagnostics = std::move(diags_);
      return result;
    }
    pugi::xml_node root;
    for (auto child : doc_.children()) {
      if (child.type() != pugi::node_element)
        continue;
      if (root) {
        error(pos_of(child), "more than one root element ('" + std::string(child.name())
                               + "' after '" + root.name() + "')");
        continue;
      }
      root = child;
    }
    if (!root) {
      error({1, 1}, "no root element (expected <work-flow>)");
    } else {
      std::string name = root.name();
      if (name == "work-flow" || name == "workflow") {
        workflow wf;
        parse_workflow_root(root, wf);
        if (!has_errors(diags_))
          result.wf = std::move(wf);
      } else {
        auto hint = did_you_mean(name, {"work-flow", "workflow"});
        error(pos_of(root), "unknown root element <" + name + ">, expected <work-flow>"
                              + (hint.empty() ? "" : " (did you mean <" + hint + ">?)"));
      }
    }
    result.diagnostics = std::move(diags_);
    return result;
  }

private:
  // -- positions and diagnostics ---------------------------------------------

  source_pos offset_pos(std::size_t offset) const {
    auto lc = offset_to_line_col(xml_, offset);
    return {lc.line, lc.column};
  }

  source_pos pos_of(pugi::xml_node n) const {
    auto offset = n.offset_debug();
    if (offset < 0)
      return {};
    // pugixml points at the element name; editors expect the '<'.
    auto at = static_cast<std::size_t>(offset);
    if (n.type() == pugi::node_element && at > 0 && xml_[at - 1] == '<')
      --at;
    return offset_pos(at);
  }

  /// Position of attribute `attr` inside the start tag of `n`.
  source_pos attr_pos(pugi::xml_node n, const char* attr) const {
    auto offset = n.offset_debug();
    if (offset < 0)
      return {};
    auto tag_end = xml_.find('>', static_cast<std::size_t>(offset));
    auto name = std::string(attr);
    for (auto at = xml_.find(name, static_cast<std::size_t>(offset));
         at != std::string::npos && at < tag_end; at = xml_.find(name, at + 1)) {
      auto before = xml_[at - 1];
      auto after = at + name.size() < xml_.size() ? xml_[at + name.size()] : '\0';
      if ((before == ' ' || before == '\t' || before == '\n' || before == '\r')
          && (after == '=' || after == ' ' || after == '\t' || after == '\n'))
        return offset_pos(at);
    }
    return pos_of(n);
  }

  void error(source_pos pos, std::string message) {
    diags_.push_back(diagnostic{severity::error, file_, pos, std::move(message)});
  }

  void warning(source_pos pos, std::string message) {
    diags_.push_back(diagnostic{severity::warning, file_, pos, std::move(message)});
  }

  // -- attribute helpers -----------------------------------------------------

  /// Reports every attribute of `n` that is not in `allowed`.
  void check_attributes(pugi::xml_node n, const std::vector<std::string>& allowed) {
    for (auto attr : n.attributes()) {
      std::string name = attr.name();
      bool known = false;
      for (const auto& candidate : allowed)
        known = known || candidate == name;
      if (known)
        continue;
      auto hint = did_you_mean(name, allowed);
      error(attr_pos(n, attr.name()),
            "unknown attribute '" + name + "' on <" + n.name() + ">"
              + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
  }

  /// The trimmed value of a required attribute; reports it when missing.
  std::string required(pugi::xml_node n, const char* attr) {
    auto a = n.attribute(attr);
    auto value = trim(a.value());
    if (!a)
      error(pos_of(n), std::string("<") + n.name() + "> needs the attribute '" + attr + "'");
    else if (value.empty())
      error(attr_pos(n, attr), std::string("attribute '") + attr + "' of <" + n.name()
                                 + "> must not be empty");
    return value;
  }

  void get_int(pugi::xml_node n, const char* attr, int& out, long long lo, long long hi) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    long long value = 0;
    auto text = trim(a.value());
    if (!parse_int(text, value)) {
      error(attr_pos(n, attr),
            std::string("attribute '") + attr + "' expects a whole number, got '" + text + "'");
      return;
    }
    if (value < lo || value > hi) {
      error(attr_pos(n, attr), std::string("attribute '") + attr + "' must be between "
                                 + std::to_string(lo) + " and " + std::to_string(hi) + ", got "
                                 + text);
      return;
    }
    out = static_cast<int>(value);
  }

  void get_bool(pugi::xml_node n, const char* attr, bool& out) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    auto text = to_lower(trim(a.value()));
    if (text == "true")
      out = true;
    else if (text == "false")
      out = false;
    else
      error(attr_pos(n, attr), std::string("attribute '") + attr
                                 + "' expects true or false, got '" + a.value() + "'");
  }

  /// The concatenated text and CDATA content of `n`.
  static std::string text_of(pugi::xml_node n) {
    std::string result;
    for (auto child : n.children())
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
        result += child.value();
    return result;
  }

  /// Reports element children of `n` (they must have none).
  void no_children(pugi::xml_node n) {
    for (auto child : n.children())
      if (child.type() == pugi::node_element)
        error(pos_of(child), "unexpected <" + std::string(child.name()) + "> inside <"
                               + n.name() + ">");
      else if (child.type() == pugi::node_pcdata && !trim(child.value()).empty())
        error(pos_of(child), "unexpected text inside <" + std::string(n.name()) + ">");
  }

  // -- elements --------------------------------------------------------------

  void parse_workflow_root(pugi::xml_node root, workflow& wf) {
    check_attributes(root, {"name", "creator", "desc", "dir", "mail-level", "mail-receivers",
                            "instance-limit", "priority", "timezone"});
    wf.name = required(root, "name");
    if (auto a = root.attribute("creator"))
      wf.creator = a.value();
    if (auto a = root.attribute("desc"))
      wf.desc = a.value();
    if (auto a = root.attribute("dir"))
      wf.dir = trim(a.value());
    if (auto a = root.attribute("mail-level"))
      wf.mail_levels = split_list(a.value());
    if (auto a = root.attribute("mail-receivers"))
      wf.mail_receivers = split_list(a.value());
    get_int(root, "instance-limit", wf.instance_limit, 1, 1000000);
    get_int(root, "priority", wf.priority, -1000000, 1000000);
    if (auto a = root.attribute("timezone"))
      wf.timezone = trim(a.value());
    static const std::vector<std::string> elements{"coordinator", "start", "end",  "kill",
                                                   "fork",        "join",  "action"};
    std::map<std::string, source_pos> seen;
    for (auto child : root.children()) {
      if (child.type() == pugi::node_pcdata && !trim(child.value()).empty()) {
        error(pos_of(child), "unexpected text inside <" + std::string(root.name()) + ">");
        continue;
      }
      if (child.type() != pugi::node_element)
        continue;
      std::string name = child.name();
      node n;
      n.pos = pos_of(child);
      if (name == "coordinator") {
        // Scheduling is parsed by the coordinator support; the skeleton runs
        // workflows manually and ignores it.
        continue;
      } else if (name == "start") {
        check_attributes(child, {"name", "to"});
        n.kind = node_kind::start;
        n.to = required(child, "to");
        no_children(child);
      } else if (name == "end") {
        check_attributes(child, {"name"});
        n.kind = node_kind::end;
        no_children(child);
      } else if (name == "kill") {
        check_attributes(child, {"name"});
        n.kind = node_kind::kill;
        parse_kill(child, n);
      } else if (name == "fork") {
        check_attributes(child, {"name"});
        n.kind = node_kind::fork;
        parse_fork(child, n);
      } else if (name == "join") {
        check_attributes(child, {"name", "to"});
        n.kind = node_kind::join;
        n.to = required(child, "to");
        no_children(child);
      } else if (name == "action") {
        n.kind = node_kind::action;
        parse_action(child, n);
      } else {
        auto hint = did_you_mean(name, elements);
        error(n.pos, "unknown element <" + name + "> in <" + root.name() + ">"
                       + (hint.empty() ? "" : " (did you mean <" + hint + ">?)"));
        continue;
      }
      n.name = required(child, "name");
      if (n.name.empty())
        continue;
      if (auto it = seen.find(n.name); it != seen.end()) {
        error(attr_pos(child, "name"), "duplicate node name '" + n.name + "' (first defined at line "
                                         + std::to_string(it->second.line) + ")");
        continue;
      }
      seen.emplace(n.name, n.pos);
      wf.nodes.push_back(std::move(n));
    }
    check_graph(root, wf);
  }

  void parse_kill(pugi::xml_node elem, node& n) {
    for (auto child : elem.children()) {
      if (child.type() == pugi::node_element && std::string(child.name()) == "message") {
        n.message = trim(text_of(child));
      } else if (child.type() == pugi::node_element) {
        error(pos_of(child), "unexpected <" + std::string(child.name())
                               + "> inside <kill> (expected <message>)");
      } else if (child.type() == pugi::node_pcdata && !trim(child.value()).empty()) {
        error(pos_of(child), "unexpected text inside <kill> (put it in <message>)");
      }
    }
  }

  void parse_fork(pugi::xml_node elem, node& n) {
    for (auto child : elem.children()) {
      if (child.type() == pugi::node_element && std::string(child.name()) == "path") {
        check_attributes(child, {"to"});
        auto to = required(child, "to");
        if (!to.empty())
          n.paths.push_back(to);
      } else if (child.type() == pugi::node_element) {
        error(pos_of(child), "unexpected <" + std::string(child.name())
                               + "> inside <fork> (expected <path to=\"...\"/>)");
      } else if (child.type() == pugi::node_pcdata && !trim(child.value()).empty()) {
        error(pos_of(child), "unexpected text inside <fork>");
      }
    }
    if (n.paths.empty())
      error(pos_of(elem), "<fork> needs at least one <path to=\"...\"/>");
  }

  void parse_action(pugi::xml_node elem, node& n) {
    check_attributes(elem, {"name", "host", "worker-group", "retry-times", "interval", "timeout",
                            "timeout-action", "is-ignore", "priority", "desc"});
    auto& spec = n.action;
    if (auto a = elem.attribute("host"); a && trim(a.value()) != "-1")
      spec.host = trim(a.value());
    if (auto a = elem.attribute("worker-group"))
      spec.worker_group = trim(a.value());
    get_int(elem, "retry-times", spec.retry_times, 0, 1000);
    get_int(elem, "interval", spec.interval_s, 0, 86400 * 7);
    get_int(elem, "timeout", spec.timeout_s, -1, 86400 * 365);
    if (auto a = elem.attribute("timeout-action")) {
      auto text = trim(a.value());
      if (text == "fail")
        spec.on_timeout = timeout_action::fail;
      else if (text == "kill-instance")
        spec.on_timeout = timeout_action::kill_instance;
      else if (text == "warn")
        spec.on_timeout = timeout_action::warn;
      else
        error(attr_pos(elem, "timeout-action"),
              "attribute 'timeout-action' expects fail, kill-instance or warn, got '" + text + "'");
    }
    get_bool(elem, "is-ignore", spec.is_ignore);
    get_int(elem, "priority", spec.priority, -1000000, 1000000);
    if (auto a = elem.attribute("desc"))
      spec.desc = a.value();
    static const std::vector<std::string> types{"script", "shell"};
    static const std::vector<std::string> children{"script", "shell", "ok", "error"};
    int bodies = 0;
    bool has_ok = false;
    for (auto child : elem.children()) {
      if (child.type() == pugi::node_pcdata && !trim(child.value()).empty()) {
        error(pos_of(child), "unexpected text inside <action>");
        continue;
      }
      if (child.type() != pugi::node_element)
        continue;
      std::string name = child.name();
      if (name == "ok" || name == "error") {
        check_attributes(child, {"to"});
        auto to = required(child, "to");
        auto& target = name == "ok" ? n.ok_to : n.error_to;
        if (!target.empty())
          error(pos_of(child), "<action> has more than one <" + name + ">");
        target = to;
        has_ok = has_ok || name == "ok";
        no_children(child);
      } else if (name == "script") {
        ++bodies;
        spec.body = parse_script(child);
      } else if (name == "shell") {
        ++bodies;
        spec.body = parse_shell(child);
      } else {
        auto hint = did_you_mean(name, children);
        error(pos_of(child), "unknown element <" + name + "> in <action>"
                               + (hint.empty() ? "" : " (did you mean <" + hint + ">?)"));
      }
    }
    if (bodies == 0)
      error(pos_of(elem), "<action> needs an action type (" + join(types, ", ") + ")");
    else if (bodies > 1)
      error(pos_of(elem), "<action> has more than one action type");
    if (!has_ok)
      error(pos_of(elem), "<action> needs <ok to=\"...\"/>");
  }

  script_action parse_script(pugi::xml_node elem) {
    check_attributes(elem, {});
    script_action result;
    bool has_code = false;
    for (auto child : elem.children()) {
      if (child.type() != pugi::node_element) {
        if (child.type() == pugi::node_pcdata && !trim(child.value()).empty())
          error(pos_of(child), "unexpected text inside <script> (put the code in <code>)");
        continue;
      }
      std::string name = child.name();
      if (name == "code") {
        check_attributes(child, {});
        result.code = dedent(text_of(child));
        has_code = true;
      } else if (name == "param-line") {
        result.param_line = trim(text_of(child));
      } else if (name == "attach-list") {
        for (auto file : child.children("file"))
          result.attachments.push_back(trim(text_of(file)));
      } else {
        auto hint = did_you_mean(name, {"code", "param-line", "attach-list"});
        error(pos_of(child), "unknown element <" + name + "> in <script>"
                               + (hint.empty() ? "" : " (did you mean <" + hint + ">?)"));
      }
    }
    if (!has_code || trim(result.code).empty())
      error(pos_of(elem), "<script> needs a non-empty <code>");
    return result;
  }

  shell_action parse_shell(pugi::xml_node elem) {
    check_attributes(elem, {});
    shell_action result;
    bool has_command = false;
    for (auto child : elem.children()) {
      if (child.type() != pugi::node_element) {
        if (child.type() == pugi::node_pcdata && !trim(child.value()).empty())
          error(pos_of(child), "unexpected text inside <shell> (put it in <command>)");
        continue;
      }
      if (std::string(child.name()) == "command") {
        check_attributes(child, {});
        result.command = trim(text_of(child));
        has_command = true;
      } else {
        error(pos_of(child),
              "unknown element <" + std::string(child.name()) + "> in <shell> (expected <command>)");
      }
    }
    if (!has_command || result.command.empty())
      error(pos_of(elem), "<shell> needs a non-empty <command>");
    return result;
  }

  // -- graph -----------------------------------------------------------------

  void check_graph(pugi::xml_node root, workflow& wf) {
    std::size_t starts = 0;
    for (const auto& n : wf.nodes)
      if (n.kind == node_kind::start && ++starts == 2)
        error(n.pos, "more than one <start> node ('" + n.name + "')");
    if (starts == 0)
      error(pos_of(root), "the workflow has no <start> node");
    bool has_exit = false;
    for (const auto& n : wf.nodes)
      has_exit = has_exit || n.kind == node_kind::end || n.kind == node_kind::kill;
    if (!has_exit)
      error(pos_of(root), "the workflow has no <end> or <kill> node");
    // Every transition must name an existing node.
    std::set<std::string> names;
    for (const auto& n : wf.nodes)
      names.insert(n.name);
    for (const auto& n : wf.nodes) {
      auto check = [&](const std::string& target, const char* what) {
        if (target.empty() || names.count(target) != 0)
          return;
        auto hint = did_you_mean(target, std::vector<std::string>(names.begin(), names.end()));
        error(n.pos, "'" + n.name + "' " + what + " unknown node '" + target + "'"
                       + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      };
      check(n.to, "continues to");
      check(n.ok_to, "continues (ok) to");
      check(n.error_to, "continues (error) to");
      for (const auto& path : n.paths)
        check(path, "forks to");
    }
    if (has_errors(diags_))
      return;
    link(wf);
    // Nodes that can never run are almost always a mistake.
    std::vector<bool> seen(wf.nodes.size(), false);
    std::vector<std::size_t> todo{wf.start};
    seen[wf.start] = true;
    while (!todo.empty()) {
      auto i = todo.back();
      todo.pop_back();
      for (const auto& e : wf.nodes[i].out)
        if (!seen[e.target]) {
          seen[e.target] = true;
          todo.push_back(e.target);
        }
    }
    for (std::size_t i = 0; i < wf.nodes.size(); ++i)
      if (!seen[i])
        error(wf.nodes[i].pos, "node '" + wf.nodes[i].name + "' is unreachable from <start>");
  }

  const std::string& xml_;
  std::string file_;
  pugi::xml_document doc_;
  std::vector<diagnostic> diags_;
};

} // namespace

parse_result parse_workflow(const std::string& xml, const std::string& file) {
  return parser(xml, file).run();
}

parse_result parse_workflow_file(const std::string& path) {
  auto xml = read_file(path);
  if (!xml) {
    parse_result result;
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, path, {1, 1}, xml.error().message});
    return result;
  }
  return parse_workflow(*xml, path);
}

std::string dedent(const std::string& text) {
  auto lines = split_lines(text);
  auto blank = [](const std::string& line) { return trim(line).empty(); };
  while (!lines.empty() && blank(lines.front()))
    lines.erase(lines.begin());
  while (!lines.empty() && blank(lines.back()))
    lines.pop_back();
  std::size_t common = std::string::npos;
  for (const auto& line : lines) {
    if (blank(line))
      continue;
    auto indent = line.find_first_not_of(" \t");
    common = std::min(common, indent);
  }
  std::string result;
  for (const auto& line : lines) {
    if (!blank(line) && common != std::string::npos)
      result += line.substr(std::min(common, line.size()));
    else if (!blank(line))
      result += line;
    result += '\n';
  }
  return result;
}

} // namespace cafflow
