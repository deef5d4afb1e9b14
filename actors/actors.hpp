// Every typed actor interface of cafflow, in one place: this page is the
// message graph. One comment line above each handler says who sends it.
// Handlers marked "internal" are sent by the actor to itself (timers,
// continuations) and by nobody else.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "type_ids.hpp"

namespace cafflow {

// -- interface helpers ---------------------------------------------------------

namespace detail {

template <class Extra, class Sig>
struct second_arg;

template <class Extra, class Atom, class... Is, class... Os>
struct second_arg<Extra,
                  caf::typed_mpi<caf::detail::type_list<Atom, Is...>, caf::output_tuple<Os...>>> {
  using type =
    caf::typed_mpi<caf::detail::type_list<Atom, Extra, Is...>, caf::output_tuple<Os...>>;
};

template <class Extra, class Handle>
struct with_second_arg;

template <class Extra, class... Sigs>
struct with_second_arg<Extra, caf::typed_actor<Sigs...>> {
  using type = caf::typed_actor<typename second_arg<Extra, Sigs>::type...>;
};

} // namespace detail

/// `Handle` with `Extra` inserted after the atom of every message: the API
/// with a session's credential (from another process) or with `local_only`
/// (from this process only).
template <class Extra, class Handle>
using with_second_arg = typename detail::with_second_arg<Extra, Handle>::type;

// -- worker process ------------------------------------------------------------

/// A worker, and its process's gate: the only actor of a worker process that
/// other processes reach (docs/DESIGN.md, "Gates"). Registers with the
/// master, runs attempts through task_runners within its slots, and keeps
/// every final report in an outbox until the master acknowledges it. What a
/// master sends carries the credential of the worker's current session.
using worker_actor = caf::typed_actor<
  // master gate: run this attempt.
  caf::reacts_to<atom::run, credential, attempt_spec>,
  // master gate: stop attempt (instance id, node, attempt number, the master's
  // epoch: an older one than seen is refused).
  caf::reacts_to<atom::kill, credential, std::string, std::string, int, std::uint64_t>,
  // master gate: the master has the final report with this attempt key.
  caf::reacts_to<atom::ack, credential, std::string>,
  // master gate: the cluster stops (akkaflow's cluster?action=shutdown): drain, then exit.
  caf::reacts_to<atom::shutdown, credential>,
  // master gate: a piece of an attempt's log (instance, node, attempt,
  // offset, max bytes).
  caf::replies_to<atom::log, credential, std::string, std::string, int, std::int64_t,
                  std::int64_t>::with<log_chunk>,
  // task_runner: an attempt started or ended.
  caf::reacts_to<atom::report, local_only, attempt_report>,
  // internal: the task spawner died (why); the worker stops.
  caf::reacts_to<atom::exited, local_only, std::string>,
  // internal: (re)connect to the master.
  caf::reacts_to<atom::connect, local_only>,
  // internal: the drain grace after a stop request is over: stop what still runs.
  caf::reacts_to<atom::drain, local_only>,
  // internal: time to send a heartbeat (and to check the lease).
  caf::reacts_to<atom::heartbeat, local_only>,
  // internal: time to remove a batch of old task logs and work directories.
  caf::reacts_to<atom::prune, local_only>,
  // anyone: the worker's state.
  caf::replies_to<atom::status>::with<status_map>>;

/// A registered worker as the dispatcher sees it: a stand-in in the master
/// process (actors/worker_link) that passes each message on to the worker
/// with the credential of its session.
using worker_link_actor = caf::typed_actor<
  // dispatcher: run this attempt.
  caf::reacts_to<atom::run, attempt_spec>,
  // dispatcher: stop attempt (instance id, node, attempt number, epoch).
  caf::reacts_to<atom::kill, std::string, std::string, int, std::uint64_t>,
  // dispatcher: the master has the final report with this attempt key.
  caf::reacts_to<atom::ack, std::string>,
  // dispatcher: the cluster stops: the worker drains and exits.
  caf::reacts_to<atom::shutdown>,
  // master: a piece of an attempt's log (instance, node, attempt, offset, max bytes).
  caf::replies_to<atom::log, std::string, std::string, int, std::int64_t,
                  std::int64_t>::with<log_chunk>>;

/// Runs one attempt's process tree and reports to its worker.
using task_runner_actor = caf::typed_actor<
  // the spawner: the process started as this process group.
  caf::reacts_to<atom::spawned, int>,
  // internal: the process has run for a moment; the worker hears that it runs.
  caf::reacts_to<atom::report>,
  // the spawner: the process ended (wait status, or -1 and why it never started).
  caf::reacts_to<atom::exited, int, std::string>,
  // internal: the attempt's timeout elapsed.
  caf::reacts_to<atom::timeout>,
  // worker: stop the process tree (SIGTERM, then SIGKILL after the grace period).
  caf::reacts_to<atom::kill>,
  // internal: the grace period after SIGTERM is over.
  caf::reacts_to<atom::kill, atom::timeout>>;

// -- master process ------------------------------------------------------------

/// Drives one instance through its workflow (1 per running instance).
using instance_runner_actor = caf::typed_actor<
  // master: begin.
  caf::reacts_to<atom::start>,
  // dispatcher: an attempt of this instance started or ended.
  caf::reacts_to<atom::report, attempt_report>,
  // internal: the retry interval of node (index) elapsed.
  caf::reacts_to<atom::retry, std::uint64_t>,
  // internal: the timeout of sub-workflow node (index), attempt (number) elapsed.
  caf::reacts_to<atom::timeout, std::uint64_t, int>,
  // internal: stop waiting for the reports of cancelled attempts.
  caf::reacts_to<atom::timeout>,
  // internal: attempt (number) of node (index) reached its max-duration.
  caf::reacts_to<atom::alert, std::uint64_t, int>,
  // internal: the workflow's sla after the logical time is over.
  caf::reacts_to<atom::alert>,
  // master: kill the instance with this reason.
  caf::reacts_to<atom::kill, std::string>,
  // master: mark a waiting, running or retrying node (node, succeeded?, message).
  caf::replies_to<atom::mark, std::string, bool, std::string>::with<atom::ok>,
  // anyone: the instance's state.
  caf::replies_to<atom::status>::with<status_map>>;

/// Waits for date-window dependencies (schedule/windows, schedule/dependencies):
/// of instances whose coordinator's depend-list has windowed items (before
/// they start) and of dependent nodes. Re-evaluates the waiters on a workflow
/// when an instance or node of it changes state (an index upstream -> waiters),
/// never by polling; a timer only for a failure's wait-minutes.
using dependency_waiter_actor = caf::typed_actor<
  // master: instance (id) of the workflow (definition, logical time) waits for
  // its depend-list's windows since (ms); the verdicts go to the master.
  caf::reacts_to<atom::wait, std::string, workflow_ptr, timestamp, timestamp>,
  // instance_runner: its dependent node (instance id, node, attempt) waits
  // (definition, logical time, since); the verdicts go to the runner as reports.
  caf::reacts_to<atom::wait, std::string, std::string, int, workflow_ptr, timestamp, timestamp,
                 instance_runner_actor>,
  // master, instance_runner: stop waiting for this instance (id) and its nodes.
  caf::reacts_to<atom::cancel, std::string>,
  // master, instance_runner: an instance or a node of this workflow changed state.
  caf::reacts_to<atom::changed, std::string>,
  // internal: the writes before this re-evaluation are committed (generation).
  caf::reacts_to<atom::changed, std::uint64_t>,
  // internal: a failure's wait-minutes of a waiter (key) may be over (generation).
  caf::reacts_to<atom::timeout, std::string, std::uint64_t>,
  // internal: the workflow's sla after the logical time of a queued waiter (key) is over.
  caf::reacts_to<atom::alert, std::string>,
  // master: the report for a workflow (definition, name) at a logical time,
  // for an instance (id, "" = none) waiting since (ms).
  caf::replies_to<atom::dependency, workflow_ptr, std::string, timestamp, std::string,
                  timestamp>::with<dependency_report>,
  // anyone: waiters and evaluations.
  caf::replies_to<atom::status>::with<status_map>>;

/// Places attempts on workers with free slots; knows every worker.
using dispatcher_actor = caf::typed_actor<
  // master gate: a worker (re)registers (its link); answers the leader epoch.
  caf::replies_to<atom::register_, worker_info, worker_link_actor>::with<std::uint64_t>,
  // instance_runner: run this attempt and report to the runner.
  caf::reacts_to<atom::dispatch, attempt_spec, instance_runner_actor>,
  // restored instance_runner: this attempt was dispatched before the master
  // restarted; find it on the workers (or report it lost).
  caf::reacts_to<atom::adopt, attempt_spec, instance_runner_actor>,
  // instance_runner: the result of attempt (key) from worker (id) is committed:
  // the worker may forget it.
  caf::reacts_to<atom::ack, std::string, std::string>,
  // internal: the time for recovering attempts is up.
  caf::reacts_to<atom::timeout>,
  // master: place no attempt (true) while the store cannot keep up, or again (false).
  caf::reacts_to<atom::hold, bool>,
  // master: it stops (drains): place no attempt any more, whatever the store does.
  caf::reacts_to<atom::drain>,
  // master: the cluster stops (akkaflow's shutdown): tell every worker to
  // stop; answers once each is told.
  caf::replies_to<atom::shutdown>::with<atom::ok>,
  // master: the master may dispatch until this time (ms; its lease).
  caf::reacts_to<atom::lease, timestamp>,
  // master gate: a worker stops (drains) (id): place no attempt there any more.
  caf::reacts_to<atom::drain, std::string>,
  // master gate: the connection to a worker process is gone (id, why).
  caf::reacts_to<atom::disconnect, std::string, std::string>,
  // instance_runner: stop attempt (instance id, node, attempt number).
  caf::reacts_to<atom::kill, std::string, std::string, int>,
  // master gate: a worker's attempt started or ended.
  caf::reacts_to<atom::report, attempt_report>,
  // master gate: a worker is alive (id, running attempts, load); answers
  // whether it is registered.
  caf::replies_to<atom::heartbeat, std::string, int, double>::with<bool>,
  // internal: look for workers whose heartbeats stopped.
  caf::reacts_to<atom::heartbeat>,
  // master: the link of a registered worker (by id).
  caf::replies_to<atom::get, std::string>::with<worker_link_actor>,
  // master: every known worker.
  caf::replies_to<atom::workers>::with<std::vector<worker_record>>,
  // master: counters, queue, workers and slots (GET /metrics).
  caf::replies_to<atom::metrics>::with<dispatch_metrics>,
  // anyone: queue and slot counts.
  caf::replies_to<atom::status>::with<status_map>>;

/// Holds the active version of every workflow definition (engine/catalog).
using registry_actor = caf::typed_actor<
  // xml_watcher: a complete scan of the xmlconfig directory that changed something.
  caf::reacts_to<atom::load, scan_ptr>,
  // master: every file of xmlconfig with its status and diagnostics.
  caf::replies_to<atom::files>::with<std::vector<xml_file_record>>,
  // master: the active definition of a workflow.
  caf::replies_to<atom::get, std::string>::with<workflow_ptr, workflow_record>,
  // master: every active workflow.
  caf::replies_to<atom::workflows>::with<std::vector<workflow_record>>,
  // master: every workflow ever loaded, the removed ones too (true), or the active ones.
  caf::replies_to<atom::workflows, bool>::with<std::vector<workflow_record>>,
  // master: the workflows that pass a filter, a page of them (offset, limit; 0 = all).
  caf::replies_to<atom::workflows, workflow_filter, std::uint64_t,
                  std::uint64_t>::with<workflow_page>,
  // master: the alert channels of the workflows downstream of one (name):
  // their mail-receivers (alert/alert.hpp, downstream_channels).
  caf::replies_to<atom::downstream, std::string>::with<std::vector<std::string>>,
  // anyone: counts.
  caf::replies_to<atom::status>::with<status_map>>;

/// The coordinators of every workflow and standalone coordinator: one timer
/// for the earliest next fire, dependency flags, fires (schedule/coordinator).
using coordinator_actor = caf::typed_actor<
  // registry: every active definition, after each change.
  caf::reacts_to<atom::load, schedule_ptr>,
  // master: an instance ended (workflow, instance id, final status, origin trigger).
  caf::reacts_to<atom::done, std::string, std::string, std::string, std::string>,
  // internal: the timer set for the earliest next fire (its generation) is due.
  caf::reacts_to<atom::tick, std::uint64_t>,
  // master: it stops (drains): no cron tick fires any more (the next master
  // catches them up); dependencies still count.
  caf::reacts_to<atom::drain>,
  // master: pause, resume or reset one coordinator (name, action); an empty
  // name with reset resets every coordinator.
  caf::replies_to<atom::coordinate, std::string, std::string>::with<atom::ok>,
  // master: fire this coordinator now, as its cron tick would (no
  // dependencies consumed, its state unchanged); answers the instances
  // started ("" when none).
  caf::replies_to<atom::fire, std::string>::with<std::string>,
  // master: the coordinator of a workflow and its downstream workflows (the
  // record stays empty).
  caf::replies_to<atom::get, std::string>::with<workflow_detail>,
  // master: every workflow with the workflows its coordinator waits for.
  caf::replies_to<atom::lineage>::with<upstream_map>,
  // master: fires and cron lag (GET /metrics).
  caf::replies_to<atom::metrics>::with<coordinator_metrics>,
  // anyone: counts.
  caf::replies_to<atom::status>::with<status_map>>;

/// Runs backfills (schedule/backfill_plan): plans them, stores them, and
/// keeps at most `parallel` instances of each active, in plan order.
using backfiller_actor = caf::typed_actor<
  // registry: every active definition, after each change.
  caf::reacts_to<atom::load, schedule_ptr>,
  // master: create a backfill (or, dry run, only plan it); answers it with
  // its items once it is stored.
  caf::replies_to<atom::backfill, backfill_request>::with<backfill_record>,
  // master: cancel a backfill (id); answers it as it is now.
  caf::replies_to<atom::cancel, std::string>::with<backfill_record>,
  // master: an instance of a backfill ended (backfill id, instance id, status).
  caf::reacts_to<atom::done, std::string, std::string, std::string>,
  // internal: try the items that could not start (store or master busy) again.
  caf::reacts_to<atom::retry>,
  // master: it stops (drains): start nothing more.
  caf::reacts_to<atom::drain>,
  // anyone: counts.
  caf::replies_to<atom::status>::with<status_map>>;

/// Loads the XML files of the xmlconfig directory into the registry.
using xml_watcher_actor = caf::typed_actor<
  // internal: rescan the directory now.
  caf::reacts_to<atom::scan>,
  // internal: read and parse the next batch of files of the scan under way.
  caf::reacts_to<atom::load>,
  // anyone: files seen and their state.
  caf::replies_to<atom::status>::with<status_map>>;

/// The active master's alerter (actors/alerter): keeps the alert outbox (table
/// alert) moving: sends what is due to its channels through cafflow-exec,
/// with retries, back-off and a rate limit per channel, off the actors that
/// schedule (it runs detached). Instance events reach the outbox with the
/// runner's own writes; the others come here.
using alerter_actor = caf::typed_actor<
  // the master's parts (master, dispatcher, xml_watcher): an event without a
  // store write of its own (worker lost, failover, store degraded, invalid
  // file): written to the outbox, then sent.
  caf::reacts_to<atom::alert, alert_event>,
  // dependency_waiter: an event of a workflow for its channels (an instance
  // still waiting on its dependencies past its sla): written, then sent.
  caf::reacts_to<atom::alert, alert_event, std::vector<std::string>>,
  // instance_runner: alert rows went to the store writer: look at the outbox soon.
  caf::reacts_to<atom::alert>,
  // internal: time to look at the outbox.
  caf::reacts_to<atom::tick>,
  // anyone: counters.
  caf::replies_to<atom::status>::with<status_map>>;

/// Serialises all writes to the store, committing them in batches.
using store_writer_actor = caf::typed_actor<
  // anyone: write these with the next group commit (no answer).
  caf::reacts_to<atom::put, store_batch>,
  // anyone: write these and answer once they are committed (user commands).
  caf::replies_to<atom::commit, store_batch>::with<atom::ok>,
  // master: record a coordinator fire exactly once with these writes, in
  // order after every write sent before it (store::fire).
  caf::replies_to<atom::fire, fire_record, store_batch>::with<fire_outcome>,
  // master: commit everything buffered now (at shutdown).
  caf::replies_to<atom::flush>::with<atom::ok>,
  // internal: commit the batch (queued behind the writes it covers).
  caf::reacts_to<atom::commit>,
  // master: commit durations, failures and pending writes (GET /metrics).
  caf::replies_to<atom::metrics>::with<store_metrics>,
  // anyone: commits, writes and what is buffered.
  caf::replies_to<atom::status>::with<status_map>>;

/// The master's retention: deletes old history from its own connection.
using pruner_actor = caf::typed_actor<
  // internal: time for the next batch.
  caf::reacts_to<atom::prune, local_only>,
  // master: delete this ended instance now (id); a running or queued one is
  // refused (conflict), an unknown one is unknown_instance.
  caf::replies_to<atom::erase, std::string>::with<atom::ok>,
  // anyone: what it keeps and what it deleted since the start.
  caf::replies_to<atom::status>::with<status_map>>;

/// Keeps the master lease of the active master, from its own connection.
using lease_keeper_actor = caf::typed_actor<
  // internal: time to renew the lease.
  caf::reacts_to<atom::tick>,
  // master: it stops: give the lease up; answers once done.
  caf::replies_to<atom::done>::with<atom::ok>>;

/// Answers read queries from its own database connection.
using store_reader_actor = caf::typed_actor<
  // master: a page of instances.
  caf::replies_to<atom::instances, instance_filter>::with<std::vector<instance_record>>,
  // master: one instance with its nodes and attempts.
  caf::replies_to<atom::instance, std::string>::with<instance_record>,
  // master: a stored version of a workflow (name, version).
  caf::replies_to<atom::workflow, std::string, int>::with<workflow_version_record>,
  // master: every stored version of a workflow, oldest first (name).
  caf::replies_to<atom::versions, std::string>::with<std::vector<workflow_version_view>>,
  // master: the executions of an instance (unknown instance: an error).
  caf::replies_to<atom::executions, std::string>::with<std::vector<execution_record>>,
  // master: backfills, newest first, with their counts (state or "" for all, limit).
  caf::replies_to<atom::backfills, std::string, int>::with<std::vector<backfill_record>>,
  // master: one backfill with its items (id).
  caf::replies_to<atom::backfill, std::string>::with<backfill_record>,
  // backfiller: the status of the latest instance of a workflow at each
  // logical time in [from, to] (workflow, from, to).
  caf::replies_to<atom::latest, std::string, timestamp,
                  timestamp>::with<std::map<timestamp, std::string>>>;

/// What the HTTP API asks; the master answers it, the http gateway forwards it.
using api_actor = caf::typed_actor<
  // liveness and cluster summary.
  caf::replies_to<atom::health>::with<health_record>,
  // every active workflow.
  caf::replies_to<atom::workflows>::with<std::vector<workflow_record>>,
  // every workflow ever loaded, the removed ones too (true), or the active ones.
  caf::replies_to<atom::workflows, bool>::with<std::vector<workflow_record>>,
  // the workflows that pass a filter, a page of them (offset, limit; 0 = all).
  caf::replies_to<atom::workflows, workflow_filter, std::uint64_t,
                  std::uint64_t>::with<workflow_page>,
  // every file of xmlconfig with its status and diagnostics.
  caf::replies_to<atom::files>::with<std::vector<xml_file_record>>,
  // a page of instances.
  caf::replies_to<atom::instances, instance_filter>::with<std::vector<instance_record>>,
  // one instance.
  caf::replies_to<atom::instance, std::string>::with<instance_record>,
  // one workflow with its coordinator.
  caf::replies_to<atom::workflow, std::string>::with<workflow_detail>,
  // start an instance (manual run, trigger, lineage); answers its id once durable.
  caf::replies_to<atom::run, start_request>::with<std::string>,
  // run an ended instance again under its id; answers once durable.
  caf::replies_to<atom::rerun, std::string, rerun_request>::with<atom::ok>,
  // the executions of an instance, by number.
  caf::replies_to<atom::executions, std::string>::with<std::vector<execution_record>>,
  // mark a node of an instance succeeded or failed; answers once durable
  // (ended instance) or carried out (running one).
  caf::replies_to<atom::mark, std::string, mark_request>::with<atom::ok>,
  // pause, resume or reset the coordinator of a workflow (or a standalone
  // coordinator): name, action; an empty name with reset: every coordinator.
  caf::replies_to<atom::coordinate, std::string, std::string>::with<atom::ok>,
  // kill a running or queued instance.
  caf::replies_to<atom::kill, std::string>::with<atom::ok>,
  // fire a coordinator (a standalone one, or a workflow's) now, as its cron
  // tick would, without its dependencies; answers the instances started
  // (comma-separated, "" when none: skipped by its overlap).
  caf::replies_to<atom::fire, std::string>::with<std::string>,
  // delete an ended instance (id) with its nodes, attempts and executions
  // (the retention's path); a running or queued one is refused.
  caf::replies_to<atom::erase, std::string>::with<atom::ok>,
  // stop the master: it drains (as on SIGTERM) and exits; answers first.
  caf::replies_to<atom::shutdown>::with<atom::ok>,
  // the date-window dependencies of an instance (id).
  caf::replies_to<atom::dependency, std::string>::with<dependency_report>,
  // the date-window dependencies of a workflow (name) at a logical time (0 =
  // its next fire).
  caf::replies_to<atom::dependency, std::string, timestamp>::with<dependency_report>,
  // the numbers of GET /metrics, gathered from the master's components.
  caf::replies_to<atom::metrics>::with<metrics_snapshot>,
  // a piece of a node's log (instance, node, attempt or 0 for the last, offset).
  caf::replies_to<atom::log, std::string, std::string, int, std::int64_t>::with<log_chunk>,
  // create a backfill, or plan it (dry run); answers it with its items.
  caf::replies_to<atom::backfill, backfill_request>::with<backfill_record>,
  // backfills, newest first, with counts (state or "" for all, limit).
  caf::replies_to<atom::backfills, std::string, int>::with<std::vector<backfill_record>>,
  // one backfill with its items (id).
  caf::replies_to<atom::backfill, std::string>::with<backfill_record>,
  // cancel a backfill (id): unstarted items are cancelled, running instances killed.
  caf::replies_to<atom::cancel, std::string>::with<backfill_record>,
  // a stored version of a workflow with its XML (name, version).
  caf::replies_to<atom::workflow, std::string, int>::with<workflow_version_record>,
  // wait until instance (id) changes after change number (after; 0: answer
  // at once), at most (ms); answers the new change number, or `after` when
  // nothing changed in time (engine/change_feed.hpp).
  caf::replies_to<atom::watch, std::string, std::uint64_t, std::int64_t>::with<std::uint64_t>>;

/// The master: the root of the master process. Other processes reach it
/// only through its gate (master_gate_actor).
using master_actor = api_actor::extend<
  // instance_runner: the instance ended (id, final status).
  caf::reacts_to<atom::done, std::string, std::string>,
  // instance_runner: the instance failed on its default alert route: this
  // event goes to the owners of the workflows downstream of it too.
  caf::reacts_to<atom::alert, alert_event>,
  // coordinator: carry out a fire; answers the instances started ("" when
  // none: skipped for overlap, or fired before).
  caf::replies_to<atom::fire, fire_request>::with<std::string>,
  // dependency_waiter: the verdict on a queued instance's depend-list
  // windows (id, "holds", "waiting" or "failed", message).
  caf::reacts_to<atom::wait, std::string, std::string, std::string>,
  // instance_runner: run the child instance of a sub-workflow node (with a
  // child id: re-attach to it after a master restart); how it goes comes
  // back to the runner as reports of the node's attempt.
  caf::reacts_to<atom::child, child_request, instance_runner_actor>,
  // instance_runner: its sub-workflow node (parent id, node, attempt) stopped
  // waiting (killed, marked, timed out): kill the child, saying why.
  caf::reacts_to<atom::child, atom::kill, std::string, std::string, int, std::string>,
  // coordinator: write its state, in order with its fires.
  caf::reacts_to<atom::put, store_batch>,
  // backfiller: create the instance of a backfill item (with these params on
  // top of its param-list), its item row in the same transaction; answers
  // its id once durable.
  caf::replies_to<atom::launch, backfill_item_record, param_map>::with<std::string>,
  // store_writer: these instances' rows were committed.
  caf::reacts_to<atom::changed, std::vector<std::string>>,
  // internal: the wait of watch request (number) is over.
  caf::reacts_to<atom::watch, std::uint64_t>,
  // store_writer: the store is (un)available (why not), and writes waiting.
  caf::reacts_to<atom::health, bool, std::string, std::uint64_t>,
  // lease_keeper: this master may act until (ms), or (until 0) the lease
  // went to this other master.
  caf::reacts_to<atom::lease, timestamp, std::string>,
  // internal: while draining, check whether attempts still run.
  caf::reacts_to<atom::drain>,
  // anyone: the master's state.
  caf::replies_to<atom::status>::with<status_map>>;

/// The master gate's own messages (handlers checked when it compiles); the
/// API's requests it relays generically (actors/api_relay.hpp).
using master_gate_own_actor = caf::typed_actor<
  // worker or http gateway: open a session; answers the master's challenge.
  caf::replies_to<atom::hello, hello_msg>::with<challenge_msg>,
  // worker: the proof for a challenge, the worker and its handle; answers the
  // session's credential and the leader epoch.
  caf::replies_to<atom::register_, auth_proof, worker_info,
                  worker_actor>::with<credential, std::uint64_t>,
  // http gateway: the proof for a challenge; answers the session's credential.
  caf::replies_to<atom::login, auth_proof>::with<credential>,
  // worker: an attempt started or ended.
  caf::reacts_to<atom::report, credential, attempt_report>,
  // worker: alive (its id, running attempts, load); answers whether it is registered.
  caf::replies_to<atom::heartbeat, credential, std::string, int, double>::with<bool>,
  // worker: it stops (drains) (its id).
  caf::reacts_to<atom::drain, credential, std::string>,
  // master: serve these (the master, its dispatcher).
  caf::reacts_to<atom::start, local_only, master_actor, dispatcher_actor>,
  // worker_link: ask a worker for a piece of a log (its handle, the session's
  // credential, instance, node, attempt, offset, max bytes).
  caf::replies_to<atom::log, local_only, worker_actor, credential, std::string, std::string,
                  int, std::int64_t, std::int64_t>::with<log_chunk>,
  // anyone: sessions and pending handshakes.
  caf::replies_to<atom::status>::with<status_map>>;

/// The master process's gate, published on the master's CAF port: the only
/// actor of the master process that other processes reach (docs/DESIGN.md,
/// "Gates"). It opens sessions for workers and http servers that prove their
/// role (security/handshake.hpp), accepts each message only with the
/// credential of a session of a role that may send it, and passes it on:
/// the API's requests (with the credential of an http session) to the master.
using master_gate_actor =
  with_second_arg<credential, api_actor>::extend_with<master_gate_own_actor>;

// -- http process --------------------------------------------------------------

/// Sends one instance's state to an HTTP client as server-sent events, now
/// and after each change, until it ends or the client leaves (one per
/// stream of GET /api/v1/instances/{id}/events).
using instance_follower_actor = caf::typed_actor<
  // internal: read the instance and send it.
  caf::reacts_to<atom::tick>,
  // internal: wait for the next change.
  caf::reacts_to<atom::watch>>;

/// The http gateway's own messages (handlers checked when it compiles); the
/// API's requests it relays generically (actors/api_relay.hpp).
using http_gateway_own_actor = caf::typed_actor<
  // internal: (re)connect to the master.
  caf::reacts_to<atom::connect, local_only>,
  // anyone: connection state.
  caf::replies_to<atom::status>::with<status_map>>;

/// Forwards the API's requests (from Poco's threads in this process) to the
/// master gate, in a session it opened as the http role; reconnects when the
/// master is lost.
using http_gateway_actor =
  with_second_arg<local_only, api_actor>::extend_with<http_gateway_own_actor>;

} // namespace cafflow
