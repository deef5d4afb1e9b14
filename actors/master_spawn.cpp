// Spawning the master: the store opened and migrated, the lease awaited, the
// unfinished instances prepared for recovery, the master and its gate
// spawned and the gate published.
#include "master_parts.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actions/kind.hpp"
#include "alert/channels.hpp"
#include "election.hpp"
#include "engine/params.hpp"
#include "exec/process.hpp"
#include "log.hpp"
#include "master_gate.hpp"
#include "model/workflow.hpp"
#include "security/node_tls.hpp"
#include "store/store_url.hpp"
#include "system.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace {

struct recovery_plan {
  std::vector<instance_runner_config> instances;
  recovery_book book;
};

/// The unfinished instances of the store, each with the workflow version it
/// runs, and the attempts to look for on the workers. An instance whose
/// version cannot be read any more ends failed, saying why.
expected<recovery_plan> prepare_recovery(store& db, const config& cfg) {
  auto logger = log::get("master");
  auto unfinished = db.unfinished_instances();
  if (!unfinished)
    return unfinished.error();
  recovery_plan plan;
  std::set<std::string> recovering;
  std::map<std::string, std::string> expected;
  store_batch failures;
  for (auto& record : *unfinished) {
    auto fail = [&](const std::string& why) {
      logger->error("{} {} cannot be resumed: {}", record.id, record.workflow, why);
      record.status = "failed";
      record.message = "cannot be resumed after the master restarted: " + why;
      record.finished = now_ms();
      failures.emplace_back(instance_put{record});
    };
    auto version = db.workflow_version(record.workflow, record.version);
    if (!version)
      return version.error();
    if (!version->has_value()) {
      fail("version " + std::to_string(record.version) + " of workflow '" + record.workflow
           + "' is not in the store");
      continue;
    }
    auto parsed = parse_definition((*version)->xml, (*version)->file);
    if (!parsed.wf) {
      fail("version " + std::to_string(record.version) + " of workflow '" + record.workflow
           + "' no longer parses");
      continue;
    }
    auto wf = std::make_shared<const workflow>(std::move(*parsed.wf));
    auto zone = instance_zone(*wf, record.timezone, cfg.schedule.timezone);
    if (!zone) {
      fail(zone.error().message);
      continue;
    }
    instance_runner_config rc;
    rc.restore = record.status == "running";
    rc.scope.logical_time = record.logical_time;
    rc.scope.zone = *zone;
    rc.scope.keep_undefined = cfg.params.keep_undefined;
    rc.scope.params = record.params;
    rc.base_dir = std::filesystem::path((*version)->file).parent_path().string();
    if (rc.restore) {
      recovering.insert(record.id);
      for (const auto& n : record.nodes)
        if (n.kind == "action" && (n.status == "running" || n.status == "waiting")) {
          // A node of a master kind (dependent, sub-workflow) is no worker's:
          // it waits again here (a sub-workflow node for the child its
          // attempt names).
          if (const auto* kind = find_kind(n.action_type);
              kind != nullptr && kind->place == run_place::master)
            continue;
          std::string worker;
          for (const auto& a : n.attempts)
            if (a.number == n.attempt_count)
              worker = a.worker;
          expected.emplace(attempt_key(record.id, n.name, n.attempt_count), worker);
        }
    }
    rc.wf = std::move(wf);
    rc.record = std::move(record);
    plan.instances.push_back(std::move(rc));
  }
  if (!failures.empty())
    if (auto written = db.apply(failures); !written)
      return written.error();
  std::set<std::string> workers;
  for (const auto& w : cfg.cluster.workers)
    workers.insert(w.to_string());
  if (!plan.instances.empty())
    logger->info("resuming {} unfinished instances ({} running, {} attempts to find on the "
                 "workers)",
                 plan.instances.size(), recovering.size(), expected.size());
  plan.book = recovery_book(std::move(recovering), std::move(expected), std::move(workers));
  return plan;
}

} // namespace

expected<std::optional<master_actor>> spawn_master(caf::actor_system& sys, const config& cfg,
                                                   const host_port& address,
                                                   std::shared_ptr<const tls::authenticator> auth) {
  auto logger = log::get("master");
  auto started = now_ms();
  auto url = parse_store_url(cfg.store.url, cfg.home);
  if (!url)
    return url.error();
  auto writer_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!writer_db)
    return writer_db.error();
  if (auto migrated = (*writer_db)->migrate(); !migrated)
    return migrated.error();
  // Standby until this process holds the lease (at once when it is free).
  auto taken = await_lease(**writer_db, cfg, address);
  if (!taken)
    return taken.error();
  if (!*taken)
    return std::optional<master_actor>{};
  auto lease = std::move(**taken);
  // Every write of this master from now on checks that it still holds the
  // lease, in the same transaction (docs/OPERATIONS.md, "High availability").
  (*writer_db)->fence(address.to_string(), lease.lease.epoch);
  auto recovery = prepare_recovery(**writer_db, cfg);
  if (!recovery)
    return recovery.error();
  auto known = (*writer_db)->workflows();
  if (!known)
    return known.error();
  auto known_files = (*writer_db)->xml_files();
  if (!known_files)
    return known_files.error();
  auto coordinators = (*writer_db)->coordinator_states();
  if (!coordinators)
    return coordinators.error();
  std::map<std::string, coordinator_state_record> coordinator_states;
  std::map<std::string, std::set<timestamp>> fired;
  for (auto& c : *coordinators) {
    // Ticks from the stored next fire until now that fired already (their
    // fire record committed, the state not) never fire again.
    if (c.next_fire != 0 && c.next_fire <= now_ms()) {
      auto records = (*writer_db)->fire_records(c.workflow, c.next_fire, now_ms());
      if (!records)
        return records.error();
      for (const auto& r : *records)
        fired[c.workflow].insert(r.logical_time);
    }
    auto name = c.workflow;
    coordinator_states.emplace(std::move(name), std::move(c));
  }
  auto backfills = (*writer_db)->unfinished_backfills();
  if (!backfills)
    return backfills.error();
  auto last_id = (*writer_db)->last_instance_id();
  if (!last_id)
    return last_id.error();
  auto reader_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!reader_db)
    return reader_db.error();
  auto waiter_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!waiter_db)
    return waiter_db.error();
  auto lease_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!lease_db)
    return lease_db.error();
  // The pruner runs without retention too: it deletes instances on request
  // (DELETE /api/v1/instances/{id}).
  auto pruner_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!pruner_db)
    return pruner_db.error();
  std::shared_ptr<store> alert_db;
  if (cfg.alert.enabled) {
    auto channels = load_alert_channels(cfg.paths.alerts);
    for (const auto& d : channels.diagnostics)
      if (d.level == diagnostic::severity::error)
        return make_error(ec::invalid_config, d.to_string());
    for (const auto& name : cfg.alert.system_to)
      if (!channels.find(name))
        return make_error(ec::invalid_config, "alert.system_to: unknown alert channel '" + name
                                                + "' (not in " + cfg.paths.alerts + ")");
    auto opened = open_store(*url, cfg.store.busy_timeout_ms);
    if (!opened)
      return opened.error();
    (*opened)->fence(address.to_string(), lease.lease.epoch);
    alert_db = std::shared_ptr<store>(std::move(*opened));
  }
  // Loading may have taken a while: renew before anything acts on the lease.
  auto renewed_at = now_ms();
  auto kept = (*lease_db)->renew_lease(address.to_string(), lease.lease.epoch, renewed_at,
                                       cfg.master.lease_ttl_ms);
  if (!kept)
    return kept.error();
  if (!*kept)
    return make_error(ec::fenced, "the master lease (epoch " + std::to_string(lease.lease.epoch)
                                    + ") was taken by another master while loading the store");
  logger->info("store {} ready (schema version {})", url->redacted(),
               (*writer_db)->schema_version().has_value() ? *(*writer_db)->schema_version() : 0);
  master_config mc;
  mc.cluster_name = cfg.cluster.name;
  mc.address = address;
  mc.lease.me = address;
  mc.lease.settings = lease_settings_of(cfg);
  mc.lease.lease = lease.lease;
  mc.lease.sent = renewed_at;
  mc.lease.started = started;
  mc.lease.db = std::shared_ptr<store>(std::move(*lease_db));
  if (!lease.previous_holder.empty() && lease.previous_holder != address.to_string()) {
    mc.previous_master = lease.previous_holder;
    mc.takeover_ms = lease.waited_ms;
  }
  mc.workers = cfg.cluster.workers;
  mc.fence_dispatch = !cfg.cluster.standby.host.empty();
  mc.request_timeout = std::chrono::milliseconds(cfg.master.request_timeout_ms);
  mc.xmlconfig = cfg.paths.xmlconfig;
  mc.db_links = cfg.paths.db_links;
  mc.file_links = cfg.paths.file_links;
  mc.pools = cfg.pools;
  mc.default_timezone = cfg.schedule.timezone;
  mc.keep_undefined = cfg.params.keep_undefined;
  mc.max_sub_workflow_depth = cfg.master.max_sub_workflow_depth;
  mc.worker_timeout = std::chrono::milliseconds(cfg.master.worker_timeout_ms);
  mc.max_attachment_bytes = cfg.master.max_attachment_bytes;
  mc.kill_grace = std::chrono::seconds(cfg.worker.kill_grace_s);
  mc.rescan_interval = std::chrono::seconds(cfg.master.rescan_interval_s);
  mc.max_xml_bytes = cfg.master.max_xml_bytes;
  mc.drain_grace = std::chrono::seconds(cfg.master.drain_grace_s);
  mc.writer_db = std::shared_ptr<store>(std::move(*writer_db));
  mc.reader_db = std::shared_ptr<store>(std::move(*reader_db));
  mc.retention.db = std::move(*pruner_db);
  mc.retention.days = cfg.retention.days;
  mc.retention.xml_versions = cfg.retention.xml_versions;
  mc.retention.batch = cfg.retention.batch;
  mc.retention.interval = std::chrono::seconds(cfg.retention.interval_s);
  mc.retention.first = std::min<std::chrono::milliseconds>(mc.retention.first,
                                                           mc.retention.interval);
  mc.waiter_db = std::shared_ptr<store>(std::move(*waiter_db));
  mc.alerts = make_alerter_config(cfg);
  mc.alerts.db = std::move(alert_db);
  mc.known_workflows = std::move(*known);
  mc.known_files = std::move(*known_files);
  mc.last_instance_id = std::move(*last_id);
  mc.epoch = lease.lease.epoch;
  mc.max_pending_writes = static_cast<std::uint64_t>(cfg.store.max_pending_writes);
  mc.max_catchup = static_cast<std::size_t>(cfg.schedule.max_catchup);
  mc.flag_reset_cron = cfg.schedule.flag_reset_cron;
  mc.coordinator_states = std::move(coordinator_states);
  mc.fired = std::move(fired);
  mc.backfills = std::move(*backfills);
  mc.max_backfill_items = static_cast<std::size_t>(cfg.schedule.max_backfill_items);
  mc.recovered = std::move(recovery->instances);
  mc.recovery = std::move(recovery->book);
  // A worker that lost its master kills its tasks after its lease: by then
  // nothing unclaimed can still be running anywhere.
  mc.recovery_deadline = std::chrono::seconds(cfg.worker.lease_s) + std::chrono::seconds(2);
  auto previous = mc.previous_master;
  auto epoch = mc.epoch;
  master_gate_config gc;
  gc.auth = std::move(auth);
  gc.request_timeout = mc.request_timeout;
  mc.tls = cfg.tls.enabled;
  mc.tls_warning = tls_off_warning(cfg);
  mc.gate = sys.spawn(master_gate, std::move(gc));
  auto gate = mc.gate;
  auto handle = sys.spawn(master, std::move(mc));
  auto port = publish_at(sys, gate, address);
  if (!port) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    return port.error();
  }
  if (!previous.empty() && !cfg.master.failover_hook.empty()) {
    auto hook_log = (std::filesystem::path(cfg.paths.logs) / "failover-hook.log").string();
    auto ran = run_in_background(
      cfg.master.failover_hook,
      {"CAFFLOW_EPOCH=" + std::to_string(epoch), "CAFFLOW_MASTER=" + address.to_string(),
       "CAFFLOW_PREVIOUS_MASTER=" + previous, "CAFFLOW_CLUSTER=" + cfg.cluster.name},
      hook_log, [logger](exit_info how) {
        if (how.exit_code != 0)
          logger->warn("master.failover_hook ended with {}", how.describe());
        else
          logger->info("master.failover_hook ran");
      });
    if (!ran)
      logger->error("master.failover_hook cannot start: {}", ran.error().message);
  }
  return std::optional<master_actor>{handle};
}

} // namespace cafflow
