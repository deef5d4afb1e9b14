// What of a workflow waits for date windows (docs/SCHEDULING.md, "Date
// windows"): the windowed items of its coordinator's <depend-list> (checked
// for every instance before it starts) and each <dependent> action node; the
// report GET .../dependencies and `cafflow ... why` show; and the lookup of
// upstream instances in the store that the verdicts rest on.
#pragma once

#include <string>
#include <vector>

#include <date/tz.h>

#include "expected.hpp"
#include "model/scheduling.hpp"
#include "model/workflow.hpp"
#include "schedule/windows.hpp"

namespace cafflow {

class store;

/// One part of a workflow that waits for date windows.
struct dependency_part {
  /// The dependent node; "" = the coordinator's depend-list.
  std::string node;
  /// Only the windowed items (schedule/windows windowed_part).
  dependency_expr expr;
  /// "wait" or "fail", and the minutes a failure is waited out.
  std::string on_failure = "wait";
  int wait_minutes = 0;
};

/// The depend-list part of `wf` (nullopt: its coordinator has no windowed item).
std::optional<dependency_part> depend_list_part(const workflow& wf);

/// The dependent node called `node` of `wf` (nullopt: no such dependent node).
std::optional<dependency_part> dependent_part(const workflow& wf, const std::string& node);

/// Every part of `wf`: the depend-list first, then the dependent nodes in order.
std::vector<dependency_part> dependency_parts(const workflow& wf);

/// The verdict of `part` at `logical_time` after its failure policy (the
/// waiter waits since `since`; `now` for the failure wait).
struct part_outcome {
  dependency_verdict verdict;
  dependency_outcome outcome;
};
expected<part_outcome> evaluate_part(const dependency_part& part, timestamp logical_time,
                                     const date::time_zone& zone, const upstream_lookup& lookup,
                                     timestamp since, timestamp now);

/// The report of every part of `wf` at `logical_time` (state: failed if one
/// part failed, waiting if one waits, holds; "none" without parts). `since`
/// applies to parts that do not say otherwise in `since_by_node` (node name,
/// "" = the depend-list).
expected<dependency_report> report_dependencies(const workflow& wf, const std::string& name,
                                                timestamp logical_time,
                                                const date::time_zone& zone,
                                                const upstream_lookup& lookup, timestamp since,
                                                const std::map<std::string, timestamp>& since_by_node,
                                                timestamp now);

/// The lookup of schedule/windows over `db`: the instances of the workflow
/// whose logical time lies in the range; for a node, each one's node status
/// ("not_run" when the instance ended without running it). Not thread-safe:
/// one connection, one caller.
upstream_lookup store_lookup(store& db);

} // namespace cafflow
