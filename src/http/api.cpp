#include "http/api.hpp"


#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "defaults.hpp"
#include "engine/catalog.hpp"
#include "exec/task.hpp"
#include "engine/dag.hpp"
#include "http/graph_layout.hpp"
#include "http/json.hpp"
#include "model/status.hpp"
#include "schedule/backfill_plan.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "xml/workflow_parser.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>

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

/// A boolean query parameter (true/false or 1/0): the value, or the 400 that
/// names it.
std::optional<http_response> bool_param(const std::string& key, const std::string& value,
                                        bool& out) {
  if (value != "true" && value != "false" && value != "1" && value != "0")
    return error_response(400, "query parameter " + shown(key)
                                 + ": expected true or false, got " + shown(value));
  out = value == "true" || value == "1";
  return std::nullopt;
}

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
      if (auto bad = bool_param(key, value, detail))
        return *bad;
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
  auto page = backend.workflows_page(filter, static_cast<std::uint64_t>(offset),
                                    static_cast<std::uint64_t>(limit));
  if (!page)
    return from_error(page.error());
  auto total = page->total;
  auto first = std::min<std::uint64_t>(total, static_cast<std::uint64_t>(offset));
  auto last = std::min<std::uint64_t>(total, first + page->workflows.size());
  json items = json::array();
  for (const auto& w : page->workflows) {
    auto item = to_json(w);
    if (detail)
      item.update(workflow_summary(backend, w, 12));
    items.push_back(std::move(item));
  }
  return json_response(200, json{{"workflows", std::move(items)},
                                 {"total", total},
                                 {"next_offset", last < total ? json(last) : json(nullptr)}});
}

/// The stored version named by the path's `text` (a number that is not a
/// version is an invalid_argument: 400).
expected<workflow_version_record> stored_version(api_backend& backend, const std::string& name,
                                                 const std::string& text) {
  long long number = 0;
  if (!parse_int(text, number) || number < 1 || number > 1000000000)
    return make_error(ec::invalid_argument, "version " + shown(text) + " is not a version number");
  return backend.workflow_version(name, static_cast<int>(number));
}

/// GET /workflows/{name}/versions/{version}: a stored version with its XML.
http_response get_workflow_version(api_backend& backend, const std::string& name,
                                   const std::string& text) {
  auto v = stored_version(backend, name, text);
  if (!v)
    return from_error(v.error());
  return json_response(200, json{{"workflow", v->workflow},
                                 {"version", v->version},
                                 {"hash", v->hash},
                                 {"file", v->file},
                                 {"loaded_at", time_json(v->loaded_at)},
                                 {"xml", v->xml}});
}

/// SVG drawings by Graphviz, kept by what they draw (a workflow and its
/// version's hash, or a lineage's nodes and edges): a layout is done once.
class layout_cache {
public:
  expected<std::string> get(const std::string& key,
                            const std::function<expected<std::string>()>& draw) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = cache_.find(key); it != cache_.end())
        return it->second;
    }
    auto drawn = draw();
    if (!drawn)
      return drawn;
    std::lock_guard<std::mutex> lock(mutex_);
    if (cache_.size() >= 256)
      cache_.clear();
    cache_[key] = *drawn;
    return drawn;
  }

private:
  std::mutex mutex_;
  std::map<std::string, std::string> cache_;
};

layout_cache& layouts() {
  static layout_cache cache;
  return cache;
}

http_response svg_response(expected<std::string> svg) {
  if (!svg)
    return error_response(500, svg.error().message);
  http_response r;
  r.content_type = "image/svg+xml";
  r.body = std::move(*svg);
  return r;
}

/// GET /workflows/{name}/graph: the active version's DAG as SVG (dot), kept
/// per workflow and version hash.
http_response get_workflow_graph(api_backend& backend, const std::string& name) {
  auto detail = backend.workflow(name);
  if (!detail)
    return from_error(detail.error());
  return svg_response(layouts().get("dag\n" + name + "\n" + detail->record.hash, [&] {
    return layout_svg(detail->nodes, detail->edges);
  }));
}

/// GET /workflows/{name}/versions/{version}/graph: a stored version's DAG as
/// SVG (its XML parsed again), kept per workflow and version hash.
http_response get_workflow_version_graph(api_backend& backend, const std::string& name,
                                         const std::string& text) {
  auto v = stored_version(backend, name, text);
  if (!v)
    return from_error(v.error());
  return svg_response(layouts().get("dag\n" + name + "\n" + v->hash, [&]() -> expected<std::string> {
    auto parsed = parse_definition(v->xml, v->file);
    if (!parsed.wf)
      return make_error(ec::unspecified, "version " + std::to_string(v->version) + " of "
                                           + name + " cannot be parsed any more");
    auto graph = make_graph(*parsed.wf);
    return layout_svg(graph.nodes, graph.edges);
  }));
}

/// A workflow's lineage: it, every workflow its coordinator waits for
/// (upstream, every level) and every workflow whose coordinator waits for it
/// (downstream, every level), with the dependencies among them.
struct lineage_view {
  struct member {
    std::string name;
    /// "self", "upstream" or "downstream".
    std::string relation;
    std::string dir;
    /// False when it could not be read (e.g. a depend-list names a workflow
    /// not loaded).
    bool known = false;
    /// Null without a coordinator.
    std::optional<bool> paused;
  };
  struct dependency {
    std::string from;
    std::string to;
    /// Whether `to`'s coordinator has it ready (null: `to` not read).
    std::optional<bool> ready;
  };
  std::vector<member> workflows;
  std::vector<dependency> edges;
  /// More workflows than drawn.
  bool truncated = false;
};

constexpr std::size_t max_lineage = 200;

expected<lineage_view> lineage_of(api_backend& backend, const std::string& name) {
  auto root = backend.workflow(name);
  if (!root)
    return root.error();
  lineage_view view;
  std::map<std::string, std::size_t> index; // name -> view.workflows
  std::map<std::pair<std::string, std::string>, std::optional<bool>> edges;
  std::map<std::string, workflow_detail> details{{name, *root}};
  auto add = [&](const std::string& n, const std::string& relation) {
    if (index.count(n) > 0)
      return false;
    if (view.workflows.size() >= max_lineage) {
      view.truncated = true;
      return false;
    }
    index[n] = view.workflows.size();
    view.workflows.push_back({n, relation, "", false, std::nullopt});
    return true;
  };
  std::set<std::string> unreadable;
  auto detail_of = [&](const std::string& n) -> const workflow_detail* {
    if (auto it = details.find(n); it != details.end())
      return &it->second;
    if (unreadable.count(n) > 0)
      return nullptr;
    auto d = backend.workflow(n);
    if (!d) {
      unreadable.insert(n);
      return nullptr;
    }
    return &details.emplace(n, std::move(*d)).first->second;
  };
  auto upstreams = [](const workflow_detail& d) {
    std::vector<std::pair<std::string, bool>> out;
    if (d.has_coordinator)
      for (const auto& dep : d.coordinator.dependencies)
        out.emplace_back(dep.workflow, dep.ready);
    return out;
  };
  add(name, "self");
  for (const char* relation : {"upstream", "downstream"}) {
    bool up = std::string(relation) == "upstream";
    std::deque<std::string> queue{name};
    while (!queue.empty()) {
      auto n = queue.front();
      queue.pop_front();
      const auto* d = detail_of(n);
      if (d == nullptr)
        continue;
      if (up) {
        // The edges with their readiness are written below, for every member.
        for (const auto& [u, ready] : upstreams(*d))
          if (add(u, relation))
            queue.push_back(u);
      } else {
        for (const auto& x : d->downstream) {
          edges.emplace(std::make_pair(n, x), std::nullopt);
          if (add(x, relation))
            queue.push_back(x);
        }
      }
    }
  }
  for (auto& m : view.workflows) {
    const auto* d = detail_of(m.name);
    if (d == nullptr)
      continue;
    m.known = true;
    m.dir = d->record.dir;
    if (d->has_coordinator)
      m.paused = d->coordinator.paused;
    // Readiness of the dependencies among the members, as `m` sees them.
    for (const auto& [u, ready] : upstreams(*d))
      if (index.count(u) > 0)
        edges[{u, m.name}] = ready;
  }
  for (const auto& [ends, ready] : edges)
    if (index.count(ends.first) > 0 && index.count(ends.second) > 0)
      view.edges.push_back({ends.first, ends.second, ready});
  return view;
}

json to_json(const lineage_view& v, const std::string& name) {
  json workflows = json::array();
  for (const auto& m : v.workflows)
    workflows.push_back(json{{"name", m.name},
                             {"relation", m.relation},
                             {"dir", m.known ? json(m.dir) : json(nullptr)},
                             {"known", m.known},
                             {"paused", m.paused ? json(*m.paused) : json(nullptr)}});
  json edges = json::array();
  for (const auto& e : v.edges)
    edges.push_back(json{{"from", e.from}, {"to", e.to},
                         {"ready", e.ready ? json(*e.ready) : json(nullptr)}});
  return json{{"workflow", name},
              {"workflows", std::move(workflows)},
              {"edges", std::move(edges)},
              {"truncated", v.truncated}};
}

/// GET /workflows/{name}/lineage: the workflows upstream and downstream of it.
http_response get_lineage(api_backend& backend, const std::string& name) {
  auto view = lineage_of(backend, name);
  if (!view)
    return from_error(view.error());
  return json_response(200, to_json(*view, name));
}

/// GET /workflows/{name}/lineage/graph: the lineage as SVG laid out by dot
/// (left to right: upstream first), kept per drawn graph.
http_response get_lineage_graph(api_backend& backend, const std::string& name) {
  auto view = lineage_of(backend, name);
  if (!view)
    return from_error(view.error());
  std::vector<dag_node> nodes;
  std::vector<dag_edge> edges;
  std::string key = "lineage";
  for (const auto& m : view->workflows) {
    nodes.push_back({m.name, m.relation, m.known ? m.dir : "(not loaded)",
                     m.paused && *m.paused ? "paused" : ""});
    key += "\n" + m.name + "\t" + m.relation + "\t" + nodes.back().action_type + "\t"
           + nodes.back().desc;
  }
  for (const auto& e : view->edges) {
    edges.push_back({e.from, e.to, e.ready && !*e.ready ? "waiting" : "depends", ""});
    key += "\n" + e.from + "\t" + e.to + "\t" + edges.back().label;
  }
  graph_style style;
  style.name = "lineage";
  style.node_prefix = "lnnode-";
  style.edge_prefix = "lnedge-";
  style.rankdir = "LR";
  return svg_response(layouts().get(key, [&] { return layout_svg(nodes, edges, style); }));
}

/// GET /instances/{id}/events[?nodes=false]: the instance now and after each
/// change, as server-sent events (event "instance", data as GET
/// /instances/{id}, without "nodes" with nodes=false; then "end" once it has
/// ended).
http_response get_instance_events(api_backend& backend, const std::string& id,
                                  const std::string& query) {
  bool with_nodes = true;
  for (const auto& [key, value] : parse_query(query)) {
    if (key != "nodes")
      return error_response(400, "unknown query parameter " + shown(key) + " (expected nodes)");
    if (auto bad = bool_param(key, value, with_nodes))
      return *bad;
  }
  auto inst = backend.instance(id);
  if (!inst)
    return from_error(inst.error());
  http_response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream = [&backend, id, with_nodes](std::shared_ptr<http_sink> sink) {
    // Tells EventSource to reconnect after 1 s should the stream break.
    sink->write("retry: 1000\n\n");
    if (auto started = backend.follow_instance(id, with_nodes, sink); !started) {
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
      static const std::vector<std::string> triggers{"cron",     "dependency", "trigger",
                                                     "manual",   "rerun",      "backfill",
                                                     "lineage",  "sub-workflow"};
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

json alert_json(const alert_record& a, bool with_event) {
  json body{{"id", a.id},
            {"channel", a.channel},
            {"kind", a.kind},
            {"severity", a.severity},
            {"workflow", text_or_null(a.workflow)},
            {"instance_id", text_or_null(a.instance_id)},
            {"node", text_or_null(a.node)},
            {"title", a.title},
            {"status", a.status},
            {"attempts", a.attempts},
            {"created_at", time_json(a.created_at)},
            {"next_at", a.status == "pending" ? time_json(a.next_at) : json(nullptr)},
            {"sent_at", time_json(a.sent_at)},
            {"sent_with", a.sent_with == 0 ? json(nullptr) : json(a.sent_with)},
            {"answer", text_or_null(a.answer)}};
  if (with_event) {
    auto event = json::parse(a.event, nullptr, false);
    body["event"] = event.is_discarded() ? json(nullptr) : event;
  }
  return body;
}

http_response get_alerts(api_backend& backend, const std::string& query) {
  alert_filter filter;
  for (const auto& [key, value] : parse_query(query)) {
    if (key == "workflow") {
      filter.workflow = value;
    } else if (key == "status") {
      if (!value.empty() && value != "pending" && value != "sent" && value != "failed")
        return error_response(400, "query parameter 'status': unknown status " + shown(value)
                                     + " (expected pending, sent or failed)");
      filter.status = value;
    } else if (key == "limit") {
      long long n = 0;
      if (!parse_int(value, n) || n < 1 || n > max_limit)
        return error_response(400, "query parameter 'limit': expected a number between 1 and "
                                     + std::to_string(max_limit) + ", got " + shown(value));
      filter.limit = static_cast<int>(n);
    } else {
      return error_response(400, "unknown query parameter " + shown(key)
                                   + " (expected workflow, status or limit)");
    }
  }
  auto list = backend.alerts(filter);
  if (!list)
    return from_error(list.error());
  json items = json::array();
  for (const auto& a : *list)
    items.push_back(alert_json(a, false));
  return json_response(200, json{{"alerts", std::move(items)}});
}

http_response get_alert(api_backend& backend, const std::string& id) {
  long long n = 0;
  if (!parse_int(id, n) || n < 1)
    return error_response(400, "alert id " + shown(id) + " is not a positive number");
  auto found = backend.alert(n);
  if (!found)
    return from_error(found.error());
  if (!*found)
    return error_response(404, "no alert with id " + id);
  return json_response(200, alert_json(**found, true));
}

http_response get_instance(api_backend& backend, const std::string& id) {
  auto inst = backend.instance(id);
  if (!inst)
    return from_error(inst.error());
  return json_response(200, to_json(*inst, true));
}

http_response get_executions(api_backend& backend, const std::string& id) {
  auto list = backend.executions(id);
  if (!list)
    return from_error(list.error());
  json executions = json::array();
  for (const auto& e : *list)
    executions.push_back(to_json(e));
  return json_response(200, json{{"instance_id", id}, {"executions", std::move(executions)}});
}

/// A dependency report as the API shows it: the verdicts (schedule/windows)
/// with the instance, the overall state and the explanation text.
http_response dependencies_response(const expected<dependency_report>& report) {
  if (!report)
    return from_error(report.error());
  auto body = json::parse(report->detail, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    body = json::object();
  body["instance_id"] = report->instance_id.empty() ? json(nullptr) : json(report->instance_id);
  body["state"] = report->state;
  body["message"] = report->message;
  return json_response(200, body);
}

/// GET /workflows/{name}/dependencies?logical_time=T (absent: its next fire).
http_response get_workflow_dependencies(api_backend& backend, const std::string& name,
                                        const std::string& query) {
  timestamp logical_time = 0;
  for (const auto& [key, value] : parse_query(query)) {
    if (key != "logical_time")
      return error_response(400, "unknown query parameter '" + key
                                   + "' (expected logical_time)");
    long long ms = 0;
    if (parse_int(value, ms) && ms > 0)
      logical_time = ms;
    else if (!parse_utc_time(value, logical_time) || logical_time <= 0)
      return error_response(400, "query parameter 'logical_time': " + shown(value)
                                   + " is not a time (expected YYYY-MM-DD HH:MM:SS or "
                                     "YYYY-MM-DDTHH:MM:SSZ in UTC, or milliseconds)");
  }
  return dependencies_response(backend.workflow_dependencies(name, logical_time));
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
            {"pools", nullptr},
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

http_response delete_instance(api_backend& backend, const std::string& id) {
  auto done = backend.delete_instance(id);
  if (!done)
    return from_error(done.error());
  return json_response(200, json{{"instance_id", id}, {"deleted", true}});
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

/// A field that must be an array of node names ("" = absent: empty).
expected<std::vector<std::string>> parse_names(const json& body, const char* field) {
  std::vector<std::string> names;
  if (!body.contains(field))
    return names;
  const auto& value = body[field];
  if (!value.is_array())
    return bad_request(std::string("field '") + field + "' must be an array of node names");
  for (const auto& n : value) {
    if (!n.is_string() || n.get<std::string>().empty())
      return bad_request(std::string("field '") + field + "' must be an array of node names, got "
                         + n.dump());
    names.push_back(n.get<std::string>());
  }
  return names;
}

/// The run options of a body: nodes, upstream, downstream, from_node, skip
/// (the master checks the names against the workflow).
expected<run_options> parse_run_options(const json& body) {
  run_options o;
  auto nodes = parse_names(body, "nodes");
  if (!nodes)
    return nodes.error();
  o.nodes = std::move(*nodes);
  auto skip = parse_names(body, "skip");
  if (!skip)
    return skip.error();
  o.skip = std::move(*skip);
  for (const char* flag : {"upstream", "downstream"}) {
    if (!body.contains(flag))
      continue;
    if (!body[flag].is_boolean())
      return bad_request(std::string("field '") + flag + "' must be true or false, got "
                         + body[flag].dump());
    (std::string(flag) == "upstream" ? o.upstream : o.downstream) = body[flag].get<bool>();
  }
  if (body.contains("from_node")) {
    const auto& from = body["from_node"];
    if (!from.is_string() || from.get<std::string>().empty())
      return bad_request("field 'from_node' must be a node name, got " + from.dump());
    o.from_node = from.get<std::string>();
  }
  return o;
}

/// The field "by" of a body: who asks ("" = not said).
expected<std::string> parse_by(const json& body) {
  if (!body.contains("by"))
    return std::string();
  const auto& by = body["by"];
  if (!by.is_string() || by.get<std::string>().size() > 255)
    return bad_request("field 'by' must be a name of at most 255 bytes, got " + by.dump());
  return by.get<std::string>();
}

/// POST /workflows/{name}/{run,trigger,lineage}: starts an instance.
http_response post_start(api_backend& backend, const std::string& name,
                         const std::string& trigger, const std::string& body) {
  // A trigger runs now; a manual or lineage run may name its logical time.
  bool manual = trigger == "manual" || trigger == "lineage";
  auto parsed = manual ? parse_body(body,
                                    {"params", "logical_time", "nodes", "upstream", "downstream",
                                     "from_node", "skip", "by"},
                                    R"({"params": {}, "logical_time": "2026-01-01 00:00:00"})")
                       : trigger == "trigger"
                         ? parse_body(body, {"params", "skip"}, R"({"params": {}, "skip": []})")
                         : parse_body(body, {"params"}, R"({"params": {}})");
  if (!parsed)
    return from_error(parsed.error());
  auto params = parse_params(*parsed);
  if (!params)
    return from_error(params.error());
  auto logical_time = parse_logical_time(*parsed);
  if (!logical_time)
    return from_error(logical_time.error());
  auto options = parse_run_options(*parsed);
  if (!options)
    return from_error(options.error());
  start_request request;
  request.workflow = name;
  request.trigger = trigger;
  request.params = std::move(*params);
  request.logical_time = *logical_time;
  request.options = std::move(*options);
  auto by = parse_by(*parsed);
  if (!by)
    return from_error(by.error());
  request.by = std::move(*by);
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
  auto parsed = parse_body(body,
                           {"mode", "nodes", "upstream", "downstream", "from_node", "skip", "by"},
                           R"({"mode": "nodes", "nodes": ["a"], "downstream": true})");
  if (!parsed)
    return parsed.error();
  rerun_request request;
  auto options = parse_run_options(*parsed);
  if (!options)
    return options.error();
  request.options = std::move(*options);
  auto by = parse_by(*parsed);
  if (!by)
    return by.error();
  request.by = std::move(*by);
  bool selects = !request.options.nodes.empty() || !request.options.from_node.empty();
  if (parsed->contains("mode")) {
    const auto& mode = (*parsed)["mode"];
    if (!mode.is_string() || (mode != "all" && mode != "failed" && mode != "nodes"))
      return bad_request("field 'mode': expected \"all\", \"failed\" or \"nodes\", got "
                         + mode.dump());
    request.mode = mode.get<std::string>();
  } else if (selects) {
    request.mode = "nodes";
  }
  if (selects && request.mode != "nodes")
    return bad_request("fields 'nodes' and 'from_node' are only allowed with \"mode\": "
                       "\"nodes\" (mode is '" + request.mode + "')");
  if (request.mode == "nodes" && !selects)
    return bad_request("field 'nodes' (or 'from_node') is required and must not be empty with "
                       "\"mode\": \"nodes\"");
  return request;
}

/// POST /instances/{id}/nodes/{node}/mark.
http_response post_mark(api_backend& backend, const std::string& id, const std::string& node,
                        const std::string& body) {
  auto parsed = parse_body(body, {"status", "reason", "by"},
                           R"({"status": "succeeded", "reason": "fixed by hand"})");
  if (!parsed)
    return from_error(parsed.error());
  mark_request request;
  request.node = node;
  const auto& status = (*parsed).value("status", json());
  if (!status.is_string() || (status != "succeeded" && status != "failed"))
    return error_response(400, "field 'status': expected \"succeeded\" or \"failed\", got "
                                 + (status.is_null() ? std::string("nothing") : status.dump()));
  request.status = status.get<std::string>();
  for (const char* field : {"reason", "by"}) {
    if (!parsed->contains(field))
      continue;
    const auto& v = (*parsed)[field];
    if (!v.is_string() || v.get<std::string>().size() > 1000)
      return error_response(400, std::string("field '") + field
                                   + "' must be a string of at most 1000 bytes");
    (std::string(field) == "reason" ? request.reason : request.by) = v.get<std::string>();
  }
  auto done = backend.mark(id, request);
  if (!done)
    return from_error(done.error());
  return json_response(200, json{{"instance_id", id}, {"node", node}, {"status", request.status}});
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


// -- backfills ----------------------------------------------------------------

/// A time field of a backfill body: a UTC time as text or milliseconds.
expected<timestamp> body_time(const json& value, const std::string& field) {
  timestamp t = 0;
  if (value.is_number_integer() && value.get<std::int64_t>() > 0)
    return value.get<std::int64_t>();
  if (value.is_string() && parse_time_value(value.get<std::string>(), t) && t > 0)
    return t;
  return bad_request("field '" + field + "': " + value.dump()
                     + " is not a time (expected \"YYYY-MM-DD HH:MM:SS\" or "
                       "\"YYYY-MM-DDTHH:MM:SS[.mmm]Z\" in UTC, or milliseconds since 1970-01-01)");
}

/// A string field that must be one of `allowed`.
expected<std::string> body_choice(const json& body, const std::string& field,
                                  const std::vector<std::string>& allowed,
                                  const std::string& fallback) {
  if (!body.contains(field))
    return fallback;
  const auto& v = body[field];
  if (!v.is_string() || std::find(allowed.begin(), allowed.end(), v.get<std::string>()) == allowed.end())
    return bad_request("field '" + field + "': " + v.dump() + " (expected " + quoted_list(allowed)
                       + ")");
  return v.get<std::string>();
}

/// The body of POST /backfills.
expected<backfill_request> parse_backfill(const std::string& body) {
  auto parsed = parse_body(body,
                           {"workflow", "from", "to", "dates", "parallel", "order", "downstream",
                            "rerun", "dry_run", "params", "created_by"},
                           R"({"workflow": "w", "from": "2026-01-01 00:00:00", )"
                           R"("to": "2026-01-07 00:00:00", "parallel": 2})");
  if (!parsed)
    return parsed.error();
  const auto& j = *parsed;
  backfill_request request;
  if (!j.contains("workflow") || !j["workflow"].is_string() || j["workflow"].get<std::string>().empty())
    return bad_request("field 'workflow' is required: the name of the workflow to backfill");
  request.workflow = j["workflow"].get<std::string>();
  backfill_options o;
  for (const char* field : {"from", "to"})
    if (j.contains(field)) {
      auto t = body_time(j[field], field);
      if (!t)
        return t.error();
      (std::string(field) == "from" ? o.from : o.to) = *t;
    }
  if (j.contains("dates")) {
    if (!j["dates"].is_array() || j["dates"].empty())
      return bad_request("field 'dates' must be a non-empty array of times");
    for (const auto& d : j["dates"]) {
      auto t = body_time(d, "dates");
      if (!t)
        return t.error();
      o.dates.push_back(*t);
    }
  }
  if (j.contains("parallel")) {
    const auto& p = j["parallel"];
    if (!p.is_number_integer() || p.get<std::int64_t>() < 1 || p.get<std::int64_t>() > 10000)
      return bad_request("field 'parallel': " + p.dump() + " (expected a number from 1 to 10000)");
    o.parallel = p.get<int>();
  }
  auto order = body_choice(j, "order", {"asc", "desc"}, "asc");
  if (!order)
    return order.error();
  o.order = *order;
  auto downstream = body_choice(j, "downstream", {"none", "direct", "all"}, "none");
  if (!downstream)
    return downstream.error();
  o.downstream = *downstream;
  auto rerun = body_choice(j, "rerun", {"none", "failed", "all"}, "none");
  if (!rerun)
    return rerun.error();
  o.rerun = *rerun;
  if (j.contains("dry_run")) {
    if (!j["dry_run"].is_boolean())
      return bad_request("field 'dry_run': " + j["dry_run"].dump() + " (expected true or false)");
    request.dry_run = j["dry_run"].get<bool>();
  }
  if (j.contains("created_by")) {
    if (!j["created_by"].is_string())
      return bad_request("field 'created_by' must be a string");
    request.created_by = j["created_by"].get<std::string>();
  }
  auto params = parse_params(j);
  if (!params)
    return params.error();
  o.params = std::move(*params);
  if (auto ok = validate(o); !ok)
    return ok.error();
  request.options = to_json(o);
  return request;
}

http_response post_backfill(api_backend& backend, const std::string& body) {
  auto request = parse_backfill(body);
  if (!request)
    return from_error(request.error());
  auto created = backend.create_backfill(*request);
  if (!created) {
    // The workflow is a field of the body: naming an unknown one is a bad request.
    if (created.error().code == ec::unknown_workflow)
      return error_response(400, "field 'workflow': " + created.error().message);
    return from_error(created.error());
  }
  return json_response(request->dry_run ? 200 : 201, to_json(*created, true));
}

http_response get_backfills(api_backend& backend, const std::string& query) {
  std::string state;
  long long limit = 100;
  for (const auto& [key, value] : parse_query(query)) {
    if (key == "state") {
      static const std::vector<std::string> states{"planned", "running", "succeeded", "failed",
                                                   "cancelled"};
      if (!value.empty() && std::find(states.begin(), states.end(), value) == states.end())
        return error_response(400, "query parameter 'state': unknown state '" + value
                                     + "' (expected " + join(states, ", ") + ")");
      state = value;
    } else if (key == "limit") {
      if (!parse_int(value, limit) || limit < 1 || limit > max_limit)
        return error_response(400, "query parameter 'limit': expected a number between 1 and "
                                     + std::to_string(max_limit) + ", got " + shown(value));
    } else {
      return error_response(400, "unknown query parameter " + shown(key)
                                   + " (expected state or limit)");
    }
  }
  auto list = backend.backfills(state, static_cast<int>(limit));
  if (!list)
    return from_error(list.error());
  json items = json::array();
  for (const auto& b : *list)
    items.push_back(to_json(b, false));
  return json_response(200, json{{"backfills", std::move(items)}});
}

http_response get_backfill(api_backend& backend, const std::string& id) {
  auto b = backend.backfill(id);
  if (!b)
    return from_error(b.error());
  return json_response(200, to_json(*b, true));
}

http_response delete_backfill(api_backend& backend, const std::string& id) {
  auto b = backend.cancel_backfill(id);
  if (!b)
    return from_error(b.error());
  return json_response(200, to_json(*b, false));
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
  workflow_matcher matches{filter};
  for (const auto& w : list)
    if (matches(w))
      result.push_back(w);
  return result;
}

expected<workflow_page> api_backend::workflows_page(const workflow_filter& filter,
                                                    std::uint64_t offset, std::uint64_t limit) {
  auto list = filter.status == "active" ? workflows() : known_workflows();
  if (!list)
    return list.error();
  return page_of(filter_workflows(*list, filter), offset, limit);
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
    // POST /workflows and DELETE /workflows/{name} change files: the http
    // role serves them (http/definitions) before this.
    if (parts.size() == 1 && parts[0] == "workflows")
      return only("GET") ? get_workflows(backend, request.query)
                         : method_not_allowed("GET, POST");
    if (parts.size() == 1 && parts[0] == "xmlconfig")
      return only("GET") ? get_xml_files(backend, request.query) : method_not_allowed("GET");
    if (parts.size() == 2 && parts[0] == "workflows")
      return only("GET") ? get_workflow(backend, parts[1]) : method_not_allowed("GET, DELETE");
    if (parts.size() == 3 && parts[0] == "workflows" && parts[2] == "graph")
      return only("GET") ? get_workflow_graph(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 4 && parts[0] == "workflows" && parts[2] == "versions")
      return only("GET") ? get_workflow_version(backend, parts[1], parts[3])
                         : method_not_allowed("GET");
    if (parts.size() == 5 && parts[0] == "workflows" && parts[2] == "versions"
        && parts[4] == "graph")
      return only("GET") ? get_workflow_version_graph(backend, parts[1], parts[3])
                         : method_not_allowed("GET");
    if (parts.size() == 4 && parts[0] == "workflows" && parts[2] == "lineage"
        && parts[3] == "graph")
      return only("GET") ? get_lineage_graph(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "workflows") {
      const auto& verb = parts[2];
      if (verb == "lineage" && method != "POST")
        return only("GET") ? get_lineage(backend, parts[1]) : method_not_allowed("GET, POST");
      if (verb == "run" || verb == "trigger" || verb == "lineage")
        return method == "POST"
                 ? post_start(backend, parts[1], verb == "run" ? "manual" : verb, request.body)
                 : method_not_allowed("POST");
      if (verb == "pause" || verb == "resume" || verb == "reset")
        return method == "POST" ? post_coordinate(backend, parts[1], verb)
                                : method_not_allowed("POST");
      if (verb == "dependencies")
        return only("GET") ? get_workflow_dependencies(backend, parts[1], request.query)
                           : method_not_allowed("GET");
    }
    if (parts.size() == 1 && parts[0] == "instances")
      return only("GET") ? get_instances(backend, request.query) : method_not_allowed("GET");
    // An instance id also names a directory of task logs on the workers.
    if (parts.size() >= 2 && parts[0] == "instances")
      if (auto problem = log_name_problem(parts[1]); !problem.empty())
        return error_response(400, "instance id " + shown(parts[1]) + " is not valid: " + problem);
    if (parts.size() == 2 && parts[0] == "instances") {
      if (method == "DELETE")
        return delete_instance(backend, parts[1]);
      return only("GET") ? get_instance(backend, parts[1]) : method_not_allowed("GET, DELETE");
    }
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "executions")
      return only("GET") ? get_executions(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "dependencies")
      return only("GET") ? dependencies_response(backend.instance_dependencies(parts[1]))
                         : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "events")
      return only("GET") ? get_instance_events(backend, parts[1], request.query)
                         : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "kill")
      return method == "POST" ? post_kill(backend, parts[1]) : method_not_allowed("POST");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "rerun")
      return method == "POST" ? post_rerun(backend, parts[1], request.body)
                              : method_not_allowed("POST");
    if (parts.size() == 5 && parts[0] == "instances" && parts[2] == "nodes" && parts[4] == "mark")
      return method == "POST" ? post_mark(backend, parts[1], parts[3], request.body)
                              : method_not_allowed("POST");
    if (parts.size() == 5 && parts[0] == "instances" && parts[2] == "nodes" && parts[4] == "log")
      return only("GET") ? get_log(backend, parts[1], parts[3], request.query)
                         : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "backfills") {
      if (method == "POST")
        return post_backfill(backend, request.body);
      return only("GET") ? get_backfills(backend, request.query) : method_not_allowed("GET, POST");
    }
    if (parts.size() == 2 && parts[0] == "backfills") {
      if (method == "DELETE")
        return delete_backfill(backend, parts[1]);
      return only("GET") ? get_backfill(backend, parts[1]) : method_not_allowed("GET, DELETE");
    }
    if (parts.size() == 1 && parts[0] == "cluster")
      return only("GET") ? get_cluster(backend) : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "alerts")
      return only("GET") ? get_alerts(backend, request.query) : method_not_allowed("GET");
    if (parts.size() == 2 && parts[0] == "alerts")
      return only("GET") ? get_alert(backend, parts[1]) : method_not_allowed("GET");
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
