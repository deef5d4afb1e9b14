// coordinator: the coordinators of every workflow and standalone coordinator
// file. Keeps each one's decisions (schedule/coordinator) and one timer for
// the earliest next fire (no polling); hears which instances end, for the
// dependency flags; hands every fire to the master, whose commit of the fire
// record makes it exactly-once; persists each coordinator's state through the
// master, in order with its fires.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "schedule/coordinator.hpp"
#include "util/histogram.hpp"

namespace cafflow {

struct coordinator_config {
  master_actor master;
  /// Zone of workflows (and standalone coordinators) that name none.
  std::string default_timezone;
  bool keep_undefined = false;
  std::size_t max_catchup = 100;
  /// Cron of the daily clear of every flag; empty = never.
  std::string flag_reset_cron;
  /// What the store remembers, by coordinator name.
  std::map<std::string, coordinator_state_record> stored;
  /// Logical times that already fired since each stored next fire.
  std::map<std::string, std::set<timestamp>> fired;
};

struct coordinator_state {
  static constexpr const char* name = "coordinator";

  struct entry {
    /// The definition it was made from: the workflow (with its record) or
    /// the standalone coordinator; a new pointer means a new definition.
    catalog::entry def;
    std::shared_ptr<const standalone_coordinator> standalone;
    const date::time_zone* zone = nullptr;
    std::optional<coordinator_logic> logic;
    /// The state last handed out for writing (JSON), to skip repeats.
    std::string persisted;
  };

  coordinator_config cfg;
  std::map<std::string, entry> entries;
  /// Workflow -> the coordinators (of `entries`, in name order) that wait
  /// for it, rebuilt at each load: an instance's success wakes only those,
  /// not a walk of every coordinator (ten thousand at a midnight herd).
  std::map<std::string, std::vector<std::string>> waiting_on;
  /// The latest definitions (for standalone coordinators' trigger-lists).
  schedule_ptr snapshot;
  /// upstreams_of(snapshot) and its inverse (workflow -> the workflows that
  /// wait for it), computed when first asked after a load: asked per
  /// workflow by the API, they cost a walk of every definition.
  std::optional<upstream_map> upstreams;
  std::optional<upstream_map> downstreams;
  /// Whether the first definitions arrived (stored states of coordinators
  /// that are gone are deleted then).
  bool loaded = false;
  /// The pending timer: its time and generation (older ones are ignored).
  std::optional<timestamp> timer_at;
  std::uint64_t generation = 0;
  /// The daily clear of every flag (when configured) and when it is next.
  std::optional<cron_expr> flag_reset;
  std::optional<timestamp> flag_reset_at;
  std::uint64_t fires = 0;
  /// The master is stopping: cron ticks no longer fire (the stored state
  /// keeps them for the next master's catch-up).
  bool draining = false;
  /// For /metrics: fires by trigger, and how late each cron fire was
  /// (seconds after its logical time; catch-up after downtime reaches hours).
  std::map<std::string, std::uint64_t> fires_by_trigger;
  histogram cron_lag{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60,
                      600, 3600}};
  std::shared_ptr<spdlog::logger> log;
};

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, coordinator_config cfg);

} // namespace cafflow
