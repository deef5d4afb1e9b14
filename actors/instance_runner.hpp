// instance_runner: drives one instance through its workflow with the pure
// state machine (engine/instance_state), event by event: a finished node
// releases its successors at once. Every change goes to the store writer.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "engine/instance_state.hpp"
#include "engine/params.hpp"

namespace cafflow {

struct instance_runner_config {
  /// The instance as created (status queued) — or, when `restore`, as the
  /// store has it after a master restart (status running, with its nodes and
  /// their attempts).
  instance_record record;
  bool restore = false;
  /// Its depend-list's date windows hold (or it has none to wait for): it may
  /// start (master: admit).
  bool dependencies_checked = false;
  /// Set to run an ended instance again (its record and nodes as stored).
  std::optional<rerun_request> rerun;
  /// Set to resume an ended instance after a node was marked by hand (its
  /// record and nodes as stored; `reason` holds the node's message).
  std::optional<mark_request> mark;
  workflow_ptr wf;
  /// Its params, logical time and zone: what its expressions expand against.
  param_scope scope;
  /// The folder of the workflow file: relative attachments are found there.
  std::string base_dir;
  std::size_t max_attachment_bytes = 16 * 1024 * 1024;
  /// After the instance ended: how long to wait for the last reports of the
  /// attempts it cancelled.
  std::chrono::seconds drain_timeout{10};
  dispatcher_actor dispatcher;
  /// Decides dependent nodes and hears of every node that ends.
  dependency_waiter_actor waiter;
  store_writer_actor store;
  /// Told when the instance ends; runs the children of its sub-workflow nodes.
  master_actor master;
  /// Nudged when alert rows go to the store (null = alerts off: none are written).
  alerter_actor alerter;
};

struct instance_runner_state {
  static constexpr const char* name = "instance_runner";

  instance_runner_config cfg;
  std::optional<instance_state> machine;
  /// After the end: cancelled attempts whose final report is still due.
  std::set<std::string> draining;
  /// Per node, the attempt whose max-duration alert is armed: an attempt is
  /// told running twice (placed by the dispatcher, then by its worker once
  /// the process has run for a moment) and is timed once.
  std::map<std::size_t, int> duration_armed;
  bool finished = false;
  /// Whether an attempt was dispatched yet (the first of a cron instance
  /// carries its tick: attempt_spec::fired_at).
  bool dispatched = false;
  /// A sub-workflow node's attempt that waits for its child.
  struct child_wait {
    int attempt = 0;
    /// "" until the master names it.
    std::string child_id;
    /// When the attempt started (its row keeps it).
    timestamp started = 0;
    /// Its end was reported: a later end of it is stale.
    bool ended = false;
  };
  /// The sub-workflow nodes waiting for a child, by node index.
  std::map<std::size_t, child_wait> children;
  /// Results whose commit (and then acknowledgement) is under way; the runner
  /// quits only when none is left.
  int pending_acks = 0;
  bool quitting = false;
  std::shared_ptr<spdlog::logger> log;
};

instance_runner_actor::behavior_type
instance_runner(instance_runner_actor::stateful_pointer<instance_runner_state> self,
                instance_runner_config cfg);

/// The stored nodes of `r` as the state machine knows them, in definition
/// order; fails when they do not fit `wf`.
expected<std::vector<node_state>> stored_nodes(const workflow& wf, const instance_record& r);

/// The node row of `index` as the store and the API see it.
node_record make_node_record(const workflow& wf, std::size_t index, const node_state& st);

} // namespace cafflow
