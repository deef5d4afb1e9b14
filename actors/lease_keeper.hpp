// lease_keeper: renews the master lease of the active master from its own
// store connection (a blocking call, hence a detached actor), keeps the
// master listed in the store, and tells the master until when it may act —
// or that another master took the lease (docs/OPERATIONS.md, "High availability").
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "config/config.hpp"
#include "engine/leadership.hpp"
#include "store/store.hpp"

namespace cafflow {

struct lease_keeper_config {
  host_port me;
  lease_settings settings;
  /// The lease as taken, and when that request was sent.
  lease_record lease;
  timestamp sent = 0;
  /// When this master process started (for its row in the store).
  timestamp started = 0;
  std::shared_ptr<store> db;
  master_actor master;
};

struct lease_keeper_state {
  static constexpr const char* name = "lease_keeper";

  lease_keeper_config cfg;
  std::unique_ptr<leadership> lead;
  /// Renewals that failed in a row (the store did not answer).
  int failures = 0;
  /// The lease went to another master: nothing more to do.
  bool lost = false;
  std::shared_ptr<spdlog::logger> log;
};

lease_keeper_actor::behavior_type
lease_keeper(lease_keeper_actor::stateful_pointer<lease_keeper_state> self,
             lease_keeper_config cfg);

} // namespace cafflow
