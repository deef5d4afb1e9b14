// Alerts: what happened (alert_event) and its rows in the alert outbox, one
// per (event, channel) (table alert, migration 0008; docs/OPERATIONS.md,
// "Alerts"). Times are Unix milliseconds (0 = not set).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/time.hpp"

namespace cafflow {

/// One node of an instance as an alert shows it.
struct alert_node {
  std::string name;
  std::string status;
  int attempts = 0;
  timestamp started = 0;
  timestamp finished = 0;
  std::string message;
};

/// Something the on-call engineer should hear about.
struct alert_event {
  /// Unique per event: the outbox keeps one row per (key, channel), so an
  /// event raised twice (a failover, a restart) is sent once.
  std::string key;
  /// instance_failed, instance_killed, instance_succeeded, retry,
  /// timeout_warning, data_monitor, sla, max_duration, worker_lost,
  /// failover, store_degraded, xml_invalid, test.
  std::string kind;
  /// critical, warning or info.
  std::string severity = "warning";
  std::string workflow;
  std::string instance_id;
  std::string node;
  /// One line: what happened.
  std::string title;
  /// The details (the failed node's message, why a worker was lost, ...).
  std::string message;
  /// The last lines of the failed attempt's log.
  std::string log_tail;
  timestamp at = 0;
  timestamp logical_time = 0;
  /// The instance's nodes (instance events).
  std::vector<alert_node> nodes;
};

/// A row of the alert outbox: one event for one channel.
struct alert_record {
  std::int64_t id = 0;
  /// The event's key and the channel: unique.
  std::string dedup_key;
  /// A channel of alerts.xml, or "mail:a@x,b@y" (a workflow's mail-receivers).
  std::string channel;
  std::string kind;
  std::string severity;
  std::string workflow;
  std::string instance_id;
  std::string node;
  std::string title;
  /// The event as JSON (alert_event_to_json).
  std::string event;
  /// pending (not sent yet, or retrying), sent, failed (gave up).
  std::string status = "pending";
  int attempts = 0;
  /// When the next try is due.
  timestamp next_at = 0;
  timestamp created_at = 0;
  timestamp sent_at = 0;
  /// The row whose message carried this one in a digest (0 = its own).
  std::int64_t sent_with = 0;
  /// What the receiving server answered, or the last error.
  std::string answer;
};

/// What GET /api/v1/alerts asks for.
struct alert_filter {
  std::string workflow;
  std::string status;
  int limit = 100;
};

} // namespace cafflow
