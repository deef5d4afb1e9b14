// The leadership of one master process (docs/OPERATIONS.md, "High availability"): standby until it
// takes the master lease, active while it renews the lease in time, and
// silent (no fire, no dispatch) from the moment its lease could have expired
// as seen by a standby — before the standby may take it. Pure: the time is
// passed in; the master actor asks the store (acquire, renew) and obeys.
//
// Safety: the store's expiry is the caller's send time + ttl. A master stops
// acting at (send time of its last successful renewal) + ttl - margin, which
// is before that expiry; a standby takes the lease only after the expiry on
// its own clock. So two masters never act at once while the clocks of their
// hosts differ by less than `margin`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/time.hpp"

namespace cafflow {

struct lease_settings {
  /// How long a lease lasts after it was taken or renewed.
  std::int64_t ttl_ms = 3000;
  /// How often the holder renews it.
  std::int64_t renew_interval_ms = 1000;
  /// How long before the lease's expiry the holder stops acting (covers
  /// clock differences between hosts and the time to stop).
  std::int64_t margin_ms = 500;
};

/// The lease as the store answered it.
struct lease_view {
  std::string holder;
  std::uint64_t epoch = 0;
  timestamp expires_at = 0;
};

/// Whether a standby that read `lease` at `now` may try to take it: nobody
/// holds it, it has expired, or its holder is known to be gone
/// (`holder_gone`: its process on this machine has exited).
bool may_take(const lease_view& lease, timestamp now, bool holder_gone);

class leadership {
public:
  enum class role { standby, active };

  /// `me`: this master's address (the lease holder name).
  leadership(std::string me, lease_settings settings);

  /// The store answered an acquire sent at `sent`: the lease as it is now.
  /// Returns true when this master became (or stays) active.
  bool acquired(const lease_view& lease, timestamp sent);

  /// The store answered a renewal sent at `sent`: kept (true) or lost
  /// (someone took the lease or the epoch moved on: this master is standby).
  void renewed(bool kept, timestamp sent);

  /// Whether this master may fire and dispatch at `now`.
  bool may_act(timestamp now) const;

  /// The role at `now`: active only while it may act.
  role current(timestamp now) const { return may_act(now) ? role::active : role::standby; }

  /// When to ask the store next (acquire as standby, renew as active).
  timestamp next_request(timestamp now) const;

  /// True when the next request is a renewal (else an acquire).
  bool holds() const { return holding_; }

  /// The epoch of the lease this master holds or last held (0 = never).
  std::uint64_t epoch() const { return epoch_; }

  /// When a standby may try to take the lease (its expiry as last seen).
  timestamp lease_expires() const { return seen_expiry_; }

  /// Until when this master may fire and dispatch (0 = it holds no lease).
  timestamp act_until() const {
    return holding_ ? confirmed_at_ + settings_.ttl_ms - settings_.margin_ms : 0;
  }

private:
  std::string me_;
  lease_settings settings_;
  bool holding_ = false;
  std::uint64_t epoch_ = 0;
  /// Send time of the last acquire or renewal that succeeded.
  timestamp confirmed_at_ = 0;
  timestamp seen_expiry_ = 0;
};

} // namespace cafflow
