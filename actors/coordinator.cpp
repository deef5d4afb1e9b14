#include "coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "engine/params.hpp"
#include "log.hpp"
#include "util/tz.hpp"

namespace cafflow {

namespace {

using coordinator_ptr = coordinator_actor::stateful_pointer<coordinator_state>;
using entry = coordinator_state::entry;

const coordinator_spec& spec_of(const entry& e) {
  return e.standalone ? e.standalone->spec : *e.def.wf->coordinator;
}

coordinator_state_record state_record(const std::string& name, const coordinator_memory& m) {
  return coordinator_state_record{name, m.next_fire, m.last_fire, to_json(m)};
}

/// The coordinator's state as writes, or nothing when it did not change.
store_batch state_writes(const std::string& name, entry& e) {
  auto record = state_record(name, e.logic->memory());
  if (record.state == e.persisted)
    return {};
  e.persisted = record.state;
  return {coordinator_put{std::move(record)}};
}

/// A standalone coordinator's param-list, evaluated in order at the fire's
/// logical time (a value may use the ones before it).
expected<param_map> standalone_params(coordinator_ptr self, const entry& e, timestamp logical_time) {
  param_scope scope;
  scope.logical_time = logical_time;
  scope.zone = e.zone;
  scope.keep_undefined = self->state.cfg.keep_undefined;
  for (const auto& [name, value] : e.standalone->spec.params) {
    auto expanded = expand_in(value, scope);
    if (!expanded)
      return expanded.error();
    scope.params[name] = std::move(*expanded);
  }
  return std::move(scope.params);
}

/// The coordinator of `name`, or the error an API request about it gets: a
/// workflow without a coordinator is a conflict, an unknown name unknown.
caf::expected<entry*> entry_of(coordinator_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.entries.find(name);
  if (it != st.entries.end())
    return &it->second;
  if (st.snapshot->workflows.count(name) > 0)
    return make_caf_error(ec::conflict, "workflow '" + name + "' has no coordinator");
  return make_caf_error(ec::unknown_workflow,
                        "no workflow or coordinator named '" + name + "' is loaded");
}

/// The fire of coordinator `name` at `logical_time`: what it starts (the
/// workflow, or a standalone coordinator's trigger-list with its params).
fire_request request_for(coordinator_ptr self, const std::string& name, const entry& e,
                         timestamp logical_time, const std::string& trigger) {
  auto& st = self->state;
  fire_request req;
  req.coordinator = name;
  req.logical_time = logical_time;
  req.trigger = trigger;
  auto shown = format_local_time(logical_time, *e.zone);
  if (e.standalone) {
    for (const auto& target : e.standalone->trigger_list) {
      auto it = st.snapshot->workflows.find(target);
      if (it == st.snapshot->workflows.end())
        st.log->error("coordinator '{}' at {}: workflow '{}' of its trigger-list is not loaded",
                      name, shown, target);
      else
        req.targets.push_back(it->second);
    }
    auto params = standalone_params(self, e, logical_time);
    if (!params)
      st.log->error("coordinator '{}' at {}: {}", name, shown, params.error().message);
    else
      req.params = std::move(*params);
  } else {
    req.targets.push_back(e.def);
  }
  return req;
}

/// Hands each fire to the master with the coordinator's state after it.
void carry_out(coordinator_ptr self, const std::string& name, entry& e,
               std::vector<fire_decision> fires) {
  auto& st = self->state;
  for (std::size_t k = 0; k < fires.size(); ++k) {
    auto& fire = fires[k];
    auto req = request_for(self, name, e, fire.logical_time, fire.trigger);
    auto shown = format_local_time(fire.logical_time, *e.zone);
    // The state as it is after this fire: the ticks that fire after it in
    // this batch still wait, so a crash between two fires loses none.
    auto memory = e.logic->memory();
    memory.last_fire = fire.logical_time;
    std::vector<timestamp> later;
    for (auto j = k + 1; j < fires.size(); ++j)
      if (fires[j].trigger == "cron")
        later.push_back(fires[j].logical_time);
    memory.waiting.insert(memory.waiting.begin(), later.begin(), later.end());
    auto record = state_record(name, memory);
    e.persisted = record.state;
    req.writes.emplace_back(coordinator_put{std::move(record)});
    for (const auto& [upstream, ready] : fire.ready)
      req.writes.emplace_back(
        dependency_put{dependency_record{name, upstream, fire.logical_time, ready.instance_id,
                                         ready.at}});
    ++st.fires;
    ++st.fires_by_trigger[fire.trigger];
    if (fire.trigger == "cron") {
      // In microseconds: a timer is usually late by less than a millisecond.
      auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
      auto lag_us = std::max<std::int64_t>(0, now_us - fire.logical_time * 1000);
      st.cron_lag.observe(static_cast<double>(lag_us) / 1e6);
    }
    st.log->info("{} fires at {} ({})", name, shown, fire.trigger);
    self->request(st.cfg.master, caf::infinite, atom::fire::value, std::move(req))
      .then(
        [self, name, shown](const std::string& ids) {
          if (ids.empty())
            self->state.log->info("{} at {} started nothing", name, shown);
        },
        [self, name, shown](caf::error& err) {
          self->state.log->error("{} at {} did not fire: {}", name, shown,
                                 self->system().render(err));
        });
  }
}

/// Sets the one timer to the earliest next fire (or flag reset).
/// The timer at `earliest` (none when empty), unless it is the one pending.
void set_timer(coordinator_ptr self, std::optional<timestamp> earliest) {
  auto& st = self->state;
  if (earliest == st.timer_at)
    return;
  st.timer_at = earliest;
  ++st.generation;
  if (!earliest)
    return;
  auto delay = std::max<timestamp>(0, *earliest - now_ms());
  self->delayed_send(self, std::chrono::milliseconds(delay), atom::tick::value, st.generation);
}

void reschedule(coordinator_ptr self) {
  auto& st = self->state;
  std::optional<timestamp> earliest;
  auto consider = [&](std::optional<timestamp> t) {
    if (t && (!earliest || *t < *earliest))
      earliest = t;
  };
  for (const auto& [name, e] : st.entries)
    consider(e.logic->wakeup());
  if (st.flag_reset)
    consider(st.flag_reset_at);
  set_timer(self, earliest);
}

/// After only `touched` changed: the timer moves sooner when one of them
/// now wakes up earlier. A timer left earlier than needed (a touched one
/// was the earliest and moved later) ticks for nothing and reschedules.
void reschedule_sooner(coordinator_ptr self, const std::vector<std::string>& touched) {
  auto& st = self->state;
  auto earliest = st.timer_at;
  for (const auto& name : touched)
    if (auto it = st.entries.find(name); it != st.entries.end())
      if (auto t = it->second.logic->wakeup(); t && (!earliest || *t < *earliest))
        earliest = t;
  set_timer(self, earliest);
}

/// After the decisions of one coordinator: log, fire, persist (now, or
/// into `into` when given: a load sends the writes of all its coordinators
/// at once).
void handle(coordinator_ptr self, const std::string& name, entry& e, std::vector<fire_decision> fires,
            store_batch* into = nullptr) {
  for (const auto& note : e.logic->take_notes())
    self->state.log->info("{}: {}", name, note);
  if (!fires.empty()) {
    carry_out(self, name, e, std::move(fires));
    return;
  }
  auto writes = state_writes(name, e);
  if (writes.empty())
    return;
  if (into != nullptr)
    std::move(writes.begin(), writes.end(), std::back_inserter(*into));
  else
    self->send(self->state.cfg.master, atom::put::value, std::move(writes));
}

/// A coordinator from a new definition, continuing from what the previous
/// definition (or, at start, the store) remembers.
void define(coordinator_ptr self, const std::string& name, entry e,
            std::optional<coordinator_memory> memory, store_batch* into) {
  auto& st = self->state;
  auto zone_name = e.standalone ? std::string{} : e.def.wf->timezone;
  auto zone = find_time_zone(zone_name.empty() ? st.cfg.default_timezone : zone_name);
  if (!zone) {
    st.log->error("coordinator of '{}' is not scheduled: {}", name, zone.error().message);
    return;
  }
  e.zone = *zone;
  auto logic = coordinator_logic::make(name, spec_of(e), **zone, st.cfg.max_catchup);
  if (!logic) {
    st.log->error("coordinator of '{}' is not scheduled: {}", name, logic.error().message);
    return;
  }
  e.logic = std::move(*logic);
  auto fired = st.cfg.fired[name];
  auto fires = e.logic->start(std::move(memory), fired, now_ms());
  auto& placed = st.entries[name] = std::move(e);
  if (auto next = placed.logic->wakeup(); next && st.log->should_log(spdlog::level::info))
    st.log->info("{} scheduled: next fire {}", name, format_local_time(*next, *placed.zone));
  handle(self, name, placed, std::move(fires), into);
}

/// The stored memory of `name` at start, if any.
std::optional<coordinator_memory> stored_memory(coordinator_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.cfg.stored.find(name);
  if (it == st.cfg.stored.end())
    return std::nullopt;
  auto memory = coordinator_memory_from_json(it->second.state);
  if (!memory) {
    st.log->error("{}: stored coordinator state ignored: {}", name, memory.error().message);
    return std::nullopt;
  }
  return std::move(*memory);
}

void load(coordinator_ptr self, const schedule_ptr& snapshot) {
  auto& st = self->state;
  st.snapshot = snapshot;
  st.upstreams.reset();
  st.downstreams.reset();
  std::set<std::string> present;
  store_batch writes;
  auto update = [&](const std::string& name, entry e) {
    present.insert(name);
    auto it = st.entries.find(name);
    if (it != st.entries.end() && it->second.def.wf == e.def.wf
        && it->second.standalone == e.standalone) {
      it->second.def = std::move(e.def); // same definition, maybe a new status
      return;
    }
    std::optional<coordinator_memory> memory;
    if (it != st.entries.end()) {
      memory = it->second.logic->memory();
      st.log->info("{}: new definition; its coordinator keeps its state", name);
    } else if (!st.loaded) {
      memory = stored_memory(self, name);
    }
    define(self, name, std::move(e), std::move(memory), &writes);
  };
  for (const auto& [name, def] : snapshot->workflows)
    if (def.wf->coordinator)
      update(name, entry{def, nullptr, nullptr, std::nullopt, {}});
  for (const auto& [name, standalone] : snapshot->coordinators) {
    if (present.count(name) > 0) {
      st.log->error("standalone coordinator '{}' is not scheduled: a workflow of that name has "
                    "a coordinator",
                    name);
      continue;
    }
    update(name, entry{{}, standalone, nullptr, std::nullopt, {}});
  }
  auto& gone = writes;
  for (auto it = st.entries.begin(); it != st.entries.end();) {
    if (present.count(it->first) > 0) {
      ++it;
      continue;
    }
    st.log->info("{}: unscheduled (its definition or coordinator is gone)", it->first);
    gone.emplace_back(coordinator_delete{it->first});
    it = st.entries.erase(it);
  }
  if (!st.loaded) {
    // States of coordinators that did not come back.
    for (const auto& [name, record] : st.cfg.stored)
      if (present.count(name) == 0)
        gone.emplace_back(coordinator_delete{name});
    st.loaded = true;
    st.cfg.stored.clear();
    st.cfg.fired.clear();
  }
  if (!gone.empty())
    self->send(st.cfg.master, atom::put::value, std::move(gone));
  st.waiting_on.clear();
  for (const auto& [name, e] : st.entries) {
    const auto& ups = e.logic->upstreams();
    for (const auto& u : std::set<std::string>(ups.begin(), ups.end()))
      st.waiting_on[u].push_back(name);
  }
  reschedule(self);
}

void tick(coordinator_ptr self) {
  auto& st = self->state;
  auto now = now_ms();
  for (auto& [name, e] : st.entries)
    if (auto at = e.logic->wakeup(); at && *at <= now)
      handle(self, name, e, e.logic->tick(now));
  if (st.flag_reset && st.flag_reset_at && *st.flag_reset_at <= now) {
    st.log->info("clearing every dependency flag ({})", st.flag_reset->text());
    for (auto& [name, e] : st.entries) {
      e.logic->reset();
      handle(self, name, e, {});
    }
    st.flag_reset_at = st.flag_reset->next(now, **find_time_zone(st.cfg.default_timezone));
  }
}

coordinator_view view_of(const entry& e, timestamp now) {
  const auto& spec = spec_of(e);
  const auto& m = e.logic->memory();
  coordinator_view v;
  v.enabled = spec.enabled;
  v.paused = m.paused;
  v.cron = spec.cron;
  v.timezone = e.zone->name();
  v.start_time = spec.start_time;
  v.end_time = spec.end_time;
  v.catchup = spec.catchup;
  v.overlap = spec.overlap;
  v.next_fires = e.logic->upcoming(now, 5);
  v.waiting = m.waiting;
  v.last_fire = m.last_fire;
  for (const auto& upstream : e.logic->upstreams()) {
    dependency_view d;
    d.workflow = upstream;
    if (auto it = m.ready.find(upstream); it != m.ready.end()) {
      d.ready = true;
      d.instance_id = it->second.instance_id;
      d.ready_at = it->second.at;
    }
    v.dependencies.push_back(std::move(d));
  }
  v.params = spec.params;
  if (e.standalone)
    v.triggers = e.standalone->trigger_list;
  return v;
}

/// Workflow -> the workflows whose start waits for it (schedule/lineage.hpp).
const upstream_map& upstreams_of(coordinator_state& st) {
  if (!st.upstreams) {
    std::map<std::string, std::shared_ptr<const workflow>> workflows;
    for (const auto& [name, def] : st.snapshot->workflows)
      workflows.emplace(name, def.wf);
    st.upstreams = cafflow::upstreams_of(workflows, st.snapshot->coordinators);
  }
  return *st.upstreams;
}

/// Workflow -> the workflows that wait for it, by name.
const upstream_map& downstreams_of(coordinator_state& st) {
  if (!st.downstreams) {
    upstream_map down;
    for (const auto& [downstream, ups] : upstreams_of(st))
      for (const auto& up : ups)
        down[up].push_back(downstream);
    st.downstreams = std::move(down);
  }
  return *st.downstreams;
}

} // namespace

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, coordinator_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("coordinator");
  st.snapshot = std::make_shared<schedule_snapshot>();
  if (!st.cfg.flag_reset_cron.empty()) {
    auto cron = cron_expr::parse(st.cfg.flag_reset_cron);
    auto zone = find_time_zone(st.cfg.default_timezone);
    if (cron && zone) {
      st.flag_reset = std::move(*cron);
      st.flag_reset_at = st.flag_reset->next(now_ms(), **zone);
    }
  }
  return {
    [self](atom::load, const schedule_ptr& snapshot) { load(self, snapshot); },
    [self](atom::done, const std::string& workflow, const std::string& id,
           const std::string& status, const std::string& origin) {
      if (status != "succeeded" || !counts_for_dependencies(origin))
        return;
      auto& st = self->state;
      auto waiting = st.waiting_on.find(workflow);
      if (waiting == st.waiting_on.end())
        return;
      auto now = now_ms();
      for (const auto& name : waiting->second) {
        auto it = st.entries.find(name);
        if (it == st.entries.end())
          continue;
        st.log->info("{}: dependency on {} is ready ({})", name, workflow, id);
        handle(self, name, it->second, it->second.logic->upstream_succeeded(workflow, id, now));
      }
      reschedule_sooner(self, waiting->second);
    },
    [self](atom::tick, std::uint64_t generation) {
      auto& st = self->state;
      if (generation != st.generation || st.draining)
        return; // superseded by a later timer, or the master stops
      st.timer_at.reset();
      tick(self);
      reschedule(self);
    },
    [self](atom::coordinate, const std::string& name,
           const std::string& action) -> caf::result<atom::ok> {
      auto& st = self->state;
      if (name.empty()) {
        // Every coordinator (akkaflow's /akkaflow/workflows?action=reset).
        if (action != "reset")
          return make_caf_error(ec::invalid_argument, "coordinator action '" + action
                                                        + "' needs a workflow name (only reset "
                                                          "applies to every coordinator)");
        st.log->info("every coordinator ({}) reset on request", st.entries.size());
        for (auto& [entry_name, e] : st.entries) {
          e.logic->reset();
          handle(self, entry_name, e, {});
        }
        reschedule(self);
        return atom::ok::value;
      }
      auto found = entry_of(self, name);
      if (!found)
        return std::move(found.error());
      auto& e = **found;
      std::vector<fire_decision> fires;
      if (action == "pause")
        e.logic->pause();
      else if (action == "resume")
        fires = e.logic->resume(now_ms());
      else if (action == "reset")
        e.logic->reset();
      else
        return make_caf_error(ec::invalid_argument, "unknown coordinator action '" + action
                                                      + "' (expected pause, resume or reset)");
      st.log->info("{}: {} on request", name, action);
      handle(self, name, e, std::move(fires));
      reschedule(self);
      return atom::ok::value;
    },
    [self](atom::fire, const std::string& name) -> caf::result<std::string> {
      // akkaflow's /akkaflow/coor/NAME?action=trigger: the fire its cron
      // tick would make, now, whatever its dependencies (akkaflow ran
      // execute() without checking them); the cron's state stays as it is.
      auto& st = self->state;
      if (st.draining)
        return make_caf_error(ec::master_unreachable, "the master is shutting down");
      auto found = entry_of(self, name);
      if (!found)
        return std::move(found.error());
      auto& e = **found;
      // To the second: a fire's logical time is shown and compared in
      // seconds, and two triggers within a second are one fire.
      auto logical_time = now_ms() / 1000 * 1000;
      auto req = request_for(self, name, e, logical_time, "trigger");
      if (req.targets.empty())
        return make_caf_error(ec::conflict, "coordinator '" + name
                                              + "' starts no loaded workflow: none of its "
                                                "trigger-list is loaded");
      auto shown = format_local_time(logical_time, *e.zone);
      ++st.fires;
      st.log->info("{} fires at {} (trigger, on request)", name, shown);
      auto rp = self->make_response_promise<std::string>();
      self->request(st.cfg.master, caf::infinite, atom::fire::value, std::move(req))
        .then([rp](std::string& ids) mutable { rp.deliver(std::move(ids)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](atom::get, const std::string& name) -> workflow_detail {
      auto& st = self->state;
      workflow_detail detail;
      if (auto it = st.entries.find(name); it != st.entries.end()) {
        detail.has_coordinator = true;
        detail.coordinator = view_of(it->second, now_ms());
      }
      // In name order, each once (as a walk of upstreams_of had them).
      if (auto it = downstreams_of(st).find(name); it != st.downstreams->end()) {
        detail.downstream = it->second;
        std::sort(detail.downstream.begin(), detail.downstream.end());
        detail.downstream.erase(std::unique(detail.downstream.begin(), detail.downstream.end()),
                                detail.downstream.end());
      }
      return detail;
    },
    [self](atom::lineage) { return upstreams_of(self->state); },
    [self](atom::drain) {
      auto& st = self->state;
      if (!st.draining)
        st.log->info("the master stops: no more cron fires here; the next master catches up");
      st.draining = true;
    },
    [self](atom::metrics) {
      auto& st = self->state;
      return coordinator_metrics{st.cron_lag.snapshot(), st.fires_by_trigger};
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"coordinators", std::to_string(st.entries.size())},
              {"fires", std::to_string(st.fires)}};
    },
  };
}

} // namespace cafflow
