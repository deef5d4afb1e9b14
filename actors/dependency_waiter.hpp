// dependency_waiter: holds every waiter on date-window dependencies — a
// queued instance whose coordinator's depend-list has windowed items, or a
// dependent node — and decides them with schedule/dependencies from its own
// store connection. Event driven: an instance or node of an upstream workflow
// that changes state re-evaluates the waiters on that workflow (after the
// store writer committed what came before); a timer only ends a failure's
// wait-minutes. Nothing of it is stored: a new master re-derives the waiters
// from the queued instances and waiting nodes it recovers.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "schedule/dependencies.hpp"

namespace cafflow {

class store;

struct dependency_waiter_config {
  /// Its own connection (reads only); nullptr = none: every evaluation fails.
  std::shared_ptr<store> db;
  /// Re-evaluations wait until the writes before them are committed.
  store_writer_actor writer;
  /// Hears the verdicts on queued instances.
  master_actor master;
  /// Zone of workflows that name none (empty = this machine's).
  std::string default_timezone;
  /// Hears of queued instances still waiting past their workflow's sla
  /// (null = alerts off).
  alerter_actor alerter;
};

/// One waiter: a queued instance (node "") or a dependent node.
struct dependency_waiter_entry {
  std::string instance_id;
  std::string node;
  int attempt = 0;
  workflow_ptr wf;
  dependency_part part;
  timestamp logical_time = 0;
  timestamp since = 0;
  /// Node waiters: their runner.
  instance_runner_actor runner;
  /// What the waiter was told last (sent again only when it changes).
  std::string last_message;
  /// The generation of its wait-minutes timer (0 = none).
  std::uint64_t timer = 0;
};

struct dependency_waiter_state {
  static constexpr const char* name = "dependency_waiter";

  dependency_waiter_config cfg;
  /// Waiters by key (instance id, '/', node).
  std::map<std::string, dependency_waiter_entry> waiters;
  /// Upstream workflow -> keys of the waiters on it.
  std::map<std::string, std::set<std::string>> by_upstream;
  /// Waiters to evaluate after the next commit, and those whose commit is
  /// under way.
  std::set<std::string> dirty;
  std::set<std::string> in_flight;
  std::uint64_t barrier = 0;
  bool barrier_pending = false;
  std::uint64_t timers = 0;
  std::uint64_t evaluations = 0;
  /// Instances whose late wait was alerted (once each).
  std::set<std::string> sla_alerted;
  std::shared_ptr<spdlog::logger> log;
};

/// Spawn detached: evaluations read the store.
dependency_waiter_actor::behavior_type
dependency_waiter(dependency_waiter_actor::stateful_pointer<dependency_waiter_state> self,
                  dependency_waiter_config cfg);

} // namespace cafflow
