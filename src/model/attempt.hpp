// What the master sends a worker to run, and what the worker reports back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/records.hpp"

namespace cafflow {

/// A file shipped from the master with an attempt.
struct attachment {
  /// The file name in the work directory.
  std::string name;
  std::string content;
  bool executable = false;
};

/// One attempt of an action, as dispatched to a worker.
struct attempt_spec {
  std::string instance_id;
  std::string workflow;
  std::string node;
  int attempt = 1;
  /// The action kind (src/actions/): "script", "shell", "sql", ...
  std::string action_type;
  /// What the kind runs: a script's code or a command line; for the kinds
  /// run by cafflow-exec, the kind's spec as a JSON object, encoded by its
  /// `prepare` and decoded by its `run` (the worker passes it on unread).
  std::string payload;
  /// script: arguments, split at white space.
  std::string param_line;
  param_map params;
  timestamp logical_time = 0;
  /// Seconds; -1 = no limit.
  int timeout_s = -1;
  /// fail, kill-instance or warn: on warn the task is left running.
  std::string timeout_action = "fail";
  /// Files shipped from the master into the work directory.
  std::vector<attachment> attachments;
  /// Only on this host / group; empty = any.
  std::string host;
  std::string worker_group;
  /// The class of its instance's trigger (engine/placement.hpp
  /// priority_class): a lower class goes first, whatever the priorities.
  int priority_class = 0;
  /// The instance's priority, then the action's: higher goes first.
  int priority = 0;
  int action_priority = 0;
  /// The slot pool it needs ("" = none) and its workflow's max-parallel (0 =
  /// no limit): the dispatcher places it only within both.
  std::string pool;
  int max_parallel = 0;
  /// The leader epoch of the master that dispatched it.
  std::uint64_t epoch = 0;
  /// The worker it was placed on (set by the dispatcher).
  std::string worker;
  /// On the first attempt of an instance a cron tick started: the tick's
  /// logical time (the dispatcher observes the fire-to-dispatch lag); else 0.
  timestamp fired_at = 0;
};

/// How an attempt ended, reported by the worker that ran it.
struct attempt_report {
  std::string instance_id;
  std::string node;
  int attempt = 0;
  /// The worker's address.
  std::string worker;
  /// succeeded, failed, timed_out, killed, lost
  std::string outcome;
  int exit_code = -1;
  int pid = 0;
  std::string log_path;
  timestamp started = 0;
  timestamp finished = 0;
  /// Why it failed, with the tail of its log.
  std::string message;
  /// What a cafflow-exec kind found, as a JSON object (data-monitor: the
  /// value checked); empty for the others.
  std::string result;
  /// The epoch of the master that dispatched it (0 = it never was).
  std::uint64_t epoch = 0;
  /// A sub-workflow attempt (reported by the master): its child instance.
  std::string child_id{};
};

/// What a worker announces when it registers with the master.
struct worker_info {
  /// Its configured address (host:port); unique in the cluster.
  std::string id;
  /// The host name placement (`host` attribute) matches against.
  std::string host;
  int slots = 0;
  std::vector<std::string> groups;
  int pid = 0;
  /// What it knows that a (restarted) master may not: the attempts it runs
  /// (outcome "running"), re-attached instead of run again, and the results
  /// not yet acknowledged (final outcomes), applied if still wanted.
  std::vector<attempt_report> claims;
};

/// True for the outcomes that end an attempt (succeeded, failed, timed_out,
/// killed, lost); false for the progress reports (waiting, running,
/// timeout_warning).
inline bool is_final_outcome(const std::string& outcome) {
  return outcome != "waiting" && outcome != "running" && outcome != "timeout_warning";
}

/// "instance/node#attempt", for logs and outbox keys.
inline std::string attempt_key(const std::string& instance_id, const std::string& node,
                               int attempt) {
  return instance_id + "/" + node + "#" + std::to_string(attempt);
}

} // namespace cafflow
