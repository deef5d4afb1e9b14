#include "dispatcher.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "engine/placement.hpp"
#include "log.hpp"

namespace cafflow {

namespace {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

/// Places queued attempts while eligible workers have free slots. An attempt
/// that no worker can take now does not hold back the ones behind it.
void dispatch_queued(self_ptr self) {
  auto& st = self->state;
  if (st.queue.empty() || st.workers.empty())
    return;
  std::vector<worker_load> loads;
  std::vector<dispatcher_state::worker_entry*> entries;
  for (auto& [id, w] : st.workers) {
    loads.push_back(worker_load{id, w.info.host, w.info.groups, w.info.slots,
                                static_cast<int>(w.running.size())});
    entries.push_back(&w);
  }
  for (auto it = st.queue.begin(); it != st.queue.end();) {
    auto found = st.attempts.find(*it);
    if (found == st.attempts.end()) { // cancelled while queued
      it = st.queue.erase(it);
      continue;
    }
    auto& attempt = found->second;
    auto index = pick_worker(loads, placement_request{attempt.spec.host, attempt.spec.worker_group});
    if (index == no_worker) {
      ++it;
      continue;
    }
    auto& w = *entries[index];
    ++loads[index].running;
    w.running.insert(*it);
    attempt.worker = w.info.id;
    attempt.spec.epoch = st.cfg.epoch;
    st.log->debug("{} -> worker {}", *it, w.info.id);
    self->send(w.handle, atom::run::value, attempt.spec);
    it = st.queue.erase(it);
  }
}

/// The attempts of a worker that is gone end as lost.
void lose_worker(self_ptr self, const std::string& id, const std::string& why) {
  auto& st = self->state;
  auto it = st.workers.find(id);
  if (it == st.workers.end())
    return;
  for (const auto& key : it->second.running) {
    auto found = st.attempts.find(key);
    if (found == st.attempts.end())
      continue;
    attempt_report report;
    report.instance_id = found->second.spec.instance_id;
    report.node = found->second.spec.node;
    report.attempt = found->second.spec.attempt;
    report.worker = id;
    report.outcome = "lost";
    report.finished = now_ms();
    report.message = "worker " + id + " was lost: " + why;
    self->send(found->second.runner, atom::report::value, report);
    st.attempts.erase(found);
  }
  st.log->warn("worker {} lost ({}); {} running attempts are lost", id, why,
               it->second.running.size());
  st.workers.erase(it);
}

} // namespace

dispatcher_actor::behavior_type dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
                                           dispatcher_config cfg) {
  auto& st = self->state;
  st.cfg = cfg;
  st.log = log::get("dispatcher");
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    for (auto& [id, w] : st.workers)
      if (w.handle.address() == down.source) {
        lose_worker(self, id, self->system().render(down.reason));
        dispatch_queued(self);
        return;
      }
  });
  return {
    [self](atom::register_, worker_info& info, worker_actor& handle) -> std::uint64_t {
      auto& st = self->state;
      auto it = st.workers.find(info.id);
      if (it != st.workers.end() && it->second.handle != handle)
        lose_worker(self, info.id, "it registered again as a new process");
      else if (it != st.workers.end())
        return st.cfg.epoch; // the same process again: nothing changed
      self->monitor(handle);
      auto id = info.id;
      st.log->info("worker {} registered: host {}, {} slots, pid {}", id, info.host, info.slots,
                   info.pid);
      st.workers[id] = dispatcher_state::worker_entry{std::move(handle), std::move(info), {},
                                                      now_ms()};
      dispatch_queued(self);
      return st.cfg.epoch;
    },
    [self](atom::dispatch, attempt_spec& spec, instance_runner_actor& runner) {
      auto& st = self->state;
      auto key = attempt_key(spec.instance_id, spec.node, spec.attempt);
      st.attempts[key] =
        dispatcher_state::attempt_entry{std::move(spec), std::move(runner), {}, now_ms()};
      st.queue.push_back(key);
      dispatch_queued(self);
    },
    [self](atom::kill, const std::string& instance, const std::string& node, int attempt) {
      auto& st = self->state;
      auto key = attempt_key(instance, node, attempt);
      auto it = st.attempts.find(key);
      if (it == st.attempts.end())
        return;
      if (it->second.worker.empty()) {
        st.attempts.erase(it); // still queued: it never runs
        return;
      }
      auto w = st.workers.find(it->second.worker);
      if (w != st.workers.end())
        self->send(w->second.handle, atom::kill::value, instance, node, attempt);
    },
    [self](atom::report, attempt_report& report) {
      auto& st = self->state;
      auto key = attempt_key(report.instance_id, report.node, report.attempt);
      auto w = st.workers.find(report.worker);
      auto it = st.attempts.find(key);
      if (report.outcome == "running") {
        if (it != st.attempts.end())
          self->send(it->second.runner, atom::report::value, std::move(report));
        return;
      }
      // A final report: the worker may forget it once we have it.
      if (w != st.workers.end()) {
        self->send(w->second.handle, atom::ack::value, key);
        w->second.running.erase(key);
      }
      if (it != st.attempts.end()) {
        self->send(it->second.runner, atom::report::value, std::move(report));
        st.attempts.erase(it);
      }
      dispatch_queued(self);
    },
    [self](atom::workers) {
      std::vector<worker_record> result;
      for (const auto& [id, w] : self->state.workers)
        result.push_back(worker_record{id, w.info.host, w.info.slots,
                                       static_cast<int>(w.running.size()), w.info.groups,
                                       w.registered, "up"});
      return result;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      int slots = 0, busy = 0;
      for (const auto& [id, w] : st.workers) {
        slots += w.info.slots;
        busy += static_cast<int>(w.running.size());
      }
      return {{"workers", std::to_string(st.workers.size())},
              {"slots", std::to_string(slots)},
              {"busy_slots", std::to_string(busy)},
              {"queued", std::to_string(st.queue.size())}};
    },
  };
}

} // namespace cafflow
