// <sub-workflow name>: runs another workflow as a child instance. A master
// kind: the node waits on the master without a worker slot. The instance
// runner hands the node's call (make_child_request) to the master, which
// creates the child with the parent's logical time and zone, and reports the
// child's end back as the attempt's (verdict_of).
#include "actions/sub_workflow.hpp"

#include <algorithm>

#include "actions/kinds.hpp"
#include "model/status.hpp"
#include "util/strings.hpp"

namespace cafflow {

action_kind sub_workflow_kind() {
  action_kind kind;
  kind.name = "sub-workflow";
  kind.place = run_place::master;
  // The master enforces the node's timeout: it kills the child.
  kind.master_timeout = true;
  kind.check = [](const action_body& body, const kind_check_context& ctx) {
    std::vector<std::string> problems;
    const auto& sub = body_as<sub_workflow_action>(body);
    if (!ctx.workflow.empty() && sub.workflow == ctx.workflow)
      problems.push_back("<sub-workflow> runs workflow '" + sub.workflow
                         + "', the workflow it is part of: a workflow cannot run itself as a "
                           "child (each child would start another)");
    return problems;
  };
  return kind;
}

expected<child_request> make_child_request(const attempt_context& ctx) {
  const auto& n = ctx.wf->nodes[ctx.node];
  const auto& sub = body_as<sub_workflow_action>(n.action.body);
  child_request req;
  req.parent_id = ctx.instance->id;
  req.parent_workflow = ctx.instance->workflow;
  req.node = n.name;
  req.attempt = ctx.attempt;
  req.execution = ctx.instance->execution;
  auto target = expand_for(ctx, sub.workflow);
  if (!target)
    return make_error(target.error().code,
                      "the name of the sub-workflow: " + target.error().message);
  req.workflow = trim(*target);
  if (req.workflow.empty())
    return make_error(ec::invalid_argument,
                      "the name of the sub-workflow ('" + sub.workflow + "') expands to nothing");
  for (const auto& [name, value] : sub.params) {
    auto expanded = expand_for(ctx, value);
    if (!expanded)
      return make_error(expanded.error().code,
                        "param '" + name + "' of the sub-workflow: " + expanded.error().message);
    req.params[name] = std::move(*expanded);
  }
  req.logical_time = ctx.instance->logical_time;
  if (ctx.scope != nullptr && ctx.scope->zone != nullptr)
    req.timezone = std::string(ctx.scope->zone->name());
  req.depth = ctx.instance->depth + 1;
  return req;
}

std::string depth_refusal(const child_request& req, int max_depth) {
  if (req.depth <= max_depth)
    return {};
  return "sub-workflow '" + req.workflow + "' is not started: it would be nested "
         + std::to_string(req.depth) + " levels deep, more than master.max_sub_workflow_depth ("
         + std::to_string(max_depth) + "); do the sub-workflows call each other in a loop?";
}

child_verdict verdict_of(const instance_record& child) {
  child_verdict v;
  auto status = parse_instance_status(child.status);
  if (!status || !is_terminal(*status))
    return v;
  auto who = "child instance " + child.id + " (workflow " + child.workflow + ")";
  if (*status == instance_status::succeeded) {
    v.outcome = "succeeded";
    v.message = who + " succeeded";
    return v;
  }
  v.outcome = "failed";
  v.message = who + (*status == instance_status::killed ? " was killed" : " failed");
  auto first_line = child.message.substr(0, child.message.find('\n'));
  if (!first_line.empty())
    v.message += ": " + first_line;
  // The nodes that failed, when its message does not name them already.
  std::vector<std::string> failed;
  for (const auto& node : child.nodes)
    if (node.kind == "action" && node.status == "failed"
        && first_line.find("'" + node.name + "'") == std::string::npos)
      failed.push_back(node.name);
  if (!failed.empty())
    v.message += (first_line.empty() ? ": " : "; ") + std::string("failed nodes: ")
                 + join(failed, ", ");
  return v;
}

} // namespace cafflow
