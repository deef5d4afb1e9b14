#include "engine/leadership.hpp"

#include <algorithm>

namespace cafflow {

bool may_take(const lease_view& lease, timestamp now, bool holder_gone) {
  return lease.holder.empty() || lease.expires_at <= now || holder_gone;
}

leadership::leadership(std::string me, lease_settings settings)
  : me_(std::move(me)), settings_(settings) {
}

bool leadership::acquired(const lease_view& lease, timestamp sent) {
  seen_expiry_ = lease.expires_at;
  if (lease.holder != me_) {
    holding_ = false;
    return false;
  }
  holding_ = true;
  epoch_ = lease.epoch;
  confirmed_at_ = sent;
  return true;
}

void leadership::renewed(bool kept, timestamp sent) {
  if (!holding_)
    return;
  if (!kept) {
    holding_ = false;
    return;
  }
  confirmed_at_ = std::max(confirmed_at_, sent);
  seen_expiry_ = confirmed_at_ + settings_.ttl_ms;
}

bool leadership::may_act(timestamp now) const {
  return holding_ && now < confirmed_at_ + settings_.ttl_ms - settings_.margin_ms;
}

timestamp leadership::next_request(timestamp now) const {
  if (holding_)
    return confirmed_at_ + settings_.renew_interval_ms;
  // A standby asks when the lease it saw expires, and at least every renew
  // interval (the holder may release it early).
  return std::max(now, std::min(seen_expiry_, now + settings_.renew_interval_ms));
}

} // namespace cafflow
