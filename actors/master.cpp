#include "master.hpp"

#include <algorithm>
#include <limits>
#include <filesystem>
#include <set>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "coordinator.hpp"
#include "election.hpp"
#include "exec/process.hpp"
#include "dispatcher.hpp"
#include "engine/dag.hpp"
#include "engine/params.hpp"
#include "instance_runner.hpp"
#include "master_gate.hpp"
#include "security/node_tls.hpp"
#include "log.hpp"
#include "model/workflow.hpp"
#include "registry.hpp"
#include "schedule/coordinator.hpp"
#include "store/store_url.hpp"
#include "store_reader.hpp"
#include "store_writer.hpp"
#include "system.hpp"
#include "util/strings.hpp"
#include "xml_watcher.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace {

using self_ptr = master_actor::stateful_pointer<master_state>;

/// Stops every component in order: intake, instances, dispatch, registry,
/// then the store writer once it has committed everything.
void shutdown(self_ptr self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  st.log->info("shutting down ({} instances still running)", st.runners.size());
  self->send_exit(st.cfg.gate, caf::exit_reason::user_shutdown);
  if (st.pruner)
    self->send_exit(st.pruner, caf::exit_reason::user_shutdown);
  self->send_exit(st.watcher, caf::exit_reason::user_shutdown);
  self->send_exit(st.coordinator, caf::exit_reason::user_shutdown);
  for (auto& [id, runner] : st.runners)
    self->send_exit(runner, caf::exit_reason::user_shutdown);
  self->send_exit(st.dispatcher, caf::exit_reason::user_shutdown);
  self->send_exit(st.registry, caf::exit_reason::user_shutdown);
  auto finish = [self, reason]() mutable {
    auto& st = self->state;
    self->send_exit(st.writer, caf::exit_reason::user_shutdown);
    self->send_exit(st.reader, caf::exit_reason::user_shutdown);
    if (!st.keeper) {
      self->quit(reason);
      return;
    }
    // Everything is written: give the lease up, so a standby takes over at
    // once instead of when it expires.
    auto quit = [self, reason]() mutable {
      self->send_exit(self->state.keeper, caf::exit_reason::user_shutdown);
      self->quit(reason);
    };
    self->request(st.keeper, st.cfg.request_timeout, atom::done::value)
      .then([quit](atom::ok) mutable { quit(); }, [quit](caf::error&) mutable { quit(); });
  };
  self->request(st.writer, st.cfg.request_timeout, atom::flush::value)
    .then([finish](atom::ok) mutable { finish(); },
          [self, finish](caf::error& err) mutable {
            self->state.log->error("final store flush failed: {}", self->system().render(err));
            finish();
          });
}

/// Whether no attempt runs any more; shuts down when so or when the drain
/// grace is over, else looks again shortly.
void check_drain(self_ptr self) {
  auto& st = self->state;
  if (st.stopping)
    return;
  self->request(st.dispatcher, st.cfg.request_timeout, atom::status::value)
    .then(
      [self](status_map& d) {
        auto& st = self->state;
        auto busy = d["busy_slots"];
        if (busy == "0") {
          st.log->info("drained: no attempt runs");
          shutdown(self, st.drain_reason);
        } else if (now_ms() >= st.drain_until) {
          st.log->warn("the drain grace of {} s is over with {} attempts running: their "
                       "workers keep them for the next master",
                       st.cfg.drain_grace.count(), busy);
          shutdown(self, st.drain_reason);
        } else {
          self->delayed_send(self, std::chrono::milliseconds(200), atom::drain::value);
        }
      },
      [self](caf::error& err) {
        self->state.log->error("drain: the dispatcher does not answer ({}); shutting down",
                               self->system().render(err));
        shutdown(self, self->state.drain_reason);
      });
}

/// A stop request: nothing new fires, is dispatched or starts (new instances
/// stay queued in the store for the next master); running attempts may
/// finish within the drain grace, then the master shuts down. A second
/// request shuts down at once.
void begin_drain(self_ptr self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  if (st.draining || st.cfg.drain_grace.count() == 0) {
    shutdown(self, std::move(reason));
    return;
  }
  st.draining = true;
  st.drain_reason = std::move(reason);
  st.drain_until = now_ms() + std::chrono::milliseconds(st.cfg.drain_grace).count();
  st.log->info("stopping: no new fires, dispatches or instances; running attempts may finish "
               "within {} s",
               st.cfg.drain_grace.count());
  self->send(st.coordinator, atom::drain::value);
  self->send(st.dispatcher, atom::drain::value);
  check_drain(self);
}

/// The lease went to another master (`why`): this one stops at once, without
/// draining or writing anything (its writes would be refused); the process
/// starts again as a standby (cafflowd). Its workers keep what runs for the
/// new master.
void demote(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.demoted)
    return;
  st.demoted = true;
  st.stopping = true;
  st.log->error("this master (epoch {}) is no longer the active master: {}; it stops firing and "
                "dispatching and restarts as a standby",
                st.cfg.epoch, why);
  self->send(st.dispatcher, atom::drain::value);
  self->send(st.dispatcher, atom::lease::value, timestamp{0});
  for (auto component : {caf::actor_cast<caf::actor>(st.cfg.gate),
                         caf::actor_cast<caf::actor>(st.watcher),
                         caf::actor_cast<caf::actor>(st.coordinator),
                         caf::actor_cast<caf::actor>(st.dispatcher),
                         caf::actor_cast<caf::actor>(st.registry),
                         caf::actor_cast<caf::actor>(st.keeper),
                         caf::actor_cast<caf::actor>(st.pruner),
                         caf::actor_cast<caf::actor>(st.writer),
                         caf::actor_cast<caf::actor>(st.reader)})
    if (component)
      self->send_exit(component, caf::exit_reason::kill);
  for (auto& [id, runner] : st.runners)
    self->send_exit(runner, caf::exit_reason::kill);
  self->quit(make_caf_error(ec::fenced, why));
}

/// Starts an instance whose workflow is below its instance-limit.
void start_instance(self_ptr self, instance_runner_config cfg) {
  auto& st = self->state;
  auto id = cfg.record.id;
  auto workflow = cfg.record.workflow;
  auto origin = cfg.record.origin.empty() ? cfg.record.trigger : cfg.record.origin;
  auto runner = self->spawn(instance_runner, std::move(cfg));
  self->monitor(runner);
  st.runners.emplace(id, runner);
  st.runner_workflow.emplace(id, workflow);
  st.runner_origin.emplace(id, std::move(origin));
  ++st.running_per_workflow[workflow];
  self->send(runner, atom::start::value);
}

/// The settings and actors every instance runner gets from the master.
void fill_handles(self_ptr self, instance_runner_config& rc) {
  auto& st = self->state;
  rc.max_attachment_bytes = st.cfg.max_attachment_bytes;
  rc.drain_timeout = st.cfg.kill_grace + std::chrono::seconds(5);
  rc.dispatcher = st.dispatcher;
  rc.store = st.writer;
  rc.master = caf::actor_cast<master_actor>(self);
}

/// Starts a new instance, or queues it while its workflow is at its
/// instance-limit.
void admit(self_ptr self, instance_runner_config rc) {
  auto& st = self->state;
  if (st.draining) {
    st.log->info("{} {} stays queued for the next master (this one is stopping)", rc.record.id,
                 rc.record.workflow);
    return;
  }
  auto& running = st.running_per_workflow[rc.record.workflow];
  auto limit = rc.wf->instance_limit;
  if (running < limit) {
    start_instance(self, std::move(rc));
    return;
  }
  st.log->info("{} {} waits: {} of its instance-limit {} are running", rc.record.id,
               rc.record.workflow, running, limit);
  st.waiting[rc.record.workflow].push_back(std::move(rc));
}

/// An instance ended (or its runner died): the next waiting one may start.
void instance_ended(self_ptr self, const std::string& id) {
  auto& st = self->state;
  st.runners.erase(id);
  st.runner_origin.erase(id);
  auto it = st.runner_workflow.find(id);
  if (it == st.runner_workflow.end())
    return;
  auto workflow = it->second;
  st.runner_workflow.erase(it);
  --st.running_per_workflow[workflow];
  auto& queue = st.waiting[workflow];
  if (!queue.empty() && !st.stopping && !st.draining) {
    auto next = std::move(queue.front());
    queue.pop_front();
    st.log->info("{} {} starts: a slot of its instance-limit is free", next.record.id, workflow);
    start_instance(self, std::move(next));
  }
}

/// Reads an instance from the store and gives it to `f`, or the error to `rp`.
template <class Promise, class F>
void with_instance(self_ptr self, const std::string& id, Promise rp, F f) {
  self->request(self->state.reader, self->state.cfg.request_timeout, atom::instance::value, id)
    .then([f](instance_record& r) mutable { f(r); },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// Why no new instance may start now (shutdown, store unavailable or too
/// far behind), or none.
caf::error refusal(self_ptr self) {
  auto& st = self->state;
  if (st.stopping || st.draining)
    return make_caf_error(ec::master_unreachable, "the master is shutting down");
  // A run is durable before it is acknowledged: without a store, refuse it.
  if (!st.store_available)
    return make_caf_error(ec::store_error, "the store is unavailable (" + st.store_error
                                             + "); runs are refused until it is back");
  if (st.paused)
    return make_caf_error(ec::store_error,
                          std::to_string(st.pending_writes)
                            + " writes wait for the store; runs are refused until they are "
                              "committed");
  return {};
}

/// A new instance of `def` (not yet stored): its record with the params of
/// its param-list at `logical_time` and `caller`'s on top, and its runner's
/// config.
expected<instance_runner_config> new_instance(self_ptr self, const catalog::entry& def,
                                              const std::string& trigger,
                                              timestamp logical_time, const param_map& caller) {
  auto& st = self->state;
  const auto& wf = def.wf;
  auto zone = workflow_zone(*wf, st.cfg.default_timezone);
  if (!zone)
    return zone.error();
  param_scope scope;
  scope.logical_time = logical_time;
  scope.zone = *zone;
  scope.keep_undefined = st.cfg.keep_undefined;
  auto resolved = resolve_params(*wf, caller, scope);
  if (!resolved)
    return resolved.error();
  scope.params = *resolved;
  auto now = now_ms();
  instance_runner_config rc;
  auto& record = rc.record;
  record.id = st.ids.next(now);
  record.workflow = def.record.name;
  record.version = def.record.version;
  record.status = "queued";
  record.trigger = trigger;
  record.origin = trigger;
  record.params = std::move(*resolved);
  record.logical_time = logical_time;
  record.priority = wf->priority;
  record.created = now;
  rc.wf = wf;
  rc.scope = std::move(scope);
  rc.base_dir = std::filesystem::path(def.record.file).parent_path().string();
  return rc;
}

/// The rows of a new instance: it and all its nodes.
void add_rows(const instance_runner_config& rc, store_batch& batch) {
  batch.emplace_back(instance_put{rc.record});
  for (std::size_t i = 0; i < rc.wf->nodes.size(); ++i)
    batch.emplace_back(node_put{rc.record.id, static_cast<int>(i),
                                make_node_record(*rc.wf, i, node_state{})});
}

/// Creates an instance of `def`, durable before `then` hears its id; starts
/// it (within its instance-limit).
template <class Then, class Fail>
void create(self_ptr self, const catalog::entry& def, const std::string& trigger,
            timestamp logical_time, const param_map& params, const std::string& parent_id,
            Then then, Fail fail, timestamp deadline = 0) {
  auto late = [deadline] { return deadline != 0 && now_ms() > deadline; };
  auto too_late = [] {
    return make_caf_error(ec::timeout, "the run was not started: its request timed out before "
                                       "the instance was stored");
  };
  if (late()) {
    self->state.log->debug("a run of {} arrives {} ms after its deadline", def.record.name,
                           now_ms() - deadline);
    fail(too_late());
    return;
  }
  auto rc = new_instance(self, def, trigger, logical_time, params);
  if (!rc) {
    fail(to_caf(rc.error()));
    return;
  }
  rc->record.parent_id = parent_id;
  store_batch batch;
  add_rows(*rc, batch);
  // No timeout: should the store fail now, the instance starts once its rows
  // are committed, never without them.
  self->request(self->state.writer, caf::infinite, atom::commit::value, std::move(batch))
    .then(
      [self, rc = std::move(*rc), then, fail, late, too_late](atom::ok) mutable {
        auto id = rc.record.id;
        if (late()) {
          // Its requester was told it failed: it must not run.
          auto& st = self->state;
          st.log->warn("{} {} not started: its request timed out while it was stored", id,
                       rc.record.workflow);
          rc.record.status = "killed";
          rc.record.finished = now_ms();
          rc.record.message = "not started: the request that created it timed out before the "
                              "instance was stored (its requester was told it failed)";
          ++st.instances_ended["killed"];
          self->send(st.writer, atom::put::value, store_batch{instance_put{std::move(rc.record)}});
          fail(too_late());
          return;
        }
        fill_handles(self, rc);
        admit(self, std::move(rc));
        then(id);
      },
      [fail](caf::error& err) mutable { fail(err); });
}

/// The next workflows of a lineage run after one of its instances ended.
void lineage_step(self_ptr self, const std::string& id, const std::string& workflow,
                  const std::string& status) {
  auto& st = self->state;
  auto of = st.lineage_of.find(id);
  if (of == st.lineage_of.end())
    return;
  auto root = of->second;
  st.lineage_of.erase(of);
  auto run = st.lineages.find(root);
  if (run == st.lineages.end())
    return;
  auto next = run->second.plan.finished(workflow, status == "succeeded");
  auto logical_time = run->second.logical_time;
  for (const auto& name : next) {
    self->request(st.registry, st.cfg.request_timeout, atom::get::value, name)
      .then(
        [self, root, logical_time](workflow_ptr wf, workflow_record& def) {
          auto name = def.name;
          create(
            self, catalog::entry{std::move(wf), std::move(def)}, "lineage", logical_time, {},
            root,
            [self, root](const std::string& child) {
              self->state.lineage_of[child] = root;
              self->state.log->info("lineage of {}: {} started", root, child);
            },
            [self, root, name](const caf::error& err) {
              auto& st = self->state;
              st.log->error("lineage of {}: {} cannot start: {}", root, name,
                            self->system().render(err));
              if (auto run = st.lineages.find(root); run != st.lineages.end())
                run->second.plan.finished(name, false);
            });
        },
        [self, root, name](caf::error& err) {
          auto& st = self->state;
          st.log->error("lineage of {}: {} cannot start: {}", root, name,
                        self->system().render(err));
          if (auto run = st.lineages.find(root); run != st.lineages.end())
            run->second.plan.finished(name, false);
        });
    // Counted as running until it starts or cannot.
  }
  if (run->second.plan.done()) {
    const auto& abandoned = run->second.plan.abandoned();
    if (abandoned.empty())
      st.log->info("lineage of {} ended", root);
    else
      st.log->warn("lineage of {} ended; not run because an upstream failed: {}", root,
                   join(std::vector<std::string>(abandoned.begin(), abandoned.end()), ", "));
    st.lineages.erase(run);
  }
}

/// Whether a fire of `def` starts, queues or is skipped (its overlap).
fire_admission admission(self_ptr self, const catalog::entry& def) {
  auto& st = self->state;
  auto running = st.running_per_workflow[def.record.name];
  auto waiting = st.waiting.count(def.record.name) > 0 ? st.waiting[def.record.name].size() : 0;
  const auto& spec = def.wf->coordinator;
  return admit_fire(spec ? spec->overlap : "queue", def.wf->instance_limit,
                    running + static_cast<int>(waiting));
}

/// Carries out a coordinator's fire: the instances it starts and its state
/// go to the writer together (store::fire), in order with the coordinator's
/// other writes; answers the instances started ("" when none).
void fire_now(self_ptr self, fire_request req, caf::typed_response_promise<std::string> rp) {
  auto& st = self->state;
  std::vector<instance_runner_config> starts;
  store_batch batch;
  std::vector<std::string> ids;
  for (const auto& target : req.targets) {
    if (admission(self, target) == fire_admission::skip) {
      st.log->info("{} at {} skipped: its instance-limit {} is reached (overlap skip)",
                   target.record.name, to_iso8601(req.logical_time),
                   target.wf->instance_limit);
      continue;
    }
    auto rc = new_instance(self, target, req.trigger, req.logical_time, req.params);
    if (!rc) {
      st.log->error("{} at {} cannot start: {}", target.record.name,
                    to_iso8601(req.logical_time), rc.error().message);
      continue;
    }
    add_rows(*rc, batch);
    ids.push_back(rc->record.id);
    starts.push_back(std::move(*rc));
  }
  if (starts.empty()) {
    self->send(st.writer, atom::put::value, std::move(req.writes));
    rp.deliver(std::string{});
    return;
  }
  std::move(req.writes.begin(), req.writes.end(), std::back_inserter(batch));
  auto joined = join(ids, ",");
  fire_record record{req.coordinator, req.logical_time, joined, now_ms()};
  self->request(st.writer, caf::infinite, atom::fire::value, std::move(record), std::move(batch))
    .then(
      [self, rp, starts = std::move(starts), req, joined](fire_outcome& outcome) mutable {
        auto& st = self->state;
        if (!outcome.fired) {
          st.log->warn("{} at {} fired before (instance {}): not again", req.coordinator,
                       to_iso8601(req.logical_time), outcome.instance_id);
          // Its state still moves on.
          store_batch state;
          for (auto& w : req.writes)
            if (std::holds_alternative<coordinator_put>(w))
              state.push_back(std::move(w));
          self->send(st.writer, atom::put::value, std::move(state));
          rp.deliver(std::string{});
          return;
        }
        for (auto& rc : starts) {
          fill_handles(self, rc);
          admit(self, std::move(rc));
        }
        rp.deliver(joined);
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// Whether the lease lets this master fire and dispatch no more (until a
/// renewal gets through).
bool lease_lapsed(self_ptr self) {
  auto& st = self->state;
  return st.cfg.fence_dispatch && now_ms() >= st.act_until;
}

/// A renewal got through: the fires and writes that waited go on, in order.
void release_parked(self_ptr self) {
  auto& st = self->state;
  if (st.parked.empty() || lease_lapsed(self))
    return;
  st.log->info("the master lease is renewed again: {} waiting fires and writes go on",
               st.parked.size());
  while (!st.parked.empty() && !lease_lapsed(self)) {
    auto next = std::move(st.parked.front());
    st.parked.pop_front();
    if (auto* fire = std::get_if<master_state::parked_fire>(&next))
      fire_now(self, std::move(fire->req), std::move(fire->rp));
    else
      self->send(st.writer, atom::put::value, std::move(std::get<store_batch>(next)));
  }
}

} // namespace

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
  coordinator_config cc;
  cc.master = caf::actor_cast<master_actor>(self);
  cc.default_timezone = st.cfg.default_timezone;
  cc.keep_undefined = st.cfg.keep_undefined;
  cc.max_catchup = st.cfg.max_catchup;
  cc.flag_reset_cron = st.cfg.flag_reset_cron;
  cc.stored = std::move(st.cfg.coordinator_states);
  cc.fired = std::move(st.cfg.fired);
  st.coordinator = self->spawn(coordinator, std::move(cc));
  st.registry = self->spawn(registry, registry_config{st.cfg.known_workflows,
                                                      std::move(st.cfg.known_files), st.writer,
                                                      st.coordinator});
  st.dispatcher = self->spawn(dispatcher,
                              dispatcher_config{st.cfg.epoch, st.cfg.worker_timeout,
                                                std::move(st.cfg.recovery),
                                                st.cfg.recovery_deadline});
  xml_watcher_config wc{st.cfg.xmlconfig, st.cfg.db_links, st.cfg.rescan_interval, st.registry};
  wc.max_xml_bytes = st.cfg.max_xml_bytes;
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
  if (st.cfg.retention.db) {
    auto rc = st.cfg.retention;
    st.cfg.retention.db = nullptr;
    st.pruner = self->spawn<caf::detached>(pruner, std::move(rc));
  }
  for (auto component : {caf::actor_cast<caf::actor>(st.writer),
                         caf::actor_cast<caf::actor>(st.reader),
                         caf::actor_cast<caf::actor>(st.registry),
                         caf::actor_cast<caf::actor>(st.dispatcher),
                         caf::actor_cast<caf::actor>(st.watcher),
                         caf::actor_cast<caf::actor>(st.coordinator)})
    self->monitor(component);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    for (auto it = st.runners.begin(); it != st.runners.end(); ++it)
      if (it->second.address() == down.source) {
        // Runners report `done` before they quit; one still listed died.
        if (!st.stopping)
          st.log->error("{} runner died: {}", it->first, self->system().render(down.reason));
        instance_ended(self, it->first);
        return;
      }
    if (st.stopping)
      return;
    if (is_fenced(down.reason)) {
      // The store refused a write: another master holds the lease.
      demote(self, self->system().render(down.reason));
      return;
    }
    auto core = {st.writer.address(), st.reader.address(), st.registry.address(),
                 st.dispatcher.address(), st.watcher.address(), st.coordinator.address(),
                 st.keeper.address()};
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
    [self](atom::health) -> caf::result<health_record> {
      auto& st = self->state;
      auto rp = self->make_response_promise<health_record>();
      self->request(st.dispatcher, st.cfg.request_timeout, atom::workers::value)
        .then(
          [self, rp](std::vector<worker_record>& workers) mutable {
            auto& st = self->state;
            self->request(st.registry, st.cfg.request_timeout, atom::status::value)
              .then(
                [self, rp, workers](status_map& registry) mutable {
                  auto& st = self->state;
                  health_record h;
                  h.cluster = st.cfg.cluster_name;
                  h.master = st.cfg.address.to_string();
                  h.epoch = st.cfg.epoch;
                  h.started = st.started;
                  h.workers = std::move(workers);
                  h.workflows = std::stoi(registry["workflows"]);
                  h.running_instances = static_cast<int>(st.runners.size());
                  for (const auto& [name, queue] : st.waiting)
                    h.queued_instances += static_cast<int>(queue.size());
                  h.master_pid = static_cast<int>(::getpid());
                  h.store_available = st.store_available;
                  h.store_error = st.store_error;
                  h.pending_writes = st.pending_writes;
                  h.paused = st.paused;
                  h.tls = st.cfg.tls;
                  if (!st.cfg.tls)
                    h.warnings.push_back(st.cfg.tls_warning);
                  for (const auto& w : h.workers)
                    h.running_attempts += w.running;
                  self->request(st.dispatcher, st.cfg.request_timeout, atom::status::value)
                    .then(
                      [self, rp, h](status_map& d) mutable {
                        h.queued_attempts = std::stoi(d["queued"]);
                        h.recovering = d["recovering"] == "true";
                        auto& st = self->state;
                        // Briefly: a writer stuck on an unreachable database
                        // must not make health slow.
                        self->request(st.writer, std::chrono::milliseconds(500),
                                      atom::status::value)
                          .then(
                            [rp, h](status_map& w) mutable {
                              h.commits = std::stoull(w["commits"]);
                              h.writes = std::stoull(w["writes"]);
                              rp.deliver(std::move(h));
                            },
                            [rp, h](caf::error&) mutable {
                              rp.deliver(std::move(h)); // busy committing: counts unknown
                            });
                      },
                      [rp](caf::error& err) mutable { rp.deliver(err); });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [self](atom::metrics) -> caf::result<metrics_snapshot> {
      auto& st = self->state;
      auto rp = self->make_response_promise<metrics_snapshot>();
      self->request(st.dispatcher, st.cfg.request_timeout, atom::metrics::value)
        .then(
          [self, rp](dispatch_metrics& d) mutable {
            auto& st = self->state;
            self->request(st.coordinator, st.cfg.request_timeout, atom::metrics::value)
              .then(
                [self, rp, d](coordinator_metrics& c) mutable {
                  auto& st = self->state;
                  metrics_snapshot m;
                  m.epoch = st.cfg.epoch;
                  m.failovers = st.cfg.previous_master.empty() ? 0 : 1;
                  m.takeover_ms = st.cfg.takeover_ms;
                  m.started = st.started;
                  m.instances_running = st.runners.size();
                  for (const auto& [name, queue] : st.waiting)
                    m.instances_queued += queue.size();
                  m.instances_ended = st.instances_ended;
                  m.store_available = st.store_available;
                  m.dispatch = std::move(d);
                  m.coordinator = std::move(c);
                  // Briefly, as for health: a writer stuck on an unreachable
                  // database must not make a scrape slow.
                  self->request(st.writer, std::chrono::milliseconds(500), atom::metrics::value)
                    .then(
                      [self, rp, m](store_metrics& s) mutable {
                        self->state.last_store_metrics = s;
                        m.store = std::move(s);
                        m.store_writer_answered = true;
                        rp.deliver(std::move(m));
                      },
                      [self, rp, m](caf::error&) mutable {
                        auto& st = self->state;
                        m.store = st.last_store_metrics;
                        if (!st.store_available)
                          m.store.pending_writes = st.pending_writes; // as it last reported
                        rp.deliver(std::move(m));
                      });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
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
    [self](atom::instance, std::string& id) {
      return self->delegate(self->state.reader, atom::instance::value, std::move(id));
    },
    [self](atom::run, start_request& req) -> caf::result<std::string> {
      auto& st = self->state;
      if (auto refused = refusal(self))
        return refused;
      if (req.trigger != "manual" && req.trigger != "trigger" && req.trigger != "lineage")
        return make_caf_error(ec::invalid_argument, "unknown way to start '" + req.trigger
                                                      + "' (expected manual, trigger or lineage)");
      auto rp = self->make_response_promise<std::string>();
      self->request(st.registry, st.cfg.request_timeout, atom::get::value, req.workflow)
        .then(
          [self, rp, req](workflow_ptr wf, workflow_record& def) mutable {
            // A manual run may name its logical time; the others run now.
            auto logical_time = req.trigger == "manual" && req.logical_time != 0
                                  ? req.logical_time
                                  : now_ms();
            catalog::entry e{std::move(wf), std::move(def)};
            auto fail = [rp](const caf::error& err) mutable { rp.deliver(err); };
            if (req.trigger != "lineage") {
              create(
                self, e, req.trigger, logical_time, req.params, {},
                [rp](const std::string& id) mutable { rp.deliver(id); }, fail, req.deadline);
              return;
            }
            self->request(self->state.coordinator, self->state.cfg.request_timeout,
                          atom::lineage::value)
              .then(
                [self, rp, e, logical_time, req, fail](upstream_map& upstreams) mutable {
                  auto plan = lineage_plan(e.record.name, upstreams);
                  create(
                    self, e, "lineage", logical_time, req.params, {},
                    [self, rp, plan, logical_time](const std::string& id) mutable {
                      auto& st = self->state;
                      st.log->info("lineage of {}: {}", id, join(plan.order(), " -> "));
                      plan.start();
                      st.lineages.emplace(id, master_state::lineage_run{std::move(plan),
                                                                        logical_time});
                      st.lineage_of[id] = id;
                      rp.deliver(id);
                    },
                    fail, req.deadline);
                },
                fail);
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [self](atom::fire, fire_request& req) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.stopping)
        return make_caf_error(ec::master_unreachable, "the master is shutting down");
      auto rp = self->make_response_promise<std::string>();
      // Past its lease the master fires nothing: the fire waits (with the
      // coordinator's writes after it, to keep their order) for a renewal.
      if (!st.parked.empty() || lease_lapsed(self)) {
        if (st.parked.empty())
          st.log->warn("the master lease is not renewed in time: fires wait until it is");
        st.parked.emplace_back(master_state::parked_fire{std::move(req), rp});
        return rp;
      }
      fire_now(self, std::move(req), rp);
      return rp;
    },
    [self](atom::put, store_batch& writes) {
      auto& st = self->state;
      if (!st.parked.empty()) {
        st.parked.emplace_back(std::move(writes));
        return;
      }
      self->send(st.writer, atom::put::value, std::move(writes));
    },
    [self](atom::rerun, const std::string& id, rerun_request& req) -> caf::result<atom::ok> {
      auto& st = self->state;
      if (auto refused = refusal(self))
        return refused;
      if (st.runners.count(id) > 0)
        return make_caf_error(ec::conflict, "instance " + id + " is running; kill it or wait "
                                                               "until it ends");
      auto mode = parse_rerun_mode(req.mode);
      if (!mode)
        return to_caf(mode.error());
      auto rp = self->make_response_promise<atom::ok>();
      with_instance(self, id, rp, [self, rp, id, req](instance_record& r) mutable {
        auto& st = self->state;
        if (r.status == "queued" || r.status == "running") {
          rp.deliver(make_caf_error(ec::conflict, "instance " + id + " has not ended (it is "
                                                    + r.status + ")"));
          return;
        }
        self->request(st.reader, st.cfg.request_timeout, atom::workflow::value, r.workflow,
                      r.version)
          .then(
            [self, rp, r, req](workflow_version_record& version) mutable {
              auto& st = self->state;
              // The version the instance ran with, as stored.
              auto parsed = parse_definition(version.xml, version.file);
              if (!parsed.wf) {
                rp.deliver(make_caf_error(ec::conflict, "version " + std::to_string(r.version)
                                                          + " of workflow '" + r.workflow
                                                          + "' no longer parses"));
                return;
              }
              auto wf = std::make_shared<const workflow>(std::move(*parsed.wf));
              auto zone = workflow_zone(*wf, st.cfg.default_timezone);
              if (!zone) {
                rp.deliver(to_caf(zone.error()));
                return;
              }
              // Check now, so that a bad request is refused rather than run.
              auto nodes = stored_nodes(*wf, r);
              auto mode = parse_rerun_mode(req.mode);
              if (!nodes || !mode) {
                rp.deliver(to_caf(!nodes ? nodes.error() : mode.error()));
                return;
              }
              instance_state probe(wf);
              if (auto tried = probe.rerun(*nodes, *mode, req.nodes, now_ms()); !tried) {
                rp.deliver(to_caf(tried.error()));
                return;
              }
              if (st.runners.count(r.id) > 0) {
                rp.deliver(make_caf_error(ec::conflict, "instance " + r.id + " is running"));
                return;
              }
              instance_runner_config rc;
              rc.rerun = req;
              rc.scope.logical_time = r.logical_time;
              rc.scope.zone = *zone;
              rc.scope.keep_undefined = st.cfg.keep_undefined;
              rc.scope.params = r.params;
              rc.base_dir = std::filesystem::path(version.file).parent_path().string();
              rc.wf = std::move(wf);
              if (r.origin.empty())
                r.origin = r.trigger;
              r.trigger = "rerun";
              r.status = "queued";
              r.finished = 0;
              r.message = "rerun (" + req.mode + ") requested";
              rc.record = std::move(r);
              auto row = rc.record;
              row.nodes.clear();
              self->request(st.writer, caf::infinite, atom::commit::value,
                            store_batch{instance_put{std::move(row)}})
                .then(
                  [self, rp, rc = std::move(rc)](atom::ok) mutable {
                    self->state.log->info("{} {} rerun ({}) requested", rc.record.id,
                                          rc.record.workflow, rc.rerun->mode);
                    fill_handles(self, rc);
                    admit(self, std::move(rc));
                    rp.deliver(atom::ok::value);
                  },
                  [rp](caf::error& err) mutable { rp.deliver(err); });
            },
            [rp](caf::error& err) mutable { rp.deliver(err); });
      });
      return rp;
    },
    [self](atom::coordinate, std::string& name, std::string& action) {
      return self->delegate(self->state.coordinator, atom::coordinate::value, std::move(name),
                            std::move(action));
    },
    [self](atom::workflow, const std::string& name) -> caf::result<workflow_detail> {
      auto& st = self->state;
      auto rp = self->make_response_promise<workflow_detail>();
      self->request(st.registry, st.cfg.request_timeout, atom::get::value, name)
        .then(
          [self, rp, name](workflow_ptr wf, workflow_record& def) mutable {
            auto& st = self->state;
            self->request(st.coordinator, st.cfg.request_timeout, atom::get::value, name)
              .then(
                [self, rp, wf, def, name](workflow_detail& detail) mutable {
                  detail.record = std::move(def);
                  auto graph = make_graph(*wf);
                  detail.nodes = std::move(graph.nodes);
                  detail.edges = std::move(graph.edges);
                  // The versions come from the store: without it the rest
                  // still answers (versions unknown, and why), in time for
                  // the gateway, which waits as long as the master would.
                  self->request(self->state.reader, self->state.cfg.request_timeout / 2,
                                atom::versions::value, name)
                    .then(
                      [rp, detail](std::vector<workflow_version_view>& versions) mutable {
                        detail.versions = std::move(versions);
                        rp.deliver(std::move(detail));
                      },
                      [self, rp, detail](caf::error& err) mutable {
                        detail.versions_error = from_caf(err).message;
                        if (detail.versions_error.empty())
                          detail.versions_error = self->system().render(err);
                        rp.deliver(std::move(detail));
                      });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [self](atom::done, const std::string& id, const std::string& status) {
      auto& st = self->state;
      ++st.instances_ended[status];
      auto wf = st.runner_workflow.find(id);
      auto origin = st.runner_origin.find(id);
      if (wf != st.runner_workflow.end() && origin != st.runner_origin.end()) {
        self->send(st.coordinator, atom::done::value, wf->second, id, status, origin->second);
        lineage_step(self, id, wf->second, status);
      }
      instance_ended(self, id);
    },
    [self](atom::drain) { check_drain(self); },
    [self](atom::lease, timestamp until, const std::string& taken_by) {
      auto& st = self->state;
      if (st.demoted)
        return;
      if (until == 0) {
        demote(self, "the master lease was taken by " + taken_by);
        return;
      }
      st.act_until = until;
      if (st.cfg.fence_dispatch)
        self->send(st.dispatcher, atom::lease::value, until);
      release_parked(self);
    },
    [self](atom::health, bool available, std::string& error, std::uint64_t pending) {
      auto& st = self->state;
      if (available != st.store_available) {
        if (available)
          st.log->info("the store is available again");
        else
          st.log->error("the store is unavailable, writes wait in memory: {}", error);
      }
      st.store_available = available;
      st.store_error = std::move(error);
      st.pending_writes = pending;
      bool pause = !available && pending >= st.cfg.max_pending_writes;
      if (pause != st.paused) {
        st.paused = pause;
        if (pause)
          st.log->error("{} writes wait for the store: no new work starts until they are "
                        "committed",
                        pending);
        else
          st.log->info("the store caught up: new work starts again");
        self->send(st.dispatcher, atom::hold::value, pause);
      }
    },
    [self](atom::kill, const std::string& id) -> caf::result<atom::ok> {
      auto& st = self->state;
      if (auto it = st.runners.find(id); it != st.runners.end()) {
        st.log->info("{} killed on request", id);
        self->send(it->second, atom::kill::value, std::string("killed on request"));
        return atom::ok::value;
      }
      for (auto& [name, queue] : st.waiting)
        for (auto it = queue.begin(); it != queue.end(); ++it)
          if (it->record.id == id) {
            auto record = std::move(it->record);
            queue.erase(it);
            record.status = "killed";
            record.finished = now_ms();
            record.message = "killed on request before it started";
            st.log->info("{} killed on request while it waited", id);
            ++st.instances_ended["killed"];
            self->send(st.writer, atom::put::value, store_batch{instance_put{std::move(record)}});
            return atom::ok::value;
          }
      // Not running here: unknown (404), or it already ended (409).
      auto rp = self->make_response_promise<atom::ok>();
      with_instance(self, id, rp, [rp, id](instance_record& r) mutable {
        rp.deliver(make_caf_error(ec::conflict, "instance " + id + " is not running (it is "
                                                  + r.status + ")"));
      });
      return rp;
    },
    [self](atom::log, const std::string& id, const std::string& node, int attempt,
           std::int64_t offset) -> caf::result<log_chunk> {
      auto rp = self->make_response_promise<log_chunk>();
      with_instance(self, id, rp, [self, rp, id, node, attempt, offset](instance_record& r) mutable {
        auto n = std::find_if(r.nodes.begin(), r.nodes.end(),
                              [&](const node_record& x) { return x.name == node; });
        if (n == r.nodes.end()) {
          rp.deliver(make_caf_error(ec::unknown_instance,
                                    "instance " + id + " has no node named '" + node + "'"));
          return;
        }
        if (n->attempts.empty()) {
          rp.deliver(make_caf_error(ec::unknown_instance, "node '" + node + "' of instance " + id
                                                            + " has not run (yet)"));
          return;
        }
        auto a = attempt == 0 ? std::prev(n->attempts.end())
                              : std::find_if(n->attempts.begin(), n->attempts.end(),
                                             [&](const attempt_record& x) {
                                               return x.number == attempt;
                                             });
        if (a == n->attempts.end()) {
          rp.deliver(make_caf_error(ec::unknown_instance, "node '" + node + "' has no attempt "
                                                            + std::to_string(attempt)));
          return;
        }
        auto& st = self->state;
        auto number = a->number;
        self->request(st.dispatcher, st.cfg.request_timeout, atom::get::value, a->worker)
          .then(
            [self, rp, id, node, number, offset](worker_link_actor& w) mutable {
              constexpr std::int64_t max_chunk = 1 << 20;
              self->request(w, self->state.cfg.request_timeout, atom::log::value, id, node,
                            number, offset, max_chunk)
                .then([rp](log_chunk& c) mutable { rp.deliver(std::move(c)); },
                      [rp](caf::error& err) mutable { rp.deliver(err); });
            },
            [rp](caf::error& err) mutable { rp.deliver(err); });
      });
      return rp;
    },
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
    auto zone = workflow_zone(*wf, cfg.schedule.timezone);
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
  auto last_id = (*writer_db)->last_instance_id();
  if (!last_id)
    return last_id.error();
  auto reader_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!reader_db)
    return reader_db.error();
  auto lease_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!lease_db)
    return lease_db.error();
  std::shared_ptr<store> pruner_db;
  if (cfg.retention.days > 0 || cfg.retention.xml_versions > 0) {
    auto opened = open_store(*url, cfg.store.busy_timeout_ms);
    if (!opened)
      return opened.error();
    pruner_db = std::move(*opened);
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
  mc.default_timezone = cfg.schedule.timezone;
  mc.keep_undefined = cfg.params.keep_undefined;
  mc.worker_timeout = std::chrono::milliseconds(cfg.master.worker_timeout_ms);
  mc.max_attachment_bytes = cfg.master.max_attachment_bytes;
  mc.kill_grace = std::chrono::seconds(cfg.worker.kill_grace_s);
  mc.rescan_interval = std::chrono::seconds(cfg.master.rescan_interval_s);
  mc.max_xml_bytes = cfg.master.max_xml_bytes;
  mc.drain_grace = std::chrono::seconds(cfg.master.drain_grace_s);
  mc.writer_db = std::shared_ptr<store>(std::move(*writer_db));
  mc.reader_db = std::shared_ptr<store>(std::move(*reader_db));
  mc.retention.db = std::move(pruner_db);
  mc.retention.days = cfg.retention.days;
  mc.retention.xml_versions = cfg.retention.xml_versions;
  mc.retention.batch = cfg.retention.batch;
  mc.retention.interval = std::chrono::seconds(cfg.retention.interval_s);
  mc.retention.first = std::min<std::chrono::milliseconds>(mc.retention.first,
                                                           mc.retention.interval);
  mc.known_workflows = std::move(*known);
  mc.known_files = std::move(*known_files);
  mc.last_instance_id = std::move(*last_id);
  mc.epoch = lease.lease.epoch;
  mc.max_pending_writes = static_cast<std::uint64_t>(cfg.store.max_pending_writes);
  mc.max_catchup = static_cast<std::size_t>(cfg.schedule.max_catchup);
  mc.flag_reset_cron = cfg.schedule.flag_reset_cron;
  mc.coordinator_states = std::move(coordinator_states);
  mc.fired = std::move(fired);
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
