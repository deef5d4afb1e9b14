#include "model/workflow.hpp"

namespace cafflow {

const char* to_string(node_kind kind) {
  switch (kind) {
    case node_kind::start: return "start";
    case node_kind::end: return "end";
    case node_kind::kill: return "kill";
    case node_kind::fork: return "fork";
    case node_kind::join: return "join";
    case node_kind::decision: return "decision";
    case node_kind::action: return "action";
  }
  return "unknown";
}

const char* to_string(timeout_action action) {
  switch (action) {
    case timeout_action::fail: return "fail";
    case timeout_action::kill_instance: return "kill-instance";
    case timeout_action::warn: return "warn";
  }
  return "unknown";
}

const char* action_type_name(const action_body& body) {
  static constexpr const char* names[] = {"script",       "shell",        "file-executor",
                                          "sql",          "transfer",     "data-monitor",
                                          "file-monitor", "email",        "metadata",
                                          "sub-workflow", "dependent"};
  static_assert(std::size(names) == std::variant_size_v<action_body>);
  return names[body.index()];
}

std::size_t workflow::index_of(const std::string& node_name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == node_name)
      return i;
  return npos;
}

std::vector<std::string> link(workflow& wf) {
  std::vector<std::string> missing;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < wf.nodes.size(); ++i)
    index.emplace(wf.nodes[i].name, i);
  wf.start = workflow::npos;
  for (std::size_t i = 0; i < wf.nodes.size(); ++i) {
    auto& n = wf.nodes[i];
    n.out.clear();
    auto add = [&](edge::label kind, const std::string& target) {
      if (target.empty())
        return;
      auto it = index.find(target);
      if (it == index.end()) {
        missing.push_back(n.name + " -> " + target);
        return;
      }
      n.out.push_back(edge{kind, it->second});
    };
    switch (n.kind) {
      case node_kind::start:
        if (wf.start == workflow::npos)
          wf.start = i;
        add(edge::label::next, n.to);
        break;
      case node_kind::join: add(edge::label::next, n.to); break;
      case node_kind::fork:
        for (const auto& path : n.paths)
          add(edge::label::path, path);
        break;
      case node_kind::action:
        add(edge::label::ok, n.ok_to);
        add(edge::label::error, n.error_to);
        break;
      case node_kind::decision:
        for (const auto& c : n.cases)
          add(edge::label::branch, c.to);
        add(edge::label::branch, n.default_to);
        break;
      case node_kind::end:
      case node_kind::kill: break;
    }
  }
  return missing;
}

std::vector<std::string> dependency_workflows(const dependency_expr& expr) {
  std::vector<std::string> result;
  if (expr.what == dependency_expr::kind::item) {
    if (!expr.item.workflow.empty())
      result.push_back(expr.item.workflow);
    return result;
  }
  for (const auto& child : expr.children)
    for (auto& name : dependency_workflows(child))
      result.push_back(std::move(name));
  return result;
}

std::vector<bool> reachable_from(const workflow& wf, std::size_t from,
                                 const std::function<bool(const edge&)>& follow) {
  std::vector<bool> seen(wf.nodes.size(), false);
  std::vector<std::size_t> stack{from};
  while (!stack.empty()) {
    auto i = stack.back();
    stack.pop_back();
    for (const auto& e : wf.nodes[i].out)
      if ((!follow || follow(e)) && !seen[e.target]) {
        seen[e.target] = true;
        stack.push_back(e.target);
      }
  }
  return seen;
}

} // namespace cafflow
