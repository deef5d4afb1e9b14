// Backfill plans (WORKFLOW-FORMAT.md §8, docs/SCHEDULING.md "Backfill"): which
// (workflow, logical time) pairs a backfill runs, in which order. Pure: the
// backfiller actor (actors/backfiller.cpp) stores the plan and starts its
// instances.
//
// Rules:
// * The root's logical times are the ticks of its coordinator's cron (daily
//   at 00:00 without one) in its time zone with from <= t <= to, or exactly
//   the times of a date list.
// * Each root time t stands for the period [t, the root's next tick after t).
//   A downstream workflow (its coordinator depends on the root, or a legacy
//   standalone coordinator that depends on it triggers it; one level or all
//   levels) runs at each of ITS OWN ticks inside those periods: an hourly
//   child of a daily root gets 24 per day.
// * Order: period by period (ascending or descending), within a period the
//   upstreams before their downstreams, then by logical time ascending.
// * A plan larger than `max_items` is refused before it is enumerated past
//   the limit.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/records.hpp"
#include "model/workflow.hpp"
#include "util/time.hpp"

namespace cafflow {

/// What a backfill was asked to do (stored as JSON in backfills.options).
struct backfill_options {
  /// from <= logical time <= to (both set), or `dates` (exact logical times).
  timestamp from = 0;
  timestamp to = 0;
  std::vector<timestamp> dates;
  /// Instances of the backfill active at once (>= 1).
  int parallel = 1;
  /// "asc" or "desc".
  std::string order = "asc";
  /// "none", "direct" (one level) or "all" (every level).
  std::string downstream = "none";
  /// "none" (skip what already succeeded), "failed" (only what failed or was
  /// killed last), "all" (always run).
  std::string rerun = "none";
  /// On top of each instance's param-list.
  param_map params;
};

/// The options as a JSON object, and back (the error names the bad field).
std::string to_json(const backfill_options& options);
expected<backfill_options> backfill_options_from_json(const std::string& text);

/// Checks the options' fields: from <= to or a non-empty date list (not
/// both), parallel >= 1, order, downstream and rerun among their values.
/// The error (ec::invalid_request) names the field and the value.
expected<void> validate(const backfill_options& options);

/// One (workflow, logical time) of a plan.
struct backfill_step {
  std::string workflow;
  timestamp logical_time = 0;

  bool operator==(const backfill_step& other) const {
    return workflow == other.workflow && logical_time == other.logical_time;
  }
};

/// The definitions a plan is made from (the registry's active ones).
struct backfill_definitions {
  std::map<std::string, std::shared_ptr<const workflow>> workflows;
  std::map<std::string, std::shared_ptr<const standalone_coordinator>> coordinators;
  /// The zone of workflows that name none ("" = this machine's).
  std::string default_timezone;
};

/// The plan of a backfill of `root`: every (workflow, logical time) in the
/// order the backfill starts them. Fails (ec::unknown_workflow) when `root`
/// is not loaded, (ec::invalid_request) when a cron or zone cannot be read,
/// the range holds no logical time of the root, or the plan has more than
/// `max_items` steps.
expected<std::vector<backfill_step>> plan_backfill(const backfill_definitions& defs,
                                                   const std::string& root,
                                                   const backfill_options& options,
                                                   std::size_t max_items);

/// What --rerun decides for one step, given the status of the latest
/// instance of its (workflow, logical time) ("" = none): true = run it.
bool rerun_wanted(const std::string& rerun, const std::string& latest_status);

/// A backfill's progress, from its items.
struct backfill_progress {
  /// Every item of the plan.
  std::size_t planned = 0;
  /// Succeeded, or skipped because --rerun found it done.
  std::size_t done = 0;
  std::size_t skipped = 0;
  /// Failed or killed.
  std::size_t failed = 0;
  /// Instance created and not ended (queued or running).
  std::size_t running = 0;
  /// No instance yet.
  std::size_t waiting = 0;
  std::size_t cancelled = 0;
};

backfill_progress progress_of(const std::vector<backfill_item_record>& items);

/// The same from the number of items in each shown state (item_state).
backfill_progress progress_of(const std::map<std::string, std::int64_t>& counts);

/// The state of an item as shown: its instance's status when it has one
/// (queued, running, succeeded, failed, killed), else the stored state
/// (planned, skipped, cancelled).
std::string item_state(const backfill_item_record& item);

/// Whether an item is over (it will start nothing more): skipped, cancelled,
/// or its instance ended.
bool item_over(const backfill_item_record& item);

/// The final state of a backfill whose items are all over: "succeeded"
/// when every item succeeded or was skipped, else "failed".
std::string final_state(const std::vector<backfill_item_record>& items);

} // namespace cafflow
