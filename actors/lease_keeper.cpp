#include "lease_keeper.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "election.hpp"
#include "log.hpp"

namespace cafflow {

namespace {

using lease_keeper_ptr = lease_keeper_actor::stateful_pointer<lease_keeper_state>;

/// Renews the lease once and tells the master the outcome; plans the next one.
void renew(lease_keeper_ptr self) {
  auto& st = self->state;
  if (st.lost)
    return;
  auto me = st.cfg.me.to_string();
  auto sent = now_ms();
  auto kept = st.cfg.db->renew_lease(me, st.lead->epoch(), sent, st.cfg.settings.ttl_ms);
  if (!kept) {
    // The store did not answer: the lease is neither kept nor lost. The
    // master stops acting when act_until passes; a later renewal that gets
    // through (while nobody took the lease) lets it act again.
    if (st.failures++ % 10 == 0)
      st.log->error("cannot renew the master lease (epoch {}): {}; this master stops firing "
                    "and dispatching at {} unless a renewal gets through",
                    st.lead->epoch(), kept.error().message, to_iso8601(st.lead->act_until()));
  } else {
    st.lead->renewed(*kept, sent);
    if (!*kept) {
      st.lost = true;
      auto now = st.cfg.db->read_lease();
      auto holder = now ? now->holder + " (epoch " + std::to_string(now->epoch) + ")"
                        : std::string("another master");
      st.log->error("the master lease (epoch {}) was taken by {}", st.lead->epoch(), holder);
      self->send(st.cfg.master, atom::lease::value, timestamp{0}, holder);
      return;
    }
    if (st.failures > 0)
      st.log->info("the master lease is renewed again after {} failed renewals", st.failures);
    st.failures = 0;
    if (auto put = st.cfg.db->put_master_node(master_node(st.cfg.me, "active", st.cfg.started));
        !put)
      st.log->warn("cannot list this master in the store: {}", put.error().message);
  }
  self->send(st.cfg.master, atom::lease::value, st.lead->act_until(), std::string{});
  auto now = now_ms();
  // After a failure, try again soon (but not in a busy loop).
  auto next = std::max(st.lead->next_request(now), now + (st.failures > 0 ? 200 : 0));
  self->delayed_send(self, std::chrono::milliseconds(std::max<timestamp>(1, next - now)),
                     atom::tick::value);
}

} // namespace

lease_keeper_actor::behavior_type
lease_keeper(lease_keeper_actor::stateful_pointer<lease_keeper_state> self,
             lease_keeper_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("lease");
  st.lead = std::make_unique<leadership>(st.cfg.me.to_string(), st.cfg.settings);
  st.lead->acquired(lease_view{st.cfg.lease.holder, st.cfg.lease.epoch, st.cfg.lease.expires_at},
                    st.cfg.sent);
  if (auto put = st.cfg.db->put_master_node(master_node(st.cfg.me, "active", st.cfg.started));
      !put)
    st.log->warn("cannot list this master in the store: {}", put.error().message);
  self->send(st.cfg.master, atom::lease::value, st.lead->act_until(), std::string{});
  auto first = std::max<timestamp>(1, st.lead->next_request(now_ms()) - now_ms());
  self->delayed_send(self, std::chrono::milliseconds(first), atom::tick::value);
  return {
    [self](atom::tick) { renew(self); },
    [self](atom::done) -> atom::ok {
      // At shutdown: the standby need not wait for the lease to expire.
      auto& st = self->state;
      if (!st.lost && st.lead->holds()) {
        auto me = st.cfg.me.to_string();
        if (auto released = st.cfg.db->release_lease(me, st.lead->epoch(), now_ms()); !released)
          st.log->warn("cannot release the master lease: {}", released.error().message);
        else
          st.log->info("released the master lease (epoch {})", st.lead->epoch());
        auto node = master_node(st.cfg.me, "standby", st.cfg.started);
        node.pid = 0; // stopped
        st.cfg.db->put_master_node(node);
      }
      st.lost = true;
      return atom::ok::value;
    },
  };
}

} // namespace cafflow
