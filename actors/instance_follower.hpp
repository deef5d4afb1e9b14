// instance_follower: one per event stream of GET /api/v1/instances/{id}/events
// in the http process. Reads the instance, sends it as an event, then asks
// the master (through the gateway) to answer once the instance changed
// (engine/change_feed.hpp): no polling; a comment line keeps the connection
// alive while nothing happens.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "http/api.hpp"

namespace cafflow {

struct instance_follower_config {
  /// The gateway that relays the requests to the master.
  http_gateway_actor gateway;
  std::string instance;
  /// Whether each event carries the nodes (else the instance's row only: a
  /// read of one row instead of every node and attempt).
  bool with_nodes = true;
  std::shared_ptr<http_sink> sink;
  /// How long a request to the master may take; a wait lasts half of it.
  std::chrono::milliseconds request_timeout{10000};
  /// At least this long between two events (a busy instance changes often).
  std::chrono::milliseconds min_interval{150};
};

struct instance_follower_state {
  static constexpr const char* name = "instance_follower";
  instance_follower_config cfg;
  /// The change number of the state last sent (0 before the first).
  std::uint64_t seen = 0;
  std::shared_ptr<spdlog::logger> log;
};

instance_follower_actor::behavior_type
instance_follower(instance_follower_actor::stateful_pointer<instance_follower_state> self,
                  instance_follower_config cfg);

} // namespace cafflow
