#include "dependency_waiter.hpp"

#include <algorithm>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "alert/alert.hpp"
#include "engine/params.hpp"
#include "log.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

namespace cafflow {

namespace {

using dependency_waiter_ptr = dependency_waiter_actor::stateful_pointer<dependency_waiter_state>;

std::string key_of(const std::string& id, const std::string& node) {
  return id + "/" + node;
}

upstream_lookup lookup_of(dependency_waiter_ptr self) {
  auto& db = self->state.cfg.db;
  if (!db)
    return [](const std::string&, const std::string&, timestamp,
              timestamp) -> expected<std::vector<upstream_instance>> {
      return make_error(ec::store_error, "the dependency waiter has no store connection");
    };
  return store_lookup(*db);
}

/// Removes a waiter and its index entries.
void forget(dependency_waiter_ptr self, const std::string& key) {
  auto& st = self->state;
  auto it = st.waiters.find(key);
  if (it == st.waiters.end())
    return;
  for (const auto& upstream : dependency_workflows(it->second.part.expr)) {
    auto u = st.by_upstream.find(upstream);
    if (u == st.by_upstream.end())
      continue;
    u->second.erase(key);
    if (u->second.empty())
      st.by_upstream.erase(u);
  }
  st.waiters.erase(it);
}

/// Tells the waiter's owner: the master (a queued instance) or the runner
/// (a dependent node, as an attempt report).
void tell(dependency_waiter_ptr self, dependency_waiter_entry& w, dependency_state state,
          const std::string& message) {
  auto& st = self->state;
  if (state == dependency_state::waiting && message == w.last_message)
    return;
  w.last_message = message;
  if (w.node.empty()) {
    self->send(st.cfg.master, atom::wait::value, w.instance_id, std::string(to_string(state)),
               message);
    return;
  }
  attempt_report r;
  r.instance_id = w.instance_id;
  r.node = w.node;
  r.attempt = w.attempt;
  r.outcome = state == dependency_state::holds    ? "succeeded"
              : state == dependency_state::failed ? "failed"
                                                  : "waiting";
  r.started = w.since;
  r.finished = state == dependency_state::waiting ? 0 : now_ms();
  r.message = message;
  self->send(w.runner, atom::report::value, std::move(r));
}

/// Evaluates one waiter now; a final verdict ends it.
void evaluate(dependency_waiter_ptr self, const std::string& key) {
  auto& st = self->state;
  auto it = st.waiters.find(key);
  if (it == st.waiters.end())
    return;
  auto& w = it->second;
  ++st.evaluations;
  auto zone = workflow_zone(*w.wf, st.cfg.default_timezone);
  if (!zone) {
    tell(self, w, dependency_state::failed,
         "dependencies cannot be evaluated: " + zone.error().message);
    forget(self, key);
    return;
  }
  auto now = now_ms();
  auto result = evaluate_part(w.part, w.logical_time, **zone, lookup_of(self), w.since, now);
  if (!result) {
    // The store cannot answer now: the waiter stays and is evaluated again
    // with the next change (a store outage shows in health).
    st.log->warn("{} {}: dependencies cannot be evaluated: {}", w.instance_id,
                 w.node.empty() ? "depend-list" : w.node, result.error().message);
    tell(self, w, dependency_state::waiting,
         "waiting for dependencies: the store cannot be read (" + result.error().message + ")");
    return;
  }
  const auto& o = result->outcome;
  if (o.state == dependency_state::waiting) {
    if (o.deadline != 0 && w.timer == 0) {
      w.timer = ++st.timers;
      auto delay = std::chrono::milliseconds(std::max<timestamp>(0, o.deadline - now) + 1);
      self->delayed_send(self, delay, atom::timeout::value, key, w.timer);
    }
    tell(self, w, o.state, o.message);
    return;
  }
  st.log->info("{} {}: dependencies {}", w.instance_id, w.node.empty() ? "depend-list" : w.node,
               to_string(o.state));
  tell(self, w, o.state, o.message);
  forget(self, key);
}

/// Evaluates the dirty waiters once everything written before now is
/// committed: a change's own writes went to the writer before the change was
/// announced, so a commit requested now covers them. Changes that come while
/// a commit is under way wait for the next one.
void evaluate_after_commit(dependency_waiter_ptr self) {
  auto& st = self->state;
  if (st.barrier_pending || st.dirty.empty())
    return;
  st.barrier_pending = true;
  auto generation = ++st.barrier;
  st.in_flight = std::exchange(st.dirty, {});
  auto next = [self, generation] { self->send(self, atom::changed::value, generation); };
  // On error the writer is gone and the master stops: evaluate what is there.
  self->request(st.cfg.writer, caf::infinite, atom::commit::value, store_batch{})
    .then([next](atom::ok) { next(); }, [next](caf::error&) { next(); });
}

/// Adds a waiter; it is evaluated once the store has what was written before.
void add(dependency_waiter_ptr self, dependency_waiter_entry w) {
  auto& st = self->state;
  auto key = key_of(w.instance_id, w.node);
  forget(self, key);
  for (const auto& upstream : dependency_workflows(w.part.expr))
    st.by_upstream[upstream].insert(key);
  st.waiters.emplace(key, std::move(w));
  st.dirty.insert(key);
  evaluate_after_commit(self);
}

} // namespace

dependency_waiter_actor::behavior_type
dependency_waiter(dependency_waiter_actor::stateful_pointer<dependency_waiter_state> self,
                  dependency_waiter_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("dependency_waiter");
  return {
    [self](atom::wait, const std::string& id, workflow_ptr wf, timestamp logical_time,
           timestamp since) {
      auto part = depend_list_part(*wf);
      if (!part) {
        // Its definition has no windows (any more): nothing to wait for.
        dependency_waiter_entry w;
        w.instance_id = id;
        w.wf = wf;
        tell(self, w, dependency_state::holds, "");
        return;
      }
      dependency_waiter_entry w;
      w.instance_id = id;
      w.wf = std::move(wf);
      w.part = std::move(*part);
      w.logical_time = logical_time;
      w.since = since;
      auto sla_s = w.wf->sla_s;
      add(self, std::move(w));
      auto& st = self->state;
      if (st.cfg.alerter && sla_s > 0 && st.sla_alerted.count(id) == 0) {
        auto due = logical_time + sla_s * 1000;
        auto delay = std::max<timestamp>(due - now_ms(), 0);
        self->delayed_send(self, std::chrono::milliseconds(delay), atom::alert::value,
                           key_of(id, ""));
      }
    },
    [self](atom::alert, const std::string& key) {
      // The sla of a queued instance is over: if it still waits, say on what.
      auto& st = self->state;
      auto it = st.waiters.find(key);
      if (it == st.waiters.end() || !st.cfg.alerter)
        return;
      if (it->second.last_message.empty()) {
        // Not evaluated yet (its sla was over when it came): decide it now,
        // so that the alert says what it waits for, or is not needed.
        evaluate(self, key);
        it = st.waiters.find(key);
        if (it == st.waiters.end())
          return;
      }
      const auto& w = it->second;
      if (!st.sla_alerted.insert(w.instance_id).second)
        return;
      alert_event e;
      e.key = "sla:" + w.instance_id + ":1"; // as its runner's first execution (one alert)
      e.kind = "sla";
      e.severity = "critical";
      e.workflow = w.wf->name;
      e.instance_id = w.instance_id;
      e.at = now_ms();
      e.logical_time = w.logical_time;
      e.title = "workflow " + w.wf->name + " is late: still waiting on its dependencies "
                + std::to_string(w.wf->sla_s) + " s after its logical time";
      e.message = "logical time " + to_iso8601(w.logical_time) + ", waiting since "
                  + to_iso8601(w.since)
                  + (w.last_message.empty() ? std::string() : ": " + w.last_message);
      auto channels = workflow_channels(*w.wf);
      st.log->warn("{} {}: {}", w.instance_id, e.title, e.message);
      if (!channels.empty())
        self->send(st.cfg.alerter, atom::alert::value, std::move(e), std::move(channels));
    },
    [self](atom::wait, const std::string& id, const std::string& node, int attempt,
           workflow_ptr wf, timestamp logical_time, timestamp since,
           instance_runner_actor runner) {
      dependency_waiter_entry w;
      w.instance_id = id;
      w.node = node;
      w.attempt = attempt;
      w.runner = std::move(runner);
      auto part = dependent_part(*wf, node);
      w.wf = std::move(wf);
      if (!part) {
        tell(self, w, dependency_state::failed, "node '" + node + "' is not a dependent node");
        return;
      }
      w.part = std::move(*part);
      w.logical_time = logical_time;
      w.since = since;
      add(self, std::move(w));
    },
    [self](atom::cancel, const std::string& id) {
      auto& st = self->state;
      std::vector<std::string> keys;
      for (auto it = st.waiters.lower_bound(id + "/");
           it != st.waiters.end() && it->first.compare(0, id.size() + 1, id + "/") == 0; ++it)
        keys.push_back(it->first);
      for (const auto& k : keys)
        forget(self, k);
    },
    [self](atom::changed, const std::string& workflow) {
      auto& st = self->state;
      auto it = st.by_upstream.find(workflow);
      if (it == st.by_upstream.end())
        return;
      st.dirty.insert(it->second.begin(), it->second.end());
      evaluate_after_commit(self);
    },
    [self](atom::changed, std::uint64_t generation) {
      auto& st = self->state;
      if (generation != st.barrier)
        return;
      st.barrier_pending = false;
      for (const auto& k : std::exchange(st.in_flight, {}))
        evaluate(self, k);
      evaluate_after_commit(self);
    },
    [self](atom::timeout, const std::string& key, std::uint64_t generation) {
      auto& st = self->state;
      auto it = st.waiters.find(key);
      if (it == st.waiters.end() || it->second.timer != generation)
        return;
      it->second.timer = 0;
      evaluate(self, key);
    },
    [self](atom::dependency, workflow_ptr wf, const std::string& name, timestamp logical_time,
           const std::string& instance_id, timestamp since) -> caf::result<dependency_report> {
      auto& st = self->state;
      auto zone = workflow_zone(*wf, st.cfg.default_timezone);
      if (!zone)
        return to_caf(zone.error());
      // Live waiters of this instance keep their own start of the wait.
      std::map<std::string, timestamp> since_by_node;
      if (!instance_id.empty())
        for (auto it = st.waiters.lower_bound(instance_id + "/");
             it != st.waiters.end()
             && it->first.compare(0, instance_id.size() + 1, instance_id + "/") == 0;
             ++it)
          since_by_node[it->second.node] = it->second.since;
      auto report = report_dependencies(*wf, name, logical_time, **zone, lookup_of(self), since,
                                        since_by_node, now_ms());
      if (!report)
        return to_caf(report.error());
      report->instance_id = instance_id;
      return std::move(*report);
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"waiters", std::to_string(st.waiters.size())},
              {"upstreams", std::to_string(st.by_upstream.size())},
              {"evaluations", std::to_string(st.evaluations)}};
    },
  };
}

} // namespace cafflow
