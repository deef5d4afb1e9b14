#include "master.hpp"

#include <limits>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "backfiller.hpp"
#include "coordinator.hpp"
#include "dependency_waiter.hpp"
#include "dispatcher.hpp"
#include "instance_runner.hpp"
#include "log.hpp"
#include "master_parts.hpp"
#include "registry.hpp"
#include "store_reader.hpp"
#include "store_writer.hpp"
#include "xml_watcher.hpp"

namespace cafflow {

using namespace master_detail;

master_actor::behavior_type master(master_actor::stateful_pointer<master_state> self,
                                   master_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("master");
  st.ids = id_generator{st.cfg.last_instance_id};
  st.started = now_ms();
  st.writer = self->spawn<caf::detached>(store_writer, st.cfg.writer_db,
                                         caf::actor_cast<master_actor>(self));
  st.reader = self->spawn<caf::detached>(store_reader, st.cfg.reader_db);
  if (st.cfg.alerts.db) {
    st.alerter = self->spawn<caf::detached>(alerter, st.cfg.alerts);
    st.cfg.alerts.db = nullptr;
  }
  st.waiter = self->spawn<caf::detached>(
    dependency_waiter, dependency_waiter_config{st.cfg.waiter_db, st.writer,
                                                caf::actor_cast<master_actor>(self),
                                                st.cfg.default_timezone, st.alerter});
  coordinator_config cc;
  cc.master = caf::actor_cast<master_actor>(self);
  cc.default_timezone = st.cfg.default_timezone;
  cc.keep_undefined = st.cfg.keep_undefined;
  cc.max_catchup = st.cfg.max_catchup;
  cc.flag_reset_cron = st.cfg.flag_reset_cron;
  cc.stored = std::move(st.cfg.coordinator_states);
  cc.fired = std::move(st.cfg.fired);
  st.coordinator = self->spawn(coordinator, std::move(cc));
  backfiller_config bc;
  bc.master = caf::actor_cast<master_actor>(self);
  bc.writer = st.writer;
  bc.reader = st.reader;
  bc.default_timezone = st.cfg.default_timezone;
  bc.max_items = st.cfg.max_backfill_items;
  bc.request_timeout = st.cfg.request_timeout;
  bc.resumed = std::move(st.cfg.backfills);
  st.backfiller = self->spawn(backfiller, std::move(bc));
  st.registry = self->spawn(registry, registry_config{std::move(st.cfg.known_workflows),
                                                      std::move(st.cfg.known_files), st.writer,
                                                      st.coordinator, st.backfiller});
  dispatcher_config dc;
  dc.epoch = st.cfg.epoch;
  dc.worker_timeout = st.cfg.worker_timeout;
  dc.recovery = std::move(st.cfg.recovery);
  dc.recovery_deadline = st.cfg.recovery_deadline;
  dc.pools = st.cfg.pools;
  dc.alerter = st.alerter;
  st.dispatcher = self->spawn(dispatcher, std::move(dc));
  xml_watcher_config wc;
  wc.directory = st.cfg.xmlconfig;
  wc.db_links = st.cfg.db_links;
  wc.file_links = st.cfg.file_links;
  wc.rescan_interval = st.cfg.rescan_interval;
  wc.registry = st.registry;
  wc.max_xml_bytes = st.cfg.max_xml_bytes;
  for (const auto& [pool, size] : st.cfg.pools)
    wc.pools.insert(pool);
  wc.alerts = st.cfg.alerts.channels_path;
  wc.alerter = st.alerter;
  // Detached: reading and parsing a large tree never holds up a scheduler
  // thread of the actors that answer requests and heartbeats.
  st.watcher = self->spawn<caf::detached>(xml_watcher, std::move(wc));
  if (st.cfg.lease.db) {
    auto lc = st.cfg.lease;
    lc.master = caf::actor_cast<master_actor>(self);
    st.cfg.lease.db = nullptr;
    st.act_until = lc.sent + lc.settings.ttl_ms - lc.settings.margin_ms;
    if (st.cfg.fence_dispatch)
      self->send(st.dispatcher, atom::lease::value, st.act_until);
    st.keeper = self->spawn<caf::detached>(lease_keeper, std::move(lc));
    self->monitor(st.keeper);
  } else {
    st.act_until = std::numeric_limits<timestamp>::max();
  }
  if (st.cfg.retention.db) {
    auto rc = st.cfg.retention;
    st.cfg.retention.db = nullptr;
    st.pruner = self->spawn<caf::detached>(pruner, std::move(rc));
  }
  for (auto component : {caf::actor_cast<caf::actor>(st.writer),
                         caf::actor_cast<caf::actor>(st.reader),
                         caf::actor_cast<caf::actor>(st.waiter),
                         caf::actor_cast<caf::actor>(st.registry),
                         caf::actor_cast<caf::actor>(st.dispatcher),
                         caf::actor_cast<caf::actor>(st.watcher),
                         caf::actor_cast<caf::actor>(st.coordinator),
                         caf::actor_cast<caf::actor>(st.backfiller),
                         caf::actor_cast<caf::actor>(st.alerter)})
    if (component)
      self->monitor(component);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    for (auto it = st.runners.begin(); it != st.runners.end(); ++it)
      if (it->second.address() == down.source) {
        // Runners report `done` before they quit; one still listed died.
        if (!st.stopping)
          st.log->error("{} runner died: {}", it->first, self->system().render(down.reason));
        if (auto bf = st.runner_backfill.find(it->first);
            bf != st.runner_backfill.end() && !st.stopping)
          backfill_instance_ended(self, bf->second, it->first, "failed");
        auto id = it->first;
        instance_ended(self, id);
        if (!st.stopping)
          child_ended(self, id, "failed");
        return;
      }
    if (st.stopping)
      return;
    if (is_fenced(down.reason)) {
      // The store refused a write: another master holds the lease.
      demote(self, self->system().render(down.reason));
      return;
    }
    auto core = {st.writer.address(), st.reader.address(), st.waiter.address(),
                 st.registry.address(),
                 st.dispatcher.address(), st.watcher.address(), st.coordinator.address(),
                 st.backfiller.address(), st.keeper.address(), st.alerter.address()};
    if (std::find(core.begin(), core.end(), down.source) == core.end())
      return; // a runner that already reported done
    // A core component failed: stop rather than run half a master.
    st.log->critical("a core component died ({}); stopping the master",
                     self->system().render(down.reason));
    shutdown(self, down.reason ? down.reason : caf::make_error(caf::exit_reason::unknown));
  });
  self->set_exit_handler([self](const caf::exit_msg& msg) { begin_drain(self, msg.reason); });
  if (!st.cfg.previous_master.empty()) {
    st.log->warn("FAILOVER: master of cluster '{}' at {} took over from {} (epoch {}, {} ms "
                 "after its lease ended)",
                 st.cfg.cluster_name, st.cfg.address.to_string(), st.cfg.previous_master,
                 st.cfg.epoch, st.cfg.takeover_ms);
    if (st.alerter) {
      alert_event e;
      e.key = "failover:" + std::to_string(st.cfg.epoch);
      e.kind = "failover";
      e.severity = "critical";
      e.title = "failover: " + st.cfg.address.to_string() + " took over cluster '"
                + st.cfg.cluster_name + "' from " + st.cfg.previous_master;
      e.message = "epoch " + std::to_string(st.cfg.epoch) + ", "
                  + std::to_string(st.cfg.takeover_ms) + " ms after the previous lease ended";
      self->send(st.alerter, atom::alert::value, std::move(e));
    }
  } else
    st.log->info("master of cluster '{}' up at {} (epoch {})", st.cfg.cluster_name,
                 st.cfg.address.to_string(), st.cfg.epoch);
  // The gate serves other processes from now on.
  self->send(st.cfg.gate, atom::start::value, local_only{}, caf::actor_cast<master_actor>(self),
             st.dispatcher);
  // What the previous master left: running instances resume first, then the
  // queued ones start in order, within their instance-limit.
  auto recovered = std::move(st.cfg.recovered);
  std::stable_partition(recovered.begin(), recovered.end(),
                        [](const instance_runner_config& rc) { return rc.restore; });
  for (auto& rc : recovered) {
    fill_handles(self, rc);
    if (rc.restore)
      start_instance(self, std::move(rc));
    else
      admit(self, std::move(rc));
  }
  return {
    [self](atom::health) { return health_of(self); },
    [self](atom::metrics) { return metrics_of(self); },
    [self](atom::workflows) {
      return self->delegate(self->state.registry, atom::workflows::value);
    },
    [self](atom::workflows, bool all) {
      return self->delegate(self->state.registry, atom::workflows::value, all);
    },
    [self](atom::workflows, workflow_filter& filter, std::uint64_t offset, std::uint64_t limit) {
      return self->delegate(self->state.registry, atom::workflows::value, std::move(filter),
                            offset, limit);
    },
    [self](atom::files) { return self->delegate(self->state.registry, atom::files::value); },
    [self](atom::instances, instance_filter& filter) {
      return self->delegate(self->state.reader, atom::instances::value, std::move(filter));
    },
    [self](atom::executions, std::string& id) {
      return self->delegate(self->state.reader, atom::executions::value, std::move(id));
    },
    [self](atom::instance, std::string& id) {
      return self->delegate(self->state.reader, atom::instance::value, std::move(id));
    },
    [self](atom::put, store_batch& writes) {
      auto& st = self->state;
      if (!st.parked.empty()) {
        st.parked.emplace_back(std::move(writes));
        return;
      }
      self->send(st.writer, atom::put::value, std::move(writes));
    },
    [self](atom::coordinate, std::string& name, std::string& action) {
      return self->delegate(self->state.coordinator, atom::coordinate::value, std::move(name),
                            std::move(action));
    },
    [self](atom::run, start_request& req) { return start_run(self, req); },
    [self](atom::fire, fire_request& req) { return fire(self, req); },
    [self](atom::launch, backfill_item_record& item, param_map& params) {
      return launch_backfill_item(self, item, params);
    },
    [self](atom::backfill, backfill_request& req) {
      return self->delegate(self->state.backfiller, atom::backfill::value, std::move(req));
    },
    [self](atom::backfills, std::string& state, int limit) {
      return self->delegate(self->state.reader, atom::backfills::value, std::move(state), limit);
    },
    [self](atom::backfill, std::string& id) {
      return self->delegate(self->state.reader, atom::backfill::value, std::move(id));
    },
    [self](atom::cancel, std::string& id) {
      return self->delegate(self->state.backfiller, atom::cancel::value, std::move(id));
    },
    [self](atom::rerun, const std::string& id, rerun_request& req) {
      return rerun_instance(self, id, req);
    },
    [self](atom::mark, const std::string& id, mark_request& req) {
      return mark_node(self, id, req);
    },
    [self](atom::workflow, const std::string& name) { return workflow_detail_of(self, name); },
    [self](atom::done, const std::string& id, const std::string& status) {
      instance_done(self, id, status);
    },
    [self](atom::alert, alert_event& e) {
      // A failure on its default route: the owners of the workflows
      // downstream hear of it too (the registry knows them).
      auto& st = self->state;
      if (!st.alerter)
        return;
      auto workflow = e.workflow;
      self->request(st.registry, st.cfg.request_timeout, atom::downstream::value, workflow)
        .then(
          [self, e = std::move(e)](std::vector<std::string>& channels) mutable {
            if (!channels.empty() && self->state.alerter)
              self->send(self->state.alerter, atom::alert::value, std::move(e),
                         std::move(channels));
          },
          [self, workflow](caf::error& err) {
            self->state.log->warn("the workflows downstream of {} are not told of its failure: {}",
                                  workflow, self->system().render(err));
          });
    },
    [self](atom::drain) { check_drain(self); },
    [self](atom::lease, timestamp until, const std::string& taken_by) {
      lease_update(self, until, taken_by);
    },
    [self](atom::workflow, std::string& name, int version) {
      return self->delegate(self->state.reader, atom::workflow::value, std::move(name), version);
    },
    [self](atom::watch, std::string& id, std::uint64_t after,
           std::int64_t wait_ms) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (st.changes.changed_since(id, after))
        return st.changes.seq();
      // The gate's request to this master times out at request_timeout:
      // answer well before.
      auto limit = std::max<std::int64_t>(100, st.cfg.request_timeout.count() / 2);
      auto wait = std::chrono::milliseconds(std::clamp<std::int64_t>(wait_ms, 0, limit));
      auto number = st.next_watcher++;
      auto rp = self->make_response_promise<std::uint64_t>();
      st.watchers.emplace(number, master_state::instance_watch{id, after, rp});
      st.watchers_by_instance.emplace(id, number);
      self->delayed_send(self, wait, atom::watch::value, number);
      return rp;
    },
    [self](atom::watch, std::uint64_t number) {
      auto& st = self->state;
      auto it = st.watchers.find(number);
      if (it == st.watchers.end())
        return;
      auto range = st.watchers_by_instance.equal_range(it->second.instance);
      for (auto w = range.first; w != range.second; ++w)
        if (w->second == number) {
          st.watchers_by_instance.erase(w);
          break;
        }
      // No change: the number it holds.
      it->second.rp.deliver(it->second.after);
      st.watchers.erase(it);
    },
    [self](atom::changed, std::vector<std::string>& ids) {
      auto& st = self->state;
      auto seq = st.changes.record(ids);
      for (const auto& id : ids) {
        auto range = st.watchers_by_instance.equal_range(id);
        for (auto w = range.first; w != range.second; ++w) {
          auto it = st.watchers.find(w->second);
          if (it != st.watchers.end()) {
            it->second.rp.deliver(seq);
            st.watchers.erase(it);
          }
        }
        st.watchers_by_instance.erase(range.first, range.second);
      }
    },
    [self](atom::health, bool available, std::string& error, std::uint64_t pending) {
      store_health(self, available, error, pending);
    },
    [self](atom::kill, const std::string& id) { return kill_instance(self, id); },
    [self](atom::fire, std::string& name) -> caf::result<std::string> {
      auto& st = self->state;
      if (auto why = refusal(self))
        return why;
      auto rp = self->make_response_promise<std::string>();
      self->request(st.coordinator, st.cfg.request_timeout, atom::fire::value, std::move(name))
        .then([rp](std::string& ids) mutable { rp.deliver(std::move(ids)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](atom::erase, std::string& id) -> caf::result<atom::ok> {
      auto& st = self->state;
      if (st.runners.count(id) > 0 || st.gated.count(id) > 0)
        return make_caf_error(ec::conflict, "instance " + id + " is "
                                              + (st.runners.count(id) > 0 ? "running" : "queued")
                                              + ": kill it or wait for its end before deleting "
                                                "it");
      if (!st.pruner)
        return make_caf_error(ec::unspecified, "deleting instances is not available here");
      auto rp = self->make_response_promise<atom::ok>();
      self->request(st.pruner, st.cfg.request_timeout, atom::erase::value, std::move(id))
        .then([rp](atom::ok ok) mutable { rp.deliver(ok); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](atom::shutdown) -> caf::result<atom::ok> {
      auto& st = self->state;
      st.log->warn("stopping the cluster on request (akkaflow's "
                   "/akkaflow/cluster?action=shutdown): the workers, then this master");
      // Answer first: stopping ends the gate that passes the answer on.
      auto rp = self->make_response_promise<atom::ok>();
      rp.deliver(atom::ok::value);
      // The workers are told before the master's drain can end the
      // dispatcher (with a drain grace of 0 it ends at once).
      auto drain = [self] { begin_drain(self, caf::exit_reason::user_shutdown); };
      self->request(st.dispatcher, st.cfg.request_timeout, atom::shutdown::value)
        .then([drain](atom::ok) { drain(); },
              [self, drain](caf::error& err) {
                self->state.log->error("the dispatcher did not tell the workers to stop: {}",
                                       self->system().render(err));
                drain();
              });
      return rp;
    },
    [self](atom::wait, const std::string& id, const std::string& state,
           const std::string& message) { on_dependency_verdict(self, id, state, message); },
    [self](atom::child, child_request& req, instance_runner_actor& runner) {
      child_call(self, req, runner);
    },
    [self](atom::child, atom::kill, const std::string& parent_id, const std::string& node,
           int attempt, const std::string& reason) {
      child_cancel(self, parent_id, node, attempt, reason);
    },
    [self](atom::dependency, const std::string& id) { return instance_dependencies(self, id); },
    [self](atom::dependency, const std::string& name, timestamp logical_time) {
      return workflow_dependencies(self, name, logical_time);
    },
    [self](atom::log, const std::string& id, const std::string& node, int attempt,
           std::int64_t offset) { return node_log(self, id, node, attempt, offset); },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"cluster", st.cfg.cluster_name},
              {"address", st.cfg.address.to_string()},
              {"epoch", std::to_string(st.cfg.epoch)},
              {"running_instances", std::to_string(st.runners.size())},
              {"draining", st.draining ? "true" : "false"},
              {"stopping", st.stopping ? "true" : "false"}};
    },
  };
}

} // namespace cafflow
