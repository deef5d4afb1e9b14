// The state machine of one workflow instance: which nodes run next, when a
// join continues, when the instance ends. Pure: the instance_runner actor
// feeds it events and carries out the effects it returns.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/status.hpp"
#include "model/workflow.hpp"
#include "util/time.hpp"

namespace cafflow {

/// How one attempt of an action ended.
enum class attempt_outcome { succeeded, failed, timed_out, lost, killed };

const char* to_string(attempt_outcome outcome);

/// Something the driver of an instance must do.
struct effect {
  enum class kind {
    /// Start attempt `attempt` of action `node`.
    run_action,
    /// Stop the running attempt of action `node`.
    cancel_action,
    /// Call retry_due(node) after `delay_s` seconds.
    schedule_retry,
    /// The instance ended with `status` and `message`.
    finish,
    /// After a restore: attempt `attempt` of action `node` was dispatched
    /// before the master stopped; find out from the workers how it is.
    adopt_action,
  };
  kind what = kind::run_action;
  std::size_t node = 0;
  int attempt = 0;
  int delay_s = 0;
  instance_status status = instance_status::running;
  std::string message;
};

/// The state of one node of an instance.
struct node_state {
  node_status status = node_status::pending;
  /// Attempts started so far (actions only).
  int attempts = 0;
  timestamp started = 0;
  timestamp finished = 0;
  /// Why the node ended as it did (failure reason, kill message).
  std::string message;
};

/// Evaluates the condition of a decision case (its expressions expanded in the
/// instance's scope); supplied by the driver.
using decider = std::function<expected<bool>(const std::string& condition)>;

class instance_state {
public:
  explicit instance_state(std::shared_ptr<const workflow> wf, decider decide = {});

  /// Enters the start node.
  std::vector<effect> start(timestamp now);

  /// Rebuilds a running instance from its stored nodes (one per node of the
  /// definition, in order) after the master restarted. Returns what to resume:
  /// an adopt_action for each action whose attempt was dispatched (running or
  /// waiting for a worker), a schedule_retry for each waiting for its retry
  /// (delay 0: the driver knows when the last attempt ended), and whatever
  /// settling the stored state still implies. Fails when `nodes` does not fit
  /// the definition.
  expected<std::vector<effect>> restore(std::vector<node_state> nodes, timestamp now);

  /// Attempt `attempt` of action `node` ended. Stale reports (another
  /// attempt, a node no longer running) are ignored.
  std::vector<effect> attempt_finished(std::size_t node, int attempt, attempt_outcome outcome,
                                       const std::string& message, timestamp now);

  /// Progress of a dispatched attempt, shown in the node's status: it waits
  /// for a worker (and why), or it runs. Changes nothing else.
  void attempt_waiting(std::size_t node, int attempt, const std::string& why, timestamp now);
  void attempt_running(std::size_t node, int attempt, timestamp now);

  /// The interval before the next attempt of `node` elapsed.
  std::vector<effect> retry_due(std::size_t node, timestamp now);

  /// Ends the instance as killed, cancelling every running action.
  std::vector<effect> kill(const std::string& message, timestamp now);

  instance_status status() const { return status_; }
  const std::string& message() const { return message_; }
  const node_state& node(std::size_t index) const { return nodes_[index]; }
  const workflow& definition() const { return *wf_; }
  const std::shared_ptr<const workflow>& definition_ptr() const { return wf_; }

  /// Indices of the nodes whose state changed since the last call.
  std::vector<std::size_t> take_changed();

private:
  void enter(std::size_t index, timestamp now);
  void settle(timestamp now);
  void finish(instance_status status, std::string message, timestamp now);
  void set(std::size_t index, node_status status, timestamp now, std::string message = {});
  void start_attempt(std::size_t index, timestamp now);
  bool can_reach(std::size_t from, std::size_t join);

  void decide(std::size_t index, timestamp now);

  std::shared_ptr<const workflow> wf_;
  decider decide_;
  std::vector<node_state> nodes_;
  instance_status status_ = instance_status::queued;
  std::string message_;
  /// Action nodes running or waiting for a retry: the live tokens.
  std::vector<bool> active_;
  std::size_t active_count_ = 0;
  /// Tokens that arrived at each join and wait for the others.
  std::vector<int> arrivals_;
  /// Nodes to enter, processed before any join is settled.
  std::vector<std::size_t> pending_;
  /// For each join (lazily): which nodes have a path to it.
  std::vector<std::vector<bool>> reaches_join_;
  std::vector<bool> changed_;
  std::vector<effect> effects_;
};

} // namespace cafflow
