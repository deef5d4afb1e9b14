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
  st.waiter = self->spawn<caf::detached>(
    dependency_waiter, dependency_waiter_config{st.cfg.waiter_db, st.writer,
                                                caf::actor_cast<master_actor>(self),
                                                st.cfg.default_timezone});
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
  st.registry = self->spawn(registry, registry_config{st.cfg.known_workflows,
                                                      std::move(st.cfg.known_files), st.writer,
                                                      st.coordinator, st.backfiller});
  st.dispatcher = self->spawn(dispatcher,
                              dispatcher_config{st.cfg.epoch, st.cfg.worker_timeout,
                                                std::move(st.cfg.recovery),
                                                st.cfg.recovery_deadline, st.cfg.pools});
  xml_watcher_config wc{st.cfg.xmlconfig, st.cfg.db_links, st.cfg.rescan_interval, st.registry};
  wc.max_xml_bytes = st.cfg.max_xml_bytes;
  for (const auto& [pool, size] : st.cfg.pools)
    wc.pools.insert(pool);
  st.watcher = self->spawn(xml_watcher, std::move(wc));
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
  for (auto component : {caf::actor_cast<caf::actor>(st.writer),
                         caf::actor_cast<caf::actor>(st.reader),
                         caf::actor_cast<caf::actor>(st.waiter),
                         caf::actor_cast<caf::actor>(st.registry),
                         caf::actor_cast<caf::actor>(st.dispatcher),
                         caf::actor_cast<caf::actor>(st.watcher),
                         caf::actor_cast<caf::actor>(st.coordinator),
                         caf::actor_cast<caf::actor>(st.backfiller)})
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
                 st.backfiller.address(), st.keeper.address()};
    if (std::find(core.begin(), core.end(), down.source) == core.end())
      return; // a runner that already reported done
    // A core component failed: stop rather than run half a master.
    st.log->critical("a core component died ({}); stopping the master",
                     self->system().render(down.reason));
    shutdown(self, down.reason ? down.reason : caf::make_error(caf::exit_reason::unknown));
  });
  self->set_exit_handler([self](const caf::exit_msg& msg) { begin_drain(self, msg.reason); });
  if (!st.cfg.previous_master.empty())
    st.log->warn("FAILOVER: master of cluster '{}' at {} took over from {} (epoch {}, {} ms "
                 "after its lease ended)",
                 st.cfg.cluster_name, st.cfg.address.to_string(), st.cfg.previous_master,
                 st.cfg.epoch, st.cfg.takeover_ms);
  else
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
    [self](atom::drain) { check_drain(self); },
    [self](atom::lease, timestamp until, const std::string& taken_by) {
      lease_update(self, until, taken_by);
    },
    [self](atom::health, bool available, std::string& error, std::uint64_t pending) {
      store_health(self, available, error, pending);
    },
    [self](atom::kill, const std::string& id) { return kill_instance(self, id); },
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
