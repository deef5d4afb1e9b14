// The decisions of one coordinator (docs/WORKFLOWS.md, docs/SCHEDULING.md):
// which cron ticks fire, when dependencies make a workflow fire, catch-up
// after downtime, the start/end window, pause. Pure and clock-free: the
// coordinator actor passes the time in, persists memory() with every change,
// and carries out the fires it returns.
//
// Rules:
// * A cron tick that comes due is *waiting* until every dependency is ready,
//   then fires with the tick as its logical time (trigger "cron"). With
//   catchup "all" every waiting tick is kept (oldest first, at most
//   max_catchup); otherwise a newer tick replaces a waiting one.
// * Without a cron, the workflow fires (trigger "dependency", logical time =
//   now) when the last dependency becomes ready, inside the window.
// * Firing clears the dependency flags.
// * Items with a date window (cycle, window) are flags only without a cron;
//   with a cron they do not hold a tick back: its instance waits for the
//   window at its logical time (schedule/windows, docs/SCHEDULING.md).
// * Ticks outside [start-time, end-time], while disabled or paused, pass
//   without firing. Flags are collected even while paused.
// * At start after downtime, the ticks missed since the stored next tick are
//   handled by `catchup`: none (skipped), last (the most recent one), all
//   (each, oldest first, at most max_catchup). Ticks already in fire records
//   never fire again.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <date/tz.h>

#include "expected.hpp"
#include "model/workflow.hpp"
#include "schedule/cron.hpp"
#include "util/time.hpp"

namespace cafflow {

/// An upstream workflow whose instance made a dependency ready.
struct upstream_ready {
  /// The upstream instance that succeeded.
  std::string instance_id;
  /// When it was reported.
  timestamp at = 0;
};

/// What a coordinator remembers across restarts and failovers (stored as
/// JSON in coordinator_state).
struct coordinator_memory {
  /// The next cron tick not yet handled (0 = none: no cron, or past the end).
  timestamp next_fire = 0;
  /// The cron expression next_fire was computed from.
  std::string cron;
  /// Logical time of the last fire (0 = never).
  timestamp last_fire = 0;
  /// Paused by an operator: ticks pass without firing.
  bool paused = false;
  /// Upstreams ready since the last fire, by name.
  std::map<std::string, upstream_ready> ready;
  /// Cron ticks that are due and wait for their dependencies, oldest first.
  std::vector<timestamp> waiting;

  bool operator==(const coordinator_memory& other) const;
};

/// The memory as a JSON object, and back (the error names what is wrong).
std::string to_json(const coordinator_memory& memory);
expected<coordinator_memory> coordinator_memory_from_json(const std::string& text);

/// True when a successful instance created by `trigger` makes the
/// dependencies on its workflow ready: cron, dependency and trigger do;
/// manual runs, lineage runs and backfills do not.
bool counts_for_dependencies(const std::string& trigger);

/// What a fire does about the workflow's instance-limit: start its instance
/// (below the limit), queue it (at the limit, overlap "queue": it waits for a
/// free place), or skip it (at the limit, overlap "skip").
enum class fire_admission { start, queue, skip };

/// `active`: instances of the workflow running or waiting now.
fire_admission admit_fire(const std::string& overlap, int instance_limit, int active);

/// A fire the coordinator decided on.
struct fire_decision {
  timestamp logical_time = 0;
  /// "cron" (a tick) or "dependency" (no cron: the last dependency became ready).
  std::string trigger;
  /// The upstream instances that made the dependencies ready.
  std::map<std::string, upstream_ready> ready;
};

class coordinator_logic {
public:
  /// `name`: the workflow or standalone coordinator. Fails when the cron or
  /// the window cannot be read (the parser has checked both already).
  static expected<coordinator_logic> make(std::string name, const coordinator_spec& spec,
                                          const date::time_zone& zone,
                                          std::size_t max_catchup);

  /// Starts from what the store remembers (nullopt for a new coordinator:
  /// it begins with the first tick after `now`). Missed ticks are handled by
  /// the catchup policy; `fired` are logical times that already have a fire
  /// record. A memory computed from another cron starts afresh from `now`.
  std::vector<fire_decision> start(std::optional<coordinator_memory> stored,
                                   const std::set<timestamp>& fired, timestamp now);

  /// Handles every tick due at `now`.
  std::vector<fire_decision> tick(timestamp now);

  /// An instance of `upstream` that counts for dependencies succeeded.
  std::vector<fire_decision> upstream_succeeded(const std::string& upstream,
                                                const std::string& instance_id, timestamp now);

  /// Pauses: ticks pass without firing until resume().
  void pause();
  /// Resumes: fires what is ready now (ticks that passed while paused are skipped).
  std::vector<fire_decision> resume(timestamp now);
  /// Clears the dependency flags (waiting ticks stay).
  void reset();

  /// When tick() must be called next; nullopt = not until something else happens.
  std::optional<timestamp> wakeup() const;

  /// The next `n` ticks after `now` that would fire (within the window; none
  /// while disabled or paused).
  std::vector<timestamp> upcoming(timestamp now, std::size_t n) const;

  /// The workflows of the dependency list, each once, in document order.
  const std::vector<std::string>& upstreams() const { return upstreams_; }

  /// True when the dependency list holds with the current flags (no list: true).
  bool dependencies_ready() const;

  const coordinator_memory& memory() const { return memory_; }
  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  const std::string& cron_text() const { return cron_text_; }

  /// What passed without firing since the last call (skipped, superseded or
  /// dropped ticks), one line each, for the log.
  std::vector<std::string> take_notes();

private:
  coordinator_logic() = default;

  /// Fires what is ready at `now`.
  std::vector<fire_decision> settle(timestamp now);
  /// A due tick waits for its dependencies.
  void enqueue(timestamp tick);
  /// The first tick strictly after `after` inside the window (0 = none).
  timestamp next_tick(timestamp after) const;
  bool in_window(timestamp t) const;
  std::string show(timestamp t) const;
  bool holds(const dependency_expr& expr) const;

  std::string name_;
  const date::time_zone* zone_ = nullptr;
  std::optional<cron_expr> cron_;
  std::string cron_text_;
  dependency_expr depends_;
  std::vector<std::string> upstreams_;
  bool enabled_ = true;
  bool catchup_all_ = false;
  bool catchup_last_ = false;
  /// The window (0 = unbounded).
  timestamp start_ = 0;
  timestamp end_ = 0;
  std::size_t max_catchup_ = 0;
  coordinator_memory memory_;
  std::vector<std::string> notes_;
};

} // namespace cafflow
