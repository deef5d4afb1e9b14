// The action-kind registry (docs/DESIGN.md, "Action kinds"): every action type of the
// workflow format is one kind — one file under src/actions/ and one line in
// src/actions/registry.cpp. A kind says where it runs, whether this build
// runs it (else the loader refuses it, naming the file and line), its
// load-time checks, how the master turns a node into an attempt, how a worker
// starts that attempt's process, and — for the kinds that run inside
// `cafflow-exec` — how the attempt runs: that part of the file is compiled
// (with CAFFLOW_EXEC) into cafflow-exec only, so that the daemons and the CLI
// do not load the database drivers.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/params.hpp"
#include "expected.hpp"
#include "model/attempt.hpp"
#include "model/workflow.hpp"

namespace cafflow {

struct exec_context;
struct task_site;

/// Where a kind runs.
enum class run_place {
  /// On a worker, as the attempt's own process group: timeouts, kill, logs,
  /// retries and the outbox work the same for every such kind.
  worker,
  /// On the master, without taking a worker slot (sub-workflow, dependent).
  master,
};

/// What the master knows when it turns a node into an attempt.
struct attempt_context {
  const workflow* wf = nullptr;
  std::size_t node = 0;
  int attempt = 1;
  const instance_record* instance = nullptr;
  /// The instance's params, logical time and zone: expressions expand here.
  const param_scope* scope = nullptr;
  /// The folder of the workflow file: relative attachments are found there.
  std::string base_dir;
  std::size_t max_attachment_bytes = 0;
};

/// What the loader knows when it checks an action.
struct kind_check_context {
  /// db-link name -> type; nullptr = links are not checked.
  const std::map<std::string, std::string>* link_types = nullptr;
  /// The name of the workflow the action is part of ("" = not known).
  std::string workflow;
};

struct action_kind {
  /// The XML element ("sql"); also attempt_spec::action_type.
  std::string name;
  run_place place = run_place::worker;
  /// A master kind whose node takes `timeout` and `timeout-action`: the
  /// master enforces them (sub-workflow: the child is killed). The others
  /// refuse these attributes at load.
  bool master_timeout = false;
  /// Empty when this build runs the kind; else why not — the loader refuses
  /// an action of this kind with it.
  std::string not_supported;
  /// Load-time checks beyond the parser's; each message is an error.
  std::function<std::vector<std::string>(const action_body&, const kind_check_context&)> check;
  /// Master: fills the attempt (payload, attachments) from the node, its
  /// expressions expanded in the instance's scope.
  std::function<expected<void>(const action_body&, const attempt_context&, attempt_spec&)>
    prepare;
  /// Worker: the argv of the attempt's process, started in `work_dir`.
  std::function<expected<std::vector<std::string>>(const attempt_spec&, const std::string& work_dir,
                                                   const task_site&)>
    command;
  /// The attempt runs in cafflow-exec: its runner (`<kind>_runner`, in the
  /// kind's file under CAFFLOW_EXEC, listed in src/actions/runners.cpp) is
  /// linked into cafflow-exec alone, with the database drivers.
  bool exec = false;
};

/// Every kind, in the order of the alternatives of `action_body`.
const std::vector<action_kind>& action_kinds();

/// The kind of an action body.
const action_kind& kind_of(const action_body& body);

/// The kind called `name`, or nullptr.
const action_kind* find_kind(const std::string& name);

// -- helpers for kind files -------------------------------------------------------

/// The kind's own body (the registry guarantees the alternative).
template <class Body>
const Body& body_as(const action_body& body) {
  return body_get<Body>(body);
}

/// `text` expanded in the attempt's scope.
expected<std::string> expand_for(const attempt_context& ctx, const std::string& text);

/// The common part of every attempt: identity, params, limits, placement.
attempt_spec base_attempt(const attempt_context& ctx);

/// Builds the attempt of node `ctx.node` with its kind's `prepare`.
expected<attempt_spec> make_attempt(const attempt_context& ctx);

/// Worker side of the kinds run by cafflow-exec: writes the attempt's spec
/// file into `work_dir` (readable by the worker's user only: it may carry
/// the [mail] password) and returns `cafflow-exec KIND SPECFILE`.
expected<std::vector<std::string>> exec_command(const attempt_spec& spec,
                                                const std::string& work_dir,
                                                const task_site& site);

/// The load-time check of kinds that name db links: each link named must be
/// of one of `types` (when the link types are known).
std::vector<std::string> check_link_types(const kind_check_context& ctx,
                                          const std::vector<std::string>& links,
                                          const std::vector<std::string>& types,
                                          const std::string& what);

} // namespace cafflow
