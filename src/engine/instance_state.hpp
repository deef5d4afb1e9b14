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

/// What a rerun runs again.
enum class rerun_mode {
  /// Every node, from the start node.
  all,
  /// The failed and killed nodes and everything after them; succeeded and
  /// skipped nodes stay.
  failed,
  /// The named nodes and everything after them.
  nodes,
};

const char* to_string(rerun_mode mode);

/// Parses "all", "failed", "nodes"; the error names the bad value.
expected<rerun_mode> parse_rerun_mode(const std::string& text);

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
  /// Attempts made before the current run (a rerun), so the retry budget
  /// counts from there; 0 for an instance that was never rerun.
  int attempt_base = 0;
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
  /// settling the stored state still implies. Each node's attempt_base is
  /// used as stored (a rerun's retry budget). Fails when `nodes` does not fit
  /// the definition.
  expected<std::vector<effect>> restore(std::vector<node_state> nodes, timestamp now);

  /// Runs an ended instance again from its stored nodes (one per node of the
  /// definition, in order; as for restore()), under the same instance id.
  /// The caller checks that the instance ended; this state must be fresh (no
  /// start(), restore() or rerun() before).
  ///
  /// The roots are the start node (`all`), the failed and killed nodes
  /// (`failed`), or the nodes named in `names` (`nodes`; ignored otherwise).
  /// The roots and every node after them become pending again, keeping their
  /// attempts (the next attempt gets the next number) with a fresh retry
  /// budget (attempt_base); every other node keeps its stored state. A root
  /// that lies after another root is not entered itself: the flow reaches it
  /// (a failed error handler runs again only when its action fails again). A
  /// join that is rerun counts as arrived the tokens that came from a node
  /// that is not rerun, so it does not wait for branches that are not rerun.
  /// Returns the effects of entering the roots, as start() does. Fails when
  /// `nodes` does not fit the definition, a name is unknown or no node is to
  /// be rerun (ec::conflict when `failed` finds no failed or killed node).
  expected<std::vector<effect>> rerun(std::vector<node_state> nodes, rerun_mode mode,
                                      const std::vector<std::string>& names, timestamp now);

  /// Attempt `attempt` of action `node` ended. Stale reports (another
  /// attempt, a node no longer running) are ignored.
  std::vector<effect> attempt_finished(std::size_t node, int attempt, attempt_outcome outcome,
                                       const std::string& message, timestamp now);

  /// Progress of a dispatched attempt, shown in the node's status: it waits
  /// for a worker or for dependencies (and why; a new reason replaces the
  /// last), or it runs. Changes nothing else.
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
  /// Whether node `from` passed a token to `to` in the stored run (its taken transition).
  bool took_transition(std::size_t from, std::size_t to) const;

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
