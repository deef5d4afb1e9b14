// Delivering one alert message to one channel: mail through the SMTP client
// (src/mail), a webhook POST (HTTP or HTTPS through Poco NetSSL), or a
// command with the alert as JSON on stdin. Runs in cafflow-exec (`alert-send`,
// the request as JSON on stdin), never inside the master's actors.
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

namespace cafflow {

/// What a delivery came to: sent or not, and what the other side said.
struct delivery_result {
  bool ok = false;
  std::string answer;
};

/// Delivers `request`: {"channel": alert_channel_to_json, "events": [...],
/// "base_url": "...", "site": site_to_json (for [mail])}.
delivery_result deliver_alert(const nlohmann::json& request);

/// `cafflow-exec alert-send`: reads the request from `in`, writes
/// {"ok": bool, "answer": "..."} to `out`; returns 0 when sent, else 1.
int alert_send_main(std::istream& in, std::ostream& out);

} // namespace cafflow
