#include "http/api.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "defaults.hpp"
#include "exec/task.hpp"
#include "http/graph_layout.hpp"
#include "http/json.hpp"
#include "model/status.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>

namespace cafflow {

namespace {

http_response json_response(int status, const json& body) {
  http_response r;
  r.status = status;
  r.body = dump_json(body);
  r.body += '\n';
  return r;
}

http_response from_error(const error& err) {
  return error_response(http_status(err.code), err.message);
}

/// Parses "a=1&b=2"; a key given twice keeps the last value.
std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> result;
  for (const auto& item : split_list(query, '&')) {
    auto eq = item.find('=');
    auto key = decode(item.substr(0, eq), true);
    result[key] = eq == std::string::npos ? "" : decode(item.substr(eq + 1), true);
  }
  return result;
}

http_response method_not_allowed(const std::string& allowed) {
  auto r = error_response(405, "method not allowed; use " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

// -- handlers ----------------------------------------------------------------

http_response get_health(api_backend& backend) {
  auto h = backend.health();
  if (!h)
    return json_response(503, json{{"status", "unavailable"}, {"error", h.error().message}});
  return json_response(200, to_json(*h));
}

/// Readiness: the master answers, the store takes writes, no recovery runs.
http_response get_ready(api_backend& backend) {
  auto not_ready = [](const std::string& why) {
    return json_response(503, json{{"ready", false}, {"error", why}});
  };
  auto h = backend.health();
  if (!h)
    return not_ready(h.error().message);
  if (!h->store_available)
    return not_ready("the store is unavailable"
                     + (h->store_error.empty() ? std::string() : ": " + h->store_error));
  if (h->paused)
    return not_ready(std::to_string(h->pending_writes)
                     + " writes wait for the store; no new work starts until they are "
                       "committed");
  if (h->recovering)
    return not_ready("the master is recovering: it still matches the workers' attempts with "
                     "the instances it resumed");
  return json_response(200, json{{"ready", true}});
}

/// Text from a client, quoted for an error message.
std::string shown(const std::string& text) { return quoted_excerpt(text); }

/// The summary a listing with `detail=true` adds to a workflow: its
/// coordinator's state and its last instances (newest first).
json workflow_summary(api_backend& backend, const workflow_record& w, int runs) {
  json out = json::object();
  auto detail = backend.workflow(w.name);
  if (detail && detail->has_coordinator) {
    const auto& c = detail->coordinator;
    auto full = to_json(*detail);
    const auto& coordinator = full["coordinator"];
    out["coordinator"] = json{
      {"enabled", coordinator.value("enabled", json(nullptr))},
      {"paused", coordinator.value("paused", json(nullptr))},
      {"cron", coordinator.value("cron", json(nullptr))},
      {"next_fire", c.next_fires.empty() ? json(nullptr) : time_json(c.next_fires.front())},
      {"waiting", coordinator.value("waiting", json::array()).size()},
      {"dependencies", coordinator.value("dependencies", json::array())}};
  } else {
    out["coordinator"] = nullptr;
  }
  instance_filter filter;
  filter.workflow = w.name;
  filter.limit = runs;
  json recent = json::array();
  if (auto list = backend.instances(filter)) {
    for (const auto& i : *list)
      recent.push_back(json{{"id", i.id},
                            {"status", i.status},
                            {"trigger", i.trigger},
                            {"logical_time", time_json(i.logical_time)}});
  }
  out["recent_runs"] = std::move(recent);
  return out;
}

http_response get_workflows(api_backend& backend, const std::string& query) {
  workflow_filter filter;
  long long limit = 0, offset = 0;
  bool detail = false;
  for (const auto& [key, value] : parse_query(query)) {
    if (key == "limit" || key == "offset") {
      long long n = 0;
      long long min = key == "limit" ? 1 : 0;
      long long max = key == "limit" ? 1000 : 1000000000;
      if (!parse_int(value, n) || n < min || n > max)
        return error_response(400, "query parameter '" + key + "': expected a number between "
                                     + std::to_string(min) + " and " + std::to_string(max)
                                     + ", got " + shown(value));
      (key == "limit" ? limit : offset) = n;
    } else if (key == "detail") {
      if (value != "true" && value != "false" && value != "1" && value != "0")
        return error_response(400, "query parameter 'detail': expected true or false, got "
                                     + shown(value));
      detail = value == "true" || value == "1";
    } else if (key == "dir") {
      filter.dir = value;
    } else if (key == "name") {
      filter.name = value;
    } else if (key == "status") {
      if (!value.empty() && value != "active" && value != "removed" && value != "all")
        return error_response(400, "query parameter 'status': unknown status " + shown(value)
                                     + " (expected active, removed or all)");
      if (!value.empty())
        filter.status = value;
    } else {
      return error_response(400, "unknown query parameter " + shown(key)
                                   + " (expected dir, name, status, limit, offset or detail)");
    }
  }
  if (detail && limit == 0)
    return error_response(400, "query parameter 'detail' needs 'limit' (a page of at most 100 "
                               "workflows)");
  if (detail && limit > 100)
    return error_response(400, "query parameter 'limit': at most 100 with 'detail', got "
                                 + std::to_string(limit));
  auto list = filter.status == "active" ? backend.workflows() : backend.known_workflows();
  if (!list)
    return from_error(list.error());
  auto matching = filter_workflows(*list, filter);
  auto total = matching.size();
  auto first = std::min<std::size_t>(total, static_cast<std::size_t>(offset));
  auto last = limit == 0 ? total : std::min<std::size_t>(total, first + static_cast<std::size_t>(limit));
  json items = json::array();
  for (auto i = first; i < last; ++i) {
    auto item = to_json(matching[i]);
    if (detail)
      item.update(workflow_summary(backend, matching[i], 12));
    items.push_back(std::move(item));
  }
  return json_response(200, json{{"workflows", std::move(items)},
                                 {"total", total},
                                 {"next_offset", last < total ? json(last) : json(nullptr)}});
}

/// GET /workflows/{name}/versions/{version}: a stored version with its XML.
http_response get_workflow_version(api_backend& backend, const std::string& name,
                                   const std::string& text) {
  long long version = 0;
  if (!parse_int(text, version) || version < 1 || version > 1000000000)
    return error_response(400, "version " + shown(text) + " is not a version number");
  auto v = backend.workflow_version(name, static_cast<int>(version));
  if (!v)
    return from_error(v.error());
  return json_response(200, json{{"workflow", v->workflow},
                                 {"version", v->version},
                                 {"hash", v->hash},
                                 {"file", v->file},
                                 {"loaded_at", time_json(v->loaded_at)},
                                 {"xml", v->xml}});
}

/// GET /workflows/{name}/graph: the active version's DAG as SVG (dot), kept
/// per workflow and version hash.
http_response get_workflow_graph(api_backend& backend, const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::string> cache;
  auto detail = backend.workflow(name);
  if (!detail)
    return from_error(detail.error());
  auto key = name + "\n" + detail->record.hash;
  std::string svg;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end())
      svg = it->second;
  }
  if (svg.empty()) {
    auto drawn = layout_svg(detail->nodes, detail->edges);
    if (!drawn)
      return error_response(500, drawn.error().message);
    svg = std::move(*drawn);
    std::lock_guard<std::mutex> lock(mutex);
    if (cache.size() >= 256)
      cache.clear();
    cache[key] = svg;
  }
  http_response r;
  r.content_type = "image/svg+xml";
  r.body = std::move(svg);
  return r;
}

/// GET /instances/{id}/events: the instance now and after each change, as
/// server-sent events (event "instance", data as GET /instances/{id}; then
/// "end" once it has ended).
http_response get_instance_events(api_backend& backend, const std::string& id) {
  auto inst = backend.instance(id);
  if (!inst)
    return from_error(inst.error());
  http_response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream = [&backend, id](std::shared_ptr<http_sink> sink) {
    // Tells EventSource to reconnect after 1 s should the stream break.
    sink->write("retry: 1000\n\n");
    if (auto started = backend.follow_instance(id, sink); !started) {
      sink->write(sse_event("error", dump_json(json{{"error", started.error().message}})));
      sink->close();
    }
  };
  return r;
}

/// GET /xmlconfig[?status=a,b]: the files, or those in one of the statuses.
http_response get_xml_files(api_backend& backend, const std::string& query) {
  static const std::vector<std::string> statuses{"loaded", "invalid", "conflict", "error"};
  std::vector<std::string> wanted;
  for (const auto& [key, value] : parse_query(query)) {
    if (key != "status")
      return error_response(400, "unknown query parameter " + shown(key) + " (expected status)");
    for (const auto& status : split_list(value, ',')) {
      if (std::find(statuses.begin(), statuses.end(), status) == statuses.end())
        return error_response(400, "query parameter 'status': unknown status " + shown(status)
                                     + " (expected " + join(statuses, ", ") + ")");
      wanted.push_back(status);
    }
  }
  auto list = backend.xml_files();
  if (!list)
    return from_error(list.error());
  json items = json::array();
  for (const auto& f : *list)
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), f.status) != wanted.end())
      items.push_back(to_json(f));
  return json_response(200, json{{"files", std::move(items)}});
}

/// Bounds of the instance listing's paging.
constexpr long long max_limit = 10000;
constexpr long long max_offset = 1000000000;

/// A time in a query: milliseconds since the epoch, or a UTC time as text.
bool parse_time_value(const std::string& text, timestamp& out) {
  long long ms = 0;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 15 || !parse_int(text, ms))
      return false;
    out = ms;
    return true;
  }
  return parse_utc_time(text, out) && out >= 0;
}

http_response get_instances(api_backend& backend, const std::string& query) {
  instance_filter filter;
  for (const auto& [key, value] : parse_query(query)) {
    if (key == "workflow") {
      filter.workflow = value;
    } else if (key == "status") {
      if (!value.empty() && !parse_instance_status(value))
        return error_response(400, "query parameter 'status': unknown status '" + value
                                     + "' (expected queued, running, succeeded, failed or "
                                       "killed)");
      filter.status = value;
    } else if (key == "trigger") {
      static const std::vector<std::string> triggers{"cron",   "dependency", "trigger", "manual",
                                                     "rerun",  "backfill",   "lineage"};
      if (!value.empty() && std::find(triggers.begin(), triggers.end(), value) == triggers.end())
        return error_response(400, "query parameter 'trigger': unknown trigger '" + value
                                     + "' (expected " + join(triggers, ", ") + ")");
      filter.trigger = value;
    } else if (key == "limit" || key == "offset") {
      long long n = 0;
      long long min = key == "limit" ? 1 : 0;
      long long max = key == "limit" ? max_limit : max_offset;
      if (!parse_int(value, n) || n < min || n > max)
        return error_response(400, "query parameter '" + key + "': expected a number between "
                                     + std::to_string(min) + " and " + std::to_string(max)
                                     + ", got " + shown(value));
      (key == "limit" ? filter.limit : filter.offset) = static_cast<int>(n);
    } else if (key == "from" || key == "to") {
      timestamp t = 0;
      if (value.empty())
        continue; // unbounded, as an empty filter of the others
      if (!parse_time_value(value, t))
        return error_response(400, "query parameter '" + key + "': " + shown(value)
                                     + " is not a time (expected YYYY-MM-DDTHH:MM:SS[.mmm]Z or "
                                       "\"YYYY-MM-DD HH:MM:SS\" in UTC, or milliseconds since "
                                       "1970-01-01)");
      (key == "from" ? filter.from : filter.to) = t;
    } else {
      return error_response(400, "unknown query parameter " + shown(key)
                                   + " (expected workflow, status, trigger, from, to, limit or "
                                     "offset)");
    }
  }
  if (filter.from != 0 && filter.to != 0 && filter.from > filter.to)
    return error_response(400, "query parameter 'from' (" + to_iso8601(filter.from)
                                 + ") is after 'to' (" + to_iso8601(filter.to) + ")");
  // One more than asked tells whether another page follows.
  auto limit = filter.limit;
  ++filter.limit;
  auto list = backend.instances(filter);
  if (!list)
    return from_error(list.error());
  bool more = list->size() > static_cast<std::size_t>(limit);
  if (more)
    list->resize(static_cast<std::size_t>(limit));
  json items = json::array();
  for (const auto& i : *list)
    items.push_back(to_json(i, false));
  return json_response(200, json{{"instances", std::move(items)},
                                 {"next_offset", more ? json(filter.offset + limit)
                                                      : json(nullptr)}});
}

http_response get_instance(api_backend& backend, const std::string& id) {
  auto inst = backend.instance(id);
  if (!inst)
    return from_error(inst.error());
  return json_response(200, to_json(*inst, true));
}

/// Adds the store's view of the masters to a cluster body: "epoch",
/// "lease" and "masters".
void add_view(json& body, const cluster_view& view) {
  json masters = json::array();
  for (const auto& m : view.masters)
    masters.push_back(to_json(m));
  body["epoch"] = view.epoch;
  body["lease"] = json{
    {"holder", text_or_null(view.lease_holder)},
    {"expires_at", time_json(view.lease_expires_at)}};
  body["masters"] = std::move(masters);
}

/// The cluster as the master sees it plus the masters from the store; while
/// no master answers, the store's part alone (what an operator needs during
/// a failover), and 503 only when neither answers.
http_response get_cluster(api_backend& backend) {
  auto h = backend.health();
  auto view = backend.cluster();
  if (h) {
    auto body = cluster_json(*h);
    body["master_reachable"] = true;
    body["master_error"] = nullptr;
    if (view) {
      add_view(body, *view);
    } else {
      // Without the store the answering master is the only one known.
      master_entry answering{{h->master, "active", h->master_pid, "", h->started, 0}, 0};
      body["epoch"] = h->epoch;
      body["lease"] = nullptr;
      body["masters"] = json::array({to_json(answering)});
    }
    return json_response(200, body);
  }
  if (!view)
    return error_response(http_status(h.error().code),
                          h.error().message + "; the store cannot be read either: "
                            + view.error().message);
  // The keys of cluster_json(), with what only the master knows unknown.
  json body{{"cluster", view->cluster},
            {"master", nullptr},
            {"store", nullptr},
            {"tls", nullptr},
            {"warnings", json::array()},
            {"workers", json::array()},
            {"slots", nullptr},
            {"attempts", nullptr},
            {"instances", nullptr},
            {"workflows", nullptr},
            {"master_reachable", false},
            {"master_error", h.error().message}};
  add_view(body, *view);
  return json_response(200, body);
}

http_response post_kill(api_backend& backend, const std::string& id) {
  auto done = backend.kill(id);
  if (!done)
    return from_error(done.error());
  return json_response(200, json{{"instance_id", id}, {"status", "killed"}});
}

http_response get_log(api_backend& backend, const std::string& id, const std::string& node,
                      const std::string& query) {
  if (auto problem = log_name_problem(node); !problem.empty())
    return error_response(400, "node name " + shown(node) + " is not valid: " + problem);
  long long attempt = 0, offset = 0;
  for (const auto& [key, value] : parse_query(query)) {
    long long n = 0;
    long long max = key == "attempt" ? 1000000 : std::numeric_limits<std::int64_t>::max() / 2;
    if ((key == "attempt" || key == "offset") && (!parse_int(value, n) || n < 0 || n > max))
      return error_response(400, "query parameter '" + key + "': expected a number between 0 and "
                                   + std::to_string(max) + ", got " + shown(value));
    if (key == "attempt")
      attempt = n;
    else if (key == "offset")
      offset = n;
    else
      return error_response(400, "unknown query parameter " + shown(key)
                                   + " (expected attempt or offset)");
  }
  auto chunk = backend.node_log(id, node, static_cast<int>(attempt), offset);
  if (!chunk)
    return from_error(chunk.error());
  return json_response(200, to_json(*chunk));
}

// -- request bodies ----------------------------------------------------------

error bad_request(std::string message) {
  return make_error(ec::invalid_request, std::move(message));
}

/// "'a'", "'a' or 'b'", "'a', 'b' or 'c'".
std::string quoted_list(const std::vector<std::string>& names) {
  std::string result;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      result += i + 1 == names.size() ? " or " : ", ";
    result += "'" + names[i] + "'";
  }
  return result;
}

/// A request body: empty (an empty object) or a JSON object with no fields
/// but `allowed`. `example` shows the expected shape in the error.
expected<json> parse_body(const std::string& body, const std::vector<std::string>& allowed,
                          const std::string& example) {
  if (trim(body).empty())
    return json::object();
  constexpr auto max_depth = defaults::http::max_json_depth;
  if (json_nesting(body, max_depth) > max_depth)
    return bad_request("request body nests arrays and objects deeper than "
                       + std::to_string(max_depth) + " levels");
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return bad_request("request body is not valid JSON");
  if (!parsed.is_object())
    return bad_request("request body must be a JSON object like " + example);
  for (auto& [key, value] : parsed.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return bad_request("unknown field '" + key + "' in request body (expected "
                         + quoted_list(allowed) + ")");
  return parsed;
}

/// The field "params" of a body: strings, numbers and booleans by name.
expected<param_map> parse_params(const json& body) {
  param_map params;
  if (!body.contains("params"))
    return params;
  const auto& p = body["params"];
  if (!p.is_object())
    return bad_request("field 'params' must be an object of strings");
  for (auto& [key, value] : p.items()) {
    if (key.empty())
      return bad_request("field 'params' has an empty name");
    if (value.is_string())
      params[key] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean())
      params[key] = value.dump();
    else
      return bad_request("field 'params." + key + "' must be a string, number or boolean");
  }
  return params;
}

/// The field "logical_time" of a body: a UTC time as text or milliseconds
/// since the epoch; 0 (now) when absent.
expected<timestamp> parse_logical_time(const json& body) {
  if (!body.contains("logical_time"))
    return timestamp{0};
  const auto& value = body["logical_time"];
  constexpr const char* expected_forms =
    " (expected \"YYYY-MM-DD HH:MM:SS\" or \"YYYY-MM-DDTHH:MM:SS[.mmm]Z\" in UTC, or "
    "milliseconds since 1970-01-01 as a number)";
  if (value.is_string()) {
    timestamp t = 0;
    if (!parse_utc_time(value.get<std::string>(), t) || t <= 0)
      return bad_request("field 'logical_time': '" + value.get<std::string>()
                         + "' is not a time" + expected_forms);
    return t;
  }
  if (value.is_number_integer() && value.get<std::int64_t>() > 0)
    return value.get<std::int64_t>();
  return bad_request("field 'logical_time': " + value.dump() + " is not a time"
                     + expected_forms);
}

/// POST /workflows/{name}/{run,trigger,lineage}: starts an instance.
http_response post_start(api_backend& backend, const std::string& name,
                         const std::string& trigger, const std::string& body) {
  bool manual = trigger == "manual";
  auto parsed = manual ? parse_body(body, {"params", "logical_time"},
                                    R"({"params": {}, "logical_time": "2026-01-01 00:00:00"})")
                       : parse_body(body, {"params"}, R"({"params": {}})");
  if (!parsed)
    return from_error(parsed.error());
  auto params = parse_params(*parsed);
  if (!params)
    return from_error(params.error());
  auto logical_time = parse_logical_time(*parsed);
  if (!logical_time)
    return from_error(logical_time.error());
  start_request request;
  request.workflow = name;
  request.trigger = trigger;
  request.params = std::move(*params);
  request.logical_time = *logical_time;
  auto id = backend.start(request);
  if (!id)
    return from_error(id.error());
  return json_response(201, json{{"instance_id", *id}});
}

/// POST /workflows/{name}/{pause,resume,reset}.
http_response post_coordinate(api_backend& backend, const std::string& name,
                              const std::string& action) {
  auto done = backend.coordinate(name, action);
  if (!done)
    return from_error(done.error());
  return json_response(200, json{{"workflow", name}, {"action", action}});
}

http_response get_workflow(api_backend& backend, const std::string& name) {
  auto detail = backend.workflow(name);
  if (!detail)
    return from_error(detail.error());
  return json_response(200, to_json(*detail));
}

/// The body of POST /instances/{id}/rerun.
expected<rerun_request> parse_rerun(const std::string& body) {
  auto parsed = parse_body(body, {"mode", "nodes"}, R"({"mode": "nodes", "nodes": ["a"]})");
  if (!parsed)
    return parsed.error();
  rerun_request request;
  if (parsed->contains("mode")) {
    const auto& mode = (*parsed)["mode"];
    if (!mode.is_string() || (mode != "all" && mode != "failed" && mode != "nodes"))
      return bad_request("field 'mode': expected \"all\", \"failed\" or \"nodes\", got "
                         + mode.dump());
    request.mode = mode.get<std::string>();
  }
  if (parsed->contains("nodes")) {
    if (request.mode != "nodes")
      return bad_request("field 'nodes' is only allowed with \"mode\": \"nodes\" (mode is '"
                         + request.mode + "')");
    const auto& nodes = (*parsed)["nodes"];
    if (!nodes.is_array())
      return bad_request("field 'nodes' must be an array of node names");
    for (const auto& node : nodes) {
      if (!node.is_string() || node.get<std::string>().empty())
        return bad_request("field 'nodes' must be an array of node names, got " + node.dump());
      request.nodes.push_back(node.get<std::string>());
    }
  }
  if (request.mode == "nodes" && request.nodes.empty())
    return bad_request("field 'nodes' is required and must not be empty with \"mode\": "
                       "\"nodes\"");
  return request;
}

http_response post_rerun(api_backend& backend, const std::string& id, const std::string& body) {
  auto request = parse_rerun(body);
  if (!request)
    return from_error(request.error());
  auto done = backend.rerun(id, *request);
  if (!done)
    return from_error(done.error());
  return json_response(200, json{{"instance_id", id}, {"status", "running"}});
}

} // namespace

std::string http_request::header(std::string_view name) const {
  auto wanted = to_lower(std::string(name));
  for (const auto& [field, value] : headers)
    if (to_lower(field) == wanted)
      return value;
  return {};
}

std::string sse_event(const std::string& event, const std::string& data,
                      const std::string& id) {
  std::string out;
  if (!id.empty())
    out += "id: " + id + "\n";
  if (!event.empty())
    out += "event: " + event + "\n";
  std::size_t start = 0;
  for (;;) {
    auto end = data.find_first_of("\r\n", start);
    out += "data: " + data.substr(start, end == std::string::npos ? end : end - start) + "\n";
    if (end == std::string::npos)
      break;
    start = end + (data.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  out += "\n";
  return out;
}

std::string decode(const std::string& text, bool plus_is_space) {
  // Poco 1.12's decode keeps '+' whatever its flag says; a '+' that means
  // itself is written %2B in a query or a form, so this is safe.
  std::string input = text;
  if (plus_is_space)
    std::replace(input.begin(), input.end(), '+', ' ');
  std::string result;
  Poco::URI::decode(input, result);
  return result;
}

std::vector<std::string> segments(const std::string& path) {
  auto result = split(path.substr(path.empty() ? 0 : 1), '/');
  for (auto& segment : result)
    segment = decode(segment, false);
  if (!result.empty() && result.back().empty())
    result.pop_back(); // trailing slash
  return result;
}

std::vector<workflow_record> filter_workflows(const std::vector<workflow_record>& list,
                                              const workflow_filter& filter) {
  std::vector<workflow_record> result;
  auto part = to_lower(filter.name);
  for (const auto& w : list) {
    if (!filter.dir.empty() && w.dir != filter.dir)
      continue;
    if (!part.empty() && to_lower(w.name).find(part) == std::string::npos)
      continue;
    if (filter.status != "all" && w.status != filter.status)
      continue;
    result.push_back(w);
  }
  return result;
}

cluster_view make_cluster_view(const lease_record& lease,
                               const std::vector<master_node_record>& nodes, timestamp now) {
  cluster_view view;
  view.epoch = lease.epoch;
  view.lease_holder = lease.holder;
  view.lease_expires_at = lease.expires_at;
  bool live = !lease.holder.empty() && lease.expires_at > now;
  bool holder_listed = false;
  for (const auto& n : nodes) {
    master_entry m{n, 0};
    m.role = "standby";
    if (n.address == lease.holder) {
      holder_listed = true;
      if (live) {
        m.role = "active";
        m.lease_expires_at = lease.expires_at;
      }
    }
    view.masters.push_back(std::move(m));
  }
  // A holder without a row (a master that has not written it yet) is still
  // the one that may write: list it.
  if (!lease.holder.empty() && !holder_listed)
    view.masters.push_back(master_entry{{lease.holder, live ? "active" : "standby", 0, "", 0, 0},
                                        live ? lease.expires_at : 0});
  std::sort(view.masters.begin(), view.masters.end(),
            [](const master_entry& a, const master_entry& b) { return a.address < b.address; });
  return view;
}

int http_status(ec code) {
  switch (code) {
    case ec::unknown_workflow:
    case ec::unknown_instance: return 404;
    case ec::invalid_request:
    case ec::invalid_argument:
    case ec::invalid_workflow: return 400;
    case ec::conflict: return 409;
    case ec::master_unreachable:
    case ec::timeout:
    case ec::store_error:
    case ec::no_worker:
    case ec::filesystem_error: return 503;
    default: return 500;
  }
}

http_response error_response(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

http_response handle_api(api_backend& backend, const http_request& request) {
  try {
    auto parts = segments(request.path);
    const auto& method = request.method;
    if (parts.size() < 2 || parts[0] != "api" || parts[1] != "v1")
      return error_response(404, "no such resource: " + request.path);
    parts.erase(parts.begin(), parts.begin() + 2);
    auto only = [&](const char* allowed) { return method == allowed || method == "HEAD"; };
    if (parts.size() == 1 && parts[0] == "health")
      return only("GET") ? get_health(backend) : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "ready")
      return only("GET") ? get_ready(backend) : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "workflows")
      return only("GET") ? get_workflows(backend, request.query) : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "xmlconfig")
      return only("GET") ? get_xml_files(backend, request.query) : method_not_allowed("GET");
    if (parts.size() == 2 && parts[0] == "workflows")
      return only("GET") ? get_workflow(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "workflows" && parts[2] == "graph")
      return only("GET") ? get_workflow_graph(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 4 && parts[0] == "workflows" && parts[2] == "versions")
      return only("GET") ? get_workflow_version(backend, parts[1], parts[3])
                         : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "workflows") {
      const auto& verb = parts[2];
      if (verb == "run" || verb == "trigger" || verb == "lineage")
        return method == "POST"
                 ? post_start(backend, parts[1], verb == "run" ? "manual" : verb, request.body)
                 : method_not_allowed("POST");
      if (verb == "pause" || verb == "resume" || verb == "reset")
        return method == "POST" ? post_coordinate(backend, parts[1], verb)
                                : method_not_allowed("POST");
    }
    if (parts.size() == 1 && parts[0] == "instances")
      return only("GET") ? get_instances(backend, request.query) : method_not_allowed("GET");
    // An instance id also names a directory of task logs on the workers.
    if (parts.size() >= 2 && parts[0] == "instances")
      if (auto problem = log_name_problem(parts[1]); !problem.empty())
        return error_response(400, "instance id " + shown(parts[1]) + " is not valid: " + problem);
    if (parts.size() == 2 && parts[0] == "instances")
      return only("GET") ? get_instance(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "events")
      return only("GET") ? get_instance_events(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "kill")
      return method == "POST" ? post_kill(backend, parts[1]) : method_not_allowed("POST");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "rerun")
      return method == "POST" ? post_rerun(backend, parts[1], request.body)
                              : method_not_allowed("POST");
    if (parts.size() == 5 && parts[0] == "instances" && parts[2] == "nodes" && parts[4] == "log")
      return only("GET") ? get_log(backend, parts[1], parts[3], request.query)
                         : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "cluster")
      return only("GET") ? get_cluster(backend) : method_not_allowed("GET");
    return error_response(404, "no such resource: " + request.path);
  } catch (const Poco::SyntaxException& e) {
    // decode(): the server refuses such requests first (http/request_reader).
    return error_response(400, "malformed percent-encoding in " + shown(request.path)
                                 + (request.query.empty() ? "" : " or its query") + ": "
                                 + e.displayText());
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

} // namespace cafflow
