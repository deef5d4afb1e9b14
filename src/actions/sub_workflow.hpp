// The rules of the sub-workflow kind (docs/WORKFLOWS.md "sub-workflow"): what
// a node asks the master for — a child instance of another workflow with the
// parent's logical time and zone — and how the end of that child decides the
// node. The instance runner and the master (actors/master_children.cpp) only
// move the messages.
#pragma once

#include <string>

#include "actions/kind.hpp"
#include "expected.hpp"
#include "model/records.hpp"

namespace cafflow {

/// The trigger of a child instance (instance_record::trigger).
constexpr const char* sub_workflow_trigger = "sub-workflow";

/// A sub-workflow node's call for its child instance, from the parent's
/// instance runner to the master.
struct child_request {
  /// The parent: its instance, workflow, the node and its attempt, and when
  /// that attempt started (ms).
  std::string parent_id;
  std::string parent_workflow;
  std::string node;
  int attempt = 0;
  timestamp started = 0;
  /// The parent's execution the attempt belongs to (attempt_record::execution).
  int execution = 1;
  /// The workflow to run and the params on top of its param-list, both
  /// expanded in the parent's scope.
  std::string workflow;
  param_map params;
  /// The parent's logical time and zone (IANA name; "" = the child's own).
  timestamp logical_time = 0;
  std::string timezone;
  /// The child's nesting depth: its parent's + 1.
  int depth = 1;
  /// After a master restart: the child this attempt already runs. The master
  /// re-attaches to it and never starts another. "" = start one.
  std::string child_id;
};

/// The call of sub-workflow node `ctx.node` (attempt `ctx.attempt`): the
/// workflow's name and the params expanded in the parent's scope. Fails,
/// naming the param, when an expression cannot be expanded or the name
/// expands to nothing.
expected<child_request> make_child_request(const attempt_context& ctx);

/// Why a child at `req.depth` may not start when at most `max_depth` levels
/// of sub-workflows may nest (a recursion through a name that is an
/// expression); "" when it may.
std::string depth_refusal(const child_request& req, int max_depth);

/// How a sub-workflow attempt ends once its child did.
struct child_verdict {
  /// "succeeded" or "failed"; "" while the child has not ended.
  std::string outcome;
  /// Names the child instance, its workflow and final state, and why it
  /// failed (its message, the nodes that failed).
  std::string message;
};

/// The verdict on `child` (read back from the store; only id, workflow and
/// status need be set): the node succeeds when the child succeeded and
/// fails when it failed or was killed.
child_verdict verdict_of(const instance_record& child);

} // namespace cafflow
