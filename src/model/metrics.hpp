// What GET /metrics shows: the numbers the master gathers from its
// components (dispatcher, store writer, coordinator) and its own, at one
// moment. Counters count since the master process started.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "util/histogram.hpp"
#include "util/time.hpp"

namespace cafflow {

/// The dispatcher's part: attempts, the queue, workers and slots.
struct dispatch_metrics {
  /// Attempts sent to a worker.
  std::uint64_t attempts_started = 0;
  /// Attempts ended, by outcome (succeeded, failed, timed_out, lost, killed).
  std::map<std::string, std::uint64_t> attempts_ended;
  /// Seconds from an attempt being queued at the dispatcher to its being
  /// sent to a worker.
  histogram_data dispatch_latency;
  /// Seconds from the cron tick (logical time) that started an instance to
  /// the dispatch of its first attempt: how late a herd of fires runs.
  histogram_data fire_dispatch_lag;
  /// Attempts waiting for a slot.
  std::uint64_t queued_attempts = 0;
  /// Workers registered now, and workers seen before that are gone (lost
  /// and not registered again).
  std::uint64_t workers_up = 0;
  std::uint64_t workers_down = 0;
  /// Slots of the registered workers, and those not running an attempt.
  std::uint64_t slots_total = 0;
  std::uint64_t slots_free = 0;
  /// The config's [pools]: size and attempts running now, by pool.
  std::map<std::string, std::uint64_t> pool_slots;
  std::map<std::string, std::uint64_t> pool_in_use;
};

/// The store writer's part.
struct store_metrics {
  /// Seconds per transaction (group commit or fire), successful or not.
  histogram_data commit_latency;
  /// Transactions that failed (and are retried).
  std::uint64_t commit_failures = 0;
  /// Writes (and fires) buffered, not yet committed.
  std::uint64_t pending_writes = 0;
};

/// The coordinator's part.
struct coordinator_metrics {
  /// Seconds between a cron tick's logical time and when it fired.
  histogram_data cron_lag;
  /// Fires by trigger (cron, dependency).
  std::map<std::string, std::uint64_t> fires;
};

/// Everything /metrics renders.
struct metrics_snapshot {
  std::uint64_t epoch = 0;
  /// 1 when this master took over from another one (failover), else 0; and
  /// how long after the other's lease ended it did (ms).
  std::uint64_t failovers = 0;
  std::int64_t takeover_ms = 0;
  /// When the master started (Unix ms).
  timestamp started = 0;
  /// Instances running, and waiting for their workflow's instance-limit.
  std::uint64_t instances_running = 0;
  std::uint64_t instances_queued = 0;
  /// Instances ended, by final status (succeeded, failed, killed).
  std::map<std::string, std::uint64_t> instances_ended;
  /// Whether the store's last commit succeeded.
  bool store_available = true;
  /// Whether the store writer answered in time; when not, `store` is its
  /// last answer (empty before the first) and pending_writes what it last
  /// reported to the master.
  bool store_writer_answered = false;
  dispatch_metrics dispatch;
  store_metrics store;
  coordinator_metrics coordinator;
};

} // namespace cafflow
