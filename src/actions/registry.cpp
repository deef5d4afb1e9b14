// The registry: one line per action kind, in the order of `action_body`.
#include "actions/kind.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "engine/placement.hpp"
#include "exec/task.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace fs = std::filesystem;

const std::vector<action_kind>& action_kinds() {
  static const std::vector<action_kind> kinds{
    script_kind(),
    shell_kind(),
    file_executor_kind(),
    sql_kind(),
    transfer_kind(),
    data_monitor_kind(),
    file_monitor_kind(),
    email_kind(),
    metadata_kind(),
    sub_workflow_kind(),
    dependent_kind(),
  };
  return kinds;
}

const action_kind& kind_of(const action_body& body) {
  static_assert(std::variant_size_v<action_body> == 11, "one registry line per action kind");
  return action_kinds().at(body.index());
}

const action_kind* find_kind(const std::string& name) {
  for (const auto& kind : action_kinds())
    if (kind.name == name)
      return &kind;
  return nullptr;
}

expected<std::string> expand_for(const attempt_context& ctx, const std::string& text) {
  return expand_in(text, *ctx.scope);
}

attempt_spec base_attempt(const attempt_context& ctx) {
  const auto& n = ctx.wf->nodes[ctx.node];
  attempt_spec spec;
  spec.instance_id = ctx.instance->id;
  spec.workflow = ctx.instance->workflow;
  spec.node = n.name;
  spec.attempt = ctx.attempt;
  spec.action_type = kind_of(n.action.body).name;
  spec.params = ctx.instance->params;
  spec.logical_time = ctx.instance->logical_time;
  spec.timeout_s = n.action.timeout_s;
  spec.timeout_action = to_string(n.action.on_timeout);
  spec.host = n.action.host;
  spec.worker_group = n.action.worker_group;
  spec.priority_class = priority_class(ctx.instance->origin.empty() ? ctx.instance->trigger
                                                                     : ctx.instance->origin);
  spec.priority = ctx.instance->priority;
  spec.action_priority = n.action.priority;
  spec.pool = n.action.pool;
  spec.max_parallel = ctx.wf->max_parallel;
  return spec;
}

expected<attempt_spec> make_attempt(const attempt_context& ctx) {
  const auto& n = ctx.wf->nodes[ctx.node];
  const auto& kind = kind_of(n.action.body);
  if (kind.place != run_place::worker || !kind.prepare || !kind.not_supported.empty())
    return make_error(ec::exec_error, "action type '" + kind.name + "' does not run on a worker");
  auto spec = base_attempt(ctx);
  if (auto done = kind.prepare(n.action.body, ctx, spec); !done)
    return done.error();
  return spec;
}

expected<std::vector<std::string>> exec_command(const attempt_spec& spec,
                                                const std::string& work_dir,
                                                const task_site& site) {
  nlohmann::json doc;
  doc["kind"] = spec.action_type;
  doc["attempt"] = {{"instance_id", spec.instance_id}, {"workflow", spec.workflow},
                    {"node", spec.node},               {"attempt", spec.attempt},
                    {"logical_time", spec.logical_time}, {"params", spec.params},
                    {"timeout_s", spec.timeout_s}};
  auto payload = nlohmann::json::parse(spec.payload, nullptr, false);
  if (payload.is_discarded())
    return make_error(ec::exec_error, "the attempt's " + spec.action_type
                                        + " spec is not valid JSON (a master of another version?)");
  doc["spec"] = std::move(payload);
  doc["site"] = site_to_json(site);
  auto path = (fs::path(work_dir) / "spec.json").string();
  {
    // Only the worker's user may read it: it may carry the [mail] password.
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ::chmod(path.c_str(), 0600);
    out << doc.dump(2);
    if (!out)
      return make_error(ec::exec_error, "cannot write '" + path + "'");
  }
  return std::vector<std::string>{default_exec_program(), spec.action_type, path};
}

std::vector<std::string> check_link_types(const kind_check_context& ctx,
                                          const std::vector<std::string>& links,
                                          const std::vector<std::string>& types,
                                          const std::string& what) {
  std::vector<std::string> problems;
  if (ctx.link_types == nullptr)
    return problems;
  for (const auto& link : links) {
    auto it = ctx.link_types->find(link);
    if (it == ctx.link_types->end())
      continue; // reported as an unknown link
    if (std::find(types.begin(), types.end(), it->second) == types.end())
      problems.push_back(what + " needs a db link of type " + join(types, " or ") + "; '" + link
                         + "' is " + it->second);
  }
  return problems;
}

} // namespace cafflow
