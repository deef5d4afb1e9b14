// store_writer: the only actor that writes the store. Writes arriving while
// a commit is pending are batched into the next transaction (group commit):
// a flush is queued behind them, so one commit covers everything that was in
// the mailbox. A coordinator fire is its own transaction (store::fire), in
// order with the writes around it. A failed commit is retried with backoff; nothing is dropped:
// while the database is unreachable the writes wait in memory (the master
// stops starting new work when they become too many).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include <caf/typed_response_promise.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "store/store.hpp"
#include "util/histogram.hpp"

namespace cafflow {

struct store_writer_state {
  static constexpr const char* name = "store_writer";

  std::shared_ptr<store> db;
  /// Hears whether the store is available (may be null).
  master_actor observer;
  /// Writes of the next commit.
  store_batch buffer;
  /// A fire waiting for its transaction (store::fire), after the first
  /// `position` writes of the buffer.
  struct pending_fire {
    std::size_t position = 0;
    fire_record record;
    store_batch writes;
    caf::typed_response_promise<fire_outcome> promise;
  };
  /// In the order they came.
  std::deque<pending_fire> fires;
  /// Callers waiting for the next commit.
  std::vector<caf::typed_response_promise<atom::ok>> waiting;
  /// A flush message is already queued.
  bool flush_queued = false;
  /// Commits that failed in a row.
  int failures = 0;
  /// Commits and writes so far (for status).
  std::uint64_t commits = 0;
  std::uint64_t writes = 0;
  /// For /metrics: seconds per transaction, and transactions that failed.
  histogram commit_latency = histogram::latency_seconds();
  std::uint64_t failed_commits = 0;
  std::shared_ptr<spdlog::logger> log;
};

/// Spawn detached: commits block on disk or network. `observer` hears, after
/// every failed commit and after the first that succeeds again, whether the
/// store is available, why not, and how many writes wait.
store_writer_actor::behavior_type
store_writer(store_writer_actor::stateful_pointer<store_writer_state> self,
             std::shared_ptr<store> db, master_actor observer);

} // namespace cafflow
