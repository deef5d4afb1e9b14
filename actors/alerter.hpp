// alerter: the active master's sender of alerts (docs/OPERATIONS.md,
// "Alerts"). The outbox is the table alert: instance events reach it in the
// same commit as the state change that caused them (instance_runner), the
// others (worker lost, failover, store degraded, invalid file) through this
// actor. It looks at the outbox every poll interval and when nudged, and
// delivers what is due through `cafflow-exec alert-send` (a child process
// with a timeout: the SMTP client, webhooks over HTTP/HTTPS, commands), with
// retries and exponential back-off, and at most max_per_window messages per
// channel (the last one a digest of all that wait). Spawned detached: a slow
// mail server blocks nobody else. A new master resumes the outbox.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "alert/alert.hpp"
#include "store/store.hpp"

namespace cafflow {

struct config;

struct alerter_config {
  /// Its own store connection, fenced like the writer's.
  std::shared_ptr<store> db;
  /// alerts.xml (read again when it changes).
  std::string channels_path;
  /// Channels of the cluster's own events.
  std::vector<std::string> system_to;
  std::string base_url;
  alert_limits limits;
  timestamp retry_initial_ms = 2000;
  timestamp retry_max_ms = 300000;
  /// 0 = never give up.
  int max_attempts = 0;
  std::chrono::milliseconds poll{500};
  /// cafflow-exec, and what it needs to send mail ([mail], as site_to_json).
  std::string exec_program;
  nlohmann::json site;
  int mail_timeout_s = 30;
};

/// The alerter's settings from `cfg` (without the store connection).
alerter_config make_alerter_config(const config& cfg);

struct alerter_state {
  static constexpr const char* name = "alerter";

  alerter_config cfg;
  /// When each channel sent its recent messages (the rate limit).
  std::map<std::string, std::vector<timestamp>> sends;
  /// Events whose rows the store did not take yet (it was unavailable):
  /// written (and sent) once it is back.
  std::vector<alert_record> unwritten;
  std::uint64_t sent = 0;
  std::uint64_t failed_tries = 0;
  std::uint64_t digests = 0;
  std::shared_ptr<spdlog::logger> log;
};

/// Spawn detached.
alerter_actor::behavior_type alerter(alerter_actor::stateful_pointer<alerter_state> self,
                                     alerter_config cfg);

} // namespace cafflow
