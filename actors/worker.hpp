// worker: the root actor of a worker process. Registers with the master,
// runs attempts through task_runners within its slots, and keeps every final
// report in an outbox until the master acknowledges it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "config/config.hpp"
#include "exec/spawner.hpp"
#include "exec/task.hpp"
#include "security/handshake.hpp"

namespace cafflow {

struct worker_config {
  /// Announced to the master.
  worker_info info;
  /// Proves this worker to the master and the master to it.
  std::shared_ptr<const tls::authenticator> auth;
  /// Where the worker is published (its configured address).
  host_port listen;
  /// The master and the standby: the worker registers with whichever is
  /// the active master (the other one publishes nothing).
  std::vector<host_port> masters;
  task_dirs dirs;
  std::chrono::milliseconds reconnect_interval{500};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::seconds kill_grace{5};
  std::chrono::milliseconds heartbeat_interval{1000};
  /// Without a master for this long, running tasks are killed.
  std::chrono::seconds lease{30};
  /// On a stop request, how long running tasks may finish before they are killed.
  std::chrono::seconds drain_grace{30};
  /// Where unacknowledged results wait while the worker is stopped (empty =
  /// nowhere: they are lost with the process).
  std::string outbox_file;
  /// Results a previous run of this worker left in `outbox_file`.
  std::vector<attempt_report> saved_outbox;
  /// [retention]: days task logs and work directories are kept (0 =
  /// forever), folders removed per batch, and the pause between rounds.
  int log_days = 0;
  int work_dir_days = 0;
  std::size_t prune_batch = 200;
  std::chrono::seconds prune_interval{3600};
  /// When the first round runs.
  std::chrono::seconds first_prune{60};
};

struct worker_state {
  static constexpr const char* name = "worker";

  worker_config cfg;
  /// The gate of the master, while connected, and the credential of the
  /// session: the worker takes orders only with it, and sends it along.
  master_gate_actor master;
  credential session;
  /// Registered with the master (a session is open), or registering.
  bool registered = false;
  bool registering = false;
  /// Orders of the master that came before the answer to the registration
  /// (checked once it is there).
  std::vector<std::function<void()>> held;
  /// Messages refused for a missing or wrong credential.
  std::uint64_t refused = 0;
  /// The highest leader epoch seen.
  std::uint64_t epoch = 0;
  /// Which of cfg.masters to try (or is registered with).
  std::size_t current = 0;
  /// Heartbeats in a row the master did not answer.
  int missed_heartbeats = 0;
  /// A connect attempt is under way.
  bool connecting = false;
  /// Failed connects in a row (for quiet logging).
  int failed_connects = 0;
  /// Running attempts by attempt key.
  std::map<std::string, task_runner_actor> running;
  /// Starts and reaps the tasks (a helper process forked at startup).
  std::shared_ptr<spawner_client> spawner;
  /// The last "running" report of each running attempt: registration sends
  /// them, so that a restarted master re-attaches instead of re-running.
  std::map<std::string, attempt_report> running_reports;
  /// Final reports the master has not acknowledged yet, by attempt key.
  std::map<std::string, attempt_report> outbox;
  /// Shutting down: no new attempts, quit when the last runner is gone.
  bool stopping = false;
  /// The tasks still running were told to stop (the drain grace is over, or
  /// there was none).
  bool tasks_stopped = false;
  /// Since when the worker has no master (0 = it has one).
  timestamp masterless_since = 0;
  /// The lease ran out and the running tasks were killed.
  bool lease_expired = false;
  std::vector<std::string> base_env;
  /// Instance folders removed by retention since the start.
  std::uint64_t pruned = 0;
  std::shared_ptr<spdlog::logger> log;
};

worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self,
                                   worker_config cfg, std::shared_ptr<spawner_client> spawner);

/// Reads the [worker] config for the worker at `address`, spawns it (with the
/// spawner forked at startup) and publishes it on that address.
expected<worker_actor> spawn_worker(caf::actor_system& sys, const config& cfg,
                                    const host_port& address,
                                    std::shared_ptr<spawner_client> spawner,
                                    std::shared_ptr<const tls::authenticator> auth);

} // namespace cafflow
