// backfiller: runs backfills (WORKFLOW-FORMAT.md §8, docs/SCHEDULING.md
// "Backfill"). Plans them with schedule/backfill_plan from the registry's
// definitions, stores each with its items, and keeps at most `parallel` of
// its instances active, in plan order: the next item starts when the master
// says one ended (no polling). The master creates each instance together
// with its item's instance id in one transaction, so no item ever gets two.
// A new master resumes every unfinished backfill from the store.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "schedule/backfill_plan.hpp"
#include "util/ids.hpp"

namespace cafflow {

struct backfiller_config {
  master_actor master;
  store_writer_actor writer;
  store_reader_actor reader;
  /// Zone of workflows that name none.
  std::string default_timezone;
  /// A larger plan is refused (schedule.max_backfill_items).
  std::size_t max_items = 100000;
  std::chrono::milliseconds request_timeout{10000};
  /// How long an item that could not start (store or master busy) waits
  /// before it is tried again.
  std::chrono::milliseconds retry_interval{1000};
  /// The planned or running backfills the store has (a restart, a failover).
  std::vector<backfill_record> resumed;
};

struct backfiller_state {
  static constexpr const char* name = "backfiller";

  /// A backfill being run.
  struct run {
    backfill_record record;
    backfill_options options;
    /// The first item not looked at yet (items before it started, were
    /// skipped or cancelled).
    std::size_t next = 0;
    /// Instances created and not ended: instance id -> item index.
    std::map<std::string, std::size_t> active;
    /// Items whose instance the master is creating now.
    std::size_t launching = 0;
    /// Items to try again after retry_interval (index).
    std::vector<std::size_t> retry;
  };

  backfiller_config cfg;
  /// The latest definitions (from the registry); none yet while starting.
  schedule_ptr snapshot;
  std::map<std::string, run> runs;
  id_generator ids;
  bool retry_pending = false;
  bool draining = false;
  std::shared_ptr<spdlog::logger> log;
};

backfiller_actor::behavior_type
backfiller(backfiller_actor::stateful_pointer<backfiller_state> self, backfiller_config cfg);

} // namespace cafflow
