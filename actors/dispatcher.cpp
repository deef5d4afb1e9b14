#include "dispatcher.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "engine/placement.hpp"
#include "log.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

using dispatcher_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

std::vector<worker_load> loads(const dispatcher_state& st) {
  std::vector<worker_load> result;
  for (const auto& [id, w] : st.workers)
    result.push_back(worker_load{id, w.info.host, w.info.groups,
                                 // A stopping or disconnected worker has no free slot.
                                 w.draining || w.disconnected
                                   ? static_cast<int>(w.running.size())
                                   : w.info.slots,
                                 static_cast<int>(w.running.size())});
  return result;
}

/// Tells a runner that its attempt waits, and why (once per reason).
void tell_waiting(dispatcher_ptr self, dispatcher_state::attempt_entry& attempt, std::string reason) {
  if (attempt.waiting == reason)
    return;
  attempt.waiting = reason;
  attempt_report r;
  r.instance_id = attempt.spec.instance_id;
  r.node = attempt.spec.node;
  r.attempt = attempt.spec.attempt;
  r.outcome = "waiting";
  r.message = std::move(reason);
  self->send(attempt.runner, atom::report::value, std::move(r));
}

/// Places queued attempts, best first, while eligible workers have free
/// slots. One that no worker can take now does not hold back the others.
///
/// Why an attempt waits depends only on which workers there are, so it is
/// told once when the attempt is queued (see `atom::dispatch`) and again only
/// when workers come or go (`workers_changed`). Otherwise the scan ends as
/// soon as every slot is taken: a deep queue costs nothing per event.
void dispatch_queued(dispatcher_ptr self, bool workers_changed = false) {
  auto& st = self->state;
  if (st.queue.empty() || st.holding || st.draining)
    return;
  if (now_ms() >= st.act_until) {
    if (!st.fenced)
      st.log->warn("the master lease was not renewed in time: placing no attempts ({} queued)",
                   st.queue.size());
    st.fenced = true;
    return;
  }
  auto load = loads(st);
  int free_slots = 0;
  for (const auto& w : load)
    free_slots += std::max(0, w.slots - w.running);
  // Pools and max-parallel: what runs now, counted only when some attempt
  // asks for a limit.
  limit_use use;
  bool limits = st.attempts.any_limited();
  if (limits)
    for (const auto& [key, a] : st.attempts)
      if (!a.worker.empty()) {
        ++use.workflows[a.spec.workflow];
        if (!a.spec.pool.empty())
          ++use.pools[a.spec.pool];
      }
  std::vector<dispatcher_state::worker_entry*> entries;
  for (auto& [id, w] : st.workers)
    entries.push_back(&w);
  for (auto it = st.queue.begin(); it != st.queue.end();) {
    if (free_slots == 0 && !workers_changed)
      break;
    auto found = st.attempts.find(it->second);
    if (found == st.attempts.end()) { // cancelled while queued
      it = st.queue.erase(it);
      continue;
    }
    auto& attempt = found->second;
    if (!attempt.worker.empty()) { // a worker claimed it while it was held
      it = st.queue.erase(it);
      continue;
    }
    if (attempt.held) {
      ++it;
      continue;
    }
    if (limits) {
      auto held_by = limit_reason(attempt.spec.workflow, attempt.spec.max_parallel,
                                  attempt.spec.pool, st.cfg.pools, use);
      if (!held_by.empty()) {
        tell_waiting(self, attempt, held_by);
        ++it;
        continue;
      }
    }
    placement_request req{attempt.spec.host, attempt.spec.worker_group};
    auto index = free_slots == 0 ? no_worker : pick_worker(load, req);
    if (index == no_worker) {
      if (workers_changed)
        tell_waiting(self, attempt, waiting_reason(load, req));
      ++it;
      continue;
    }
    if (now_ms() >= st.act_until)
      break; // checked right before each send: a paused process may wake up late
    auto& w = *entries[index];
    ++load[index].running;
    --free_slots;
    if (limits) {
      ++use.workflows[attempt.spec.workflow];
      if (!attempt.spec.pool.empty())
        ++use.pools[attempt.spec.pool];
    }
    w.running.insert(it->second);
    attempt.worker = w.info.id;
    attempt.spec.epoch = st.cfg.epoch;
    attempt.spec.worker = w.info.id;
    if (st.attempts_started == 0)
      st.log->info("first attempt of epoch {} dispatched at {}: {} -> worker {}", st.cfg.epoch,
                   to_iso8601(now_ms()), it->second, w.info.id);
    else
      st.log->debug("{} -> worker {}", it->second, w.info.id);
    self->send(w.handle, atom::run::value, attempt.spec);
    // The runner stores at once which worker runs the attempt: should this
    // master stop now, the next one waits for that worker's claim (or its
    // lease) instead of taking the attempt for never placed. The worker
    // tells of the running process itself only once it has run for a moment.
    attempt_report placed;
    placed.instance_id = attempt.spec.instance_id;
    placed.node = attempt.spec.node;
    placed.attempt = attempt.spec.attempt;
    placed.worker = w.info.id;
    placed.epoch = st.cfg.epoch;
    placed.outcome = "running";
    placed.started = now_ms();
    self->send(attempt.runner, atom::report::value, std::move(placed));
    ++st.attempts_started;
    st.dispatch_latency.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - attempt.queued_steady)
        .count());
    if (attempt.spec.fired_at > 0)
      st.fire_dispatch_lag.observe(
        static_cast<double>(std::max<timestamp>(0, now_ms() - attempt.spec.fired_at)) / 1000.0);
    it = st.queue.erase(it);
  }
}

/// The attempts of a worker that is gone end as lost.
void lose_worker(dispatcher_ptr self, const std::string& id, const std::string& why) {
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
    report.epoch = found->second.spec.epoch;
    report.outcome = "lost";
    report.finished = now_ms();
    report.message = "worker " + id + " was lost: " + why;
    self->send(found->second.runner, atom::report::value, report);
    st.attempts.erase(found);
    ++st.attempts_ended["lost"];
  }
  st.lost_workers.insert(id);
  st.log->warn("worker {} lost ({}); {} running attempts are lost", id, why,
               it->second.running.size());
  if (st.cfg.alerter) {
    alert_event e;
    e.at = now_ms();
    e.key = "worker_lost:" + id + ":" + std::to_string(it->second.registered) + ":"
            + std::to_string(st.cfg.epoch);
    e.kind = "worker_lost";
    e.severity = "critical";
    e.title = "worker " + id + " was lost";
    e.message = why + "; " + std::to_string(it->second.running.size())
                + " running attempts were lost (their retry policy applies)";
    self->send(st.cfg.alerter, atom::alert::value, std::move(e));
  }
  st.workers.erase(it);
}

/// Whether this process was just paused: the heartbeat check is far behind
/// its time, or a pause was seen less than a worker_timeout ago. Silence and
/// dropped connections then say nothing about the workers: the pause caused
/// them, and the workers still hold what ran meanwhile.
bool just_paused(dispatcher_ptr self) {
  auto& st = self->state;
  auto overdue = std::chrono::steady_clock::now() - st.last_check;
  return overdue > st.cfg.worker_timeout / 4 + std::chrono::seconds(1)
         || now_ms() < st.pause_grace_until;
}

void check_heartbeats(dispatcher_ptr self) {
  auto& st = self->state;
  auto now = now_ms();
  auto steady = std::chrono::steady_clock::now();
  auto behind = steady - st.last_check - st.cfg.worker_timeout / 4;
  st.last_check = steady;
  if (behind > std::chrono::seconds(1)) {
    // Every worker gets a fresh worker_timeout to report (they register
    // again with what ran and ended meanwhile): nothing is lost, nothing runs twice.
    st.pause_grace_until = now + st.cfg.worker_timeout.count();
    for (auto& [id, w] : st.workers)
      w.last_heartbeat = now;
    st.log->warn("this master was paused for about {} ms: the {} workers get {} ms to report "
                 "before any counts as lost",
                 std::chrono::duration_cast<std::chrono::milliseconds>(behind).count(),
                 st.workers.size(), st.cfg.worker_timeout.count());
  }
  std::vector<std::string> silent;
  for (const auto& [id, w] : st.workers)
    if (now - w.last_heartbeat > st.cfg.worker_timeout.count())
      silent.push_back(id);
  for (const auto& id : silent)
    lose_worker(self, id, "no heartbeat for " + std::to_string(st.cfg.worker_timeout.count())
                            + " ms");
  if (!silent.empty())
    dispatch_queued(self, true);
  self->delayed_send(self, st.cfg.worker_timeout / 4, atom::heartbeat::value);
}

/// An attempt runs on `w`: it takes a slot there, and its runner hears so.
void take_claim(dispatcher_ptr self, const std::string& key, dispatcher_state::attempt_entry& attempt,
                dispatcher_state::worker_entry& w, attempt_report report) {
  attempt.worker = w.info.id;
  attempt.held = false;
  w.running.insert(key);
  report.outcome = "running";
  self->send(attempt.runner, atom::report::value, std::move(report));
}

/// A worker's claim meets the attempt it belongs to: a result goes to the
/// runner; a running attempt is re-attached on its worker.
void apply_claim(dispatcher_ptr self, const std::string& key, recovery_book::claim c) {
  auto& st = self->state;
  auto it = st.attempts.find(key);
  if (it == st.attempts.end())
    return;
  st.cfg.recovery.settled(key);
  if (is_final_outcome(c.report.outcome)) {
    st.log->info("{}: result from worker {} recovered ({})", key, c.worker, c.report.outcome);
    ++st.attempts_ended[c.report.outcome];
    self->send(it->second.runner, atom::report::value, std::move(c.report));
    st.attempts.erase(it);
    return;
  }
  auto w = st.workers.find(c.worker);
  if (w == st.workers.end()) {
    // Its worker claimed it, then went away: lost like the worker's others.
    attempt_report r = c.report;
    r.outcome = "lost";
    r.finished = now_ms();
    r.message = "worker " + c.worker + " was lost while the master recovered";
    ++st.attempts_ended["lost"];
    self->send(it->second.runner, atom::report::value, std::move(r));
    st.attempts.erase(it);
    return;
  }
  st.log->info("{}: still running on worker {}, re-attached", key, c.worker);
  take_claim(self, key, it->second, w->second, std::move(c.report));
}

/// What a registering worker runs, or ran without an acknowledged result:
/// re-attached or applied when an instance expects it, kept while recovery
/// may still want it, else stopped or dropped.
void handle_claims(dispatcher_ptr self, dispatcher_state::worker_entry& w,
                   std::vector<attempt_report> claims) {
  auto& st = self->state;
  for (auto& r : claims) {
    auto key = attempt_key(r.instance_id, r.node, r.attempt);
    auto it = st.attempts.find(key);
    if (is_final_outcome(r.outcome)) {
      // A result not yet acknowledged: as if it came now.
      w.running.erase(key);
      if (it != st.attempts.end()) {
        st.cfg.recovery.settled(key);
        ++st.attempts_ended[r.outcome];
        self->send(it->second.runner, atom::report::value, std::move(r));
        st.attempts.erase(it);
      } else if (st.cfg.recovery.covers(key)) {
        st.cfg.recovery.park(recovery_book::claim{w.info.id, std::move(r)});
      } else {
        self->send(w.handle, atom::ack::value, key); // nobody wants it
      }
      continue;
    }
    if (it != st.attempts.end() && (it->second.worker.empty() || it->second.worker == w.info.id)) {
      st.cfg.recovery.settled(key);
      st.log->info("{}: still running on worker {}, re-attached", key, w.info.id);
      take_claim(self, key, it->second, w, std::move(r));
    } else if (it == st.attempts.end() && st.cfg.recovery.covers(key)) {
      st.cfg.recovery.park(recovery_book::claim{w.info.id, std::move(r)});
    } else {
      st.log->warn("{}: running on worker {} but wanted by no instance; stopping it", key,
                   w.info.id);
      self->send(w.handle, atom::kill::value, r.instance_id, r.node, r.attempt, st.cfg.epoch);
    }
  }
}

/// Claims nobody took in time: running attempts are stopped, results dropped.
void expire_claims(dispatcher_ptr self) {
  auto& st = self->state;
  auto left = st.cfg.recovery.expire();
  if (!left.unwanted_running.empty() || !left.unwanted_results.empty())
    st.log->warn("recovery: {} running attempts and {} results no instance wanted; stopping and "
                 "dropping them",
                 left.unwanted_running.size(), left.unwanted_results.size());
  for (const auto& c : left.unwanted_running)
    if (auto w = st.workers.find(c.worker); w != st.workers.end())
      self->send(w->second.handle, atom::kill::value, c.report.instance_id, c.report.node,
                 c.report.attempt, st.cfg.epoch);
  for (const auto& c : left.unwanted_results)
    if (auto w = st.workers.find(c.worker); w != st.workers.end())
      self->send(w->second.handle, atom::ack::value,
                 attempt_key(c.report.instance_id, c.report.node, c.report.attempt));
}

/// Recovery ends: what nobody claimed is lost, and held attempts may be
/// placed. Claims not taken yet expire a deadline later.
/// An expected attempt no worker claimed, which the store says was never
/// placed on a worker (it waited for a slot, or the master stopped while it
/// drained), is queued again rather than lost: recovery has waited for every
/// worker (or their lease), so nothing runs it, and it never ran, so it
/// costs no retry.
bool requeue_unplaced(dispatcher_ptr self, const std::string& key) {
  auto& st = self->state;
  auto it = st.attempts.find(key);
  if (it == st.attempts.end() || !it->second.worker.empty() || !it->second.spec.worker.empty())
    return false;
  auto& attempt = it->second;
  attempt.held = false;
  st.queue.emplace(dispatcher_state::queue_key{attempt.spec.priority_class,
                                               -attempt.spec.priority,
                                               -attempt.spec.action_priority, st.next_seq++},
                   key);
  st.log->info("{}: was never placed before the master restarted; queued again", key);
  return true;
}

void close_recovery(dispatcher_ptr self, const char* why) {
  auto& st = self->state;
  if (!st.cfg.recovery.open())
    return;
  auto left = st.cfg.recovery.close();
  std::size_t requeued = 0;
  for (const auto& key : left.lost)
    requeued += requeue_unplaced(self, key) ? 1 : 0;
  st.log->info("recovery done ({}): {} attempts lost, {} queued again, {} released", why,
               left.lost.size() - requeued, requeued, left.released.size());
  if (st.cfg.recovery.has_claims())
    self->delayed_send(self, st.cfg.recovery_deadline, atom::timeout::value);
  for (const auto& key : left.lost) {
    auto it = st.attempts.find(key);
    if (it == st.attempts.end() || !it->second.worker.empty() || it->second.spec.worker.empty())
      continue; // (re-attached, or queued again above)
    attempt_report r;
    r.instance_id = it->second.spec.instance_id;
    r.node = it->second.spec.node;
    r.attempt = it->second.spec.attempt;
    r.worker = it->second.spec.worker;
    r.epoch = it->second.spec.epoch;
    r.outcome = "lost";
    r.finished = now_ms();
    r.message = "no worker had it when the master restarted";
    self->send(it->second.runner, atom::report::value, std::move(r));
    st.attempts.erase(it);
    ++st.attempts_ended["lost"];
  }
  for (const auto& key : left.released)
    if (auto it = st.attempts.find(key); it != st.attempts.end())
      it->second.held = false;
  dispatch_queued(self, true);
}

void maybe_close_recovery(dispatcher_ptr self) {
  if (self->state.cfg.recovery.complete())
    close_recovery(self, "every worker is back");
}

} // namespace

dispatcher_actor::behavior_type dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
                                           dispatcher_config cfg) {
  auto& st = self->state;
  st.cfg = cfg;
  st.log = log::get("dispatcher");
  self->delayed_send(self, st.cfg.worker_timeout / 4, atom::heartbeat::value);
  if (st.cfg.recovery.open())
    self->delayed_send(self, st.cfg.recovery_deadline, atom::timeout::value);
  return {
    [self](atom::register_, worker_info& info, worker_link_actor& handle) -> std::uint64_t {
      auto& st = self->state;
      auto it = st.workers.find(info.id);
      if (it != st.workers.end() && it->second.handle != handle)
        lose_worker(self, info.id, "it registered again as a new process");
      else if (it != st.workers.end()) {
        // The same process again: only its unacknowledged results matter.
        if (it->second.disconnected)
          st.log->info("worker {} is back after this master was paused ({} claims)", info.id,
                       info.claims.size());
        it->second.disconnected = false;
        it->second.last_heartbeat = now_ms();
        handle_claims(self, it->second, std::move(info.claims));
        return st.cfg.epoch;
      }
      auto id = info.id;
      st.log->info("worker {} registered: host {}, {} slots, groups [{}], pid {}, {} claims",
                   id, info.host, info.slots, join(info.groups, ","), info.pid,
                   info.claims.size());
      auto now = now_ms();
      auto claims = std::move(info.claims);
      auto& w = st.workers[id] = dispatcher_state::worker_entry{std::move(handle), std::move(info),
                                                                {}, now, now, 0};
      handle_claims(self, w, std::move(claims));
      st.lost_workers.erase(id);
      st.cfg.recovery.registered(id);
      maybe_close_recovery(self);
      dispatch_queued(self, true);
      return st.cfg.epoch;
    },
    [self](atom::dispatch, attempt_spec& spec, instance_runner_actor& runner) {
      auto& st = self->state;
      auto key = attempt_key(spec.instance_id, spec.node, spec.attempt);
      auto queue_key =
        dispatcher_state::queue_key{spec.priority_class, -spec.priority, -spec.action_priority,
                                    st.next_seq++};
      auto& attempt = st.attempts.put(key, dispatcher_state::attempt_entry{
                                                 std::move(spec), std::move(runner), {}, now_ms(),
                                                 {}, false});
      if (st.cfg.recovery.open() || st.cfg.recovery.has_claims()) {
        auto placement = st.cfg.recovery.dispatched(key);
        if (placement.claimed) {
          apply_claim(self, key, std::move(*placement.claimed));
          return;
        }
        if (placement.hold) {
          attempt.held = true;
          st.queue.emplace(queue_key, key);
          tell_waiting(self, attempt,
                       "waiting for the workers to come back after the master restarted");
          return;
        }
      }
      st.queue.emplace(queue_key, key);
      dispatch_queued(self);
      // Still queued: say why, once.
      if (auto it = st.attempts.find(key); it != st.attempts.end() && it->second.worker.empty()) {
        placement_request req{it->second.spec.host, it->second.spec.worker_group};
        tell_waiting(self, it->second, waiting_reason(loads(st), req));
      }
    },
    [self](atom::adopt, attempt_spec& spec, instance_runner_actor& runner) {
      auto& st = self->state;
      auto key = attempt_key(spec.instance_id, spec.node, spec.attempt);
      if (!st.cfg.recovery.open()) {
        // Recovery ended before this instance came back: nobody has it.
        attempt_report r;
        r.instance_id = spec.instance_id;
        r.node = spec.node;
        r.attempt = spec.attempt;
        r.outcome = "lost";
        r.finished = now_ms();
        r.message = "no worker had it when the master restarted";
        self->send(runner, atom::report::value, std::move(r));
        ++self->state.attempts_ended["lost"];
        return;
      }
      st.attempts.put(key, dispatcher_state::attempt_entry{std::move(spec), std::move(runner), {},
                                                           now_ms(), {}, false});
      if (auto claim = st.cfg.recovery.attach(key))
        apply_claim(self, key, std::move(*claim));
      maybe_close_recovery(self);
    },
    [self](atom::ack, const std::string& worker, const std::string& key) {
      auto& st = self->state;
      if (auto w = st.workers.find(worker); w != st.workers.end())
        self->send(w->second.handle, atom::ack::value, key);
    },
    [self](atom::timeout) {
      if (self->state.cfg.recovery.open())
        close_recovery(self, "its deadline passed");
      else
        expire_claims(self);
    },
    [self](atom::lease, timestamp until) {
      auto& st = self->state;
      st.act_until = until;
      if (st.fenced && now_ms() < until) {
        st.fenced = false;
        st.log->info("the master lease is renewed: placing attempts again");
        dispatch_queued(self, true);
      }
    },
    [self](atom::hold, bool on) {
      auto& st = self->state;
      if (st.holding == on)
        return;
      st.holding = on;
      if (on)
        st.log->warn("placing no attempts until the store catches up ({} queued)",
                     st.queue.size());
      else
        dispatch_queued(self, true);
    },
    [self](atom::drain) {
      auto& st = self->state;
      if (st.draining)
        return;
      st.draining = true;
      st.log->info("draining: placing no attempts any more ({} queued stay for the next master)",
                   st.queue.size());
    },
    [self](atom::shutdown) -> atom::ok {
      auto& st = self->state;
      st.log->warn("the cluster stops: telling {} worker(s) to stop", st.workers.size());
      for (auto& [id, w] : st.workers)
        self->send(w.handle, atom::shutdown::value);
      return atom::ok::value;
    },
    [self](atom::drain, const std::string& id) {
      auto& st = self->state;
      if (auto it = st.workers.find(id); it != st.workers.end() && !it->second.draining) {
        it->second.draining = true;
        st.log->info("worker {} is stopping: no new attempts go there ({} still run)", id,
                     it->second.running.size());
      }
    },
    [self](atom::disconnect, const std::string& id, const std::string& why) {
      auto& st = self->state;
      auto it = st.workers.find(id);
      if (it == st.workers.end())
        return;
      if (just_paused(self)) {
        it->second.disconnected = true;
        st.log->warn("worker {} disconnected ({}) as this master woke from a pause: it has until "
                     "its heartbeats count as missing to register again",
                     id, why);
        return;
      }
      lose_worker(self, id, why);
      dispatch_queued(self, true);
    },
    [self](atom::kill, const std::string& instance, const std::string& node, int attempt) {
      auto& st = self->state;
      auto key = attempt_key(instance, node, attempt);
      auto it = st.attempts.find(key);
      if (it == st.attempts.end())
        return;
      if (it->second.worker.empty()) {
        // Still queued: it never runs. Its runner gets the final word.
        attempt_report r;
        r.instance_id = instance;
        r.node = node;
        r.attempt = attempt;
        r.outcome = "killed";
        r.finished = now_ms();
        r.message = "killed before it started";
        self->send(it->second.runner, atom::report::value, std::move(r));
        ++st.attempts_ended["killed"];
        st.attempts.erase(it);
        return;
      }
      auto w = st.workers.find(it->second.worker);
      if (w != st.workers.end())
        self->send(w->second.handle, atom::kill::value, instance, node, attempt, st.cfg.epoch);
    },
    [self](atom::report, attempt_report& report) {
      auto& st = self->state;
      auto key = attempt_key(report.instance_id, report.node, report.attempt);
      auto w = st.workers.find(report.worker);
      auto it = st.attempts.find(key);
      if (!is_final_outcome(report.outcome)) {
        if (it != st.attempts.end())
          self->send(it->second.runner, atom::report::value, std::move(report));
        return;
      }
      // A final report frees the slot. The worker forgets it only when its
      // runner has committed it (`atom::ack`): until then a restarted master
      // can still learn it from the worker.
      if (w != st.workers.end())
        w->second.running.erase(key);
      if (it != st.attempts.end()) {
        st.cfg.recovery.settled(key);
        ++st.attempts_ended[report.outcome];
        self->send(it->second.runner, atom::report::value, std::move(report));
        st.attempts.erase(it);
      } else if (st.cfg.recovery.covers(key)) {
        auto worker = report.worker;
        st.cfg.recovery.park(recovery_book::claim{std::move(worker), std::move(report)});
      } else if (w != st.workers.end()) {
        self->send(w->second.handle, atom::ack::value, key); // nobody wants it
      }
      dispatch_queued(self);
    },
    [self](atom::heartbeat, const std::string& id, int running, double load) {
      auto& st = self->state;
      auto it = st.workers.find(id);
      if (it == st.workers.end())
        return false; // lost, or never registered here: it must register
      it->second.last_heartbeat = now_ms();
      it->second.load = load;
      if (running != static_cast<int>(it->second.running.size()))
        st.log->debug("worker {} runs {} attempts, {} dispatched here", id, running,
                      it->second.running.size());
      return true;
    },
    [self](atom::heartbeat) { check_heartbeats(self); },
    [self](atom::get, const std::string& id) -> caf::result<worker_link_actor> {
      auto it = self->state.workers.find(id);
      if (it == self->state.workers.end())
        return make_caf_error(ec::no_worker, "worker " + id + " is not connected");
      return it->second.handle;
    },
    [self](atom::workers) {
      std::vector<worker_record> result;
      for (const auto& [id, w] : self->state.workers) {
        worker_record r;
        r.id = id;
        r.host = w.info.host;
        r.slots = w.info.slots;
        r.running = static_cast<int>(w.running.size());
        r.groups = w.info.groups;
        r.registered = w.registered;
        r.state = w.draining ? "draining" : w.disconnected ? "disconnected" : "up";
        r.last_heartbeat = w.last_heartbeat;
        r.load = w.load;
        r.pid = w.info.pid;
        result.push_back(std::move(r));
      }
      return result;
    },
    [self](atom::metrics) {
      auto& st = self->state;
      dispatch_metrics m;
      m.attempts_started = st.attempts_started;
      m.attempts_ended = st.attempts_ended;
      m.dispatch_latency = st.dispatch_latency.snapshot();
      m.fire_dispatch_lag = st.fire_dispatch_lag.snapshot();
      for (const auto& [queue_key, key] : st.queue)
        if (auto it = st.attempts.find(key); it != st.attempts.end() && it->second.worker.empty())
          ++m.queued_attempts; // not the ones cancelled or claimed while queued
      m.workers_up = st.workers.size();
      m.workers_down = st.lost_workers.size();
      for (const auto& [id, w] : st.workers) {
        auto slots = static_cast<std::uint64_t>(std::max(0, w.info.slots));
        m.slots_total += slots;
        if (!w.draining) // a stopping worker takes no new attempt
          m.slots_free += slots - std::min<std::uint64_t>(slots, w.running.size());
      }
      for (const auto& [pool, size] : st.cfg.pools) {
        m.pool_slots[pool] = static_cast<std::uint64_t>(size);
        m.pool_in_use[pool] = 0;
      }
      for (const auto& [key, a] : st.attempts)
        if (!a.worker.empty() && !a.spec.pool.empty())
          ++m.pool_in_use[a.spec.pool];
      return m;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      int slots = 0, busy = 0;
      for (const auto& [id, w] : st.workers) {
        slots += w.info.slots;
        busy += static_cast<int>(w.running.size());
      }
      status_map result{{"workers", std::to_string(st.workers.size())},
                        {"slots", std::to_string(slots)},
                        {"busy_slots", std::to_string(busy)},
                        {"queued", std::to_string(st.queue.size())},
                        {"recovering", st.cfg.recovery.open() ? "true" : "false"}};
      // Pools as "pool:NAME" = "IN_USE/SLOTS".
      std::map<std::string, int> in_use;
      for (const auto& [key, a] : st.attempts)
        if (!a.worker.empty() && !a.spec.pool.empty())
          ++in_use[a.spec.pool];
      for (const auto& [pool, size] : st.cfg.pools)
        result["pool:" + pool] = std::to_string(in_use[pool]) + "/" + std::to_string(size);
      return result;
    },
  };
}

} // namespace cafflow
