// election: how a master process (role master or standby) becomes the active
// master (docs/OPERATIONS.md, "High availability"). Before its actor system starts, it waits on the
// master lease in the store and takes it when it is free, when it has
// expired, or when its holder's process on this machine is gone. Not an
// actor: nothing else runs in the process while it waits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "engine/leadership.hpp"
#include "expected.hpp"
#include "store/store.hpp"

namespace cafflow {

/// The lease as this process took it, and from whom.
struct takeover {
  lease_record lease;
  /// When the acquiring request was sent (the lease runs from there).
  timestamp sent = 0;
  /// The holder before (empty: nobody held it) and its epoch.
  std::string previous_holder;
  std::uint64_t previous_epoch = 0;
  /// How long after the previous holder's lease ended (or its process was
  /// found gone) this process took over, in ms.
  std::int64_t waited_ms = 0;
};

/// The lease settings of `cfg` ([master] lease_*).
lease_settings lease_settings_of(const config& cfg);

/// This process's row in the store's list of master processes.
master_node_record master_node(const host_port& me, const std::string& role, timestamp started);

/// Waits until this process holds the master lease; nothing when a stop
/// signal came first. Keeps this process listed as a standby meanwhile.
expected<std::optional<takeover>> await_lease(store& db, const config& cfg,
                                              const host_port& me);

} // namespace cafflow
