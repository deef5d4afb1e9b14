#include "alert/alert.hpp"

#include <algorithm>

#include "alert/channels.hpp"
#include "model/workflow.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

constexpr const char* log_marker = "\n--- last lines of the log ---\n";

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string when(timestamp t) {
  auto text = to_iso8601(t);
  return text.empty() ? "-" : text;
}

/// One line per event of a digest, the first lines of a single one.
std::string line_of(const alert_event& e) {
  std::string line = "[" + e.severity + "] " + e.title;
  if (!e.instance_id.empty())
    line += " (instance " + e.instance_id + ")";
  return line;
}

} // namespace

nlohmann::json alert_event_to_json(const alert_event& e) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : e.nodes)
    nodes.push_back({{"name", n.name},
                     {"status", n.status},
                     {"attempts", n.attempts},
                     {"started", n.started},
                     {"finished", n.finished},
                     {"message", n.message}});
  return {{"key", e.key},
          {"kind", e.kind},
          {"severity", e.severity},
          {"workflow", e.workflow},
          {"instance_id", e.instance_id},
          {"node", e.node},
          {"title", e.title},
          {"message", e.message},
          {"log_tail", e.log_tail},
          {"at", e.at},
          {"logical_time", e.logical_time},
          {"nodes", nodes}};
}

alert_event alert_event_from_json(const nlohmann::json& doc) {
  alert_event e;
  e.key = doc.value("key", "");
  e.kind = doc.value("kind", "");
  e.severity = doc.value("severity", "warning");
  e.workflow = doc.value("workflow", "");
  e.instance_id = doc.value("instance_id", "");
  e.node = doc.value("node", "");
  e.title = doc.value("title", "");
  e.message = doc.value("message", "");
  e.log_tail = doc.value("log_tail", "");
  e.at = doc.value("at", timestamp{0});
  e.logical_time = doc.value("logical_time", timestamp{0});
  if (doc.contains("nodes") && doc["nodes"].is_array())
    for (const auto& n : doc["nodes"])
      e.nodes.push_back(alert_node{n.value("name", ""), n.value("status", ""),
                                   n.value("attempts", 0), n.value("started", timestamp{0}),
                                   n.value("finished", timestamp{0}), n.value("message", "")});
  return e;
}

std::vector<std::string> workflow_channels(const workflow& wf) {
  if (!wf.alert_to.empty())
    return wf.alert_to;
  auto mail = receivers_channel(wf.mail_receivers);
  if (mail.empty())
    return {};
  return {mail};
}

std::vector<std::string> downstream_channels(const std::string& name,
                                             const std::vector<const workflow*>& all) {
  std::vector<std::string> channels;
  for (const auto* wf : all) {
    if (wf == nullptr || wf->name == name || !wf->coordinator)
      continue;
    auto upstream = dependency_workflows(wf->coordinator->depends);
    if (std::find(upstream.begin(), upstream.end(), name) == upstream.end())
      continue;
    auto mail = receivers_channel(wf->mail_receivers);
    if (!mail.empty() && std::find(channels.begin(), channels.end(), mail) == channels.end())
      channels.push_back(std::move(mail));
  }
  return channels;
}

bool mail_level_wants(const workflow& wf, const std::string& status) {
  const char* level = status == "succeeded" ? "W_SUCCESSED"
                      : status == "failed"  ? "W_FAILED"
                      : status == "killed"  ? "W_KILLED"
                                            : "";
  return std::find(wf.mail_levels.begin(), wf.mail_levels.end(), level) != wf.mail_levels.end();
}

std::vector<alert_record> outbox_rows(const alert_event& e,
                                      const std::vector<std::string>& channels, timestamp now) {
  std::vector<alert_record> rows;
  auto doc = alert_event_to_json(e).dump();
  for (const auto& channel : channels) {
    alert_record r;
    r.dedup_key = e.key + "|" + channel;
    r.channel = channel;
    r.kind = e.kind;
    r.severity = e.severity;
    r.workflow = e.workflow;
    r.instance_id = e.instance_id;
    r.node = e.node;
    r.title = e.title;
    r.event = doc;
    r.created_at = now;
    r.next_at = now;
    rows.push_back(std::move(r));
  }
  return rows;
}

send_plan plan_channel(std::vector<timestamp>& sends, std::size_t due, timestamp oldest,
                       timestamp newest, timestamp now, const alert_limits& limits) {
  sends.erase(std::remove_if(sends.begin(), sends.end(),
                             [&](timestamp t) { return t <= now - limits.window_ms; }),
              sends.end());
  auto avail = limits.max_per_window - static_cast<int>(sends.size());
  if (due == 0 || avail <= 0)
    return {};
  auto room = static_cast<std::size_t>(avail);
  if (due < room)
    return {due, false}; // each alone, and a message left for what may follow
  send_plan plan{room - 1, false};
  // The last message of the window collects the storm once it is quiet.
  if (now - newest >= limits.quiet_ms || now - oldest >= limits.window_ms) {
    if (due - plan.singles == 1)
      ++plan.singles;
    else
      plan.digest = true;
  }
  return plan;
}

timestamp retry_delay(int attempts, timestamp initial_ms, timestamp max_ms) {
  timestamp delay = initial_ms;
  for (int i = 1; i < attempts && delay < max_ms; ++i)
    delay *= 2;
  return std::min(delay, max_ms);
}

std::string instance_link(const std::string& base_url, const std::string& instance_id) {
  if (base_url.empty() || instance_id.empty())
    return {};
  auto base = base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + "/api/v1/instances/" + instance_id;
}

std::pair<std::string, std::string> split_log_tail(const std::string& message) {
  auto at = message.find(log_marker);
  if (at == std::string::npos)
    return {message, {}};
  return {message.substr(0, at), message.substr(at + std::string(log_marker).size())};
}

std::string alert_subject(const std::vector<alert_event>& events) {
  if (events.size() == 1)
    return "[cafflow] " + events.front().title;
  std::map<std::string, int> kinds;
  for (const auto& e : events)
    ++kinds[e.kind];
  std::vector<std::string> parts;
  for (const auto& [kind, n] : kinds)
    parts.push_back(std::to_string(n) + " " + kind);
  return "[cafflow] " + std::to_string(events.size()) + " alerts: " + join(parts, ", ");
}

std::string alert_text(const std::vector<alert_event>& events, const std::string& base_url) {
  std::string out;
  if (events.size() > 1) {
    out += std::to_string(events.size()) + " alerts (a digest: the rate limit of this channel "
                                            "was reached):\n\n";
    for (const auto& e : events) {
      out += when(e.at) + "  " + line_of(e) + "\n";
      if (!e.message.empty())
        out += "    " + e.message.substr(0, e.message.find('\n')) + "\n";
    }
    return out;
  }
  const auto& e = events.front();
  out += e.title + "\n\n";
  out += "kind:      " + e.kind + " (" + e.severity + ")\n";
  if (!e.workflow.empty())
    out += "workflow:  " + e.workflow + "\n";
  if (!e.instance_id.empty())
    out += "instance:  " + e.instance_id + "\n";
  if (e.logical_time != 0)
    out += "logical:   " + when(e.logical_time) + "\n";
  if (!e.node.empty())
    out += "node:      " + e.node + "\n";
  out += "at:        " + when(e.at) + "\n";
  if (auto link = instance_link(base_url, e.instance_id); !link.empty())
    out += "page:      " + link + "\n";
  if (!e.message.empty())
    out += "\n" + e.message + "\n";
  if (!e.nodes.empty()) {
    out += "\nnodes:\n";
    for (const auto& n : e.nodes)
      out += "  " + n.name + "  " + n.status + "  attempts " + std::to_string(n.attempts) + "  "
             + when(n.started) + " .. " + when(n.finished) + "\n";
  }
  if (!e.log_tail.empty())
    out += "\nlast lines of the log of " + e.node + ":\n" + e.log_tail
           + (e.log_tail.back() == '\n' ? "" : "\n");
  return out;
}

std::string alert_html(const std::vector<alert_event>& events, const std::string& base_url) {
  std::string out = "<html><body style=\"font-family:sans-serif\">";
  if (events.size() > 1) {
    out += "<p>" + std::to_string(events.size())
           + " alerts (a digest: the rate limit of this channel was reached)</p>"
             "<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\"><tr><th>at</th>"
             "<th>severity</th><th>what</th><th>instance</th><th>message</th></tr>";
    for (const auto& e : events) {
      auto link = instance_link(base_url, e.instance_id);
      auto id = html_escape(e.instance_id);
      out += "<tr><td>" + when(e.at) + "</td><td>" + html_escape(e.severity) + "</td><td>"
             + html_escape(e.title) + "</td><td>"
             + (link.empty() ? id : "<a href=\"" + html_escape(link) + "\">" + id + "</a>")
             + "</td><td>" + html_escape(e.message.substr(0, e.message.find('\n')))
             + "</td></tr>";
    }
    return out + "</table></body></html>";
  }
  const auto& e = events.front();
  out += "<h3>" + html_escape(e.title) + "</h3><table cellpadding=\"2\">";
  auto row = [&](const char* name, const std::string& value) {
    if (!value.empty())
      out += std::string("<tr><td><b>") + name + "</b></td><td>" + value + "</td></tr>";
  };
  row("kind", html_escape(e.kind + " (" + e.severity + ")"));
  row("workflow", html_escape(e.workflow));
  row("instance", html_escape(e.instance_id));
  row("logical time", e.logical_time != 0 ? when(e.logical_time) : "");
  row("node", html_escape(e.node));
  row("at", when(e.at));
  if (auto link = instance_link(base_url, e.instance_id); !link.empty())
    row("page", "<a href=\"" + html_escape(link) + "\">" + html_escape(link) + "</a>");
  out += "</table>";
  if (!e.message.empty())
    out += "<pre>" + html_escape(e.message) + "</pre>";
  if (!e.nodes.empty()) {
    out += "<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\"><tr><th>node</th>"
           "<th>status</th><th>attempts</th><th>started</th><th>finished</th>"
           "<th>message</th></tr>";
    for (const auto& n : e.nodes) {
      bool bad = n.status == "failed" || n.status == "killed";
      out += std::string("<tr") + (bad ? " style=\"background:#fdd\"" : "") + "><td>"
             + html_escape(n.name) + "</td><td>" + html_escape(n.status) + "</td><td>"
             + std::to_string(n.attempts) + "</td><td>" + when(n.started) + "</td><td>"
             + when(n.finished) + "</td><td>"
             + html_escape(n.message.substr(0, n.message.find('\n'))) + "</td></tr>";
    }
    out += "</table>";
  }
  if (!e.log_tail.empty())
    out += "<p>last lines of the log of <b>" + html_escape(e.node) + "</b>:</p><pre>"
           + html_escape(e.log_tail) + "</pre>";
  return out + "</body></html>";
}

nlohmann::json webhook_body(const std::string& name, const std::vector<alert_event>& events,
                            const std::string& base_url) {
  auto subject = alert_subject(events);
  auto text = alert_text(events, base_url);
  if (name == "slack")
    return {{"text", subject + "\n" + text}};
  if (name == "dingtalk")
    return {{"msgtype", "markdown"},
            {"markdown", {{"title", subject}, {"text", "### " + subject + "\n\n" + text}}}};
  if (name == "wecom")
    return {{"msgtype", "markdown"}, {"markdown", {{"content", "**" + subject + "**\n" + text}}}};
  if (name == "feishu")
    return {{"msg_type", "text"}, {"content", {{"text", subject + "\n" + text}}}};
  return command_input(events, base_url);
}

nlohmann::json command_input(const std::vector<alert_event>& events,
                             const std::string& base_url) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : events) {
    auto doc = alert_event_to_json(e);
    doc["link"] = instance_link(base_url, e.instance_id);
    list.push_back(std::move(doc));
  }
  return {{"subject", alert_subject(events)}, {"count", events.size()}, {"events", list}};
}

} // namespace cafflow
