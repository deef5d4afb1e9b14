// pruner: the master's retention ([retention], docs/OPERATIONS.md "Retention
// and backup"). From its own store connection (blocking calls, hence a
// detached actor) it deletes ended instances older than `days` with their
// nodes and attempts, and stored workflow versions beyond the newest
// `xml_versions`, a small batch at a time with a pause in between, then
// waits for the next round. The rules are the store's (store::prune_*). It
// runs without retention too, for the master's deletions of one ended
// instance on request (DELETE /api/v1/instances/{id}, store::delete_instance).
#pragma once

#include <chrono>
#include <memory>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "store/store.hpp"

namespace cafflow {

struct pruner_config {
  std::shared_ptr<store> db;
  /// 0 = keep forever.
  int days = 0;
  /// 0 = keep every version.
  int xml_versions = 0;
  int batch = 200;
  std::chrono::seconds interval{3600};
  /// When the first round starts, and the pause between two batches.
  std::chrono::milliseconds first{std::chrono::seconds(60)};
  std::chrono::milliseconds pause{std::chrono::seconds(1)};
};

struct pruner_state {
  static constexpr const char* name = "pruner";

  pruner_config cfg;
  /// What was deleted since the start.
  std::uint64_t instances = 0;
  std::uint64_t attempts = 0;
  std::uint64_t versions = 0;
  /// Rounds that failed in a row (for quiet logging).
  int failures = 0;
  std::shared_ptr<spdlog::logger> log;
};

pruner_actor::behavior_type pruner(pruner_actor::stateful_pointer<pruner_state> self,
                                   pruner_config cfg);

} // namespace cafflow
