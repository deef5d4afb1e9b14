// Every atom and message type cafflow's actors exchange, and the one
// function that registers them with an actor system config. Every process
// registers the same set, so a type mismatch is refused at connect time.
#pragma once

#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "actions/sub_workflow.hpp"
#include "error.hpp"
#include "model/alert.hpp"
#include "model/attempt.hpp"
#include "model/metrics.hpp"
#include "model/records.hpp"
#include "model/scheduling.hpp"
#include "schedule/lineage.hpp"
#include "engine/catalog.hpp"
#include "security/handshake.hpp"
#include "store/store.hpp"

namespace caf {
class actor_system_config;
} // namespace caf

namespace cafflow {

struct workflow;

/// Atoms, one per verb. Names are at most 10 characters (CAF 0.17).
namespace atom {
using ack = caf::atom_constant<caf::atom("ack")>;
using adopt = caf::atom_constant<caf::atom("adopt")>;
using backfill = caf::atom_constant<caf::atom("backfill")>;
using backfills = caf::atom_constant<caf::atom("backfills")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using alert = caf::atom_constant<caf::atom("alert")>;
using downstream = caf::atom_constant<caf::atom("downstream")>;
using changed = caf::atom_constant<caf::atom("changed")>;
using child = caf::atom_constant<caf::atom("child")>;
using commit = caf::atom_constant<caf::atom("commit")>;
using connect = caf::atom_constant<caf::atom("connect")>;
using coordinate = caf::atom_constant<caf::atom("coordinate")>;
using disconnect = caf::atom_constant<caf::atom("disconnect")>;
using dispatch = caf::atom_constant<caf::atom("dispatch")>;
using done = caf::atom_constant<caf::atom("done")>;
using erase = caf::atom_constant<caf::atom("erase")>;
using drain = caf::atom_constant<caf::atom("drain")>;
using exited = caf::atom_constant<caf::atom("exited")>;
using files = caf::atom_constant<caf::atom("files")>;
using fire = caf::atom_constant<caf::atom("fire")>;
using flush = caf::atom_constant<caf::atom("flush")>;
using get = caf::atom_constant<caf::atom("get")>;
using health = caf::atom_constant<caf::atom("health")>;
using hold = caf::atom_constant<caf::atom("hold")>;
using heartbeat = caf::atom_constant<caf::atom("heartbeat")>;
using hello = caf::atom_constant<caf::atom("hello")>;
using instance = caf::atom_constant<caf::atom("instance")>;
using instances = caf::atom_constant<caf::atom("instances")>;
using kill = caf::atom_constant<caf::atom("kill")>;
using latest = caf::atom_constant<caf::atom("latest")>;
using launch = caf::atom_constant<caf::atom("launch")>;
using lease = caf::atom_constant<caf::atom("lease")>;
using lineage = caf::atom_constant<caf::atom("lineage")>;
using load = caf::atom_constant<caf::atom("load")>;
using mark = caf::atom_constant<caf::atom("mark")>;
using executions = caf::atom_constant<caf::atom("executions")>;
using log = caf::atom_constant<caf::atom("log")>;
using login = caf::atom_constant<caf::atom("login")>;
using metrics = caf::atom_constant<caf::atom("metrics")>;
using ok = caf::atom_constant<caf::atom("ok")>;
using prune = caf::atom_constant<caf::atom("prune")>;
using put = caf::atom_constant<caf::atom("put")>;
using register_ = caf::atom_constant<caf::atom("register")>;
using report = caf::atom_constant<caf::atom("report")>;
using rerun = caf::atom_constant<caf::atom("rerun")>;
using retry = caf::atom_constant<caf::atom("retry")>;
using run = caf::atom_constant<caf::atom("run")>;
using scan = caf::atom_constant<caf::atom("scan")>;
using shutdown = caf::atom_constant<caf::atom("shutdown")>;
using spawned = caf::atom_constant<caf::atom("spawned")>;
using start = caf::atom_constant<caf::atom("start")>;
using status = caf::atom_constant<caf::atom("status")>;
using tick = caf::atom_constant<caf::atom("tick")>;
using versions = caf::atom_constant<caf::atom("versions")>;
using watch = caf::atom_constant<caf::atom("watch")>;
using timeout = caf::atom_constant<caf::atom("timeout")>;
using workers = caf::atom_constant<caf::atom("workers")>;
using workflow = caf::atom_constant<caf::atom("workflow")>;
using workflows = caf::atom_constant<caf::atom("workflows")>;
using wait = caf::atom_constant<caf::atom("wait")>;
using changed = caf::atom_constant<caf::atom("changed")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using dependency = caf::atom_constant<caf::atom("dependency")>;
} // namespace atom

/// The mark of a message that only the actor's own process may send: no
/// registered message type, never serialised, so no message from another
/// process can carry it (docs/DESIGN.md, "Gates").
struct local_only {};

/// A definition shared between the registry and the runners (local only).
using workflow_ptr = std::shared_ptr<const workflow>;

/// Writes for the store writer (local only).
using store_batch = std::vector<store_write>;

/// A complete scan of the xmlconfig directory (local only).
using scan_ptr = std::shared_ptr<const std::vector<scanned_file>>;

/// Every active definition after a change (registry -> coordinator, local only).
struct schedule_snapshot {
  /// Active workflows, by name.
  std::map<std::string, catalog::entry> workflows;
  /// Active standalone coordinators, by name.
  std::map<std::string, std::shared_ptr<const standalone_coordinator>> coordinators;
};
using schedule_ptr = std::shared_ptr<const schedule_snapshot>;

/// A fire a coordinator decided on, for the master to carry out (local only).
struct fire_request {
  /// The key of the fire record: the workflow, or the standalone coordinator.
  std::string coordinator;
  timestamp logical_time = 0;
  /// "cron" or "dependency".
  std::string trigger;
  /// What to start: the workflow itself, or a standalone coordinator's trigger-list.
  std::vector<catalog::entry> targets;
  /// On top of each target's own param-list (a standalone coordinator's, evaluated).
  param_map params;
  /// Committed with the fire: the coordinator's state after it, the
  /// dependencies it consumed.
  store_batch writes;
};

/// The key-value answer of every `status` request.
using status_map = std::map<std::string, std::string>;

// -- inspection (serialization) of the records that cross processes ----------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, credential& x) {
  return f(caf::meta::type_name("credential"), x.token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello_msg& x) {
  return f(caf::meta::type_name("hello_msg"), x.role, x.cert_pem, x.nonce);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, challenge_msg& x) {
  return f(caf::meta::type_name("challenge_msg"), x.cert_pem, x.nonce, x.signature);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auth_proof& x) {
  return f(caf::meta::type_name("auth_proof"), x.nonce, x.signature);
}


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_info& x) {
  return f(caf::meta::type_name("worker_info"), x.id, x.host, x.slots, x.groups, x.pid,
           x.claims);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attachment& x) {
  return f(caf::meta::type_name("attachment"), x.name, x.content, x.executable);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_spec& x) {
  return f(caf::meta::type_name("attempt_spec"), x.instance_id, x.workflow, x.node, x.attempt,
           x.action_type, x.payload, x.param_line, x.params, x.logical_time, x.timeout_s,
           x.timeout_action, x.attachments, x.host, x.worker_group, x.priority_class,
           x.priority, x.action_priority, x.pool, x.max_parallel, x.epoch, x.worker,
           x.fired_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_chunk& x) {
  return f(caf::meta::type_name("log_chunk"), x.instance_id, x.node, x.attempt, x.worker,
           x.offset, x.next_offset, x.size, x.content, x.running);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_report& x) {
  return f(caf::meta::type_name("attempt_report"), x.instance_id, x.node, x.attempt, x.worker,
           x.outcome, x.exit_code, x.pid, x.log_path, x.started, x.finished, x.message,
           x.result, x.epoch, x.child_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_record& x) {
  return f(caf::meta::type_name("workflow_record"), x.name, x.dir, x.desc, x.creator, x.file,
           x.hash, x.version, x.loaded_at, x.node_count, x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_filter& x) {
  return f(caf::meta::type_name("workflow_filter"), x.dir, x.name, x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_page& x) {
  return f(caf::meta::type_name("workflow_page"), x.workflows, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_record& x) {
  return f(caf::meta::type_name("attempt_record"), x.number, x.worker, x.status, x.exit_code,
           x.lost, x.pid, x.epoch, x.log_path, x.started, x.finished, x.message, x.result,
           x.execution, x.child_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_record& x) {
  return f(caf::meta::type_name("node_record"), x.name, x.kind, x.action_type, x.status,
           x.attempt_count, x.started, x.finished, x.message, x.attempts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_options& x) {
  return f(caf::meta::type_name("run_options"), x.nodes, x.upstream, x.downstream, x.from_node,
           x.skip);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, instance_record& x) {
  return f(caf::meta::type_name("instance_record"), x.id, x.workflow, x.version, x.status,
           x.trigger, x.origin, x.params, x.logical_time, x.priority, x.created, x.started,
           x.finished, x.message, x.parent_id, x.parent_node, x.depth, x.timezone,
           x.backfill_id, x.options, x.run_mode, x.execution, x.requested_by, x.nodes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_request& x) {
  return f(caf::meta::type_name("start_request"), x.workflow, x.trigger, x.params,
           x.logical_time, x.deadline, x.options, x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_record& x) {
  return f(caf::meta::type_name("execution_record"), x.instance_id, x.number, x.trigger,
           x.requested_by, x.options, x.started, x.finished, x.status, x.nodes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mark_request& x) {
  return f(caf::meta::type_name("mark_request"), x.node, x.status, x.reason, x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_request& x) {
  return f(caf::meta::type_name("backfill_request"), x.workflow, x.options, x.dry_run,
           x.created_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_item_record& x) {
  return f(caf::meta::type_name("backfill_item_record"), x.backfill_id, x.workflow,
           x.logical_time, x.position, x.instance_id, x.state, x.instance_status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_record& x) {
  return f(caf::meta::type_name("backfill_record"), x.id, x.workflow, x.options, x.state,
           x.created_by, x.created, x.finished, x.items, x.counts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rerun_request& x) {
  return f(caf::meta::type_name("rerun_request"), x.mode, x.options, x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dependency_view& x) {
  return f(caf::meta::type_name("dependency_view"), x.workflow, x.ready, x.instance_id,
           x.ready_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_view& x) {
  return f(caf::meta::type_name("coordinator_view"), x.enabled, x.paused, x.cron, x.timezone,
           x.start_time, x.end_time, x.catchup, x.overlap, x.next_fires, x.waiting, x.last_fire,
           x.dependencies, x.params, x.triggers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dag_node& x) {
  return f(caf::meta::type_name("dag_node"), x.name, x.kind, x.action_type, x.desc);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dag_edge& x) {
  return f(caf::meta::type_name("dag_edge"), x.from, x.to, x.label, x.condition);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_version_record& x) {
  return f(caf::meta::type_name("workflow_version_record"), x.workflow, x.version, x.hash,
           x.file, x.xml, x.loaded_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_version_view& x) {
  return f(caf::meta::type_name("workflow_version_view"), x.version, x.hash, x.file,
           x.loaded_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dependency_report& x) {
  return f(caf::meta::type_name("dependency_report"), x.workflow, x.instance_id, x.logical_time,
           x.timezone, x.state, x.message, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workflow_detail& x) {
  return f(caf::meta::type_name("workflow_detail"), x.record, x.has_coordinator, x.coordinator,
           x.downstream, x.nodes, x.edges, x.versions, x.versions_error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, instance_filter& x) {
  return f(caf::meta::type_name("instance_filter"), x.id, x.workflow, x.status, x.trigger,
           x.limit, x.offset, x.from, x.to);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_record& x) {
  return f(caf::meta::type_name("worker_record"), x.id, x.host, x.slots, x.running, x.groups,
           x.registered, x.state, x.last_heartbeat, x.load, x.pid);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, diagnostic_record& x) {
  return f(caf::meta::type_name("diagnostic_record"), x.level, x.line, x.column, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, xml_file_record& x) {
  return f(caf::meta::type_name("xml_file_record"), x.path, x.kind, x.name, x.status, x.hash,
           x.active_version, x.checked_at, x.diagnostics);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_record& x) {
  return f(caf::meta::type_name("health_record"), x.cluster, x.master, x.epoch, x.started,
           x.workers, x.workflows, x.running_instances, x.queued_instances, x.queued_attempts,
           x.running_attempts, x.master_pid, x.store_available, x.store_error, x.pending_writes,
           x.paused, x.recovering, x.commits, x.writes, x.tls, x.warnings, x.pool_slots,
           x.pool_in_use);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, histogram_data& x) {
  return f(caf::meta::type_name("histogram_data"), x.bounds, x.cumulative, x.sum, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatch_metrics& x) {
  return f(caf::meta::type_name("dispatch_metrics"), x.attempts_started, x.attempts_ended,
           x.dispatch_latency, x.fire_dispatch_lag, x.queued_attempts, x.workers_up, x.workers_down, x.slots_total,
           x.slots_free, x.pool_slots, x.pool_in_use);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_metrics& x) {
  return f(caf::meta::type_name("store_metrics"), x.commit_latency, x.commit_failures,
           x.pending_writes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_metrics& x) {
  return f(caf::meta::type_name("coordinator_metrics"), x.cron_lag, x.fires);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metrics_snapshot& x) {
  return f(caf::meta::type_name("metrics_snapshot"), x.epoch, x.failovers, x.takeover_ms,
           x.started, x.instances_running,
           x.instances_queued, x.instances_ended, x.store_available, x.store_writer_answered,
           x.dispatch, x.store, x.coordinator);
}

// -- errors --------------------------------------------------------------------

/// The CAF error category of cafflow::ec.
constexpr caf::atom_value error_category = caf::atom("cafflow");

/// A cafflow error as a CAF error (code, category, message as context).
caf::error to_caf(const error& err);
caf::error make_caf_error(ec code, std::string message);

/// A CAF error as a cafflow error; CAF's own codes map to the nearest ec.
error from_caf(const caf::error& err);

/// Whether `err` says that this master no longer holds the lease (ec::fenced).
inline bool is_fenced(const caf::error& err) {
  return err && err.category() == error_category && err.code() == static_cast<std::uint8_t>(ec::fenced);
}

/// Registers every message type and the error category. Called by every
/// process's config constructor.
void add_message_types(caf::actor_system_config& cfg);

} // namespace cafflow

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::local_only)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::workflow_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::store_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::alert_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::scan_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::schedule_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::fire_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::fire_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::fire_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafflow::child_request)
