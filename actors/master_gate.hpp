// master_gate: the master process's gate, published on the master's CAF port
// (docs/DESIGN.md, "Gates"). Workers and http servers open sessions with it
// by proving their role (security/handshake.hpp); it accepts each message
// only with the credential of a session whose role may send it, and passes
// it on to the master or the dispatcher, which never talk to another process
// themselves. It gives the dispatcher one worker_link per worker process. It
// never connects to another process itself: workers and http servers come to
// it (two nodes connecting to each other at once race in CAF 0.17).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "config/config.hpp"
#include "security/handshake.hpp"

namespace cafflow {

struct master_gate_config {
  std::shared_ptr<const tls::authenticator> auth;
  std::chrono::milliseconds request_timeout{10000};
};

struct master_gate_state {
  static constexpr const char* name = "master_gate";

  /// A worker process that proved its role.
  struct worker_session {
    std::string worker_id;
    /// Its gate (the worker actor) and its stand-in here.
    worker_actor handle;
    worker_link_actor link;
    /// Its certificate (empty with TLS off): only the same certificate may
    /// register this process again.
    std::string fingerprint;
    /// Its connection went down at (0 = up).
    timestamp down_since = 0;
  };

  /// An http server that proved its role.
  struct http_session {
    caf::actor_addr peer;
    timestamp opened = 0;
  };

  master_gate_config cfg;
  /// Set by the master once its components run.
  master_actor master;
  dispatcher_actor dispatcher;
  /// Hellos answered, waiting for their proofs.
  tls::challenge_book pending;
  tls::session_table<worker_session> workers;
  tls::session_table<http_session> https;
  /// Messages refused for a missing or wrong credential, and handshakes refused.
  std::uint64_t refused_messages = 0;
  std::uint64_t refused_handshakes = 0;
  std::shared_ptr<spdlog::logger> log;
};

master_gate_actor::behavior_type
master_gate(master_gate_actor::stateful_pointer<master_gate_state> self, master_gate_config cfg);

} // namespace cafflow
