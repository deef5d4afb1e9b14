// http_gateway: the root actor of the http process. Serves the HTTP API
// (Poco threads) and forwards its questions to the master over CAF,
// reconnecting when the master is lost; without a master the API answers 503.
#pragma once

#include <chrono>
#include <memory>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "config/config.hpp"
#include "http/server.hpp"

namespace cafflow {

struct http_gateway_config {
  host_port master;
  http_server::options server;
  std::chrono::milliseconds reconnect_interval{500};
  std::chrono::milliseconds connect_timeout{2000};
  /// How long an HTTP request waits for the master.
  std::chrono::milliseconds request_timeout{10000};
};

struct http_gateway_state {
  static constexpr const char* name = "http_gateway";

  http_gateway_config cfg;
  master_actor master;
  bool connecting = false;
  int failed_connects = 0;
  std::unique_ptr<http_server> server;
  std::shared_ptr<spdlog::logger> log;
};

http_gateway_actor::behavior_type
http_gateway(http_gateway_actor::stateful_pointer<http_gateway_state> self,
             http_gateway_config cfg);

/// Spawns the gateway for the configured HTTP address.
expected<http_gateway_actor> spawn_http(caf::actor_system& sys, const config& cfg);

} // namespace cafflow
