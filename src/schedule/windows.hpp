// Date-window dependencies (WORKFLOW-FORMAT.md §5, docs/SCHEDULING.md): which
// whole periods a `cycle`/`window` item covers at an instance's logical time,
// whether the upstream instances in those periods hold it, and why. Pure and
// clock-free: the caller passes a lookup of upstream instances (the store)
// and the time.
//
// Rules:
// * Periods are whole cycle periods in the workflow's zone: hours start at
//   :00 (absolute hours: a DST day has 23 or 25 of them), days at local
//   midnight (23 or 25 hours long on DST days), weeks on Monday, months on
//   the 1st. A window is a list of periods, oldest first, [from, to).
// * In each period, the latest upstream instance (by logical time, then by
//   id) whose logical time falls in it decides — or, for a `node=` item, that
//   instance's node: succeeded (a skipped node too) = holds, none yet or
//   queued/running/waiting = waiting, failed/killed = failed (a node that
//   its ended instance never ran, "not_run", too). An item holds
//   when every period holds; it fails when one period failed, else waits.
// * <all> fails when one child failed, holds when every child holds; <any>
//   holds when one child holds, fails only when every child failed.
// * Failure handling (`on-failure`): "fail" fails at once; "wait" keeps
//   waiting `wait-minutes` after the failure was first seen — the later of the
//   failed upstream's end and the moment the waiter began to wait, both stored
//   — for a rerun to succeed, then fails.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <date/tz.h>
#include <nlohmann/json_fwd.hpp>

#include "expected.hpp"
#include "model/workflow.hpp"
#include "util/time.hpp"

namespace cafflow {

/// The cycles of a dependency item: hour, day, week, month.
const std::vector<std::string>& dependency_cycles();

/// The window keywords of each cycle (WORKFLOW-FORMAT.md §5), in documentation order.
const std::map<std::string, std::vector<std::string>>& windows_by_cycle();

/// One whole period [from, to) in ms.
struct period {
  timestamp from = 0;
  timestamp to = 0;
  bool operator==(const period& other) const { return from == other.from && to == other.to; }
};

/// The periods of `window` (of `cycle`) at `logical_time` in `zone`, oldest
/// first. The error names an unknown cycle or window.
expected<std::vector<period>> window_periods(const std::string& cycle, const std::string& window,
                                             timestamp logical_time, const date::time_zone& zone);

/// The verdict of a dependency, an item or one period.
enum class dependency_state { holds, waiting, failed };

const char* to_string(dependency_state state);

/// An upstream instance as a window sees it: for a `node=` item, `status`
/// and `finished` are the node's.
struct upstream_instance {
  std::string id;
  timestamp logical_time = 0;
  std::string status;
  timestamp finished = 0;
};

/// The upstream instances of `workflow` (with the status of `node`, unless
/// empty) whose logical time lies in [from, to), in any order. A node= lookup
/// leaves out instances whose definition has no such node.
using upstream_lookup = std::function<expected<std::vector<upstream_instance>>(
  const std::string& workflow, const std::string& node, timestamp from, timestamp to)>;

/// What one period looked at.
struct period_check {
  period span;
  /// The instance that decided, or none yet.
  std::optional<upstream_instance> seen;
  dependency_state state = dependency_state::waiting;
};

/// The verdict of an expression with everything it rests on.
struct dependency_verdict {
  dependency_expr::kind what = dependency_expr::kind::item;
  dependency_state state = dependency_state::waiting;
  /// Items: the item and its periods; groups: their children.
  dependency_item item;
  std::vector<period_check> periods;
  std::vector<dependency_verdict> children;
  /// When failed: when the failure happened (the latest end of the failed
  /// instances the verdict rests on; 0 = unknown).
  timestamp failed_at = 0;
};

/// Evaluates `expr` at `logical_time` in `zone`. Items without a window are
/// not evaluated here (akkaflow's flags, the coordinator's business): they
/// hold. Fails when a lookup fails.
expected<dependency_verdict> evaluate_dependencies(const dependency_expr& expr,
                                                   timestamp logical_time,
                                                   const date::time_zone& zone,
                                                   const upstream_lookup& lookup);

/// The windowed items of `expr` (groups emptied of windowless items are
/// dropped); nullopt when it has none.
std::optional<dependency_expr> windowed_part(const dependency_expr& expr);

/// True when `expr` holds an <any> that mixes items with and without a
/// window (a depend-list cannot evaluate both kinds in one <any>).
bool mixes_windows_in_any(const dependency_expr& expr);

/// The verdict as text, one line per item ("orders day today: 07-28 00:00–07-29
/// 00:00 → 0192… (2026-07-28 04:10, succeeded): holds"), with times in `zone`.
std::string explain(const dependency_verdict& verdict, const date::time_zone& zone);

/// The verdict as the API's JSON document (times as ISO 8601 and in `zone`).
nlohmann::json to_json(const dependency_verdict& verdict, const date::time_zone& zone);

/// A verdict after the failure policy.
struct dependency_outcome {
  dependency_state state = dependency_state::waiting;
  /// While a failure is waited out: when it becomes final (ms; 0 = none).
  timestamp deadline = 0;
  /// What the waiter shows: "waiting for dependencies: ..." and the explanation.
  std::string message;
};

/// Applies `on_failure` ("fail" or "wait") with `wait_minutes` to `verdict`
/// at `now`; `waiting_since` is when the waiter began to wait.
dependency_outcome apply_failure_policy(const dependency_verdict& verdict,
                                        const std::string& on_failure, int wait_minutes,
                                        timestamp waiting_since, timestamp now,
                                        const date::time_zone& zone);

} // namespace cafflow
