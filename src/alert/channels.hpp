// conf/alerts.xml: the named alert channels (mail, webhook, command) that
// workflows choose with alert-to="name,name" and [alert] system_to names for
// the cluster's own events (docs/OPERATIONS.md, "Alerts").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "expected.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

/// The body templates of a webhook channel.
const std::vector<std::string>& webhook_templates();

/// One `<channel>` of alerts.xml.
struct alert_channel {
  std::string name;
  /// mail, webhook or command.
  std::string type;
  /// mail: the receivers.
  std::vector<std::string> to;
  /// webhook: http:// or https:// URL, and its body template.
  std::string url;
  std::string template_name = "generic";
  /// webhook over https: the CA certificates (PEM) the server's certificate
  /// must chain to, instead of the system's ("" = the system's).
  std::string ca_file;
  /// command: run with /bin/sh -c, the alert as JSON on stdin.
  std::string command;
  /// Seconds one delivery may take.
  int timeout_s = 10;
  source_pos pos;
};

struct alert_channels_result {
  std::vector<alert_channel> channels;
  std::vector<diagnostic> diagnostics;

  std::set<std::string> names() const;
  /// The channel called `name`, or nullptr.
  const alert_channel* find(const std::string& name) const;
};

/// Parses the text of an alerts.xml file.
alert_channels_result parse_alert_channels(const std::string& xml, const std::string& file);

/// The channels of the alerts.xml at `path` as read_file read it (`text`,
/// or why it could not be read): a file that does not exist is no channels
/// and no error. For a caller that needs the text too, so that the file is
/// read once.
alert_channels_result alert_channels_of(const expected<std::string>& text,
                                        const std::string& path);

/// Reads and parses alerts.xml; a missing file is no channels and no error.
alert_channels_result load_alert_channels(const std::string& path);

/// A channel as the delivery request carries it, and back.
nlohmann::json alert_channel_to_json(const alert_channel& c);
alert_channel alert_channel_from_json(const nlohmann::json& doc);

/// The channel called `name`: one of `channels`, or a workflow's
/// mail-receivers ("mail:a@x,b@y", timeout `mail_timeout_s`); nullopt when
/// it is neither.
std::optional<alert_channel> resolve_channel(const alert_channels_result& channels,
                                             const std::string& name, int mail_timeout_s);

/// The channel a workflow's mail-receivers stand for when it names no
/// alert-to: "mail:a@x,b@y" (empty when there are no receivers).
std::string receivers_channel(const std::vector<std::string>& receivers);

} // namespace cafflow
