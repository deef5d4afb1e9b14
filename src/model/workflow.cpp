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
  struct visitor {
    const char* operator()(const script_action&) const { return "script"; }
    const char* operator()(const shell_action&) const { return "shell"; }
  };
  return std::visit(visitor{}, body);
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
  for (auto& n : wf.nodes) {
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
          wf.start = static_cast<std::size_t>(&n - wf.nodes.data());
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
      case node_kind::end:
      case node_kind::kill: break;
    }
  }
  return missing;
}

} // namespace cafflow
