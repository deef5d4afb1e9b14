// The state machine of one workflow instance: which nodes run next, when a
// join continues, when the instance ends. Pure: the instance_runner actor
// feeds it events and carries out the effects it returns.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/selection.hpp"
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

  /// Enters the start node. `choices` (one per node, from choose_nodes();
  /// empty = run every node) say which actions run: the others are skipped
  /// when the flow reaches them, and the flow follows their ok.
  std::vector<effect> start(timestamp now, std::vector<node_choice> choices = {});

  /// Rebuilds a running instance from its stored nodes (one per node of the
  /// definition, in order) after the master restarted. Returns what to resume:
  /// an adopt_action for each action whose attempt was dispatched (running or
  /// waiting for a worker), a schedule_retry for each waiting for its retry
  /// (delay 0: the driver knows when the last attempt ended), and whatever
  /// settling the stored state still implies. Each node's attempt_base is
  /// used as stored (a rerun's retry budget). Fails when `nodes` does not fit
  /// the definition.
  /// `choices` as for start(): those of the execution that was running.
  expected<std::vector<effect>> restore(std::vector<node_state> nodes, timestamp now,
                                        std::vector<node_choice> choices = {});

  /// Runs an ended instance again from its stored nodes (one per node of the
  /// definition, in order; as for restore()), under the same instance id.
  /// The caller checks that the instance ended; this state must be fresh (no
  /// start(), restore() or rerun() before).
  ///
  /// The roots are the start node (`all`), the failed and killed nodes
  /// (`failed`), or the nodes `options` select (`nodes`: options.nodes, with
  /// the nodes before them when options.upstream, or options.from_node). The
  /// roots and every node after them become pending again, keeping their
  /// attempts (the next attempt gets the next number) with a fresh retry
  /// budget (attempt_base); every other node keeps its stored state. In mode
  /// `nodes` only the selected nodes run (options.nodes and, with
  /// options.downstream, what follows them): the flow passes the others,
  /// keeping a node that succeeded before. options.skip is skipped in every
  /// mode. A root
  /// that lies after another root is not entered itself: the flow reaches it
  /// (a failed error handler runs again only when its action fails again). A
  /// join that is rerun counts as arrived the tokens that came from a node
  /// that is not rerun, so it does not wait for branches that are not rerun.
  /// Returns the effects of entering the roots, as start() does. Fails when
  /// `nodes` does not fit the definition, a name is unknown or no node is to
  /// be rerun (ec::conflict when `failed` finds no failed or killed node).
  expected<std::vector<effect>> rerun(std::vector<node_state> nodes, rerun_mode mode,
                                      const run_options& options, timestamp now);

  /// Marks action `node` of this running instance as succeeded or failed (an
  /// operator fixed it by hand, or gave it up): its attempt, if one runs or
  /// waits for a worker, is cancelled, and the flow goes on as if the node had
  /// ended so (ok, or error / the failure policy). `message` becomes the
  /// node's message. Fails (ec::conflict) for a node that is not running,
  /// waiting or retrying, and for a control node.
  expected<std::vector<effect>> mark(std::size_t node, bool succeeded, const std::string& message,
                                     timestamp now);

  /// Marks action `node` of an ended instance (its stored nodes, as for
  /// rerun(); the node failed or was killed) as succeeded or failed and
  /// resumes the instance as if the node had ended so: the flow continues
  /// from its ok (or error) transition, and the other failed and killed
  /// nodes run again as with rerun `failed`. With nothing to continue (marked
  /// failed without an error transition, no other failure) the instance
  /// ends failed at once. This state must be fresh.
  expected<std::vector<effect>> resume_marked(std::vector<node_state> nodes, std::size_t node,
                                              bool succeeded, const std::string& message,
                                              timestamp now);

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
  /// Action `index` failed for good: its error transition, else the
  /// workflow's failure policy (end the instance, or continue the branches
  /// that do not follow it).
  void failed_for_good(std::size_t index, const std::string& message, timestamp now);
  /// The common part of rerun() and resume_marked(): resets `roots` and what
  /// follows them, enters the first roots.
  void run_again(std::vector<std::size_t> roots, const std::vector<bool>& extra_rerun,
                 timestamp now);
  expected<void> take_stored(std::vector<node_state> nodes, const char* what);

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
  /// Which nodes run in this execution (empty = all).
  std::vector<node_choice> choice_;
  /// on-failure="continue": the first failure, and the nodes after the
  /// failed ones (no token enters them).
  std::string failure_;
  std::vector<bool> after_failure_;
};

} // namespace cafflow
