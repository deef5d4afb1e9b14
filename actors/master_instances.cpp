// The master's instances: creating, admitting (instance-limit), ending,
// coordinator fires and lineage runs (actors/master_parts.hpp).
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

#include "engine/params.hpp"
#include "engine/placement.hpp"
#include "log.hpp"
#include "model/workflow.hpp"
#include "schedule/coordinator.hpp"
#include "schedule/dependencies.hpp"
#include "util/strings.hpp"

namespace cafflow::master_detail {

/// Starts an instance whose workflow is below its instance-limit.
void start_instance(self_ptr self, instance_runner_config cfg) {
  auto& st = self->state;
  auto id = cfg.record.id;
  auto workflow = cfg.record.workflow;
  auto origin = cfg.record.origin.empty() ? cfg.record.trigger : cfg.record.origin;
  auto cfg_backfill = cfg.record.backfill_id;
  auto runner = self->spawn(instance_runner, std::move(cfg));
  self->monitor(runner);
  st.runners.emplace(id, runner);
  st.runner_workflow.emplace(id, workflow);
  st.runner_origin.emplace(id, std::move(origin));
  if (!cfg_backfill.empty())
    st.runner_backfill.emplace(id, cfg_backfill);
  ++st.running_per_workflow[workflow];
  self->send(runner, atom::start::value);
}

/// The settings and actors every instance runner gets from the master.
void fill_handles(self_ptr self, instance_runner_config& rc) {
  auto& st = self->state;
  rc.max_attachment_bytes = st.cfg.max_attachment_bytes;
  rc.drain_timeout = st.cfg.kill_grace + std::chrono::seconds(5);
  rc.dispatcher = st.dispatcher;
  rc.waiter = st.waiter;
  rc.store = st.writer;
  rc.master = caf::actor_cast<master_actor>(self);
  rc.alerter = st.alerter;
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
  if (!rc.dependencies_checked && depend_list_part(*rc.wf)) {
    // Whatever created it, it waits for its depend-list's date windows at
    // its logical time; the waiter answers with dependency_verdict. A new
    // master re-derives the wait from the queued instance (since: created).
    auto id = rc.record.id;
    self->send(st.waiter, atom::wait::value, id, rc.wf, rc.record.logical_time,
               rc.record.created != 0 ? rc.record.created : now_ms());
    st.gated.emplace(std::move(id), std::move(rc));
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
  if (auto r = st.runners.find(id); r != st.runners.end()) {
    // Its down message would only make the down handler look for it among
    // every running instance (ten thousand at a midnight herd).
    self->demonitor(r->second.address());
    st.runners.erase(r);
  }
  st.runner_origin.erase(id);
  st.runner_backfill.erase(id);
  auto it = st.runner_workflow.find(id);
  if (it == st.runner_workflow.end())
    return;
  auto workflow = it->second;
  st.runner_workflow.erase(it);
  --st.running_per_workflow[workflow];
  auto& queue = st.waiting[workflow];
  if (!queue.empty() && !st.stopping && !st.draining) {
    // Live work before backfills (their instances wait behind).
    auto pick = std::find_if(queue.begin(), queue.end(), [](const instance_runner_config& rc) {
      return priority_class(rc.record.origin.empty() ? rc.record.trigger : rc.record.origin) == 0;
    });
    if (pick == queue.end())
      pick = queue.begin();
    auto next = std::move(*pick);
    queue.erase(pick);
    st.log->info("{} {} starts: a slot of its instance-limit is free", next.record.id, workflow);
    start_instance(self, std::move(next));
  }
}


/// A new instance of `def` (not yet stored): its record with the params of
/// its param-list at `logical_time` and `caller`'s on top, and its runner's
/// config.
expected<instance_runner_config> new_instance(self_ptr self, const catalog::entry& def,
                                              const std::string& trigger,
                                              timestamp logical_time, const param_map& caller,
                                              const std::string& timezone) {
  auto& st = self->state;
  const auto& wf = def.wf;
  auto zone = instance_zone(*wf, timezone, st.cfg.default_timezone);
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
  record.workflow = def.record->name;
  record.version = def.record->version;
  record.status = "queued";
  record.trigger = trigger;
  record.origin = trigger;
  record.params = std::move(*resolved);
  record.logical_time = logical_time;
  record.priority = wf->priority;
  record.created = now;
  record.timezone = timezone;
  rc.wf = wf;
  rc.scope = std::move(scope);
  rc.base_dir = std::filesystem::path(def.record->file).parent_path().string();
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
void create(self_ptr self, const catalog::entry& def, const std::string& trigger,
            timestamp logical_time, const param_map& params, const std::string& parent_id,
            std::function<void(const std::string&)> then,
            std::function<void(const caf::error&)> fail, timestamp deadline,
            const run_options& options, const std::string& by,
            std::function<void(instance_record&, store_batch&)> extend) {
  auto late = [deadline] { return deadline != 0 && now_ms() > deadline; };
  auto too_late = [] {
    return make_caf_error(ec::timeout, "the run was not started: its request timed out before "
                                       "the instance was stored");
  };
  if (late()) {
    self->state.log->debug("a run of {} arrives {} ms after its deadline", def.record->name,
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
  rc->record.requested_by = by;
  if (!options.empty()) {
    if (auto chosen = choose_nodes(*def.wf, "", options); !chosen) {
      fail(to_caf(chosen.error()));
      return;
    }
    rc->record.options = options;
  }
  store_batch batch;
  if (extend)
    extend(rc->record, batch);
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

void on_dependency_verdict(self_ptr self, const std::string& id, const std::string& state,
                        const std::string& message) {
  auto& st = self->state;
  auto it = st.gated.find(id);
  if (it == st.gated.end())
    return; // killed meanwhile
  auto& rc = it->second;
  if (state == "waiting") {
    if (rc.record.message != message) {
      rc.record.message = message;
      self->send(st.writer, atom::put::value, store_batch{instance_put{rc.record}});
    }
    return;
  }
  auto ready = std::move(rc);
  st.gated.erase(it);
  if (state == "holds") {
    st.log->info("{} {}: its date-window dependencies hold", id, ready.record.workflow);
    ready.record.message.clear();
    ready.dependencies_checked = true;
    admit(self, std::move(ready));
    return;
  }
  // Failed: it ends without having run, saying which period and instance.
  auto& r = ready.record;
  st.log->warn("{} {} failed: {}", id, r.workflow, message.substr(0, message.find('\n')));
  r.status = "failed";
  r.message = message;
  r.finished = now_ms();
  ++st.instances_ended["failed"];
  self->send(st.writer, atom::put::value, store_batch{instance_put{r}});
  child_ended(self, id, r.status);
  // Its own dependents look again; its coordinator and lineage hear of it.
  self->send(st.waiter, atom::changed::value, r.workflow);
  self->send(st.coordinator, atom::done::value, r.workflow, id, r.status,
             r.origin.empty() ? r.trigger : r.origin);
  lineage_step(self, id, r.workflow, r.status);
}

/// Whether a fire of `def` starts, queues or is skipped (its overlap).
fire_admission admission(self_ptr self, const catalog::entry& def) {
  auto& st = self->state;
  auto running = st.running_per_workflow[def.record->name];
  auto waiting = st.waiting.count(def.record->name) > 0 ? st.waiting[def.record->name].size() : 0;
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
                   target.record->name, to_iso8601(req.logical_time),
                   target.wf->instance_limit);
      continue;
    }
    auto rc = new_instance(self, target, req.trigger, req.logical_time, req.params);
    if (!rc) {
      st.log->error("{} at {} cannot start: {}", target.record->name,
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


caf::result<std::string> fire(self_ptr self, fire_request& req) {
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
}

caf::result<std::string> launch_backfill_item(self_ptr self, backfill_item_record& item,
                                              param_map& params) {
  auto& st = self->state;
  if (auto why = refusal(self))
    return why;
  auto rp = self->make_response_promise<std::string>();
  self->request(st.registry, st.cfg.request_timeout, atom::get::value, item.workflow)
    .then(
      [self, rp, item, params](workflow_ptr wf, workflow_record& def) mutable {
        create(
          self, catalog::entry{std::move(wf), std::move(def)}, "backfill", item.logical_time,
          params, {}, [rp](const std::string& id) mutable { rp.deliver(id); },
          [rp](const caf::error& err) mutable { rp.deliver(err); }, 0, {}, {},
          [item](instance_record& r, store_batch& batch) mutable {
            // The item names its instance in the instance's own transaction:
            // a crash leaves both or neither, so no item gets a second one.
            r.backfill_id = item.backfill_id;
            item.instance_id = r.id;
            item.state = "started";
            item.instance_status.clear();
            batch.emplace_back(backfill_item_put{std::move(item)});
          });
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

void backfill_instance_ended(self_ptr self, const std::string& backfill_id,
                             const std::string& id, const std::string& status) {
  if (!backfill_id.empty())
    self->send(self->state.backfiller, atom::done::value, backfill_id, id, status);
}

bool stop_instance(self_ptr self, const std::string& id, const std::string& reason) {
  auto& st = self->state;
  if (auto it = st.runners.find(id); it != st.runners.end()) {
    st.log->info("{} killed: {}", id, reason);
    self->send(it->second, atom::kill::value, reason);
    return true;
  }
  if (auto gated = st.gated.find(id); gated != st.gated.end()) {
    auto record = std::move(gated->second.record);
    st.gated.erase(gated);
    self->send(st.waiter, atom::cancel::value, id);
    record.status = "killed";
    record.finished = now_ms();
    record.message = reason + " while it waited for its dependencies";
    st.log->info("{} {} while it waited for its dependencies", id, reason);
    ++st.instances_ended["killed"];
    auto workflow = record.workflow;
    self->send(st.writer, atom::put::value, store_batch{instance_put{std::move(record)}});
    self->send(st.waiter, atom::changed::value, workflow);
    child_ended(self, id, "killed");
    return true;
  }
  for (auto& [name, queue] : st.waiting)
    for (auto it = queue.begin(); it != queue.end(); ++it)
      if (it->record.id == id) {
        auto record = std::move(it->record);
        queue.erase(it);
        record.status = "killed";
        record.finished = now_ms();
        record.message = reason + " before it started";
        st.log->info("{} {} while it waited", id, reason);
        ++st.instances_ended["killed"];
        backfill_instance_ended(self, record.backfill_id, id, "killed");
        self->send(st.writer, atom::put::value, store_batch{instance_put{std::move(record)}});
        child_ended(self, id, "killed");
        return true;
      }
  return false;
}

void instance_done(self_ptr self, const std::string& id, const std::string& status) {
  auto& st = self->state;
  ++st.instances_ended[status];
  child_ended(self, id, status);
  if (auto bf = st.runner_backfill.find(id); bf != st.runner_backfill.end())
    backfill_instance_ended(self, bf->second, id, status);
  auto wf = st.runner_workflow.find(id);
  auto origin = st.runner_origin.find(id);
  if (wf != st.runner_workflow.end() && origin != st.runner_origin.end()) {
    // Waiters on its workflow look again (after its writes are committed).
    self->send(st.waiter, atom::changed::value, wf->second);
    self->send(st.coordinator, atom::done::value, wf->second, id, status, origin->second);
    lineage_step(self, id, wf->second, status);
  }
  instance_ended(self, id);
}

} // namespace cafflow::master_detail
