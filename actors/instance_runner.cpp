#include "instance_runner.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actions/kind.hpp"
#include "alert/alert.hpp"
#include "actions/sub_workflow.hpp"
#include "expr/condition.hpp"
#include "log.hpp"

#include <algorithm>
#include <utility>

namespace cafflow {

namespace {

using instance_runner_ptr = instance_runner_actor::stateful_pointer<instance_runner_state>;

attempt_outcome parse_outcome(const std::string& outcome) {
  if (outcome == "succeeded")
    return attempt_outcome::succeeded;
  if (outcome == "timed_out")
    return attempt_outcome::timed_out;
  if (outcome == "lost")
    return attempt_outcome::lost;
  if (outcome == "killed")
    return attempt_outcome::killed;
  return attempt_outcome::failed;
}

/// What the action kinds (src/actions/) know of attempt `attempt` of node
/// `index`: its expressions expand in the instance's scope.
attempt_context context_of(const instance_runner_config& cfg, std::size_t index, int attempt) {
  attempt_context ctx;
  ctx.wf = cfg.wf.get();
  ctx.node = index;
  ctx.attempt = attempt;
  ctx.instance = &cfg.record;
  ctx.scope = &cfg.scope;
  ctx.base_dir = cfg.base_dir;
  ctx.max_attachment_bytes = cfg.max_attachment_bytes;
  return ctx;
}

/// The attempt to dispatch, built by its action kind.
expected<attempt_spec> make_attempt(const instance_runner_config& cfg, std::size_t index,
                                    int attempt) {
  return cafflow::make_attempt(context_of(cfg, index, attempt));
}

/// The stored row of attempt `number` of `node`, or nullptr.
const attempt_record* stored_attempt(const instance_record& r, const std::string& node,
                                     int number) {
  for (const auto& n : r.nodes)
    if (n.name == node)
      for (const auto& a : n.attempts)
        if (a.number == number)
          return &a;
  return nullptr;
}

/// The worker the store names for attempt `number` of `node` ("" = none).
std::string stored_worker(const instance_record& r, const std::string& node, int number) {
  const auto* a = stored_attempt(r, node, number);
  return a != nullptr ? a->worker : std::string{};
}

/// Seconds left of a retry interval whose last attempt ended at `ended`.
int remaining_interval(int interval_s, timestamp ended, timestamp now) {
  if (ended == 0)
    return interval_s;
  auto left_ms = static_cast<timestamp>(interval_s) * 1000 - (now - ended);
  return left_ms <= 0 ? 0 : static_cast<int>((left_ms + 999) / 1000);
}

/// The end of the last attempt of `node` the store knows (0 = none).
timestamp last_attempt_end(const instance_record& r, const std::string& node) {
  timestamp last = 0;
  for (const auto& n : r.nodes)
    if (n.name == node)
      for (const auto& a : n.attempts)
        last = std::max(last, a.finished);
  return last;
}

/// A worker's result to acknowledge once it is durable: (worker, attempt key).
using ack_after_commit = std::optional<std::pair<std::string, std::string>>;

/// Writes the nodes that changed and, when `instance_changed`, the instance.
/// With `ack`, the worker hears that it may forget its result only once this
/// (and everything before it) is committed — however long a database outage
/// makes that take.
void persist(instance_runner_ptr self, bool instance_changed, store_batch batch = {},
             ack_after_commit ack = {}) {
  auto& st = self->state;
  bool node_ended = false;
  for (auto index : st.machine->take_changed()) {
    const auto& n = st.machine->node(index);
    node_ended = node_ended || is_terminal(n.status);
    batch.emplace_back(node_put{st.cfg.record.id, static_cast<int>(index),
                                make_node_record(*st.cfg.wf, index, n)});
  }
  if (instance_changed)
    batch.emplace_back(instance_put{st.cfg.record});
  // Dependents on a node of this workflow look again (after these writes:
  // the waiter asks the writer for a commit first).
  auto announce = [&] {
    if (node_ended && st.cfg.waiter)
      self->send(st.cfg.waiter, atom::changed::value, st.cfg.record.workflow);
  };
  if (ack) {
    ++st.pending_acks;
    auto done = [self] {
      auto& st = self->state;
      if (--st.pending_acks == 0 && st.quitting)
        self->quit();
    };
    self->request(st.cfg.store, caf::infinite, atom::commit::value, std::move(batch))
      .then(
        [self, ack, done](atom::ok) {
          self->send(self->state.cfg.dispatcher, atom::ack::value, ack->first, ack->second);
          done();
        },
        [done](caf::error&) { done(); }); // the writer is gone: the master stops
    announce();
    return;
  }
  if (!batch.empty())
    self->send(st.cfg.store, atom::put::value, std::move(batch));
  announce();
}

/// Whether node `index` is of a master kind (dependent, sub-workflow): it
/// waits on the master, without a worker slot.
bool waits_on_master(instance_runner_ptr self, std::size_t index) {
  const auto& n = self->state.cfg.wf->nodes[index];
  return n.kind == node_kind::action && kind_of(n.action.body).place == run_place::master;
}

/// Whether node `index` is a sub-workflow node: the master runs its child.
bool runs_child(instance_runner_ptr self, std::size_t index) {
  const auto& n = self->state.cfg.wf->nodes[index];
  return n.kind == node_kind::action
         && std::holds_alternative<sub_workflow_action>(n.action.body);
}

/// Hands dependent node `index` (attempt `attempt`, waiting since `since`) to the waiter.
void wait_for_dependencies(instance_runner_ptr self, std::size_t index, int attempt, timestamp since) {
  auto& st = self->state;
  self->send(st.cfg.waiter, atom::wait::value, st.cfg.record.id, st.cfg.wf->nodes[index].name,
             attempt, st.cfg.wf, st.cfg.record.logical_time, since,
             caf::actor_cast<instance_runner_actor>(self));
}

/// The current execution as its row: its number, what started it, its
/// options and its action nodes by state now.
execution_record execution_row(const instance_runner_state& st) {
  const auto& r = st.cfg.record;
  execution_record e;
  e.instance_id = r.id;
  e.number = r.execution;
  e.trigger = r.run_mode == "mark" ? "mark"
              : !r.run_mode.empty() ? "rerun"
                                    : (r.origin.empty() ? r.trigger : r.origin);
  e.requested_by = r.requested_by;
  e.options = run_options_to_json(r.run_mode, r.options);
  e.started = r.started;
  e.finished = r.finished;
  e.status = r.status;
  const auto& wf = *st.cfg.wf;
  for (std::size_t i = 0; i < wf.nodes.size(); ++i) {
    if (wf.nodes[i].kind != node_kind::action)
      continue;
    auto status = st.machine->node(i).status;
    const char* list = status == node_status::failed || status == node_status::killed ? "failed"
                       : status == node_status::pending                              ? "pending"
                       : status == node_status::skipped                              ? "skipped"
                       : status == node_status::succeeded ? "succeeded"
                                                          : "running";
    e.nodes[list].push_back(wf.nodes[i].name);
  }
  return e;
}

/// Ends attempt `attempt` of `node` here, without a worker.
void report_to_self(instance_runner_ptr self, std::size_t node, int attempt, const char* outcome,
                    std::string message) {
  auto& st = self->state;
  attempt_report r;
  r.instance_id = st.cfg.record.id;
  r.node = st.cfg.wf->nodes[node].name;
  r.attempt = attempt;
  r.outcome = outcome;
  r.started = r.finished = now_ms();
  r.message = std::move(message);
  self->send(self, atom::report::value, std::move(r));
}

/// The event of an alert of this instance (node: its index, or npos), with
/// the instance's node table.
alert_event make_alert_event(instance_runner_ptr self, std::string kind, std::string key,
                             std::string severity, std::size_t node, std::string title,
                             std::string message) {
  auto& st = self->state;
  const auto& r = st.cfg.record;
  alert_event e;
  e.key = std::move(key);
  e.kind = std::move(kind);
  e.severity = std::move(severity);
  e.workflow = r.workflow;
  e.instance_id = r.id;
  e.at = now_ms();
  e.logical_time = r.logical_time;
  e.title = std::move(title);
  auto [text, tail] = split_log_tail(message);
  e.message = text;
  e.log_tail = tail;
  if (node != workflow::npos)
    e.node = st.cfg.wf->nodes[node].name;
  for (std::size_t i = 0; i < st.cfg.wf->nodes.size(); ++i) {
    const auto& n = st.machine->node(i);
    if (n.status == node_status::pending && st.cfg.wf->nodes[i].kind != node_kind::action)
      continue;
    auto first_line = n.message.substr(0, n.message.find('\n'));
    e.nodes.push_back(alert_node{st.cfg.wf->nodes[i].name, to_string(n.status), n.attempts,
                                 n.started, n.finished, first_line.substr(0, 300)});
  }
  return e;
}

/// An alert of this instance (node: its index, or npos), with the rows of
/// its channels added to `batch`: they commit with the state change that
/// caused them. Nothing when alerts are off or the workflow names nobody.
void raise_alert(instance_runner_ptr self, store_batch& batch, std::string kind, std::string key,
                 std::string severity, std::size_t node, std::string title,
                 std::string message) {
  auto& st = self->state;
  if (!st.cfg.alerter)
    return;
  auto channels = workflow_channels(*st.cfg.wf);
  if (channels.empty())
    return;
  auto e = make_alert_event(self, std::move(kind), std::move(key), std::move(severity), node,
                            std::move(title), std::move(message));
  for (auto& row : outbox_rows(e, channels, e.at))
    batch.emplace_back(alert_put{std::move(row)});
  self->send(st.cfg.alerter, atom::alert::value);
}

/// The action node that failed last (npos = none), for the instance's alert.
std::size_t failed_node(const instance_runner_state& st) {
  std::size_t found = workflow::npos;
  timestamp last = -1;
  for (std::size_t i = 0; i < st.cfg.wf->nodes.size(); ++i) {
    const auto& n = st.machine->node(i);
    if ((n.status == node_status::failed || n.status == node_status::killed)
        && st.cfg.wf->nodes[i].kind == node_kind::action && n.finished > last) {
      found = i;
      last = n.finished;
    }
  }
  return found;
}

/// Arms the sla timer of the instance (logical time + sla).
void arm_sla(instance_runner_ptr self) {
  auto& st = self->state;
  if (!st.cfg.alerter || st.cfg.wf->sla_s <= 0)
    return;
  auto due = st.cfg.record.logical_time + st.cfg.wf->sla_s * 1000;
  auto delay = std::max<timestamp>(0, due - now_ms());
  self->delayed_send(self, std::chrono::milliseconds(delay), atom::alert::value);
}

/// The child instance attempt `attempt` of sub-workflow node `index` runs
/// ("" = none known).
std::string child_of(instance_runner_ptr self, std::size_t index, int attempt) {
  auto& st = self->state;
  auto it = st.children.find(index);
  return it != st.children.end() && it->second.attempt == attempt ? it->second.child_id
                                                                   : std::string{};
}

/// Asks the master for the child of sub-workflow node `index` (attempt
/// `attempt`, started at `since`): a new one, or — after a master restart —
/// the one the store names (`child_id`). Arms the node's timeout.
void start_child_run(instance_runner_ptr self, std::size_t index, int attempt,
                     const std::string& child_id, timestamp since) {
  auto& st = self->state;
  auto req = make_child_request(context_of(st.cfg, index, attempt));
  if (!req) {
    // Its expressions cannot be expanded: the attempt fails without a child.
    report_to_self(self, index, attempt, "failed", req.error().message);
    return;
  }
  req->started = since;
  req->child_id = child_id;
  st.children[index] = instance_runner_state::child_wait{attempt, child_id, since};
  if (auto timeout_s = st.cfg.wf->nodes[index].action.timeout_s; timeout_s > 0) {
    auto left = std::max<timestamp>(0, static_cast<timestamp>(timeout_s) * 1000
                                         - (now_ms() - since));
    self->delayed_send(self, std::chrono::milliseconds(left), atom::timeout::value,
                       static_cast<std::uint64_t>(index), attempt);
  }
  self->send(st.cfg.master, atom::child::value, std::move(*req),
             caf::actor_cast<instance_runner_actor>(self));
}

/// Sub-workflow node `index` stops waiting for its child (attempt
/// `attempt`): the master kills the child, telling it `why`.
void stop_child(instance_runner_ptr self, std::size_t index, int attempt, const std::string& why) {
  auto& st = self->state;
  self->send(st.cfg.master, atom::child::value, atom::kill::value, st.cfg.record.id,
             st.cfg.wf->nodes[index].name, attempt, why);
}

/// Why a running sub-workflow node is cancelled, as its child hears it.
std::string cancel_reason(instance_runner_ptr self, std::size_t index) {
  auto& st = self->state;
  const auto& r = st.cfg.record;
  // A node the instance's end cancels is killed; a marked one has its mark.
  auto node = st.machine->node(index).status;
  if (node != node_status::killed)
    return "node '" + st.cfg.wf->nodes[index].name + "' of its parent instance " + r.id
           + " was marked " + to_string(node);
  return "its parent instance " + r.id + " (workflow " + r.workflow + ") ended "
         + to_string(st.machine->status())
         + (st.machine->message().empty() ? "" : ": " + st.machine->message());
}

/// Quits once every result waiting for its commit has been acknowledged.
void quit_after_commit(instance_runner_ptr self) {
  auto& st = self->state;
  st.quitting = true;
  if (st.pending_acks == 0)
    self->quit();
}

/// Carries out the state machine's effects.
void apply(instance_runner_ptr self, std::vector<effect> effects, store_batch batch = {},
           ack_after_commit ack = {}, bool starts_execution = false) {
  auto& st = self->state;
  bool instance_changed = false;
  bool finished = false;
  for (auto& e : effects) {
    switch (e.what) {
      case effect::kind::run_action:
        if (runs_child(self, e.node)) {
          start_child_run(self, e.node, e.attempt, {}, now_ms());
          break;
        }
        if (waits_on_master(self, e.node)) {
          wait_for_dependencies(self, e.node, e.attempt, now_ms());
          break;
        }
        if (auto spec = make_attempt(st.cfg, e.node, e.attempt)) {
          if (!st.dispatched && !st.cfg.restore && !st.cfg.rerun && !st.cfg.mark
              && st.cfg.record.trigger == "cron" && st.cfg.record.execution <= 1)
            spec->fired_at = st.cfg.record.logical_time;
          st.dispatched = true;
          self->send(st.cfg.dispatcher, atom::dispatch::value, std::move(*spec),
                     caf::actor_cast<instance_runner_actor>(self));
        } else {
          // Its expressions cannot be expanded: the attempt fails without running.
          report_to_self(self, e.node, e.attempt, "failed", spec.error().message);
        }
        break;
      case effect::kind::cancel_action:
        if (runs_child(self, e.node)) {
          auto child = child_of(self, e.node, e.attempt);
          auto why = cancel_reason(self, e.node);
          stop_child(self, e.node, e.attempt, why);
          st.draining.insert(
            attempt_key(st.cfg.record.id, st.cfg.wf->nodes[e.node].name, e.attempt));
          report_to_self(self, e.node, e.attempt, "killed",
                         (child.empty() ? std::string("its child instance")
                                        : "child instance " + child)
                           + " killed: " + why);
          break;
        }
        if (waits_on_master(self, e.node)) {
          self->send(st.cfg.waiter, atom::cancel::value, st.cfg.record.id);
          st.draining.insert(
            attempt_key(st.cfg.record.id, st.cfg.wf->nodes[e.node].name, e.attempt));
          report_to_self(self, e.node, e.attempt, "killed", "stopped waiting for dependencies");
          break;
        }
        self->send(st.cfg.dispatcher, atom::kill::value, st.cfg.record.id,
                   st.cfg.wf->nodes[e.node].name, e.attempt);
        st.draining.insert(attempt_key(st.cfg.record.id, st.cfg.wf->nodes[e.node].name, e.attempt));
        break;
      case effect::kind::schedule_retry:
        self->delayed_send(self, std::chrono::seconds(e.delay_s), atom::retry::value,
                           static_cast<std::uint64_t>(e.node));
        break;
      case effect::kind::adopt_action:
        if (runs_child(self, e.node)) {
          // It ran a child before the master restarted: wait for that one
          // (never a second). Without a stored child none was created: the
          // child and the attempt's row are committed together.
          const auto* a = stored_attempt(st.cfg.record, st.cfg.wf->nodes[e.node].name, e.attempt);
          auto since = a != nullptr && a->started != 0 ? a->started
                       : st.machine->node(e.node).started != 0 ? st.machine->node(e.node).started
                                                               : now_ms();
          start_child_run(self, e.node, e.attempt, a != nullptr ? a->child_id : std::string{},
                          since);
          break;
        }
        if (waits_on_master(self, e.node)) {
          // It waited before the master restarted: wait on, since then.
          auto since = st.machine->node(e.node).started;
          wait_for_dependencies(self, e.node, e.attempt, since != 0 ? since : now_ms());
          break;
        }
        if (auto spec = make_attempt(st.cfg, e.node, e.attempt)) {
          spec->worker = stored_worker(st.cfg.record, spec->node, e.attempt);
          self->send(st.cfg.dispatcher, atom::adopt::value, std::move(*spec),
                     caf::actor_cast<instance_runner_actor>(self));
        } else {
          report_to_self(self, e.node, e.attempt, "lost",
                         "cannot resume it after the master restarted: " + spec.error().message);
        }
        break;
      case effect::kind::finish:
        st.cfg.record.status = to_string(e.status);
        st.cfg.record.message = e.message;
        st.cfg.record.finished = now_ms();
        instance_changed = true;
        finished = true;
        break;
    }
  }
  if (finished || starts_execution)
    batch.emplace_back(execution_put{execution_row(st)});
  bool tell_downstream = finished && st.cfg.alerter && st.cfg.record.status == "failed"
                         && st.cfg.wf->alert_to.empty();
  if (finished && (tell_downstream || mail_level_wants(*st.cfg.wf, st.cfg.record.status))) {
    const auto& r = st.cfg.record;
    auto node = failed_node(st);
    std::string message = r.message;
    if (node != workflow::npos && r.status != "succeeded")
      message = st.machine->node(node).message;
    auto kind = "instance_" + r.status;
    auto key = "instance:" + r.id + ":" + r.status + ":" + std::to_string(r.started);
    auto severity = r.status == "succeeded" ? "info" : "critical";
    auto at = r.status == "succeeded" ? workflow::npos : node;
    auto title = "workflow " + r.workflow + " " + r.status
                 + (node != workflow::npos && r.status != "succeeded"
                      ? " at node " + st.cfg.wf->nodes[node].name
                      : "");
    if (mail_level_wants(*st.cfg.wf, r.status))
      raise_alert(self, batch, kind, key, severity, at, title, message);
    // The default route adds the owners of the workflows downstream (the
    // master knows them); the outbox's key keeps one mail per receiver list.
    if (tell_downstream)
      self->send(st.cfg.master, atom::alert::value,
                 make_alert_event(self, kind, key, severity, at, title, message));
  }
  persist(self, instance_changed, std::move(batch), std::move(ack));
  if (finished) {
    const auto& r = st.cfg.record;
    if (r.status == "succeeded")
      st.log->info("{} {} succeeded in {} ms", r.id, r.workflow, r.finished - r.started);
    else
      st.log->warn("{} {} {}: {}", r.id, r.workflow, r.status, r.message);
    self->send(st.cfg.master, atom::done::value, r.id, r.status);
    st.finished = true;
    // Stay for the final reports of the attempts just cancelled, so their
    // rows say how they ended; not forever.
    if (st.draining.empty())
      quit_after_commit(self);
    else
      self->delayed_send(self, st.cfg.drain_timeout, atom::timeout::value);
  }
}

/// Ends the instance failed before it could go on, saying why. Its node rows
/// stay as they were: the history is not rewritten.
void end_failed(instance_runner_ptr self, const std::string& why, timestamp now) {
  auto& st = self->state;
  auto& r = st.cfg.record;
  st.log->error("{} {}: {}", r.id, r.workflow, why);
  r.status = "failed";
  r.message = why;
  r.finished = now;
  self->send(st.cfg.store, atom::put::value, store_batch{instance_put{r}});
  self->send(st.cfg.master, atom::done::value, r.id, r.status);
  st.finished = true;
  quit_after_commit(self);
}

/// Picks a running instance up where the store left it.
void restore(instance_runner_ptr self, timestamp now) {
  auto& st = self->state;
  auto effects = [&]() -> expected<std::vector<effect>> {
    auto nodes = stored_nodes(*st.cfg.wf, st.cfg.record);
    if (!nodes)
      return nodes.error();
    // The nodes the running execution runs (its options were checked when
    // it began; should they no longer fit, every node runs).
    auto choices = choose_nodes(*st.cfg.wf, st.cfg.record.run_mode, st.cfg.record.options);
    return st.machine->restore(std::move(*nodes), now,
                               choices ? std::move(*choices) : std::vector<node_choice>{});
  }();
  if (!effects) {
    // Nothing sensible can continue it: end it, saying why.
    end_failed(self, "cannot be resumed after the master restarted: " + effects.error().message,
               now);
    return;
  }
  for (auto& e : *effects)
    if (e.what == effect::kind::schedule_retry) {
      const auto& n = st.cfg.wf->nodes[e.node];
      e.delay_s = remaining_interval(n.action.interval_s, last_attempt_end(st.cfg.record, n.name),
                                     now);
    }
  st.log->info("{} {} resumed after the master restarted", st.cfg.record.id,
               st.cfg.record.workflow);
  apply(self, std::move(*effects));
}

/// Runs the ended instance again (the master checked that it can).
void rerun(instance_runner_ptr self, timestamp now) {
  auto& st = self->state;
  auto& r = st.cfg.record;
  auto effects = [&]() -> expected<std::vector<effect>> {
    auto nodes = stored_nodes(*st.cfg.wf, r);
    if (!nodes)
      return nodes.error();
    auto mode = parse_rerun_mode(st.cfg.rerun->mode);
    if (!mode)
      return mode.error();
    return st.machine->rerun(std::move(*nodes), *mode, st.cfg.rerun->options, now);
  }();
  r.status = "running";
  r.started = now;
  r.finished = 0;
  r.message.clear();
  if (!effects) {
    end_failed(self, "rerun failed: " + effects.error().message, now);
    return;
  }
  st.log->info("{} {} rerun ({})", r.id, r.workflow, st.cfg.rerun->mode);
  apply(self, std::move(*effects), store_batch{instance_put{r}}, {}, true);
}

/// Resumes the ended instance after a node was marked (the master checked
/// that it can).
void resume_marked(instance_runner_ptr self, timestamp now) {
  auto& st = self->state;
  auto& r = st.cfg.record;
  const auto& m = *st.cfg.mark;
  auto effects = [&]() -> expected<std::vector<effect>> {
    auto nodes = stored_nodes(*st.cfg.wf, r);
    if (!nodes)
      return nodes.error();
    auto index = st.cfg.wf->index_of(m.node);
    if (index == workflow::npos)
      return make_error(ec::invalid_argument, "no node '" + m.node + "'");
    return st.machine->resume_marked(std::move(*nodes), index, m.status == "succeeded",
                                     m.reason, now);
  }();
  r.status = "running";
  r.started = now;
  r.finished = 0;
  if (!effects) {
    end_failed(self, "resuming after the mark failed: " + effects.error().message, now);
    return;
  }
  st.log->info("{} {} resumed: node {} {}", r.id, r.workflow, m.node, m.reason);
  apply(self, std::move(*effects), store_batch{instance_put{r}}, {}, true);
}

} // namespace

node_record make_node_record(const workflow& wf, std::size_t index, const node_state& st) {
  const auto& n = wf.nodes[index];
  node_record r;
  r.name = n.name;
  r.kind = to_string(n.kind);
  if (n.kind == node_kind::action)
    r.action_type = action_type_name(n.action.body);
  r.status = to_string(st.status);
  r.attempt_count = st.attempts;
  r.started = st.started;
  r.finished = st.finished;
  r.message = st.message;
  return r;
}

expected<std::vector<node_state>> stored_nodes(const workflow& wf, const instance_record& r) {
  std::vector<node_state> nodes(wf.nodes.size());
  std::vector<bool> seen(wf.nodes.size(), false);
  for (const auto& n : r.nodes) {
    auto index = wf.index_of(n.name);
    if (index == workflow::npos)
      return make_error(ec::invalid_argument, "the stored node '" + n.name
                                                + "' is not in workflow version "
                                                + std::to_string(r.version));
    auto status = parse_node_status(n.status);
    if (!status)
      return make_error(ec::invalid_argument,
                        "node '" + n.name + "' has an unknown status '" + n.status + "'");
    nodes[index] = node_state{*status, n.attempt_count, n.started, n.finished, n.message};
    seen[index] = true;
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (!seen[i])
      return make_error(ec::invalid_argument, "node '" + wf.nodes[i].name + "' is not stored");
  return nodes;
}

instance_runner_actor::behavior_type
instance_runner(instance_runner_actor::stateful_pointer<instance_runner_state> self,
                instance_runner_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("instance");
  auto* scope = &st.cfg.scope;
  st.machine.emplace(st.cfg.wf, [scope](const std::string& condition) -> expected<bool> {
    auto text = expand_in(condition, *scope);
    if (!text)
      return text.error();
    return evaluate_condition(*text);
  });
  return {
    [self](atom::start) {
      auto& st = self->state;
      auto now = now_ms();
      arm_sla(self);
      if (st.cfg.restore) {
        restore(self, now);
        return;
      }
      if (st.cfg.rerun) {
        rerun(self, now);
        return;
      }
      if (st.cfg.mark) {
        resume_marked(self, now);
        return;
      }
      st.cfg.record.status = "running";
      st.cfg.record.started = now;
      st.log->info("{} {} started ({} nodes)", st.cfg.record.id, st.cfg.record.workflow,
                   st.cfg.wf->nodes.size());
      store_batch batch{instance_put{st.cfg.record}};
      std::vector<node_choice> choices;
      if (!st.cfg.record.options.empty()) {
        auto chosen = choose_nodes(*st.cfg.wf, "", st.cfg.record.options);
        if (!chosen) {
          end_failed(self, chosen.error().message, now);
          return;
        }
        choices = std::move(*chosen);
      }
      apply(self, st.machine->start(now, std::move(choices)), std::move(batch), {}, true);
    },
    [self](atom::report, attempt_report& report) {
      auto& st = self->state;
      auto index = st.cfg.wf->index_of(report.node);
      if (index == workflow::npos)
        return;
      attempt_record a;
      a.number = report.attempt;
      a.worker = report.worker;
      a.status = report.outcome == "timeout_warning" ? "running" : report.outcome;
      a.exit_code = report.exit_code;
      a.lost = report.outcome == "lost";
      a.pid = report.pid;
      a.epoch = report.epoch;
      a.log_path = report.log_path;
      a.started = report.started;
      a.finished = report.finished;
      a.message = report.message;
      a.result = report.result;
      a.execution = st.cfg.record.execution;
      // A sub-workflow attempt's row keeps naming its child, and when it
      // began. Its first end counts: the master's verdict and the runner's
      // own (a timeout, a cancel) may cross.
      if (auto c = st.children.find(index);
          c != st.children.end() && c->second.attempt == report.attempt) {
        if (is_final_outcome(report.outcome) && std::exchange(c->second.ended, true))
          return;
        if (!report.child_id.empty())
          c->second.child_id = report.child_id;
        a.child_id = c->second.child_id;
        a.started = c->second.started;
      }
      if (report.outcome == "waiting") {
        st.machine->attempt_waiting(index, report.attempt, report.message, now_ms());
        persist(self, false);
        return;
      }
      store_batch batch{attempt_put{st.cfg.record.id, report.node, a}};
      if (report.outcome == "running" || report.outcome == "timeout_warning") {
        if (report.outcome == "timeout_warning") {
          st.log->warn("{} node {} attempt {}: {}", st.cfg.record.id, report.node, report.attempt,
                       report.message);
          raise_alert(self, batch, "timeout_warning",
                      "timeout_warning:" + st.cfg.record.id + ":" + report.node + ":"
                        + std::to_string(report.attempt),
                      "warning", index,
                      "node " + report.node + " of " + st.cfg.record.workflow
                        + " ran past its timeout (timeout-action=\"warn\")",
                      report.message);
        } else if (st.cfg.alerter && st.cfg.wf->nodes[index].action.max_duration_s > 0
                   && std::exchange(st.duration_armed[index], report.attempt) != report.attempt) {
          // From the attempt's start (its placement, when the dispatcher tells).
          auto ran = std::chrono::milliseconds(
            report.started != 0 ? std::max<timestamp>(0, now_ms() - report.started) : 0);
          auto left = std::chrono::seconds(st.cfg.wf->nodes[index].action.max_duration_s) - ran;
          self->delayed_send(self, std::max(left, std::chrono::milliseconds(0)),
                             atom::alert::value, static_cast<std::uint64_t>(index),
                             report.attempt);
        }
        st.machine->attempt_running(index, report.attempt, now_ms());
        persist(self, false, std::move(batch));
        return;
      }
      auto key = attempt_key(report.instance_id, report.node, report.attempt);
      ack_after_commit ack;
      if (!report.worker.empty())
        ack.emplace(report.worker, key);
      if (st.finished) {
        // A cancelled attempt's last word, after the instance ended.
        persist(self, false, std::move(batch), std::move(ack));
        st.draining.erase(key);
        if (st.draining.empty())
          quit_after_commit(self);
        return;
      }
      if (report.outcome != "succeeded")
        st.log->warn("{} node {} attempt {} {}: {}", st.cfg.record.id, report.node,
                     report.attempt, report.outcome,
                     report.message.substr(0, report.message.find('\n')));
      auto effects = st.machine->attempt_finished(index, report.attempt,
                                                  parse_outcome(report.outcome), report.message,
                                                  report.finished != 0 ? report.finished : now_ms());
      if (report.outcome != "succeeded" && report.outcome != "killed") {
        const auto& node = st.cfg.wf->nodes[index];
        auto attempt = std::to_string(report.attempt);
        if (body_if<data_monitor_action>(node.action.body) != nullptr)
          raise_alert(self, batch, "data_monitor",
                      "data_monitor:" + st.cfg.record.id + ":" + report.node + ":" + attempt,
                      "critical", index,
                      "data-monitor " + report.node + " of " + st.cfg.record.workflow
                        + " found a violation",
                      report.message + (report.result.empty() ? "" : "\nresult: " + report.result));
        for (const auto& e : effects)
          if (e.what == effect::kind::schedule_retry && e.node == index)
            raise_alert(self, batch, "retry",
                        "retry:" + st.cfg.record.id + ":" + report.node + ":" + attempt,
                        "warning", index,
                        "node " + report.node + " of " + st.cfg.record.workflow + " attempt "
                          + attempt + " " + report.outcome + "; retrying in "
                          + std::to_string(e.delay_s) + " s",
                        report.message);
      }
      apply(self, std::move(effects), std::move(batch), std::move(ack));
    },
    [self](atom::timeout) {
      auto& st = self->state;
      if (!st.draining.empty())
        st.log->warn("{}: {} cancelled attempts did not report within {} s", st.cfg.record.id,
                     st.draining.size(), st.cfg.drain_timeout.count());
      quit_after_commit(self);
    },
    [self](atom::alert, std::uint64_t index, int attempt) {
      auto& st = self->state;
      const auto& n = st.machine->node(static_cast<std::size_t>(index));
      if (st.finished || n.status != node_status::running || n.attempts != attempt)
        return;
      const auto& node = st.cfg.wf->nodes[index];
      store_batch batch;
      raise_alert(self, batch, "max_duration",
                  "max_duration:" + st.cfg.record.id + ":" + node.name + ":"
                    + std::to_string(attempt),
                  "warning", static_cast<std::size_t>(index),
                  "node " + node.name + " of " + st.cfg.record.workflow + " runs longer than its "
                    + "max-duration of " + std::to_string(node.action.max_duration_s) + " s",
                  "attempt " + std::to_string(attempt) + " started at "
                    + to_iso8601(n.started) + " and is still running (not killed)");
      if (!batch.empty())
        self->send(st.cfg.store, atom::put::value, std::move(batch));
    },
    [self](atom::alert) {
      auto& st = self->state;
      if (st.finished)
        return;
      const auto& r = st.cfg.record;
      store_batch batch;
      // Keyed by execution: a rerun may be late again; the first execution's
      // key is the one the dependency waiter uses for a queued instance still
      // waiting past its sla, so that one late instance alerts once.
      raise_alert(self, batch, "sla", "sla:" + r.id + ":" + std::to_string(r.execution),
                  "critical", workflow::npos,
                  "workflow " + r.workflow + " is late: not succeeded "
                    + std::to_string(st.cfg.wf->sla_s) + " s after its logical time",
                  "logical time " + to_iso8601(r.logical_time) + ", status " + r.status);
      if (!batch.empty())
        self->send(st.cfg.store, atom::put::value, std::move(batch));
    },
    [self](atom::retry, std::uint64_t index) {
      apply(self, self->state.machine->retry_due(static_cast<std::size_t>(index), now_ms()));
    },
    [self](atom::timeout, std::uint64_t node, int attempt) {
      auto& st = self->state;
      auto index = static_cast<std::size_t>(node);
      if (st.finished || index >= st.cfg.wf->nodes.size())
        return;
      const auto& n = st.machine->node(index);
      if (n.attempts != attempt
          || (n.status != node_status::running && n.status != node_status::waiting))
        return; // it ended meanwhile
      const auto& spec = st.cfg.wf->nodes[index].action;
      auto why = "timed out after " + std::to_string(spec.timeout_s) + " s";
      auto child = child_of(self, index, attempt);
      if (spec.on_timeout == timeout_action::warn) {
        attempt_report r;
        r.instance_id = st.cfg.record.id;
        r.node = st.cfg.wf->nodes[index].name;
        r.attempt = attempt;
        r.outcome = "timeout_warning";
        r.message = why + " (timeout-action warn: child instance "
                    + (child.empty() ? std::string("-") : child) + " keeps running)";
        self->send(self, atom::report::value, std::move(r));
        return;
      }
      stop_child(self, index, attempt,
                 "node '" + st.cfg.wf->nodes[index].name + "' of its parent instance "
                   + st.cfg.record.id + " " + why);
      report_to_self(self, index, attempt, "timed_out",
                     why + "; " + (child.empty() ? std::string("its child instance")
                                                 : "child instance " + child)
                       + " killed");
    },
    [self](atom::kill, const std::string& reason) {
      apply(self, self->state.machine->kill(reason, now_ms()));
    },
    [self](atom::mark, const std::string& node, bool succeeded,
           const std::string& message) -> caf::result<atom::ok> {
      auto& st = self->state;
      auto index = st.cfg.wf->index_of(node);
      if (index == workflow::npos)
        return make_caf_error(ec::invalid_argument,
                              "workflow '" + st.cfg.wf->name + "' has no node '" + node + "'");
      auto effects = st.machine->mark(index, succeeded, message, now_ms());
      if (!effects)
        return to_caf(effects.error());
      st.log->info("{} node {} {}", st.cfg.record.id, node, message);
      apply(self, std::move(*effects));
      return atom::ok::value;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"id", st.cfg.record.id},
              {"workflow", st.cfg.record.workflow},
              {"status", to_string(st.machine->status())}};
    },
  };
}

} // namespace cafflow
