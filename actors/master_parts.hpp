// The parts of the master actor (actors/master.cpp) and what they share:
// internal to the master, not an interface. master.cpp wires the behavior;
// master_lifecycle.cpp stops, drains, demotes and follows the lease and the
// store's health; master_instances.cpp creates, admits, ends and fires
// instances and runs lineages; master_api.cpp answers the API's larger
// questions and requests; master_spawn.cpp prepares recovery and spawns the
// master with its gate.
#pragma once

#include <functional>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "master.hpp"

namespace cafflow::master_detail {

using self_ptr = master_actor::stateful_pointer<master_state>;

// -- master_lifecycle.cpp ------------------------------------------------------

/// Stops every component in order: intake, instances, dispatch, registry,
/// then the store writer once it has committed everything.
void shutdown(self_ptr self, caf::error reason);

/// Whether no attempt runs any more; shuts down when so or when the drain
/// grace is over, else looks again shortly.
void check_drain(self_ptr self);

/// A stop request: nothing new fires, is dispatched or starts; running
/// attempts may finish within the drain grace. A second request shuts down
/// at once.
void begin_drain(self_ptr self, caf::error reason);

/// The lease went to another master (`why`): this one stops at once and the
/// process starts again as a standby.
void demote(self_ptr self, const std::string& why);

/// Whether the lease lets this master fire and dispatch no more (until a
/// renewal gets through).
bool lease_lapsed(self_ptr self);

/// A renewal got through: the fires and writes that waited go on, in order.
void release_parked(self_ptr self);

/// The lease keeper: this master may act until `until`, or (until 0) the
/// lease went to `taken_by`.
void lease_update(self_ptr self, timestamp until, const std::string& taken_by);

/// The store writer: the store is (un)available, and writes wait.
void store_health(self_ptr self, bool available, std::string& error, std::uint64_t pending);

// -- master_instances.cpp ------------------------------------------------------

/// Starts an instance whose workflow is below its instance-limit.
void start_instance(self_ptr self, instance_runner_config cfg);

/// The settings and actors every instance runner gets from the master.
void fill_handles(self_ptr self, instance_runner_config& rc);

/// Starts a new instance, or queues it while its workflow is at its
/// instance-limit.
void admit(self_ptr self, instance_runner_config rc);

/// An instance ended (or its runner died): the next waiting one may start.
void instance_ended(self_ptr self, const std::string& id);

/// Why no new instance may start now (shutdown, store unavailable or too far
/// behind), or none.
caf::error refusal(self_ptr self);

/// A new instance of `def` (not yet stored) at `logical_time`, with the
/// params of its param-list and `caller`'s on top, and its runner's config.
/// `timezone` (an IANA name) replaces the workflow's own zone (a
/// sub-workflow child runs in its parent's); "" = the workflow's.
expected<instance_runner_config> new_instance(self_ptr self, const catalog::entry& def,
                                              const std::string& trigger,
                                              timestamp logical_time, const param_map& caller,
                                              const std::string& timezone = {});

/// The rows of a new instance: it and all its nodes.
void add_rows(const instance_runner_config& rc, store_batch& batch);

/// Creates an instance of `def`, durable before `then` hears its id; starts
/// it (within its instance-limit). Past `deadline` (ms, 0 = none) it does
/// not start: its requester stopped waiting. `options` say which nodes run
/// (refused, through `fail`, when they do not fit the workflow).
/// `extend` may add to the instance's record and to the rows committed with it.
void create(self_ptr self, const catalog::entry& def, const std::string& trigger,
            timestamp logical_time, const param_map& params, const std::string& parent_id,
            std::function<void(const std::string&)> then,
            std::function<void(const caf::error&)> fail, timestamp deadline = 0,
            const run_options& options = {}, const std::string& by = {},
            std::function<void(instance_record&, store_batch&)> extend = {});

/// The next workflows of a lineage run after one of its instances ended.
void lineage_step(self_ptr self, const std::string& id, const std::string& workflow,
                  const std::string& status);

/// Creates the instance of a backfill item, its item row in the same
/// transaction; answers its id once durable, and starts it (within its
/// instance-limit).
caf::result<std::string> launch_backfill_item(self_ptr self, backfill_item_record& item,
                                              param_map& params);

/// Tells the backfiller that an instance of backfill `backfill_id` ended.
void backfill_instance_ended(self_ptr self, const std::string& backfill_id,
                             const std::string& id, const std::string& status);

/// Carries out a coordinator's fire now; answers the instances started.
void fire_now(self_ptr self, fire_request req, caf::typed_response_promise<std::string> rp);

/// The dependency waiter's verdict on a gated instance: start it (holds),
/// fail it (failed), or show why it waits (waiting).
void on_dependency_verdict(self_ptr self, const std::string& id, const std::string& state,
                        const std::string& message);

/// A coordinator's fire: now, or after a lease renewal when the lease lapsed.
caf::result<std::string> fire(self_ptr self, fire_request& req);

/// An instance runner says its instance ended.
void instance_done(self_ptr self, const std::string& id, const std::string& status);

/// Kills instance `id` with `reason` when it lives here: its runner is told
/// to, or — queued for its dependencies or its instance-limit — it ends
/// killed at once. False when it does not live here (ended, unknown).
bool stop_instance(self_ptr self, const std::string& id, const std::string& reason);

// -- master_children.cpp -------------------------------------------------------

/// A sub-workflow node's call: starts its child instance with the parent's
/// logical time and zone (refused past master.max_sub_workflow_depth, or
/// when the workflow is not loaded), or re-attaches to the child it names.
/// The runner hears how it goes as reports of the node's attempt.
void child_call(self_ptr self, child_request& req, instance_runner_actor& runner);

/// Sub-workflow node (parent id, node, attempt) stopped waiting: its child is
/// killed with `reason` (as soon as it exists).
void child_cancel(self_ptr self, const std::string& parent_id, const std::string& node,
                  int attempt, const std::string& reason);

/// Instance `id` ended `status` (or can no longer end here): when it is the
/// child of a waiting node, that node's attempt ends as the child did.
void child_ended(self_ptr self, const std::string& id, const std::string& status);

// -- master_api.cpp ------------------------------------------------------------

caf::result<health_record> health_of(self_ptr self);
caf::result<metrics_snapshot> metrics_of(self_ptr self);
/// A manual run, a trigger or a lineage (start_request).
caf::result<std::string> start_run(self_ptr self, start_request& req);
/// Runs an ended instance again under its id.
caf::result<atom::ok> rerun_instance(self_ptr self, const std::string& id, rerun_request& req);

caf::result<atom::ok> mark_node(self_ptr self, const std::string& id, mark_request& req);
/// A workflow with its coordinator, DAG and stored versions.
caf::result<workflow_detail> workflow_detail_of(self_ptr self, const std::string& name);
/// Kills a running or queued instance.
caf::result<atom::ok> kill_instance(self_ptr self, const std::string& id);
/// The date-window dependencies of an instance, and of a workflow at a
/// logical time (0 = its coordinator's next fire, else now).
caf::result<dependency_report> instance_dependencies(self_ptr self, const std::string& id);
caf::result<dependency_report> workflow_dependencies(self_ptr self, const std::string& name,
                                                     timestamp logical_time);
/// A piece of a node's log, from the worker that ran it.
caf::result<log_chunk> node_log(self_ptr self, const std::string& id, const std::string& node,
                                int attempt, std::int64_t offset);

// -- shared --------------------------------------------------------------------

/// Reads an instance from the store and gives it to `f`, or the error to `rp`.
template <class Promise, class F>
void with_instance(self_ptr self, const std::string& id, Promise rp, F f) {
  self->request(self->state.reader, self->state.cfg.request_timeout, atom::instance::value, id)
    .then([f](instance_record& r) mutable { f(r); },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}


} // namespace cafflow::master_detail
