#include "engine/leadership.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

/// The store's lease, with the semantics of store::acquire_lease/renew_lease.
struct fake_lease {
  lease_view lease;

  lease_view acquire(const std::string& holder, timestamp now, std::int64_t ttl) {
    if (lease.holder.empty() || lease.expires_at <= now)
      lease = lease_view{holder, lease.epoch + 1, now + ttl};
    else if (lease.holder == holder)
      lease.expires_at = now + ttl;
    return lease;
  }

  bool renew(const std::string& holder, std::uint64_t epoch, timestamp now, std::int64_t ttl) {
    if (lease.holder != holder || lease.epoch != epoch)
      return false;
    // An expired lease nobody took is still the holder's.
    lease.expires_at = now + ttl;
    return true;
  }
};

const lease_settings settings{3000, 1000, 500};

/// One master driven by the clock: asks the store when it is due; `reachable`
/// says whether its requests get through (a SIGSTOP or a partition: no).
struct master_sim {
  leadership lead;
  bool reachable = true;

  explicit master_sim(const std::string& me) : lead(me, settings) {}

  void step(fake_lease& store, const std::string& me, timestamp now) {
    if (!reachable || now < lead.next_request(now))
      return;
    if (lead.holds())
      lead.renewed(store.renew(me, lead.epoch(), now, settings.ttl_ms), now);
    else
      lead.acquired(store.acquire(me, now, settings.ttl_ms), now);
  }
};

} // namespace

TEST_CASE("leadership: the first master takes the lease and keeps it by renewing") {
  fake_lease store;
  master_sim a("a");
  a.step(store, "a", 0);
  CHECK(a.lead.may_act(0));
  CHECK(a.lead.epoch() == 1);
  for (timestamp t = 1; t <= 20000; ++t) {
    a.step(store, "a", t);
    REQUIRE(a.lead.may_act(t));
  }
  CHECK(a.lead.epoch() == 1);
}

TEST_CASE("leadership: a master that cannot renew stops acting before its lease expires") {
  fake_lease store;
  master_sim a("a");
  a.step(store, "a", 0);
  a.reachable = false; // its last renewal was sent at 0
  CHECK(a.lead.may_act(2499));
  CHECK_FALSE(a.lead.may_act(2500)); // ttl - margin
  CHECK(store.lease.expires_at == 3000);
}

TEST_CASE("leadership: a standby takes over after expiry and two masters never act at once") {
  fake_lease store;
  master_sim a("a"), b("b");
  timestamp a_stopped = -1, b_started = -1;
  for (timestamp t = 0; t <= 30000; ++t) {
    if (t == 5000)
      a.reachable = false; // SIGSTOP
    if (t == 15000)
      a.reachable = true; // SIGCONT: it must find out it lost the lease
    // b's host clock runs 400 ms ahead of a's (less than the margin).
    auto tb = t + 400;
    a.step(store, "a", t);
    b.step(store, "b", tb);
    REQUIRE_FALSE((a.lead.may_act(t) && b.lead.may_act(tb)));
    if (a_stopped < 0 && t > 0 && !a.lead.may_act(t))
      a_stopped = t;
    if (b_started < 0 && b.lead.may_act(tb))
      b_started = t;
  }
  // a renews every 1000 ms; its last renewal got through at 4000.
  CHECK(a_stopped == 4000 + settings.ttl_ms - settings.margin_ms);
  CHECK(b_started > a_stopped);
  CHECK(b_started <= 4000 + settings.ttl_ms + settings.renew_interval_ms);
  CHECK(b.lead.epoch() == 2);
  // The old master came back as a standby and stays one.
  CHECK_FALSE(a.lead.holds());
  CHECK_FALSE(a.lead.may_act(30000));
  CHECK(store.lease.holder == "b");
}

TEST_CASE("leadership: a store that fails for a while but comes back keeps the holder") {
  fake_lease store;
  master_sim a("a");
  a.step(store, "a", 0);
  a.reachable = false;
  CHECK_FALSE(a.lead.may_act(2600));
  a.reachable = true; // nobody took the lease meanwhile: renewing it again works
  a.step(store, "a", 4000);
  CHECK(a.lead.may_act(4000));
  CHECK(a.lead.epoch() == 1);
}

TEST_CASE("leadership: act_until is the last confirmed renewal plus ttl minus margin") {
  fake_lease store;
  master_sim a("a");
  CHECK(a.lead.act_until() == 0);
  a.step(store, "a", 100);
  CHECK(a.lead.act_until() == 100 + 3000 - 500);
  a.step(store, "a", 1100);
  CHECK(a.lead.act_until() == 1100 + 3000 - 500);
  for (timestamp t = 1100; t < 5000; t += 50)
    CHECK(a.lead.may_act(t) == (t < a.lead.act_until()));
  a.lead.renewed(false, 1200);
  CHECK(a.lead.act_until() == 0);
  CHECK_FALSE(a.lead.may_act(1200));
}

TEST_CASE("leadership: a standby may take a free or expired lease or one whose holder is gone") {
  CHECK(may_take(lease_view{"", 3, 0}, 1000, false));
  CHECK(may_take(lease_view{"a", 3, 1000}, 1000, false));
  CHECK_FALSE(may_take(lease_view{"a", 3, 1001}, 1000, false));
  CHECK(may_take(lease_view{"a", 3, 5000}, 1000, true));
}
