// The master's life: shutdown in order, drain, demotion, the lease and the
// store's health (actors/master_parts.hpp).
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

#include "log.hpp"
#include "util/time.hpp"

namespace cafflow::master_detail {

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
  self->send_exit(st.waiter, caf::exit_reason::user_shutdown);
  self->send_exit(st.backfiller, caf::exit_reason::user_shutdown);
  for (auto& [id, runner] : st.runners)
    self->send_exit(runner, caf::exit_reason::user_shutdown);
  self->send_exit(st.dispatcher, caf::exit_reason::user_shutdown);
  self->send_exit(st.registry, caf::exit_reason::user_shutdown);
  auto finish = [self, reason]() mutable {
    auto& st = self->state;
    self->send_exit(st.writer, caf::exit_reason::user_shutdown);
    self->send_exit(st.reader, caf::exit_reason::user_shutdown);
    if (st.alerter)
      self->send_exit(st.alerter, caf::exit_reason::user_shutdown);
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
  self->send(st.backfiller, atom::drain::value);
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
                         caf::actor_cast<caf::actor>(st.waiter),
                         caf::actor_cast<caf::actor>(st.backfiller),
                         caf::actor_cast<caf::actor>(st.dispatcher),
                         caf::actor_cast<caf::actor>(st.registry),
                         caf::actor_cast<caf::actor>(st.keeper),
                         caf::actor_cast<caf::actor>(st.pruner),
                         caf::actor_cast<caf::actor>(st.writer),
                         caf::actor_cast<caf::actor>(st.reader),
                         caf::actor_cast<caf::actor>(st.alerter)})
    if (component)
      self->send_exit(component, caf::exit_reason::kill);
  for (auto& [id, runner] : st.runners)
    self->send_exit(runner, caf::exit_reason::kill);
  self->quit(make_caf_error(ec::fenced, why));
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


void lease_update(self_ptr self, timestamp until, const std::string& taken_by) {
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
}

void store_health(self_ptr self, bool available, std::string& error, std::uint64_t pending) {
  auto& st = self->state;
  if (available != st.store_available) {
    if (available)
      st.log->info("the store is available again");
    else
      st.log->error("the store is unavailable, writes wait in memory: {}", error);
    if (!available && st.alerter) {
      alert_event e;
      e.at = now_ms();
      e.key = "store_degraded:" + st.cfg.address.to_string() + ":" + std::to_string(e.at);
      e.kind = "store_degraded";
      e.severity = "critical";
      e.title = "the store of cluster '" + st.cfg.cluster_name + "' is unavailable";
      e.message = error + " (" + std::to_string(pending) + " writes wait in memory)";
      self->send(st.alerter, atom::alert::value, std::move(e));
    }
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
}

} // namespace cafflow::master_detail
