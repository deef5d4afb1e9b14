#include "alerter.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actions/exec.hpp"
#include "alert/channels.hpp"
#include "config/config.hpp"
#include "exec/child.hpp"
#include "exec/task.hpp"
#include "log.hpp"

namespace cafflow {

namespace {

using alerter_ptr = alerter_actor::stateful_pointer<alerter_state>;

/// Hands one message to cafflow-exec: sent or not, and what the other side said.
std::pair<bool, std::string> deliver(alerter_ptr self, const alert_channel& channel,
                                     const std::vector<alert_record>& rows) {
  auto& st = self->state;
  nlohmann::json events = nlohmann::json::array();
  for (const auto& r : rows) {
    auto doc = nlohmann::json::parse(r.event, nullptr, false);
    events.push_back(doc.is_object() ? doc : nlohmann::json{{"title", r.title}, {"kind", r.kind}});
  }
  nlohmann::json request{{"channel", alert_channel_to_json(channel)},
                         {"events", events},
                         {"base_url", st.cfg.base_url},
                         {"site", st.cfg.site}};
  auto done = run_child({st.cfg.exec_program, "alert-send"}, request.dump(),
                        (channel.timeout_s + 5) * 1000);
  if (!done)
    return {false, done.error().message};
  if (done->timed_out)
    return {false, "cafflow-exec alert-send did not end in time (killed)"};
  auto last = done->output;
  while (!last.empty() && last.back() == '\n')
    last.pop_back();
  auto doc = nlohmann::json::parse(last.substr(last.rfind('\n') == std::string::npos
                                                 ? 0
                                                 : last.rfind('\n') + 1),
                                   nullptr, false);
  if (!doc.is_object())
    return {false, "cafflow-exec alert-send ended with " + done->status.describe() + ": "
                     + last.substr(0, 500)};
  return {doc.value("ok", false), doc.value("answer", std::string{})};
}

/// Records how a delivery of `rows` went.
void settle(alerter_ptr self, std::vector<alert_record>& rows, bool ok, const std::string& answer) {
  auto& st = self->state;
  auto now = now_ms();
  for (auto& r : rows) {
    ++r.attempts;
    r.answer = answer;
    if (ok) {
      r.status = "sent";
      r.sent_at = now;
      // A digest: the others went in the message of its first row.
      r.sent_with = rows.size() > 1 && &r != &rows.front() ? rows.front().id : 0;
    } else {
      r.next_at = now + retry_delay(r.attempts, st.cfg.retry_initial_ms, st.cfg.retry_max_ms);
      if (st.cfg.max_attempts > 0 && r.attempts >= st.cfg.max_attempts)
        r.status = "failed";
    }
  }
}

/// Writes what the store did not take yet; events it still refuses are sent
/// from memory once (a store outage must not silence its own alert).
void write_unwritten(alerter_ptr self, const alert_channels_result& channels) {
  auto& st = self->state;
  if (st.unwritten.empty())
    return;
  std::vector<store_write> writes;
  for (const auto& r : st.unwritten)
    writes.emplace_back(alert_put{r});
  if (st.cfg.db->apply(writes)) {
    st.unwritten.clear();
    return;
  }
  for (auto& r : st.unwritten) {
    if (r.status != "pending" || r.next_at > now_ms())
      continue;
    auto channel = resolve_channel(channels, r.channel, st.cfg.mail_timeout_s);
    if (!channel)
      continue;
    std::vector<alert_record> one{r};
    auto [ok, answer] = deliver(self, *channel, one);
    settle(self, one, ok, answer + " (sent before the store had it)");
    r = one.front();
    if (ok)
      ++st.sent;
  }
}

/// Sends one message of `rows` to `channel` and records how it went; false
/// when this master may write no more (fenced).
bool send_one(alerter_ptr self, const std::string& name, const std::optional<alert_channel>& channel,
              std::vector<alert_record>& rows) {
  auto& st = self->state;
  bool ok = false;
  std::string answer;
  if (!channel)
    answer = "channel '" + name + "' is not configured in " + st.cfg.channels_path;
  else
    std::tie(ok, answer) = deliver(self, *channel, rows);
  settle(self, rows, ok, answer);
  if (ok) {
    st.sends[name].push_back(now_ms());
    st.sent += rows.size();
    if (rows.size() > 1)
      ++st.digests;
    st.log->info("alert {} sent to {}{}: {}", rows.front().id, name,
                 rows.size() > 1 ? " (a digest of " + std::to_string(rows.size()) + ")" : "",
                 answer);
  } else {
    ++st.failed_tries;
    st.log->warn("alert {} to {} not sent (try {}{}): {}", rows.front().id, name,
                 rows.front().attempts, rows.front().status == "failed" ? ", given up" : "",
                 answer);
  }
  if (auto written = st.cfg.db->update_alerts(rows); !written) {
    if (written.error().code == ec::fenced) {
      self->quit(to_caf(written.error()));
      return false;
    }
    st.log->warn("cannot record the delivery of alert {}: {}", rows.front().id,
                 written.error().message);
  }
  return true;
}

/// Sends what is due, within each channel's rate limit.
void round(alerter_ptr self) {
  auto& st = self->state;
  auto channels = load_alert_channels(st.cfg.channels_path);
  write_unwritten(self, channels);
  auto due = st.cfg.db->due_alerts(now_ms(), 2000);
  if (!due) {
    st.log->warn("cannot read the alert outbox: {}", due.error().message);
    return;
  }
  std::map<std::string, std::vector<alert_record>> by_channel;
  for (auto& r : *due)
    by_channel[r.channel].push_back(std::move(r));
  for (auto& [name, rows] : by_channel) {
    timestamp oldest = rows.front().created_at, newest = oldest;
    for (const auto& r : rows) {
      oldest = std::min(oldest, r.created_at);
      newest = std::max(newest, r.created_at);
    }
    auto plan = plan_channel(st.sends[name], rows.size(), oldest, newest, now_ms(),
                             st.cfg.limits);
    // The messages: the single rows, then (digest) all the others as one.
    std::vector<std::vector<alert_record>> messages;
    for (std::size_t i = 0; i < plan.singles && i < rows.size(); ++i)
      messages.push_back({rows[i]});
    if (plan.digest && plan.singles < rows.size())
      messages.emplace_back(rows.begin() + static_cast<std::ptrdiff_t>(plan.singles), rows.end());
    auto channel = resolve_channel(channels, name, st.cfg.mail_timeout_s);
    for (auto& message : messages)
      if (!send_one(self, name, channel, message))
        return; // fenced: this master stops
  }
}

} // namespace

alerter_config make_alerter_config(const config& cfg) {
  alerter_config ac;
  ac.channels_path = cfg.paths.alerts;
  ac.system_to = cfg.alert.system_to;
  ac.base_url = cfg.alert.base_url;
  ac.limits.max_per_window = cfg.alert.max_per_window;
  ac.limits.window_ms = static_cast<timestamp>(cfg.alert.window_s) * 1000;
  ac.limits.quiet_ms = static_cast<timestamp>(cfg.alert.quiet_s) * 1000;
  ac.retry_initial_ms = static_cast<timestamp>(cfg.alert.retry_initial_s) * 1000;
  ac.retry_max_ms = static_cast<timestamp>(cfg.alert.retry_max_s) * 1000;
  ac.max_attempts = cfg.alert.max_attempts;
  ac.poll = std::chrono::milliseconds(cfg.alert.poll_ms);
  ac.exec_program = default_exec_program();
  ac.site = site_to_json(make_task_site(cfg));
  ac.mail_timeout_s = cfg.mail.timeout_s;
  return ac;
}

alerter_actor::behavior_type alerter(alerter_actor::stateful_pointer<alerter_state> self,
                                     alerter_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("alerter");
  // What the previous master left in the outbox goes first.
  self->send(self, atom::tick::value);
  return {
    [self](atom::alert, alert_event& e) {
      auto& st = self->state;
      if (e.at == 0)
        e.at = now_ms();
      st.log->warn("{}: {}", e.kind, e.title);
      if (st.cfg.system_to.empty())
        return; // nobody asked for the cluster's own events
      for (auto& row : outbox_rows(e, st.cfg.system_to, now_ms()))
        st.unwritten.push_back(std::move(row));
      round(self);
    },
    [self](atom::alert, alert_event& e, std::vector<std::string>& channels) {
      auto& st = self->state;
      if (e.at == 0)
        e.at = now_ms();
      st.log->warn("{}: {}", e.kind, e.title);
      for (auto& row : outbox_rows(e, channels, now_ms()))
        st.unwritten.push_back(std::move(row));
      round(self);
    },
    [self](atom::alert) { round(self); },
    [self](atom::tick) {
      round(self);
      self->delayed_send(self, self->state.cfg.poll, atom::tick::value);
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"sent", std::to_string(st.sent)},
              {"failed_tries", std::to_string(st.failed_tries)},
              {"digests", std::to_string(st.digests)},
              {"unwritten", std::to_string(st.unwritten.size())}};
    },
  };
}

} // namespace cafflow
