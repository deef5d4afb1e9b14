// Which nodes one execution of an instance runs: run options (--nodes with
// --upstream/--downstream, --from-node, --skip) resolved against a workflow
// (docs/SCHEDULING.md "Run options"). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/records.hpp"
#include "model/workflow.hpp"

namespace cafflow {

/// What the flow does with a node it reaches.
enum class node_choice : std::uint8_t {
  /// Runs it (control nodes always pass on).
  run,
  /// Named in --skip: skipped, the flow follows ok.
  skip,
  /// Outside the selection: skipped (a rerun keeps a node that succeeded
  /// before), the flow follows ok.
  not_selected,
};

/// The choice for every node (definition order). `rerun_mode` is "" for a
/// first run, else "all", "failed" or "nodes": a rerun of "nodes" runs
/// options.nodes (with upstream/downstream) and nothing else. Fails, naming
/// them, for unknown nodes, --nodes/--skip naming a control node,
/// --upstream/--downstream without --nodes, --from-node with --nodes, a
/// selection that leaves no action to run, and options a rerun mode does not
/// take (--nodes outside mode "nodes").
expected<std::vector<node_choice>> choose_nodes(const workflow& wf, const std::string& rerun_mode,
                                                const run_options& options);

/// "--nodes a,b --downstream --skip c" (empty for none): for messages.
std::string describe(const run_options& options);

} // namespace cafflow
