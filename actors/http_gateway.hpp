// http_gateway: the root actor of the http process. Serves the HTTP API
// (Poco threads) and forwards its questions to the active master over CAF,
// following it from the master's address to the standby's and back when it
// is lost; without a master the API answers 503, except GET /api/v1/cluster,
// which then answers from the store.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "config/config.hpp"
#include "http/akkaflow.hpp"
#include "http/server.hpp"
#include "security/handshake.hpp"

namespace cafflow {

class store;

struct http_gateway_config {
  /// The masters' addresses in the order they are tried (master, standby):
  /// only the active one publishes its master actor.
  std::vector<host_port> masters;
  /// The cluster's name, for the cluster view while no master answers.
  std::string cluster_name;
  /// The http process's own store connection, for the cluster view (null =
  /// none: the view lacks the store's part). Not thread-safe: only the API
  /// backend uses it, under its mutex.
  std::shared_ptr<store> db;
  http_server::options server;
  /// What akkaflow's definition routes need (add, check, del: files in xmlconfig).
  akkaflow_settings akkaflow;
  std::chrono::milliseconds reconnect_interval{500};
  std::chrono::milliseconds connect_timeout{2000};
  /// How long an HTTP request waits for the master.
  std::chrono::milliseconds request_timeout{10000};
  /// Proves this http server to the master and the master to it.
  std::shared_ptr<const tls::authenticator> auth;
};

struct http_gateway_state {
  static constexpr const char* name = "http_gateway";

  http_gateway_config cfg;
  /// The master's gate and the credential of this server's session, once
  /// logged in.
  master_gate_actor master;
  credential session;
  /// The index in cfg.masters of the master connected to, or tried next.
  std::size_t current = 0;
  bool connecting = false;
  /// The addresses that failed in this round of connects, with why; a round
  /// tries every address once, then waits reconnect_interval.
  std::vector<std::string> round_errors;
  /// Rounds that failed since the last connect (warnings are every ~30 s).
  int failed_rounds = 0;
  std::unique_ptr<http_server> server;
  std::shared_ptr<spdlog::logger> log;
};

http_gateway_actor::behavior_type
http_gateway(http_gateway_actor::stateful_pointer<http_gateway_state> self,
             http_gateway_config cfg);

/// Spawns the gateway for the configured HTTP address, following the
/// configured master and standby, with its own store connection when the
/// store can be opened.
expected<http_gateway_actor> spawn_http(caf::actor_system& sys, const config& cfg,
                                        std::shared_ptr<const tls::authenticator> auth);

} // namespace cafflow
