#include "cli/cli.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <algorithm>
#include <optional>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/http_client.hpp"
#include "cli/tls_commands.hpp"
#include "cli/tools.hpp"
#include "config/config.hpp"
#include "engine/dag.hpp"
#include "engine/selection.hpp"
#include "http/json.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/tz.hpp"
#include "version.hpp"

namespace cafflow {

namespace {

/// Settings shared by every subcommand.
struct globals {
  std::string conf;
  bool json_output = false;
  int timeout_ms = 10000;
  host_port http;
  config cfg;
  /// Sent as "Authorization: Bearer <token>": --token, else $CAFFLOW_TOKEN,
  /// else [http] token of the configuration.
  std::string token;
};

config load_cli_config(const globals& g);

/// An error that ends the command with an exit code.
struct cli_failure {
  int code;
  std::string message;
};

std::size_t display_width(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

/// Prints rows as aligned columns; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty())
    return;
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    std::cout << trim(line) << '\n';
  }
}

/// "2026-11-21 19:25:03" in local time from an API time, "-" when null.
std::string local_time(const json& value) {
  if (!value.is_string())
    return "-";
  timestamp ms = 0;
  if (!parse_utc_time(value.get<std::string>(), ms))
    return value.get<std::string>();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

/// "1.25s" between two API times; "-" when either is missing.
std::string duration(const json& from, const json& to) {
  timestamp a = 0, b = 0;
  if (!from.is_string() || !to.is_string() || !parse_utc_time(from.get<std::string>(), a)
      || !parse_utc_time(to.get<std::string>(), b))
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fs", static_cast<double>(b - a) / 1000.0);
  return buf;
}

std::string str(const json& value) {
  if (value.is_null())
    return "-";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

/// Calls the API and returns the parsed JSON body; throws cli_failure on
/// transport errors and error statuses.
json call(const globals& g, const std::string& method, const std::string& path,
          const std::string& body = {}) {
  auto response = http_call(g.http, method, path, body, g.timeout_ms, bearer(g.token));
  if (!response)
    throw cli_failure{exit_code::unavailable, response.error().message};
  auto parsed = json::parse(response->body, nullptr, false);
  if (response->status == 401)
    throw cli_failure{exit_code::unauthorized,
                      (parsed.is_object() && parsed.contains("error") ? str(parsed["error"])
                                                                      : std::string("HTTP 401"))
                        + (g.token.empty() ? "; no token was sent: pass --token, set "
                                             "CAFFLOW_TOKEN or [http] token in the config"
                                           : "; the token sent (from --token, CAFFLOW_TOKEN or "
                                             "[http] token in the config) was refused")};
  if (response->status >= 400) {
    auto message = parsed.is_object() && parsed.contains("error")
                     ? str(parsed["error"])
                     : "HTTP " + std::to_string(response->status);
    // 400: the request's arguments are wrong (an unknown node, a bad time):
    // a usage error, as the same mistake caught here would be.
    throw cli_failure{response->status == 503   ? exit_code::unavailable
                      : response->status == 400 ? exit_code::usage
                                                : exit_code::failed,
                      message};
  }
  if (parsed.is_discarded())
    throw cli_failure{exit_code::failed, "the server answered with invalid JSON"};
  return parsed;
}

void print_json(const json& value) { std::cout << value.dump(2) << '\n'; }

// -- subcommands -------------------------------------------------------------

/// "?a=1&b=2" of the non-empty values, or "".
std::string query_string(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string result;
  for (const auto& [key, value] : items)
    if (!value.empty())
      result += (result.empty() ? "?" : "&") + key + "=" + url_encode(value);
  return result;
}

int workflow_list(const globals& g, const std::string& dir, const std::string& name,
                  const std::string& status) {
  auto body = call(g, "GET", "/api/v1/workflows"
                               + query_string({{"dir", dir}, {"name", name}, {"status", status}}));
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::vector<std::vector<std::string>> rows{
    {"NAME", "DIR", "VERSION", "NODES", "STATUS", "FILE"}};
  for (const auto& w : body["workflows"])
    rows.push_back({str(w["name"]), str(w["dir"]), str(w["version"]), str(w["nodes"]),
                    str(w["status"]), str(w["file"])});
  print_table(rows);
  // The files that did not load (invalid, or in conflict with another file
  // of the same name), with the first thing wrong with each.
  auto files = call(g, "GET", "/api/v1/xmlconfig");
  std::vector<std::vector<std::string>> problems{{"FILE", "STATUS", "FIRST DIAGNOSTIC"}};
  for (const auto& f : files["files"]) {
    auto status = str(f["status"]);
    if (status == "loaded" || status == "removed")
      continue;
    std::string first = "-";
    for (const auto& d : f["diagnostics"])
      if (str(d["level"]) == "error") {
        first = str(d["line"]) + ":" + str(d["column"]) + ": " + str(d["message"]);
        break;
      }
    problems.push_back({str(f["path"]), status, first});
  }
  if (problems.size() > 1) {
    std::cout << "\nnot loaded (" << problems.size() - 1
              << " files; 'cafflow workflow check FILE' shows every diagnostic)\n";
    print_table(problems);
  }
  return exit_code::ok;
}

/// "-p NAME=VALUE" options as the API's params object.
json params_json(const std::vector<std::string>& params) {
  json p = json::object();
  for (const auto& item : params) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw cli_failure{exit_code::usage, "-p expects NAME=VALUE, got '" + item + "'"};
    p[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return p;
}

/// A time option (`option`, e.g. --logical-time) as milliseconds:
/// "YYYY-MM-DD HH:MM:SS" (or a date) in `zone_name`, an ISO 8601 UTC time
/// ("...T...Z"), or milliseconds.
timestamp logical_time_ms(const std::string& text, const std::string& zone_name,
                          const std::string& option = "--logical-time") {
  long long ms = 0;
  if (parse_int(text, ms)) {
    if (ms <= 0)
      throw cli_failure{exit_code::failed, option + ": '" + text
                                             + "' is not a positive number of milliseconds"};
    return ms;
  }
  timestamp t = 0;
  if (text.find('T') != std::string::npos) {
    if (!parse_utc_time(text, t))
      throw cli_failure{exit_code::failed, option + ": '" + text
                                             + "' is not a time (expected YYYY-MM-DD HH:MM:SS, "
                                               "YYYY-MM-DDTHH:MM:SSZ or milliseconds)"};
    return t;
  }
  auto zone = find_time_zone(zone_name);
  if (!zone)
    throw cli_failure{exit_code::failed, zone.error().message};
  auto local = parse_local_time(text, **zone);
  if (!local)
    throw cli_failure{exit_code::failed, option + ": " + local.error().message};
  return *local;
}

/// POST /workflows/NAME/VERB with params (and a logical time); prints the id.
/// $USER, sent as who asked ("" when unset).
std::string requester() {
  const char* user = std::getenv("USER");
  return user == nullptr ? std::string() : std::string(user);
}

/// Run options as the API's body fields (only those given).
void add_run_options(json& request, const run_options& o) {
  if (!o.nodes.empty())
    request["nodes"] = o.nodes;
  if (o.upstream)
    request["upstream"] = true;
  if (o.downstream)
    request["downstream"] = true;
  if (!o.from_node.empty())
    request["from_node"] = o.from_node;
  if (!o.skip.empty())
    request["skip"] = o.skip;
}

int workflow_start(const globals& g, const std::string& verb, const std::string& name,
                   const std::vector<std::string>& params, const std::string& logical_time,
                   const std::string& tz, const run_options& options) {
  json request{{"params", params_json(params)}};
  add_run_options(request, options);
  if (verb == "run" && !requester().empty())
    request["by"] = requester();
  if (!logical_time.empty())
    request["logical_time"] = logical_time_ms(logical_time, tz);
  auto body = call(g, "POST", "/api/v1/workflows/" + url_encode(name) + "/" + verb,
                   request.dump());
  if (g.json_output)
    print_json(body);
  else
    std::cout << str(body["instance_id"]) << '\n';
  return exit_code::ok;
}

/// An API time as "YYYY-MM-DD HH:MM:SS" in `zone`, or in local time without one.
std::string zoned_time(const json& value, const date::time_zone* zone) {
  timestamp ms = 0;
  if (zone == nullptr || !value.is_string() || !parse_utc_time(value.get<std::string>(), ms))
    return local_time(value);
  return format_local_time(ms, *zone);
}

void print_coordinator(const json& c) {
  // Fire times are ticks of the cron: shown on the wall clock of its zone
  // (in local time when the zone is unknown here).
  auto zone_name = c["timezone"].is_string() ? c["timezone"].get<std::string>() : std::string();
  const date::time_zone* zone = nullptr;
  if (auto found = find_time_zone(zone_name); found && !zone_name.empty())
    zone = *found;
  else
    zone_name = "local time";
  std::string state = c.value("enabled", true) ? "enabled" : "disabled";
  state += c.value("paused", false) ? ", paused (ticks pass without firing)" : ", active";
  std::cout << "\ncoordinator\n"
            << "  state       " << state << '\n'
            << "  cron        "
            << (c["cron"].is_null() || str(c["cron"]).empty()
                  ? "none (fires when its dependencies are ready)"
                  : str(c["cron"]) + " in " + zone_name)
            << '\n'
            << "  window      "
            << (c["start_time"].is_null() ? std::string("unbounded") : str(c["start_time"]))
            << " .. " << (c["end_time"].is_null() ? std::string("unbounded") : str(c["end_time"]))
            << '\n'
            << "  catchup     " << str(c["catchup"]) << ", overlap " << str(c["overlap"]) << '\n'
            << "  last fire   " << zoned_time(c["last_fire"], zone) << '\n';
  auto list = [&](const char* label, const json& times) {
    std::cout << label;
    if (times.empty())
      std::cout << "-\n";
    for (std::size_t i = 0; i < times.size(); ++i)
      std::cout << (i == 0 ? "" : "              ") << zoned_time(times[i], zone) << '\n';
  };
  list("  next fires  ", c["next_fires"]);
  list("  waiting     ", c["waiting"]);
  if (!c["triggers"].empty()) {
    std::vector<std::string> names;
    for (const auto& t : c["triggers"])
      names.push_back(str(t));
    std::cout << "  triggers    " << join(names, ", ") << '\n';
  }
  if (!c["dependencies"].empty()) {
    std::cout << '\n';
    std::vector<std::vector<std::string>> rows{{"DEPENDENCY", "READY", "INSTANCE", "READY AT"}};
    for (const auto& d : c["dependencies"])
      rows.push_back({str(d["workflow"]), d.value("ready", false) ? "yes" : "no",
                      str(d["instance_id"]), local_time(d["ready_at"])});
    print_table(rows);
  }
  if (!c["params"].empty()) {
    std::cout << "\nparams\n";
    for (const auto& p : c["params"])
      std::cout << "  " << str(p["name"]) << " = " << str(p["value"]) << '\n';
  }
}

/// The graph of GET /workflows/{name}, one line per node by step from the
/// start (engine/dag.hpp).
void print_dag(const json& body) {
  if (!body.contains("nodes") || !body["nodes"].is_array() || body["nodes"].empty())
    return;
  auto text = [](const json& object, const char* key) {
    return object.is_object() && object.contains(key) && object[key].is_string()
             ? object[key].get<std::string>()
             : std::string();
  };
  std::vector<dag_node> nodes;
  for (const auto& n : body["nodes"])
    nodes.push_back(
      dag_node{text(n, "name"), text(n, "kind"), text(n, "action_type"), text(n, "desc")});
  std::vector<dag_edge> edges;
  if (body.contains("edges") && body["edges"].is_array())
    for (const auto& e : body["edges"])
      edges.push_back(
        dag_edge{text(e, "from"), text(e, "to"), text(e, "label"), text(e, "condition")});
  std::cout << "\ndag (" << nodes.size() << " nodes, by step from the start)\n";
  print_table(dag_rows(nodes, edges));
}

/// The stored versions of GET /workflows/{name}, newest first.
void print_versions(const json& body) {
  if (!body.contains("versions"))
    return;
  if (!body["versions"].is_array()) {
    std::cout << "\nversions    unknown: "
              << (body.contains("versions_error") ? str(body["versions_error"]) : "-") << '\n';
    return;
  }
  std::cout << '\n';
  std::vector<std::vector<std::string>> rows{{"VERSION", "HASH", "LOADED AT", "FILE"}};
  const auto& versions = body["versions"];
  for (auto it = versions.rbegin(); it != versions.rend(); ++it)
    rows.push_back({str((*it)["version"]), str((*it)["hash"]).substr(0, 12),
                    local_time((*it)["loaded_at"]), str((*it)["file"])});
  print_table(rows);
}

int workflow_show(const globals& g, const std::string& name) {
  auto body = call(g, "GET", "/api/v1/workflows/" + url_encode(name));
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  const auto& w = body["workflow"];
  std::cout << "workflow    " << str(w["name"]) << " (version " << str(w["version"]) << ", "
            << str(w["status"]) << ")\n"
            << "file        " << str(w["file"]) << '\n'
            << "dir         " << str(w["dir"]) << '\n'
            << "loaded at   " << local_time(w["loaded_at"]) << '\n';
  if (!str(w["desc"]).empty())
    std::cout << "desc        " << str(w["desc"]) << '\n';
  std::vector<std::string> downstream;
  for (const auto& d : body["downstream"])
    downstream.push_back(str(d));
  std::cout << "downstream  " << (downstream.empty() ? "-" : join(downstream, ", ")) << '\n';
  if (body["coordinator"].is_object())
    print_coordinator(body["coordinator"]);
  else
    std::cout << "coordinator none\n";
  print_dag(body);
  print_versions(body);
  return exit_code::ok;
}

int workflow_coordinate(const globals& g, const std::string& name, const std::string& action) {
  auto body = call(g, "POST", "/api/v1/workflows/" + url_encode(name) + "/" + action);
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  const char* done = action == "pause" ? "paused" : action == "resume" ? "resumed" : "reset";
  std::cout << "coordinator of " << name << ' ' << done << '\n';
  return exit_code::ok;
}

int alert_list(const globals& g, const std::string& workflow, const std::string& status,
               int limit) {
  auto body = call(g, "GET", "/api/v1/alerts"
                               + query_string({{"workflow", workflow},
                                               {"status", status},
                                               {"limit", std::to_string(limit)}}));
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::vector<std::vector<std::string>> rows{
    {"ID", "CREATED", "KIND", "CHANNEL", "STATUS", "TRIES", "SENT", "TITLE"}};
  for (const auto& a : body["alerts"])
    rows.push_back({str(a["id"]), local_time(a["created_at"]), str(a["kind"]), str(a["channel"]),
                    str(a["status"]), str(a["attempts"]), local_time(a["sent_at"]),
                    str(a["title"])});
  print_table(rows);
  return exit_code::ok;
}

int alert_show(const globals& g, const std::string& id) {
  auto a = call(g, "GET", "/api/v1/alerts/" + url_encode(id));
  if (g.json_output) {
    print_json(a);
    return exit_code::ok;
  }
  std::cout << "alert      " << str(a["id"]) << '\n'
            << "title      " << str(a["title"]) << '\n'
            << "kind       " << str(a["kind"]) << " (" << str(a["severity"]) << ")\n"
            << "channel    " << str(a["channel"]) << '\n'
            << "workflow   " << str(a["workflow"]) << '\n'
            << "instance   " << str(a["instance_id"]) << '\n'
            << "node       " << str(a["node"]) << '\n'
            << "status     " << str(a["status"]) << " after " << str(a["attempts"])
            << " tries\n"
            << "created    " << local_time(a["created_at"]) << '\n'
            << "sent       " << local_time(a["sent_at"])
            << (a["sent_with"].is_null() ? std::string()
                                         : " (in the digest of alert " + str(a["sent_with"]) + ")")
            << '\n'
            << "answer     " << str(a["answer"]) << '\n';
  if (a.contains("event") && a["event"].is_object() && !str(a["event"]["message"]).empty())
    std::cout << '\n' << str(a["event"]["message"]) << '\n';
  return exit_code::ok;
}

/// The zone the logical times of `workflow` are in: its coordinator's, else
/// schedule.timezone, else this machine's (asked once per workflow).
const date::time_zone* workflow_zone(const globals& g, const std::string& workflow,
                                     std::map<std::string, const date::time_zone*>& cache) {
  if (auto it = cache.find(workflow); it != cache.end())
    return it->second;
  std::string name = g.cfg.schedule.timezone;
  try {
    auto body = call(g, "GET", "/api/v1/workflows/" + url_encode(workflow));
    if (body["coordinator"].is_object() && body["coordinator"]["timezone"].is_string()
        && !body["coordinator"]["timezone"].get<std::string>().empty())
      name = body["coordinator"]["timezone"].get<std::string>();
  } catch (const cli_failure&) {
    // A removed workflow: the default zone.
  }
  auto zone = find_time_zone(name);
  if (!zone)
    zone = find_time_zone("");
  return cache[workflow] = zone ? *zone : nullptr;
}

/// A logical time as "YYYY-MM-DD HH:MM:SS ZONE" in the zone of its workflow.
std::string logical_time_text(const globals& g, const json& instance,
                              std::map<std::string, const date::time_zone*>& zones) {
  timestamp ms = 0;
  if (!instance.contains("logical_time") || !instance["logical_time"].is_string()
      || !parse_utc_time(instance["logical_time"].get<std::string>(), ms))
    return "-";
  auto zone = workflow_zone(g, str(instance["workflow"]), zones);
  if (zone == nullptr)
    return str(instance["logical_time"]);
  return format_local_time(ms, *zone) + " " + std::string(zone->name());
}

int instance_list(const globals& g, const std::string& workflow, const std::string& status,
                  const std::string& trigger, const std::string& from, const std::string& to,
                  const std::string& tz, int limit) {
  std::string path = "/api/v1/instances?limit=" + std::to_string(limit);
  if (!workflow.empty())
    path += "&workflow=" + url_encode(workflow);
  if (!status.empty())
    path += "&status=" + url_encode(status);
  if (!trigger.empty())
    path += "&trigger=" + url_encode(trigger);
  if (!from.empty())
    path += "&from=" + std::to_string(logical_time_ms(from, tz, "--from"));
  if (!to.empty())
    path += "&to=" + std::to_string(logical_time_ms(to, tz, "--to"));
  auto body = call(g, "GET", path);
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::vector<std::vector<std::string>> rows{
    {"ID", "WORKFLOW", "STATUS", "TRIGGER", "LOGICAL TIME", "CREATED", "DURATION"}};
  std::map<std::string, const date::time_zone*> zones;
  for (const auto& i : body["instances"])
    rows.push_back({str(i["id"]), str(i["workflow"]), str(i["status"]), str(i["trigger"]),
                    logical_time_text(g, i, zones), local_time(i["created"]),
                    duration(i["started"], i["finished"])});
  print_table(rows);
  return exit_code::ok;
}

void print_instance(const globals& g, const json& i) {
  std::map<std::string, const date::time_zone*> zones;
  std::cout << "instance   " << str(i["id"]) << '\n'
            << "workflow   " << str(i["workflow"]) << " (version " << str(i["version"]) << ")\n"
            << "status     " << str(i["status"]) << '\n'
            << "trigger    " << str(i["trigger"])
            << (i.contains("origin") && i["origin"] != i["trigger"]
                  ? " (origin " + str(i["origin"]) + ")"
                  : std::string())
            << '\n';
  if (i.contains("parent_id") && !i["parent_id"].is_null())
    std::cout << "parent     " << str(i["parent_id"])
              << (i.contains("parent_node") && !i["parent_node"].is_null()
                    ? " (node " + str(i["parent_node"]) + ")"
                    : std::string())
              << '\n';
  // The children of its sub-workflow nodes.
  for (const auto& n : i["nodes"])
    if (n.contains("child_id") && !n["child_id"].is_null())
      std::cout << "child      " << str(n["child_id"]) << " (node " << str(n["name"]) << ")\n";
  std::cout << "logical    " << logical_time_text(g, i, zones) << '\n'
            << "created    " << local_time(i["created"]) << '\n'
            << "started    " << local_time(i["started"]) << '\n'
            << "finished   " << local_time(i["finished"]) << '\n';
  if (!i["params"].empty()) {
    std::vector<std::string> items;
    for (auto& [key, value] : i["params"].items())
      items.push_back(key + "=" + str(value));
    std::cout << "params     " << join(items, " ") << '\n';
  }
  if (!str(i["message"]).empty())
    std::cout << "message    " << str(i["message"]) << '\n';
  std::cout << '\n';
  std::vector<std::vector<std::string>> rows{
    {"NODE", "KIND", "STATUS", "ATTEMPTS", "WORKER", "EXIT", "STARTED", "DURATION"}};
  std::vector<std::pair<std::string, std::string>> failures;
  for (const auto& n : i["nodes"]) {
    std::string attempts = "-", worker = "-", exit = "-";
    if (n.contains("attempts") && !n["attempts"].empty()) {
      const auto& last = n["attempts"].back();
      attempts = std::to_string(n["attempts"].size());
      worker = str(last["worker"]);
      exit = str(last["exit_code"]);
    }
    auto kind = str(n["kind"]);
    if (n.contains("action_type"))
      kind += ":" + str(n["action_type"]);
    rows.push_back({str(n["name"]), kind, str(n["status"]), attempts, worker, exit,
                    local_time(n["started"]), duration(n["started"], n["finished"])});
    if ((str(n["status"]) == "failed" || str(n["status"]) == "retrying")
        && !str(n["message"]).empty())
      failures.emplace_back(str(n["name"]), str(n["message"]));
  }
  print_table(rows);
  // Every attempt, for the nodes that needed more than one or ran somewhere.
  // What an action found (data-monitor: the value it checked; sql: rows; ...).
  std::vector<std::vector<std::string>> attempts{
    {"NODE", "ATTEMPT", "WORKER", "STATUS", "EXIT", "LOST", "STARTED", "DURATION", "RESULT"}};
  bool any_result = false;
  for (const auto& n : i["nodes"])
    if (n.contains("attempts"))
      for (const auto& a : n["attempts"]) {
        std::string result;
        if (a.contains("result") && !a["result"].is_null()) {
          result = a["result"].dump();
          if (result.size() > 60)
            result = result.substr(0, 57) + "...";
          any_result = true;
        }
        attempts.push_back({str(n["name"]), str(a["number"]), str(a["worker"]), str(a["status"]),
                            str(a["exit_code"]), a["lost"].get<bool>() ? "yes" : "no",
                            local_time(a["started"]), duration(a["started"], a["finished"]),
                            result});
      }
  if (!any_result)
    for (auto& row : attempts)
      row.pop_back();
  if (attempts.size() > 1) {
    std::cout << '\n';
    print_table(attempts);
  }
  for (const auto& [node, message] : failures) {
    std::cout << "\nnode '" << node << "' failed:\n";
    for (const auto& line : split_list(message, '\n'))
      std::cout << "  " << line << '\n';
  }
}

/// Prints a dependency report (GET .../dependencies): exit 0 when every
/// item holds (or there is none), 1 when one failed, 2 while one waits.
int print_dependencies(const globals& g, const json& body) {
  if (g.json_output) {
    print_json(body);
  } else {
    std::cout << "workflow      " << str(body["workflow"]) << '\n';
    if (!body["instance_id"].is_null())
      std::cout << "instance      " << str(body["instance_id"]) << '\n';
    if (body.contains("logical_time") && body["logical_time"].is_object())
      std::cout << "logical time  " << str(body["logical_time"]["local"]) << " ("
                << str(body["timezone"]) << ")\n";
    std::cout << "state         " << str(body["state"]) << "\n\n" << str(body["message"]) << '\n';
  }
  auto state = str(body["state"]);
  return state == "failed"    ? exit_code::failed
         : state == "waiting" ? exit_code::waiting
                              : exit_code::ok;
}

int instance_why(const globals& g, const std::string& id) {
  return print_dependencies(g, call(g, "GET", "/api/v1/instances/" + url_encode(id)
                                                + "/dependencies"));
}

int workflow_why(const globals& g, const std::string& name, const std::string& logical_time,
                 const std::string& tz) {
  auto path = "/api/v1/workflows/" + url_encode(name) + "/dependencies";
  if (!logical_time.empty())
    path += "?logical_time=" + std::to_string(logical_time_ms(logical_time, tz));
  return print_dependencies(g, call(g, "GET", path));
}

int instance_show(const globals& g, const std::string& id) {
  auto body = call(g, "GET", "/api/v1/instances/" + url_encode(id));
  if (g.json_output)
    print_json(body);
  else
    print_instance(g, body);
  return exit_code::ok;
}

int instance_kill(const globals& g, const std::string& id) {
  auto body = call(g, "POST", "/api/v1/instances/" + url_encode(id) + "/kill");
  if (g.json_output)
    print_json(body);
  else
    std::cout << id << " killed\n";
  return exit_code::ok;
}

int instance_delete(const globals& g, const std::string& id) {
  auto body = call(g, "DELETE", "/api/v1/instances/" + url_encode(id));
  if (g.json_output)
    print_json(body);
  else
    std::cout << id << " deleted\n";
  return exit_code::ok;
}

int instance_rerun(const globals& g, const std::string& id, const std::string& mode,
                   const run_options& options) {
  json request{{"mode", mode}};
  add_run_options(request, options);
  if (!requester().empty())
    request["by"] = requester();
  auto body = call(g, "POST", "/api/v1/instances/" + url_encode(id) + "/rerun", request.dump());
  if (g.json_output)
    print_json(body);
  else if (mode == "nodes")
    std::cout << id << " running again: " << describe(options) << '\n';
  else
    std::cout << id << " running again (" << (mode == "all" ? "every node" : "its failed nodes")
              << ")\n";
  return exit_code::ok;
}

int instance_executions(const globals& g, const std::string& id) {
  auto body = call(g, "GET", "/api/v1/instances/" + url_encode(id) + "/executions");
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::vector<std::vector<std::string>> rows{
    {"#", "TRIGGER", "BY", "STATUS", "STARTED", "FINISHED", "OPTIONS", "NODES"}};
  for (const auto& e : body["executions"]) {
    std::string lists;
    for (const char* state : {"failed", "running", "pending", "skipped", "succeeded"}) {
      std::vector<std::string> names;
      for (const auto& n : e["nodes"][state])
        names.push_back(str(n));
      if (!names.empty())
        lists += (lists.empty() ? "" : "; ") + std::string(state) + ": " + join(names, ",");
    }
    auto options = e["run_options"].empty() ? std::string("-") : e["run_options"].dump();
    rows.push_back({std::to_string(e["number"].get<int>()), str(e["trigger"]),
                    e["requested_by"].is_string() ? str(e["requested_by"]) : "-", str(e["status"]),
                    local_time(e["started"]), local_time(e["finished"]), options, lists});
  }
  print_table(rows);
  return exit_code::ok;
}

int workflow_submit(const globals& g, const std::string& file, const std::string& dir) {
  auto text = read_file(file);
  if (!text)
    throw cli_failure{exit_code::usage, text.error().message};
  auto body = call(g, "POST",
                   "/api/v1/workflows" + (dir.empty() ? std::string() : "?dir=" + url_encode(dir)),
                   *text);
  if (g.json_output) {
    print_json(body);
  } else {
    for (const auto& w : body["warnings"])
      std::cout << file << ": warning: " << str(w) << '\n';
    std::cout << str(body["message"]) << '\n';
  }
  return exit_code::ok;
}

int workflow_remove(const globals& g, const std::string& name) {
  auto body = call(g, "DELETE", "/api/v1/workflows/" + url_encode(name));
  if (g.json_output)
    print_json(body);
  else
    std::cout << str(body["message"]) << '\n';
  return exit_code::ok;
}

int instance_mark(const globals& g, const std::string& id, const std::string& node,
                  const std::string& status, const std::string& reason) {
  json request{{"status", status}};
  if (!reason.empty())
    request["reason"] = reason;
  if (!requester().empty())
    request["by"] = requester();
  auto body = call(g, "POST",
                   "/api/v1/instances/" + url_encode(id) + "/nodes/" + url_encode(node) + "/mark",
                   request.dump());
  if (g.json_output)
    print_json(body);
  else
    std::cout << id << " node " << node << " marked " << status << "; the instance goes on\n";
  return exit_code::ok;
}

int instance_log(const globals& g, const std::string& id, const std::string& node, int attempt,
                 bool follow) {
  std::int64_t offset = 0;
  auto delay = std::chrono::milliseconds(100);
  bool said_waiting = false;
  bool saw_start = false;
  for (;;) {
    json body;
    try {
      body = call(g, "GET", "/api/v1/instances/" + url_encode(id) + "/nodes/" + url_encode(node)
                              + "/log?attempt=" + std::to_string(attempt)
                              + "&offset=" + std::to_string(offset));
    } catch (const cli_failure& f) {
      // Following a node that has not started yet: wait for its first
      // attempt while the instance runs.
      if (!follow || f.code != exit_code::failed)
        throw;
      auto inst = call(g, "GET", "/api/v1/instances/" + url_encode(id));
      const json* found = nullptr;
      for (const auto& n : inst["nodes"])
        if (n["name"] == node)
          found = &n;
      if (found == nullptr)
        throw;
      // It started between the two requests: read its log now (once; a
      // second failure is not that race).
      if (found->contains("attempts") && !(*found)["attempts"].empty()) {
        if (attempt != 0 || saw_start)
          throw;
        saw_start = true;
        continue;
      }
      auto status = str(inst["status"]);
      if (status == "succeeded" || status == "failed" || status == "killed")
        throw cli_failure{exit_code::failed, "node '" + node + "' of instance " + id
                                               + " did not run: the instance ended " + status};
      if (!said_waiting)
        std::cerr << "cafflow: node '" << node << "' is " << str((*found)["status"])
                  << "; waiting for it to start\n";
      said_waiting = true;
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
      continue;
    }
    if (g.json_output && !follow) {
      print_json(body);
      return exit_code::ok;
    }
    auto content = body["content"].get<std::string>();
    std::cout << content << std::flush;
    offset = body["next_offset"].get<std::int64_t>();
    if (!follow)
      return exit_code::ok;
    if (content.empty() && !body["running"].get<bool>()) {
      // The attempt ended and its log is read to the end. A retry makes a
      // new attempt: follow it too when one comes.
      auto inst = call(g, "GET", "/api/v1/instances/" + url_encode(id));
      auto status = str(inst["status"]);
      int last = 0;
      for (const auto& n : inst["nodes"])
        if (n["name"] == node && n.contains("attempts") && !n["attempts"].empty())
          last = n["attempts"].back()["number"].get<int>();
      if (attempt == 0 && last > body["attempt"].get<int>()) {
        std::cout << "--- attempt " << last << " ---\n";
        offset = 0;
        continue;
      }
      if (status == "succeeded" || status == "failed" || status == "killed" || attempt != 0)
        return exit_code::ok;
    }
    if (content.empty()) {
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    } else {
      delay = std::chrono::milliseconds(100);
    }
  }
}

int cluster_status(const globals& g) {
  auto body = call(g, "GET", "/api/v1/cluster");
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::cout << "cluster    " << str(body["cluster"]) << ", epoch " << str(body["epoch"]) << '\n';
  if (body.contains("warnings") && body["warnings"].is_array())
    for (const auto& w : body["warnings"])
      std::cout << "WARNING    " << str(w) << '\n';
  if (body.value("master_reachable", true) && body["master"].is_object()) {
    const auto& m = body["master"];
    std::cout << "master     " << str(m["address"]) << " (pid " << str(m["pid"]) << ", epoch "
              << str(m["epoch"]) << ", up since " << local_time(m["started"]) << ")"
              << (m.value("recovering", false) ? ", recovering the previous master's attempts"
                                               : "")
              << "\n"
              << "store      " << str(body["store"]["status"])
              << (str(body["store"]["status"]) == "ok"
                    ? std::string()
                    : ": " + str(body["store"]["error"]) + " ("
                        + str(body["store"]["pending_writes"]) + " writes waiting)")
              << (str(body["store"]["new_work"]) == "paused" ? ", no new work starts" : "")
              << '\n'
              << "slots      " << str(body["slots"]["busy"]) << " busy of "
              << str(body["slots"]["total"]) << ", " << str(body["attempts"]["queued"])
              << " attempts waiting\n"
              << "instances  " << str(body["instances"]["running"]) << " running, "
              << str(body["instances"]["queued"]) << " waiting for their instance-limit\n";
    if (body.contains("pools") && body["pools"].is_object() && !body["pools"].empty()) {
      std::vector<std::string> pools;
      for (auto& [pool, use] : body["pools"].items())
        pools.push_back(pool + " " + str(use["in_use"]) + " of " + str(use["slots"]) + " in use");
      std::cout << "pools      " << join(pools, ", ") << '\n';
    }
  } else {
    std::cout << "master     none reachable: " << str(body["master_error"]) << '\n';
  }
  for (const auto& entry : body["masters"])
    std::cout << "  " << str(entry["role"]) << "  " << str(entry["address"]) << " (pid "
              << str(entry["pid"]) << ", host " << str(entry["host"]) << ", last seen "
              << local_time(entry["seen_at"]) << ")\n";
  std::cout << '\n';
  std::vector<std::vector<std::string>> rows{
    {"WORKER", "HOST", "STATE", "SLOTS", "RUNNING", "GROUPS", "LOAD", "LAST HEARTBEAT"}};
  for (const auto& w : body["workers"]) {
    std::vector<std::string> groups;
    for (const auto& grp : w["groups"])
      groups.push_back(grp.get<std::string>());
    char load[16];
    std::snprintf(load, sizeof(load), "%.2f", w["load"].get<double>());
    rows.push_back({str(w["id"]), str(w["host"]), str(w["state"]), str(w["slots"]),
                    str(w["running"]), groups.empty() ? "-" : join(groups, ","), load,
                    local_time(w["last_heartbeat"])});
  }
  print_table(rows);
  return exit_code::ok;
}

/// Prints the end of an instance waited for and answers the exit code.
int instance_ended(const globals& g, const std::string& id, const json& body) {
  auto status = str(body["status"]);
  if (g.json_output)
    print_json(body);
  else
    std::cout << id << ' ' << status
              << (str(body["message"]).empty() ? "" : ": " + str(body["message"])) << '\n';
  return status == "succeeded" ? exit_code::ok : exit_code::failed;
}

int instance_wait(const globals& g, const std::string& id, double timeout_s) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  auto ended = [](const std::string& status) {
    return status == "succeeded" || status == "failed" || status == "killed";
  };
  // Errors (unknown instance, no token) as every other command reports them.
  auto body = call(g, "GET", "/api/v1/instances/" + url_encode(id));
  if (ended(str(body["status"])))
    return instance_ended(g, id, body);
  auto status = str(body["status"]);
  // Then the instance's events (GET .../events): told of each change, no
  // polling. A stream that breaks (a failover) is opened again. The events
  // carry the instance's row only; --json prints the whole instance, read
  // once at the end.
  auto path = "/api/v1/instances/" + url_encode(id) + "/events?nodes=false";
  while (clock::now() < deadline) {
    std::optional<json> last;
    bool timed_out = false;
    // The server sends a comment every few seconds; a read that waits past
    // the deadline ends the wait.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    auto idle_ms = static_cast<int>(
      std::clamp<long long>(left.count() + 50, 50, std::max<long long>(g.timeout_ms, 15000)));
    auto answer = http_events(g.http, path, bearer(g.token), idle_ms, [&](const sse_message& m) {
      if (clock::now() >= deadline) {
        timed_out = true;
        return false;
      }
      if (m.comment || m.event != "instance")
        return true;
      auto parsed = json::parse(m.data, nullptr, false);
      if (!parsed.is_object())
        return true;
      status = str(parsed["status"]);
      if (ended(status)) {
        last = std::move(parsed);
        return false;
      }
      return true;
    });
    if (last)
      return instance_ended(g, id,
                            g.json_output ? call(g, "GET", "/api/v1/instances/" + url_encode(id))
                                          : *last);
    if (timed_out)
      break;
    if (answer && answer->status != 200) {
      auto parsed = json::parse(answer->body, nullptr, false);
      throw cli_failure{answer->status == 401 ? exit_code::unauthorized : exit_code::failed,
                        parsed.is_object() && parsed.contains("error")
                          ? str(parsed["error"])
                          : "HTTP " + std::to_string(answer->status)};
    }
    // The stream ended or broke: look again (it may have ended meanwhile),
    // then follow anew after a moment.
    body = call(g, "GET", "/api/v1/instances/" + url_encode(id));
    status = str(body["status"]);
    if (ended(status))
      return instance_ended(g, id, body);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::cerr << "cafflow: instance " << id << " is still " << status << " after " << timeout_s
            << "s\n";
  return exit_code::timeout;
}

/// Reads the configuration named by --conf, CAFFLOW_CONF or the default.
void load_globals(globals& g) {
  g.cfg = load_cli_config(g);
  g.http = g.cfg.cluster.http;
  if (g.token.empty())
    if (const char* env = std::getenv("CAFFLOW_TOKEN"); env != nullptr)
      g.token = env;
  if (g.token.empty())
    g.token = g.cfg.http.token;
  // A wildcard listen address is reached through loopback.
  if (g.http.host == "0.0.0.0")
    g.http.host = "127.0.0.1";
}

int config_show(const globals& g, const std::string& key) {
  if (g.json_output) {
    json j = json::object();
    for (const auto& [name, value] : g.cfg.effective)
      if (key.empty() || name == key)
        j[name] = value;
    if (!key.empty() && j.empty())
      throw cli_failure{exit_code::usage, "unknown key '" + key + "'"};
    print_json(j);
    return exit_code::ok;
  }
  for (const auto& [name, value] : g.cfg.effective) {
    if (key.empty())
      std::cout << name << " = " << value << '\n';
    else if (name == key) {
      std::cout << value << '\n';
      return exit_code::ok;
    }
  }
  if (!key.empty()) {
    std::vector<std::string> names;
    for (const auto& [name, value] : g.cfg.effective)
      names.push_back(name);
    auto hint = did_you_mean(key, names);
    throw cli_failure{exit_code::usage, "unknown key '" + key + "'"
                                          + (hint.empty() ? "" : " (did you mean '" + hint + "'?)")};
  }
  return exit_code::ok;
}

config load_cli_config(const globals& g) {
  config_sources sources;
  sources.file = g.conf;
  if (sources.file.empty())
    if (const char* env = std::getenv("CAFFLOW_CONF"); env != nullptr)
      sources.file = env;
  if (sources.file.empty() && std::filesystem::exists("conf/cafflow.ini"))
    sources.file = "conf/cafflow.ini";
  sources.environment = process_environment();
  auto cfg = load_config(sources);
  if (!cfg)
    throw cli_failure{exit_code::config, cfg.error().message};
  return std::move(*cfg);
}


// -- backfill ------------------------------------------------------------------

/// What `backfill create` (and `workflow backfill`) is asked.
struct backfill_args {
  std::string workflow;
  std::string from, to, tz;
  std::vector<std::string> dates;
  int parallel = 1;
  std::string order = "asc";
  std::string downstream = "none";
  std::string rerun = "none";
  bool dry_run = false;
  std::vector<std::string> params;
};

/// A time option as milliseconds; a bad one is a usage error (exit 64).
timestamp time_arg(const std::string& text, const std::string& zone, const std::string& option) {
  try {
    return logical_time_ms(text, zone, option);
  } catch (cli_failure& f) {
    f.code = exit_code::usage;
    throw;
  }
}

/// "A 7, B 7, C 168": items per workflow in plan order.
std::string items_per_workflow(const json& items) {
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& item : items) {
    auto name = str(item["workflow"]);
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == name; });
    if (it == counts.end())
      counts.emplace_back(name, 1);
    else
      ++it->second;
  }
  std::vector<std::string> parts;
  for (const auto& [name, n] : counts)
    parts.push_back(name + " " + std::to_string(n));
  return join(parts, ", ");
}

std::string progress_line(const json& p) {
  return "planned " + str(p["planned"]) + ", done " + str(p["done"]) + " (skipped "
         + str(p["skipped"]) + "), failed " + str(p["failed"]) + ", running " + str(p["running"])
         + ", waiting " + str(p["waiting"]) + ", cancelled " + str(p["cancelled"]);
}

void print_items(const json& items) {
  std::vector<std::vector<std::string>> rows{{"WORKFLOW", "LOGICAL TIME", "STATE", "INSTANCE"}};
  for (const auto& item : items)
    rows.push_back({str(item["workflow"]), str(item["logical_time"]), str(item["state"]),
                    str(item["instance_id"])});
  print_table(rows);
}

int backfill_create(const globals& g, const backfill_args& a) {
  if (a.dates.empty() && (a.from.empty() || a.to.empty()))
    throw cli_failure{exit_code::usage, "give --from and --to, or --dates"};
  if (!a.dates.empty() && (!a.from.empty() || !a.to.empty()))
    throw cli_failure{exit_code::usage, "give either --from and --to or --dates, not both"};
  json request{{"workflow", a.workflow},     {"parallel", a.parallel}, {"order", a.order},
               {"downstream", a.downstream}, {"rerun", a.rerun},       {"dry_run", a.dry_run},
               {"params", params_json(a.params)}};
  if (const char* user = std::getenv("USER"))
    request["created_by"] = user;
  if (a.dates.empty()) {
    auto from = time_arg(a.from, a.tz, "--from");
    auto to = time_arg(a.to, a.tz, "--to");
    if (from > to)
      throw cli_failure{exit_code::usage, "--from " + a.from + " is after --to " + a.to};
    request["from"] = from;
    request["to"] = to;
  } else {
    json dates = json::array();
    for (const auto& d : a.dates)
      dates.push_back(time_arg(trim(d), a.tz, "--dates"));
    request["dates"] = std::move(dates);
  }
  auto body = call(g, "POST", "/api/v1/backfills", request.dump());
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  if (a.dry_run) {
    std::cout << "plan of a backfill of " << a.workflow << " (nothing started): "
              << body["items"].size() << " items (" << items_per_workflow(body["items"])
              << ")\n\n";
    print_items(body["items"]);
    return exit_code::ok;
  }
  std::cout << str(body["id"]) << '\n';
  std::cerr << "backfill " << str(body["id"]) << " of " << a.workflow << ": "
            << body["items"].size() << " items (" << items_per_workflow(body["items"])
            << "), parallel " << a.parallel << "; " << progress_line(body["progress"]) << '\n';
  return exit_code::ok;
}

int backfill_list(const globals& g, const std::string& state, int limit) {
  auto body = call(g, "GET", "/api/v1/backfills"
                               + query_string({{"state", state}, {"limit", std::to_string(limit)}}),
                   {});
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "WORKFLOW", "STATE", "PLANNED", "DONE",
                                              "FAILED", "RUNNING", "WAITING", "CANCELLED",
                                              "CREATED"}};
  for (const auto& b : body["backfills"]) {
    const auto& p = b["progress"];
    rows.push_back({str(b["id"]), str(b["workflow"]), str(b["state"]), str(p["planned"]),
                    str(p["done"]), str(p["failed"]), str(p["running"]), str(p["waiting"]),
                    str(p["cancelled"]), local_time(b["created"])});
  }
  print_table(rows);
  return exit_code::ok;
}

int backfill_show(const globals& g, const std::string& id, bool cancel) {
  auto body = call(g, cancel ? "DELETE" : "GET", "/api/v1/backfills/" + url_encode(id));
  if (g.json_output) {
    print_json(body);
    return exit_code::ok;
  }
  std::cout << "backfill   " << str(body["id"]) << '\n'
            << "workflow   " << str(body["workflow"]) << '\n'
            << "state      " << str(body["state"]) << '\n'
            << "options    " << body["options"].dump() << '\n'
            << "created    " << local_time(body["created"]) << " by " << str(body["created_by"])
            << '\n'
            << "finished   " << local_time(body["finished"]) << '\n'
            << "progress   " << progress_line(body["progress"]) << '\n';
  if (body.contains("items")) {
    std::cout << '\n';
    print_items(body["items"]);
  }
  return exit_code::ok;
}

/// The options of `backfill create` on `cmd` (also `workflow backfill`).
void add_backfill_options(CLI::App* cmd, backfill_args& a) {
  cmd->add_option("WORKFLOW", a.workflow, "the workflow to backfill")->required();
  auto* from = cmd->add_option("--from", a.from,
                               "first logical time: YYYY-MM-DD [HH:MM:SS] in --tz, "
                               "YYYY-MM-DDTHH:MM:SSZ, or milliseconds");
  auto* to = cmd->add_option("--to", a.to, "last logical time, included (same forms)");
  auto* dates = cmd->add_option("--dates", a.dates, "these logical times instead (T,T,...)")
                  ->delimiter(',');
  from->needs(to);
  to->needs(from);
  dates->excludes(from)->excludes(to);
  cmd->add_option("--tz", a.tz, "IANA zone of the times (default: schedule.timezone, else this "
                                "machine's)");
  cmd->add_option("--parallel", a.parallel, "instances of the backfill active at once (default 1)")
    ->check(CLI::Range(1, 10000));
  cmd->add_option("--order", a.order, "asc (oldest first, the default) or desc")
    ->check(CLI::IsMember({"asc", "desc"}));
  cmd->add_option("--downstream", a.downstream,
                  "none (the default), direct (the workflows that depend on it) or all (every "
                  "level), each at its own logical times")
    ->check(CLI::IsMember({"none", "direct", "all"}));
  cmd->add_option("--rerun", a.rerun,
                  "none (the default: skip what succeeded), failed (only what failed or was "
                  "killed last) or all")
    ->check(CLI::IsMember({"none", "failed", "all"}));
  cmd->add_flag("--dry-run", a.dry_run, "print the plan; start nothing");
  cmd->add_option("-p,--param", a.params, "parameter NAME=VALUE (repeatable)");
}

/// The first word of the command line that should name a subcommand and
/// does not: "unknown command 'foo' (did you mean 'workflow'?)". Options and
/// their values are skipped; the words after a command without subcommands
/// are its arguments. Nothing when every command is known.
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--")
      return {};
    if (word.size() > 1 && word[0] == '-') {
      if (word.find('=') != std::string::npos)
        continue;
      // An option that takes a value: skip the value (options of the
      // commands above are accepted too, as CLI11 does with fallthrough).
      for (CLI::App* at = current; at != nullptr; at = at->get_parent())
        if (auto* opt = at->get_option_no_throw(word); opt != nullptr) {
          if (opt->get_expected_max() > 0)
            ++i;
          break;
        }
      continue;
    }
    auto subcommands = current->get_subcommands([](CLI::App*) { return true; });
    if (subcommands.empty())
      return {};
    CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (auto* sub : subcommands) {
      names.push_back(sub->get_name());
      if (sub->check_name(word))
        next = sub;
    }
    if (next == nullptr) {
      auto path = current->get_name() == "cafflow" ? std::string("cafflow")
                                                    : "cafflow " + current->get_name();
      auto hint = did_you_mean(word, names);
      return "unknown command '" + word + "'"
             + (hint.empty() ? " (" + path + " has: " + join(names, ", ") + ")"
                             : " (did you mean '" + hint + "'?)")
             + "; see '" + path + " --help'";
    }
    current = next;
  }
  return {};
}

/// Commands that print no data (or a stream) refuse --json rather than
/// ignore it.
void refuse_json(const globals& g, const std::string& command, const std::string& why) {
  if (g.json_output)
    throw cli_failure{exit_code::usage,
                      "--json: 'cafflow " + command + "' " + why + "; run it without --json"};
}

} // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"cafflow — operate a cafflow cluster over its HTTP API", "cafflow"};
  app.require_subcommand(1);
  app.fallthrough();
  globals g;
  app.add_option("--conf", g.conf, "configuration file (default: $CAFFLOW_CONF, conf/cafflow.ini)");
  app.add_flag("--json", g.json_output,
               "print JSON instead of tables (commands that print no data refuse it)");
  app.set_version_flag("--version", std::string("cafflow ") + version);
  app.add_option("--token", g.token,
                 "API token sent as 'Authorization: Bearer TOKEN' (default: $CAFFLOW_TOKEN, "
                 "[http] token of the config)");
  std::function<int()> action;

  auto* workflow = app.add_subcommand("workflow", "list, show, start and schedule workflows");
  workflow->require_subcommand(1);
  auto* wf_list = workflow->add_subcommand(
    "list", "list the loaded workflows (--status removed: those whose file is gone)");
  std::string wf_list_dir, wf_list_name, wf_list_status;
  wf_list->add_option("--dir", wf_list_dir, "only workflows with this dir attribute (exact)");
  wf_list->add_option("--name", wf_list_name, "only workflows whose name contains this (any case)");
  wf_list->add_option("--status", wf_list_status,
                      "active (the default: loaded now), removed (file gone) or all")
    ->check(CLI::IsMember({"active", "removed", "all"}));
  wf_list->callback([&] {
    action = [&] { return workflow_list(g, wf_list_dir, wf_list_name, wf_list_status); };
  });
  auto* wf_show = workflow->add_subcommand(
    "show", "a workflow with its coordinator (state, cron, next fires, dependencies, params), "
            "its DAG drawn as text and its stored versions");
  std::string show_name;
  wf_show->add_option("NAME", show_name, "workflow name")->required();
  wf_show->callback([&] { action = [&] { return workflow_show(g, show_name); }; });

  // run, trigger and lineage: NAME and -p; run also takes a logical time.
  std::string start_name, start_time, start_tz;
  std::vector<std::string> start_params;
  run_options start_options;
  auto add_start = [&](const char* verb, const char* help) {
    auto* cmd = workflow->add_subcommand(verb, help);
    cmd->add_option("NAME", start_name, "workflow name")->required();
    cmd->add_option("-p,--param", start_params, "parameter NAME=VALUE (repeatable)");
    cmd->callback([&, verb] {
      action = [&, verb] {
        return workflow_start(g, verb, start_name, start_params, start_time,
                              start_tz.empty() ? g.cfg.schedule.timezone : start_tz,
                              start_options);
      };
    });
    return cmd;
  };
  auto* wf_run = add_start("run", "start a manual run; prints the instance id");
  wf_run->add_option("--logical-time", start_time,
                     "the run's logical time: YYYY-MM-DD HH:MM:SS in --tz, "
                     "YYYY-MM-DDTHH:MM:SSZ, or milliseconds (default: now)");
  wf_run->add_option("--tz", start_tz,
                     "IANA zone of --logical-time (default: schedule.timezone, else this "
                     "machine's)");
  auto* run_nodes = wf_run->add_option("--nodes", start_options.nodes,
                                       "run only these actions (A,B); the others are skipped")
                      ->delimiter(',');
  wf_run->add_flag("--upstream", start_options.upstream,
                   "with --nodes: also every node before them")
    ->needs(run_nodes);
  // --downstream: a bare flag with --nodes (the nodes after them), or
  // direct|all (the downstream workflows, as a one-date backfill).
  std::string run_downstream;
  auto* downstream_opt =
    wf_run
      ->add_option("--downstream", run_downstream,
                   "with --nodes and no value: also every node after them; direct or all: also "
                   "the downstream workflows, each at its own logical times in the run's "
                   "period, as a one-date backfill (prints its id)")
      ->expected(0, 1);
  wf_run->add_option("--from-node", start_options.from_node,
                     "run this node and everything after it; the nodes before are skipped")
    ->excludes(run_nodes);
  wf_run->add_option("--skip", start_options.skip,
                     "skip these actions (A,B): they do not run, the flow follows their ok")
    ->delimiter(',');
  auto* wf_trigger =
    add_start("trigger", "start an instance as if its coordinator fired now (it counts for the "
                         "workflows that depend on it); prints the instance id");
  wf_trigger->add_option("--skip", start_options.skip,
                         "skip these actions (A,B): they do not run, the flow follows their ok")
    ->delimiter(',');
  auto* wf_lineage =
    add_start("lineage", "start the workflow, then every workflow downstream of it, each once "
                         "its upstreams in the run have succeeded; prints the first instance's id");
  wf_lineage->add_option("--logical-time", start_time,
                         "the logical time of every instance of the run (default: now; same "
                         "forms as run)");
  wf_lineage->add_option("--tz", start_tz, "IANA zone of --logical-time");
  wf_run->callback([&, downstream_opt] {
    action = [&, downstream_opt] {
      auto tz = start_tz.empty() ? g.cfg.schedule.timezone : start_tz;
      bool given = downstream_opt->count() > 0;
      if (given && run_downstream.empty()) {
        if (start_options.nodes.empty())
          throw cli_failure{exit_code::usage,
                            "--downstream without a value needs --nodes (or give direct or "
                            "all: the downstream workflows)"};
        start_options.downstream = true;
      }
      if (!given || run_downstream.empty())
        return workflow_start(g, "run", start_name, start_params, start_time, tz, start_options);
      if (run_downstream != "direct" && run_downstream != "all")
        throw cli_failure{exit_code::usage, "--downstream: expected direct or all (the downstream "
                                            "workflows), or no value with --nodes; got '"
                                              + run_downstream + "'"};
      if (!start_options.empty())
        throw cli_failure{exit_code::usage, "--downstream " + run_downstream
                                              + " (a backfill) takes no node options"};
      backfill_args a;
      a.workflow = start_name;
      a.dates = {start_time.empty() ? std::to_string(now_ms()) : start_time};
      a.tz = tz;
      a.downstream = run_downstream;
      a.rerun = "all";
      a.params = start_params;
      return backfill_create(g, a);
    };
  });

  backfill_args bf_args;
  auto bf_action = [&] {
    action = [&] {
      if (bf_args.tz.empty())
        bf_args.tz = g.cfg.schedule.timezone;
      return backfill_create(g, bf_args);
    };
  };
  auto* wf_backfill = workflow->add_subcommand(
    "backfill", "the same as 'backfill create': run the workflow over a range of logical times");
  add_backfill_options(wf_backfill, bf_args);
  wf_backfill->callback(bf_action);

  auto* backfill = app.add_subcommand(
    "backfill", "run workflows over past logical times (and their downstream workflows)");
  backfill->require_subcommand(1);
  auto* bf_create = backfill->add_subcommand(
    "create", "plan and start a backfill; prints its id (--dry-run: the plan only)");
  add_backfill_options(bf_create, bf_args);
  bf_create->callback(bf_action);
  auto* bf_list = backfill->add_subcommand("list", "backfills, newest first, with their progress");
  std::string bf_state;
  int bf_limit = 20;
  bf_list->add_option("--state", bf_state, "only backfills in this state")
    ->check(CLI::IsMember({"planned", "running", "succeeded", "failed", "cancelled"}));
  bf_list->add_option("--limit", bf_limit, "at most this many (default 20)")
    ->check(CLI::Range(1, 10000));
  bf_list->callback([&] { action = [&] { return backfill_list(g, bf_state, bf_limit); }; });
  std::string bf_id;
  auto* bf_show = backfill->add_subcommand("show", "a backfill with its progress and items");
  bf_show->add_option("ID", bf_id, "backfill id")->required();
  bf_show->callback([&] { action = [&] { return backfill_show(g, bf_id, false); }; });
  auto* bf_cancel = backfill->add_subcommand(
    "cancel", "cancel a backfill: items not started are cancelled, running instances killed");
  bf_cancel->add_option("ID", bf_id, "backfill id")->required();
  bf_cancel->callback([&] { action = [&] { return backfill_show(g, bf_id, true); }; });

  auto* wf_why = workflow->add_subcommand(
    "why", "whether an instance at a logical time would wait for its date-window dependencies, "
           "and why: each item's periods and the upstream instance each looked at; exit 0 "
           "all hold, 1 one failed, 2 waiting");
  std::string why_name, why_time, why_tz;
  wf_why->add_option("NAME", why_name, "workflow name")->required();
  wf_why->add_option("--logical-time", why_time,
                     "YYYY-MM-DD HH:MM:SS in --tz, YYYY-MM-DDTHH:MM:SSZ, or milliseconds "
                     "(default: the coordinator's next fire, else now)");
  wf_why->add_option("--tz", why_tz,
                     "IANA zone of --logical-time (default: schedule.timezone, else this "
                     "machine's)");
  wf_why->callback([&] {
    action = [&] {
      return workflow_why(g, why_name, why_time,
                          why_tz.empty() ? g.cfg.schedule.timezone : why_tz);
    };
  });

  std::string coordinate_name;
  struct coordinate_command {
    const char* verb;
    const char* help;
  };
  for (auto [verb, help] : {
         coordinate_command{"pause", "pause the workflow's coordinator: its ticks pass without "
                                     "firing"},
         coordinate_command{"resume", "resume a paused coordinator (ticks that passed while "
                                      "paused are skipped)"},
         coordinate_command{"reset", "forget which dependencies of the coordinator are ready "
                                     "(waiting ticks stay)"}}) {
    auto* cmd = workflow->add_subcommand(verb, help);
    cmd->add_option("NAME", coordinate_name, "workflow (or standalone coordinator) name")
      ->required();
    std::string verb_name = verb;
    cmd->callback([&, verb_name] {
      action = [&, verb_name] { return workflow_coordinate(g, coordinate_name, verb_name); };
    });
  }

  auto* wf_submit = workflow->add_subcommand(
    "submit", "check a workflow or coordinator file and write it into the master's xmlconfig, "
              "where it is loaded (a loaded one of the same name is replaced in its file)");
  std::string submit_file, submit_dir;
  wf_submit->add_option("FILE", submit_file, "the XML file")->required();
  wf_submit->add_option("--dir", submit_dir, "a folder inside xmlconfig for a new file");
  wf_submit->callback([&] { action = [&] { return workflow_submit(g, submit_file, submit_dir); }; });
  auto* wf_remove = workflow->add_subcommand(
    "remove", "delete the file of a loaded workflow from xmlconfig (its instances stay)");
  std::string remove_name;
  wf_remove->add_option("NAME", remove_name, "workflow name")->required();
  wf_remove->callback([&] { action = [&] { return workflow_remove(g, remove_name); }; });

  auto* wf_check = workflow->add_subcommand(
    "check", "validate workflow files offline; exit 0 when no file has an error");
  std::vector<std::string> check_paths;
  std::string check_db_links;
  bool check_verbose = false;
  wf_check->add_option("PATH", check_paths, "files, or directories to search for *.xml")
    ->required();
  wf_check->add_option("--db-links", check_db_links,
                       "db links file (default: paths.db_links of the config)");
  std::string check_file_links;
  wf_check->add_option("--file-links", check_file_links,
                       "file links file (default: paths.file_links of the config)");
  wf_check->add_flag("-v,--verbose", check_verbose, "also name the files that are fine");
  wf_check->callback([&] {
    action = [&] {
      std::set<std::string> pools;
      for (const auto& [pool, size] : g.cfg.pools)
        pools.insert(pool);
      return check_files(check_paths, check_db_links.empty() ? g.cfg.paths.db_links : check_db_links,
                         check_verbose, std::cout,
                         check_file_links.empty() ? g.cfg.paths.file_links : check_file_links,
                         pools, g.json_output);
    };
  });

  auto* db_link_cmd =
    app.add_subcommand("db-link", "the database connections of actions (no cluster needed)");
  db_link_cmd->require_subcommand(1);
  std::string db_link_name, db_links_file;
  auto* db_link_test_cmd = db_link_cmd->add_subcommand(
    "test", "connect to a db link from this machine and say what it found");
  db_link_test_cmd->add_option("NAME", db_link_name, "the link's name")->required();
  db_link_test_cmd->add_option("--db-links", db_links_file,
                               "db links file (default: paths.db_links of the config)");
  db_link_test_cmd->callback([&] {
    action = [&] {
      refuse_json(g, "db-link test", "prints what a connection found as text");
      return db_link_test(db_links_file.empty() ? g.cfg.paths.db_links : db_links_file,
                          g.cfg.home, db_link_name,
                          odbc_drivers{g.cfg.odbc.oracle_driver, g.cfg.odbc.hive_driver},
                          std::cout, std::cerr);
    };
  });
  auto* db_link_list_cmd =
    db_link_cmd->add_subcommand("list", "every db link: name, type, URL, user (no passwords)");
  db_link_list_cmd->add_option("--db-links", db_links_file,
                               "db links file (default: paths.db_links of the config)");
  db_link_list_cmd->callback([&] {
    action = [&] {
      return db_link_list(db_links_file.empty() ? g.cfg.paths.db_links : db_links_file,
                          std::cout, std::cerr, g.json_output);
    };
  });

  auto* store_cmd = app.add_subcommand("store", "the database (no cluster needed)");
  store_cmd->require_subcommand(1);
  auto* store_copy_cmd = store_cmd->add_subcommand(
    "copy", "copy everything of the configured store into a new, empty one (cluster stopped)");
  std::string copy_from, copy_to;
  store_copy_cmd->add_option("--from", copy_from, "store URL to copy (default: store.url)");
  store_copy_cmd->add_option("--to", copy_to, "store URL of the new, empty store")->required();
  store_copy_cmd->callback([&] {
    action = [&] {
      refuse_json(g, "store copy", "prints progress, no data");
      return store_copy(copy_from.empty() ? g.cfg.store.url : copy_from, copy_to, g.cfg.home,
                        g.cfg.store.busy_timeout_ms, std::cout, std::cerr);
    };
  });

  auto* store_backup_cmd = store_cmd->add_subcommand(
    "backup", "copy the store into FILE, also while the cluster runs (SQLite: online backup; "
              "MariaDB/MySQL: names the mariadb-dump command)");
  std::string backup_file;
  bool backup_force = false;
  store_backup_cmd->add_option("FILE", backup_file, "the backup file to write")->required();
  store_backup_cmd->add_flag("--force", backup_force, "replace FILE when it exists");
  store_backup_cmd->callback([&] {
    action = [&] {
      return store_backup(g.cfg.store.url, g.cfg.home, backup_file, backup_force, g.json_output,
                          std::cout, std::cerr);
    };
  });
  auto* store_restore_cmd = store_cmd->add_subcommand(
    "restore", "replace the store with a backup made by 'store backup' (cluster stopped)");
  std::string restore_file;
  store_restore_cmd->add_option("FILE", restore_file, "the backup file")->required();
  store_restore_cmd->callback([&] {
    action = [&] {
      refuse_json(g, "store restore", "prints no data");
      return store_restore(g.cfg.store.url, g.cfg.home, g.cfg.store.busy_timeout_ms,
                           restore_file, std::cout, std::cerr);
    };
  });

  auto* history_cmd = app.add_subcommand(
    "history", "the store's history of instances and workflow versions (no cluster needed)");
  history_cmd->require_subcommand(1);
  auto* prune_cmd = history_cmd->add_subcommand(
    "prune", "delete ended instances (nodes, attempts) that finished before a time, as "
             "[retention] days does in the background");
  std::string prune_before, prune_tz;
  bool prune_dry_run = false;
  int prune_versions = 0;
  prune_cmd->add_option("--before", prune_before,
                        "YYYY-MM-DD [HH:MM:SS] in --tz, ISO 8601 (2026-01-01T00:00:00Z, "
                        "+01:00), or milliseconds")
    ->required();
  prune_cmd->add_option("--tz", prune_tz,
                        "IANA zone of --before (default: schedule.timezone, else this machine's)");
  prune_cmd->add_option("--xml-versions", prune_versions,
                        "also delete stored workflow versions beyond the newest K of each")
    ->check(CLI::NonNegativeNumber);
  prune_cmd->add_flag("--dry-run", prune_dry_run, "only count what would be deleted");
  prune_cmd->callback([&] {
    action = [&] {
      auto before = logical_time_ms(prune_before, prune_tz.empty() ? g.cfg.schedule.timezone
                                                                    : prune_tz,
                                    "--before");
      return history_prune(g.cfg.store.url, g.cfg.home, g.cfg.store.busy_timeout_ms, before,
                           prune_versions, g.cfg.retention.batch, prune_dry_run, g.json_output,
                           std::cout, std::cerr);
    };
  });

  auto* tls_cmd = app.add_subcommand("tls", "the cluster's certificates (no cluster needed)");
  tls_cmd->require_subcommand(1);
  auto* tls_init_cmd = tls_cmd->add_subcommand(
    "init", "create the cluster CA in tls.dir when there is none, and say where it is");
  tls_init_cmd->callback([&] {
    action = [&] {
      refuse_json(g, "tls init", "prints no data");
      return tls_init(g.cfg, std::cout, std::cerr);
    };
  });
  auto* tls_issue_cmd = tls_cmd->add_subcommand(
    "issue", "a certificate for a role on another host, signed by the cluster CA");
  std::string issue_role, issue_host, issue_out;
  bool issue_force = false;
  tls_issue_cmd->add_option("--role", issue_role, "master (also for a standby), worker or http")
    ->required();
  tls_issue_cmd->add_option("--host", issue_host, "the host part of that role's address")
    ->required();
  tls_issue_cmd->add_option("--out", issue_out, "folder to write ROLE.pem, ROLE.key, ca.pem into")
    ->required();
  tls_issue_cmd->add_flag("--force", issue_force, "replace a certificate already in --out");
  tls_issue_cmd->callback([&] {
    action = [&] {
      refuse_json(g, "tls issue", "prints no data");
      return tls_issue(g.cfg, issue_role, issue_host, issue_out, issue_force, std::cout,
                       std::cerr);
    };
  });
  auto* tls_show_cmd = tls_cmd->add_subcommand(
    "show", "the certificates of tls.dir: subject, role, validity, fingerprint");
  tls_show_cmd->callback(
    [&] { action = [&] { return tls_show(g.cfg, g.json_output, std::cout, std::cerr); }; });

  auto* cron = app.add_subcommand("cron", "cron expressions (no cluster needed)");
  cron->require_subcommand(1);
  auto* cron_next_cmd = cron->add_subcommand("next", "the next fire times of a cron expression");
  std::string cron_text, cron_from, cron_tz;
  int cron_count = 5;
  cron_next_cmd->add_option("EXPR", cron_text, "5 or 6 fields, or @daily and friends")->required();
  cron_next_cmd->add_option("--from", cron_from, "start after this time, YYYY-MM-DD HH:MM:SS (default: now)");
  cron_next_cmd->add_option("--tz", cron_tz, "IANA time zone (default: schedule.timezone, else this machine's)");
  cron_next_cmd->add_option("--count", cron_count, "how many (default 5)")->check(CLI::Range(1, 100000));
  cron_next_cmd->callback([&] {
    action = [&] {
      return cron_next(cron_text, cron_from, cron_tz.empty() ? g.cfg.schedule.timezone : cron_tz,
                       cron_count, std::cout, std::cerr, g.json_output);
    };
  });

  auto* expr = app.add_subcommand("expr", "parameter and time expressions (no cluster needed)");
  expr->require_subcommand(1);
  auto* expr_eval_cmd = expr->add_subcommand("eval", "expand ${param:...} and ${time....} in TEXT");
  std::string expr_text, expr_time, expr_tz;
  std::vector<std::string> expr_params;
  bool expr_keep = false;
  expr_eval_cmd->add_option("TEXT", expr_text, "text with expressions")->required();
  expr_eval_cmd->add_option("--logical-time", expr_time,
                            "the instance's logical time, YYYY-MM-DD HH:MM:SS (default: now)");
  expr_eval_cmd->add_option("--tz", expr_tz, "IANA time zone (default: schedule.timezone, else this machine's)");
  expr_eval_cmd->add_option("-p,--param", expr_params, "parameter NAME=VALUE (repeatable)");
  expr_eval_cmd->add_flag("--keep-undefined", expr_keep,
                          "leave ${param:X} of unknown X as written instead of failing");
  expr_eval_cmd->callback([&] {
    action = [&] {
      return expr_eval(expr_text, expr_time, expr_tz.empty() ? g.cfg.schedule.timezone : expr_tz,
                       expr_params, expr_keep, std::cout, std::cerr, g.json_output);
    };
  });

  auto* instance = app.add_subcommand("instance", "inspect and wait for instances");
  instance->require_subcommand(1);
  auto* in_list = instance->add_subcommand("list", "list instances, newest first");
  std::string list_workflow, list_status, list_trigger, list_from, list_to, list_tz;
  int list_limit = 20;
  in_list->add_option("--workflow", list_workflow, "only instances of this workflow");
  in_list->add_option("--status", list_status, "only instances in this status");
  in_list->add_option("--trigger", list_trigger,
                      "only instances started this way: cron, dependency, trigger, manual, "
                      "rerun, backfill, lineage or sub-workflow");
  in_list->add_option("--from", list_from,
                      "only instances with a logical time at or after this: YYYY-MM-DD "
                      "[HH:MM:SS] in --tz, YYYY-MM-DDTHH:MM:SSZ, or milliseconds");
  in_list->add_option("--to", list_to, "only instances with a logical time at or before this "
                                       "(same forms as --from)");
  in_list->add_option("--tz", list_tz,
                      "IANA zone of --from and --to (default: schedule.timezone, else this "
                      "machine's)");
  in_list->add_option("--limit", list_limit, "at most this many (default 20)")
    ->check(CLI::Range(1, 10000));
  in_list->callback([&] {
    action = [&] {
      return instance_list(g, list_workflow, list_status, list_trigger, list_from, list_to,
                           list_tz.empty() ? g.cfg.schedule.timezone : list_tz, list_limit);
    };
  });
  auto* in_show = instance->add_subcommand("show", "show an instance with its nodes");
  std::string show_id;
  in_show->add_option("ID", show_id, "instance id")->required();
  in_show->callback([&] { action = [&] { return instance_show(g, show_id); }; });
  auto* in_why = instance->add_subcommand(
    "why", "why an instance waits (or failed) on its date-window dependencies: each item's "
           "periods and the upstream instance each looked at; exit 0 all hold, 1 one failed, "
           "2 waiting");
  std::string why_id;
  in_why->add_option("ID", why_id, "instance id")->required();
  in_why->callback([&] { action = [&] { return instance_why(g, why_id); }; });
  auto* in_kill = instance->add_subcommand(
    "kill", "stop every running process of an instance (SIGTERM, then SIGKILL) and end it killed");
  std::string kill_id;
  in_kill->add_option("ID", kill_id, "instance id")->required();
  in_kill->callback([&] { action = [&] { return instance_kill(g, kill_id); }; });
  auto* in_delete = instance->add_subcommand(
    "delete", "delete an ended instance with its nodes, attempts and executions (as retention "
              "does); a running or queued one is refused");
  std::string delete_id;
  in_delete->add_option("ID", delete_id, "instance id")->required();
  in_delete->callback([&] { action = [&] { return instance_delete(g, delete_id); }; });
  auto* in_rerun = instance->add_subcommand(
    "rerun", "run an ended instance again under its id (default: its failed nodes)");
  std::string rerun_id;
  bool rerun_failed = false, rerun_all = false;
  std::vector<std::string> rerun_nodes;
  in_rerun->add_option("ID", rerun_id, "instance id")->required();
  auto* failed_flag = in_rerun->add_flag(
    "--failed", rerun_failed, "the failed and killed nodes and what follows them (the default)");
  auto* all_flag = in_rerun->add_flag("--all", rerun_all, "every node, from the start");
  run_options rerun_options;
  auto* nodes_option =
    in_rerun->add_option("--nodes", rerun_options.nodes,
                         "only these actions (A,B); with --downstream also what follows them")
      ->delimiter(',');
  in_rerun->add_flag("--upstream", rerun_options.upstream,
                     "with --nodes: also every node before them")
    ->needs(nodes_option);
  in_rerun->add_flag("--downstream", rerun_options.downstream,
                     "with --nodes: also every node after them")
    ->needs(nodes_option);
  auto* from_option = in_rerun->add_option("--from-node", rerun_options.from_node,
                                           "this node and everything after it")
                        ->excludes(nodes_option);
  in_rerun->add_option("--skip", rerun_options.skip,
                       "skip these actions (A,B): they do not run, the flow follows their ok")
    ->delimiter(',');
  failed_flag->excludes(all_flag)->excludes(nodes_option)->excludes(from_option);
  all_flag->excludes(nodes_option)->excludes(from_option);
  in_rerun->callback([&] {
    action = [&] {
      bool selects = !rerun_options.nodes.empty() || !rerun_options.from_node.empty();
      auto mode = rerun_all ? "all" : selects ? "nodes" : "failed";
      return instance_rerun(g, rerun_id, mode, rerun_options);
    };
  });
  auto* in_executions = instance->add_subcommand(
    "executions", "every execution of an instance (its first run, each rerun, each resume "
                  "after a mark) with its node lists");
  std::string executions_id;
  in_executions->add_option("ID", executions_id, "instance id")->required();
  in_executions->callback([&] { action = [&] { return instance_executions(g, executions_id); }; });
  auto* in_mark = instance->add_subcommand(
    "mark", "mark a node succeeded or failed (a waiting, running or retrying node of a running "
            "instance, or a failed or killed node of an ended one): the instance goes on as if "
            "the node had ended so");
  std::string mark_id, mark_node, mark_status, mark_reason;
  in_mark->add_option("ID", mark_id, "instance id")->required();
  in_mark->add_option("NODE", mark_node, "node name")->required();
  in_mark->add_option("STATUS", mark_status, "succeeded or failed")
    ->required()
    ->check(CLI::IsMember({"succeeded", "failed"}));
  in_mark->add_option("--reason", mark_reason, "why (shown in the node's message)");
  in_mark->callback([&] {
    action = [&] { return instance_mark(g, mark_id, mark_node, mark_status, mark_reason); };
  });
  auto* in_log = instance->add_subcommand("log", "print a node's log, from the worker that ran it");
  std::string log_id, log_node;
  int log_attempt = 0;
  bool log_follow = false;
  in_log->add_option("ID", log_id, "instance id")->required();
  in_log->add_option("NODE", log_node, "node name")->required();
  in_log->add_option("--attempt", log_attempt, "attempt number (default: the last)")
    ->check(CLI::NonNegativeNumber);
  in_log->add_flag("-f,--follow", log_follow,
                   "keep printing until the attempt ends (a node that has not started yet is "
                   "waited for)");
  in_log->callback([&] {
    action = [&] {
      if (log_follow)
        refuse_json(g, "instance log --follow", "prints the log as it grows");
      return instance_log(g, log_id, log_node, log_attempt, log_follow);
    };
  });

  auto* alert_cmd = app.add_subcommand("alert", "the alerts of the cluster and their channels");
  alert_cmd->require_subcommand(1);
  auto* al_list = alert_cmd->add_subcommand("list", "alerts, newest first, with how they went");
  std::string al_workflow, al_status;
  int al_limit = 20;
  al_list->add_option("--workflow", al_workflow, "only alerts of this workflow");
  al_list->add_option("--status", al_status, "only alerts in this status: pending, sent, failed")
    ->check(CLI::IsMember({"pending", "sent", "failed"}));
  al_list->add_option("--limit", al_limit, "at most this many (default 20)")
    ->check(CLI::Range(1, 10000));
  al_list->callback(
    [&] { action = [&] { return alert_list(g, al_workflow, al_status, al_limit); }; });
  auto* al_show = alert_cmd->add_subcommand("show", "one alert: what, where, how it went");
  std::string al_id;
  al_show->add_option("ID", al_id, "alert id")->required();
  al_show->callback([&] { action = [&] { return alert_show(g, al_id); }; });
  auto* al_test = alert_cmd->add_subcommand(
    "test", "send a test alert to a channel from this machine (no cluster needed) and print "
            "what its server answered");
  std::string al_channel;
  al_test->add_option("CHANNEL", al_channel,
                      "a channel of paths.alerts, or mail:ADDRESS[,ADDRESS...]")
    ->required();
  al_test->callback([&] {
    action = [&] {
      return alert_test(g.cfg, al_channel, g.json_output, std::cout, std::cerr);
    };
  });

  auto* cluster = app.add_subcommand("cluster", "the master and the workers");
  cluster->require_subcommand(1);
  auto* cl_status = cluster->add_subcommand("status", "master, workers, slots and queues");
  cl_status->callback([&] { action = [&] { return cluster_status(g); }; });

  auto* in_wait = instance->add_subcommand(
    "wait", "wait until an instance ends; exit 0 succeeded, 1 failed or killed, 2 timeout");
  std::string wait_id;
  double wait_timeout = 3600;
  in_wait->add_option("ID", wait_id, "instance id")->required();
  in_wait->add_option("--timeout", wait_timeout, "seconds to wait (default 3600)")
    ->check(CLI::PositiveNumber);
  in_wait->callback([&] { action = [&] { return instance_wait(g, wait_id, wait_timeout); }; });

  auto* configuration = app.add_subcommand("config", "show the effective configuration");
  configuration->require_subcommand(1);
  auto* cfg_show = configuration->add_subcommand("show", "every key with its effective value");
  cfg_show->callback([&] { action = [&] { return config_show(g, {}); }; });
  auto* cfg_get = configuration->add_subcommand("get", "the effective value of one key");
  std::string get_key;
  cfg_get->add_option("KEY", get_key, "section.key, e.g. cluster.workers")->required();
  cfg_get->callback([&] { action = [&] { return config_show(g, get_key); }; });

  if (auto unknown = unknown_command(app, argc, argv); !unknown.empty()) {
    std::cerr << "cafflow: " << unknown << '\n';
    return exit_code::usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_code::usage;
  }
  try {
    load_globals(g);
    return action();
  } catch (const cli_failure& f) {
    std::cerr << "cafflow: " << f.message << '\n';
    return f.code;
  }
}

} // namespace cafflow
