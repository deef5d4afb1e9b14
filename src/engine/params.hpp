// An instance's parameters and the expansion of the expressions in its
// actions (docs/WORKFLOWS.md), evaluated against its logical time.
#pragma once

#include <string>

#include <date/tz.h>

#include "expected.hpp"
#include "model/records.hpp"
#include "model/workflow.hpp"

namespace cafflow {

/// What the expressions of one instance are evaluated against.
struct param_scope {
  param_map params;
  timestamp logical_time = 0;
  const date::time_zone* zone = nullptr;
  /// Leave ${param:X} of an unknown X as written (config params.undefined = keep).
  bool keep_undefined = false;
};

/// The zone of a workflow: its timezone attribute, else `fallback` (the
/// configured default; empty = this machine's zone).
expected<const date::time_zone*> workflow_zone(const workflow& wf, const std::string& fallback);

/// The zone of an instance of `wf`: the zone it was given (`timezone`, e.g.
/// a sub-workflow child runs in its parent's), else its workflow's.
expected<const date::time_zone*> instance_zone(const workflow& wf, const std::string& timezone,
                                               const std::string& fallback);

/// The params of a new instance: the coordinator's param-list evaluated at the
/// logical time, the caller's params on top. Every expression of every action
/// is expanded once, so that an unknown parameter is refused now, naming the
/// node, instead of failing the run later.
expected<param_map> resolve_params(const workflow& wf, const param_map& caller,
                                   const param_scope& scope);

/// `text` with its expressions expanded in `scope`.
expected<std::string> expand_in(const std::string& text, const param_scope& scope);

/// The texts of an action that hold expressions: its main payload first
/// (script code, command, SQL, ...), then the others.
std::vector<std::string> action_texts(const action_spec& action);

} // namespace cafflow
