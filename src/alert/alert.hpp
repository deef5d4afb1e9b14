// The alerter's rules, without actors: events to outbox rows (routing,
// mail-level), the rate limit with its digest, back-off, and the bodies of
// every channel (mail text and HTML, webhook templates, command input).
// docs/OPERATIONS.md, "Alerts".
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/alert.hpp"

namespace cafflow {

struct workflow;

nlohmann::json alert_event_to_json(const alert_event& e);
alert_event alert_event_from_json(const nlohmann::json& doc);

/// The channels the events of `wf` go to: its alert-to, else its
/// mail-receivers by mail ("mail:a,b"), else none.
std::vector<std::string> workflow_channels(const workflow& wf);

/// Where a failure of workflow `name` also goes by default (as akkaflow 2.8
/// did): the mail-receivers of the workflows downstream of it — those whose
/// coordinator's depend-list names it, directly — by mail, one channel
/// each, without duplicates. `all` holds every active workflow.
std::vector<std::string> downstream_channels(const std::string& name,
                                             const std::vector<const workflow*>& all);

/// Whether the workflow's mail-level asks for an instance that ended with
/// `status` (succeeded, failed, killed) to be alerted.
bool mail_level_wants(const workflow& wf, const std::string& status);

/// One pending outbox row per channel for `e` (dedup key: event key and
/// channel), created at `now` and due at once.
std::vector<alert_record> outbox_rows(const alert_event& e,
                                      const std::vector<std::string>& channels, timestamp now);

/// How much one channel may send (config [alert]).
struct alert_limits {
  /// Messages per channel within `window_ms`.
  int max_per_window = 5;
  timestamp window_ms = 60000;
  /// The last message of a window waits until no new alert came for this long
  /// (or the oldest waited a whole window), and then lists all that wait.
  timestamp quiet_ms = 3000;
};

/// What a channel sends now: the first `singles` due rows one message each,
/// then, when `digest`, all the others in one message.
struct send_plan {
  std::size_t singles = 0;
  bool digest = false;
};

/// Decides for one channel with `due` rows waiting (the oldest created at
/// `oldest`, the newest at `newest`) that sent at the times in `sends`
/// (those older than the window are dropped). Rows go one by one while the
/// window has room for them and one more message; the last message of a
/// window waits until the storm is quiet (or the oldest row waited a whole
/// window) and then lists every row that waits.
send_plan plan_channel(std::vector<timestamp>& sends, std::size_t due, timestamp oldest,
                       timestamp newest, timestamp now, const alert_limits& limits);

/// Milliseconds before try number `attempts + 1` after `attempts` failed
/// tries: initial, doubled each time, at most `max_ms`.
timestamp retry_delay(int attempts, timestamp initial_ms, timestamp max_ms);

/// The link to an instance's page for `base_url` ("" when either is empty).
std::string instance_link(const std::string& base_url, const std::string& instance_id);

/// Subject, plain text and HTML of a message carrying `events` (one: the
/// event; more: a digest listing all of them).
std::string alert_subject(const std::vector<alert_event>& events);
std::string alert_text(const std::vector<alert_event>& events, const std::string& base_url);
std::string alert_html(const std::vector<alert_event>& events, const std::string& base_url);

/// The JSON body a webhook with template `name` (webhook_templates()) posts.
nlohmann::json webhook_body(const std::string& name, const std::vector<alert_event>& events,
                            const std::string& base_url);

/// What a command channel reads on stdin: {"count": N, "events": [...]}.
nlohmann::json command_input(const std::vector<alert_event>& events,
                             const std::string& base_url);

/// `message` split into the text before akkaflow's log marker and the log
/// tail after it ("--- last lines of the log ---").
std::pair<std::string, std::string> split_log_tail(const std::string& message);

} // namespace cafflow
