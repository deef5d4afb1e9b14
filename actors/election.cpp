#include "election.hpp"

#include <algorithm>
#include <unistd.h>

#include "exec/process.hpp"
#include "log.hpp"
#include "util/sd_notify.hpp"
#include "system.hpp"

namespace cafflow {

namespace {

/// Whether the holder of `lease` is known to be gone: its process runs on
/// this machine and has exited (or is this very process, restarted by exec).
bool holder_gone(const lease_record& lease, const std::vector<master_node_record>& nodes,
                 const std::string& me, const std::string& here) {
  for (const auto& n : nodes) {
    if (n.address != lease.holder || n.host != here)
      continue;
    if (n.address == me && n.pid == static_cast<int>(::getpid()))
      return true;
    return !process_running(n.pid);
  }
  return false;
}

/// Whether the holder's process runs on this machine (then it is watched
/// closely: its end is seen at once).
bool holder_here(const lease_record& lease, const std::vector<master_node_record>& nodes,
                 const std::string& here) {
  return std::any_of(nodes.begin(), nodes.end(), [&](const master_node_record& n) {
    return n.address == lease.holder && n.host == here;
  });
}

} // namespace

lease_settings lease_settings_of(const config& cfg) {
  return lease_settings{cfg.master.lease_ttl_ms, cfg.master.lease_renew_ms,
                        cfg.master.lease_margin_ms};
}

master_node_record master_node(const host_port& me, const std::string& role, timestamp started) {
  master_node_record node;
  node.address = me.to_string();
  node.role = role;
  node.pid = static_cast<int>(::getpid());
  node.host = host_name();
  node.started_at = started;
  node.seen_at = now_ms();
  return node;
}

expected<std::optional<takeover>> await_lease(store& db, const config& cfg,
                                              const host_port& me) {
  auto log = log::get("standby");
  auto settings = lease_settings_of(cfg);
  auto self = me.to_string();
  auto started = now_ms();
  auto here = host_name();
  // The holder being watched, and since when the lease is takeable.
  std::string watched;
  std::uint64_t watched_epoch = 0;
  timestamp listed_at = 0;
  int failures = 0;
  for (;;) {
    auto now = now_ms();
    auto wait = std::chrono::milliseconds(settings.renew_interval_ms);
    auto lease = db.read_lease();
    expected<std::vector<master_node_record>> nodes = std::vector<master_node_record>{};
    if (lease)
      nodes = db.master_nodes();
    if (!lease || !nodes) {
      const auto& err = !lease ? lease.error() : nodes.error();
      if (failures++ % 30 == 0)
        log->warn("standby {}: cannot read the master lease: {}; retrying every {} ms", self,
                  err.message, settings.renew_interval_ms);
      if (wait_for_stop_signal(wait))
        return std::optional<takeover>{};
      continue;
    }
    failures = 0;
    auto gone = !lease->holder.empty() && lease->expires_at > now
                && holder_gone(*lease, *nodes, self, here);
    if (may_take(lease_view{lease->holder, lease->epoch, lease->expires_at}, now, gone)) {
      auto sent = now_ms();
      auto got = gone ? db.seize_lease(self, lease->holder, lease->epoch, sent, settings.ttl_ms)
                      : db.acquire_lease(self, sent, settings.ttl_ms);
      if (!got) {
        log->warn("standby {}: taking the master lease failed: {}", self, got.error().message);
      } else if (got->holder == self && got->epoch > lease->epoch) {
        takeover result;
        result.lease = *got;
        result.sent = sent;
        result.previous_holder = lease->holder;
        result.previous_epoch = lease->epoch;
        if (!lease->holder.empty())
          result.waited_ms = gone ? 0 : std::max<std::int64_t>(0, sent - lease->expires_at);
        if (lease->holder.empty() || lease->holder == self)
          log->info("{} takes the master lease (epoch {})", self, got->epoch);
        else
          log->warn("{} takes over from {} (epoch {} -> {}): {}", self, lease->holder,
                    lease->epoch, got->epoch,
                    gone ? "its process on this machine is gone"
                         : "its lease expired " + std::to_string(result.waited_ms)
                             + " ms ago");
        return std::optional<takeover>{std::move(result)};
      }
      continue; // another standby was faster: look again
    }
    if (lease->holder != watched || lease->epoch != watched_epoch) {
      watched = lease->holder;
      watched_epoch = lease->epoch;
      log->info("standby {}: the active master is {} (epoch {}); taking over when its lease "
                "ends",
                self, watched, watched_epoch);
      // Up, as a standby: systemd (Type=notify) need not wait for a takeover.
      notify_systemd("READY=1\nSTATUS=standby: the active master is " + watched);
    }
    if (now - listed_at >= settings.renew_interval_ms) {
      if (auto put = db.put_master_node(master_node(me, "standby", started)); !put)
        log->warn("standby {}: cannot list itself in the store: {}", self, put.error().message);
      listed_at = now;
    }
    // Ask again when the lease ends, and meanwhile every renew interval (it
    // may be released early) — every 100 ms when the holder runs here.
    auto poll = holder_here(*lease, *nodes, here) ? 100 : settings.renew_interval_ms;
    wait = std::chrono::milliseconds(
      std::clamp<std::int64_t>(lease->expires_at - now + 1, 1, poll));
    if (wait_for_stop_signal(wait))
      return std::optional<takeover>{};
  }
}

} // namespace cafflow
