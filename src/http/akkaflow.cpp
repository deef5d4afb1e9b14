#include "http/akkaflow.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "http/definitions.hpp"
#include "http/json.hpp"
#include "schedule/cron.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/tz.hpp"
#include "xml/db_links.hpp"
#include "xml/link_edit.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

/// Query parameters (or form fields) in the order given.
using query_items = std::vector<std::pair<std::string, std::string>>;

/// A request that names one of the routes, split up.
struct route {
  /// The kind of path (see path_kinds()).
  std::string kind;
  /// The workflow, coordinator or link name, or the instance id; empty for
  /// the paths without one.
  std::string target;
  std::string action;
  /// Every query parameter but `action`.
  query_items params;
  /// The form fields of a POST body (application/x-www-form-urlencoded).
  query_items form;
};

struct context {
  api_backend& backend;
  const akkaflow_settings& settings;
  const route& r;
};

using handler_fn = std::function<http_response(const context&)>;

/// One action of one kind of path: what akkaflow served, and how cafflow
/// answers it. The table below is the single list of routes.
struct route_entry {
  const char* kind;
  /// "" for a path that takes no action parameter (the waiting list).
  const char* action;
  /// True when it only reads (no token needed with open reads; HEAD allowed).
  bool reads;
  /// True when akkaflow took it as a POST with a form body only.
  bool post_only;
  handler_fn handle;
};

// -- envelope and parameters -------------------------------------------------

/// akkaflow's envelope. A "fail" carries an HTTP error status (docs/API.md).
http_response envelope(int status, bool success, const std::string& msg,
                       json data = nullptr) {
  http_response r;
  r.status = status;
  r.body = dump_json(
    json{{"result", success ? "success" : "fail"}, {"msg", msg}, {"data", std::move(data)}});
  r.body += '\n';
  return r;
}

http_response ok(const std::string& msg, json data = nullptr) {
  return envelope(200, true, msg, std::move(data));
}

http_response fail(int status, const std::string& msg) { return envelope(status, false, msg); }

http_response fail(const error& err) { return fail(http_status(err.code), err.message); }

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// Parses "a=1&b=2" ('+' is a space); empty items (a trailing '&') are
/// skipped. A name given twice or an empty name is an error (the message).
std::string parse_query(const std::string& query, query_items& out, const char* what) {
  for (const auto& item : split(query, '&')) {
    if (item.empty())
      continue;
    auto eq = item.find('=');
    auto key = decode(item.substr(0, eq), true);
    auto value = eq == std::string::npos ? std::string() : decode(item.substr(eq + 1), true);
    if (key.empty())
      return std::string("a ") + what + " has no name ('" + item + "')";
    for (const auto& [k, v] : out)
      if (k == key)
        return std::string(what) + " '" + key + "' is given twice";
    out.emplace_back(std::move(key), std::move(value));
  }
  return {};
}

/// The first of `items` whose name is not in `allowed`.
const std::string* unknown_key(const query_items& items, const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : items)
    if (!contains(allowed, key))
      return &key;
  return nullptr;
}

/// Refuses every parameter but `allowed` (for this action).
std::optional<http_response> only_params(const route& r, const std::vector<std::string>& allowed) {
  if (const auto* key = unknown_key(r.params, allowed))
    return fail(400, "unknown query parameter '" + *key + "' for action=" + r.action
                       + (allowed.empty() ? " (it takes none)"
                                          : " (expected " + join(allowed, ", ") + ")"));
  return std::nullopt;
}

/// The value of parameter `key`, or "".
std::string param(const query_items& items, const std::string& key) {
  for (const auto& [k, v] : items)
    if (k == key)
      return v;
  return {};
}

bool has(const query_items& items, const std::string& key) {
  return std::any_of(items.begin(), items.end(), [&](const auto& kv) { return kv.first == key; });
}

// -- definition files ----------------------------------------------------------

/// An akkaflow envelope for a definition change.
http_response definition_answer(const definition_result& r, json data = nullptr) {
  return r.ok() ? ok(r.message, std::move(data)) : fail(r.status, r.message);
}

json warnings_json(const definition_result& r) {
  return r.warnings.empty() ? json(nullptr) : json(r.warnings);
}

/// The definition of a POST form (akkaflow ≥ 2.7 sends `xml`, earlier
/// releases `content`).
std::optional<http_response> form_definition(const route& r, std::string& xml) {
  for (const auto& [key, value] : r.form)
    if (key != "xml" && key != "content")
      return fail(400, "unknown form field '" + key + "' for action=" + r.action
                         + " (expected xml, or content as akkaflow before 2.7 sent it)");
  xml = has(r.form, "xml") ? param(r.form, "xml") : param(r.form, "content");
  if (trim(xml).empty())
    return fail(400, "the form field 'xml' (the definition's XML) is missing or empty; send it "
                     "as curl -XPOST --data-urlencode \"xml@FILE\" URL");
  return std::nullopt;
}

/// A definition sent to the route of the other kind.
std::optional<http_response> wrong_kind(const context& c, const std::string& expected_kind,
                                        const std::string& xml) {
  auto kind = parse_definition(xml, "(submitted)").kind;
  if (kind.empty() || kind == expected_kind)
    return std::nullopt;
  return fail(400, "this is a " + kind + " definition; send it to /akkaflow/"
                     + (kind == "coordinator" ? "coor" : "workflow") + "?action=" + c.r.action);
}

// -- /akkaflow/workflow and /akkaflow/coor: check, add, del --------------------

http_response definition_check(const context& c, const std::string& kind) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  std::string xml;
  if (auto bad = form_definition(c.r, xml))
    return *bad;
  if (auto bad = wrong_kind(c, kind, xml))
    return *bad;
  parse_result parsed;
  auto r = check_definition(c.backend, c.settings, xml, parsed);
  if (!r.ok())
    return definition_answer(r);
  auto exists = kind == "workflow" ? static_cast<bool>(c.backend.workflow(r.name))
                                   : loaded_file_of(c.backend, kind, r.name).has_value();
  return ok(r.message + (exists ? " (it is loaded already: add replaces it)" : ""),
            warnings_json(r));
}

http_response definition_add(const context& c, const std::string& kind) {
  // akkaflow ≥ 2.8.2 sends path= (the submitted file's path on the client).
  if (auto bad = only_params(c.r, {"path"}))
    return *bad;
  std::string xml;
  if (auto bad = form_definition(c.r, xml))
    return *bad;
  if (auto bad = wrong_kind(c, kind, xml))
    return *bad;
  auto r = submit_definition(c.backend, c.settings, xml, "");
  return definition_answer(r, r.ok() ? json(r.name) : json(nullptr));
}

http_response definition_del(const context& c, const std::string& kind) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  return definition_answer(remove_definition(c.backend, c.settings, kind, c.r.target));
}

// -- /akkaflow/workflow/NAME -------------------------------------------------

http_response workflow_start(const context& c, const std::string& trigger) {
  const auto& r = c.r;
  start_request request;
  request.workflow = r.target;
  request.trigger = trigger;
  if (trigger == "manual") {
    // akkaflow's `run` passes every other query parameter as a run parameter
    // (sbin/akka-workflow-run: ?action=run&stadate=2017-12-12&city=guangzhou).
    for (const auto& [key, value] : r.params)
      request.params[key] = value;
  } else if (trigger == "trigger") {
    if (auto bad = only_params(r, {"ignore_node"}))
      return *bad;
    // akkaflow: these nodes are skipped in the new instance (run --skip).
    request.options.skip = split_list(param(r.params, "ignore_node"));
  } else if (auto bad = only_params(r, {})) {
    return *bad;
  }
  auto id = c.backend.start(request);
  if (!id)
    return fail(id.error());
  std::string what = trigger == "manual"    ? "started a manual run of workflow '"
                     : trigger == "trigger" ? "triggered workflow '"
                                            : "started a lineage run from workflow '";
  return ok(what + r.target + "': instance " + *id, *id);
}

http_response coordinator_reset(const context& c, const std::string& kind) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto done = c.backend.coordinate(c.r.target, "reset");
  if (!done)
    return fail(done.error());
  return ok("reset the coordinator " + std::string(kind == "workflow" ? "of workflow '" : "'")
            + c.r.target + "': none of its dependencies is ready now");
}

http_response workflow_get(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto detail = c.backend.workflow(c.r.target);
  if (!detail)
    return fail(detail.error());
  return ok("workflow '" + c.r.target + "'", to_json(*detail));
}

// -- /akkaflow/coor/NAME (akkaflow <= 2.7) -------------------------------------

http_response coor_get(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto f = loaded_file_of(c.backend, "coordinator", c.r.target);
  if (!f)
    return fail(404, "no coordinator named '" + c.r.target + "' is loaded");
  return ok("coordinator '" + c.r.target + "'", to_json(*f));
}

http_response coor_trigger(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  if (!loaded_file_of(c.backend, "coordinator", c.r.target))
    return fail(404, "no coordinator named '" + c.r.target + "' is loaded");
  // akkaflow's TriggerPostWorkflow: the coordinator fires now, as its cron
  // would, whatever its dependencies.
  auto ids = c.backend.fire_coordinator(c.r.target);
  if (!ids)
    return fail(ids.error());
  if (ids->empty())
    return ok("coordinator '" + c.r.target
                + "' fired but started nothing: its workflows are at their instance-limit with "
                  "overlap skip, or it fired in this second already",
              json::array());
  auto list = split(*ids, ',');
  return ok("triggered coordinator '" + c.r.target + "': instance(s) " + join(list, ", "),
            json(list));
}

// -- /akkaflow/workflow/instance/ID ------------------------------------------

http_response instance_kill(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto done = c.backend.kill(c.r.target);
  if (!done)
    return fail(done.error());
  return ok("instance " + c.r.target + " killed", akkaflow_status("killed"));
}

http_response instance_rerun(const context& c) {
  const auto& r = c.r;
  if (auto bad = only_params(r, {"recover"}))
    return *bad;
  // akkaflow: recover=true skips the nodes that succeeded, otherwise every
  // node runs again.
  auto recover = to_lower(param(r.params, "recover"));
  if (recover != "" && recover != "true" && recover != "false")
    return fail(400, "query parameter 'recover': expected true or false, got '"
                       + param(r.params, "recover") + "'");
  rerun_request request;
  request.mode = recover == "true" ? "failed" : "all";
  auto done = c.backend.rerun(r.target, request);
  if (!done)
    return fail(done.error());
  return ok("instance " + r.target + " runs again ("
              + (recover == "true" ? "its failed and killed nodes and what follows them"
                                   : "every node")
              + ")",
            r.target);
}

http_response instance_del(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  // akkaflow's RemoveWorkFlowInstance deleted the instance, its nodes and
  // its log records; a running one is refused here (akkaflow left it to run
  // without its rows).
  auto done = c.backend.delete_instance(c.r.target);
  if (!done)
    return fail(done.error());
  return ok("deleted instance " + c.r.target + " with its nodes, attempts and executions");
}

/// akkaflow's waiting queue: the instances waiting for a slot (instance-limit).
http_response waiting_list(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  instance_filter filter;
  filter.status = "queued";
  filter.limit = 1000;
  auto list = c.backend.instances(filter);
  if (!list)
    return fail(list.error());
  json data = json::array();
  for (const auto& i : *list)
    data.push_back(json{{"wfid", i.id}, {"name", i.workflow}});
  return ok(std::to_string(data.size()) + " instance(s) wait for a slot", std::move(data));
}

// -- /akkaflow/workflows -------------------------------------------------------

http_response workflows_reset(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto done = c.backend.reset_coordinators();
  if (!done)
    return fail(done.error());
  return ok("reset every coordinator: no dependency is ready now");
}

/// The cron fires left today (in the coordinator's zone) after `now`.
int cron_fires_left_today(const coordinator_view& coord, timestamp now) {
  auto cron = cron_expr::parse(coord.cron);
  if (!cron)
    return 0;
  // The coordinator's zone; empty = the machine's (as the master reads it).
  auto found = find_time_zone(coord.timezone);
  if (!found)
    found = find_time_zone("");
  if (!found)
    return 0;
  const date::time_zone* zone = *found;
  auto today = format_local_time(now, *zone).substr(0, 10);
  int count = 0;
  auto t = now;
  while (count < 100000) {
    auto next = cron->next(t, *zone);
    if (!next || format_local_time(*next, *zone).substr(0, 10) != today)
      break;
    ++count;
    t = *next;
  }
  return count;
}

/// akkaflow's Workflow.calculateTriggerCnt: 0 without an enabled
/// coordinator, else the least of its upstreams' counts and its cron's fires
/// left today.
int fires_left_today(api_backend& backend, const std::string& name, timestamp now,
                     std::map<std::string, int>& memo, std::set<std::string>& visiting) {
  if (auto it = memo.find(name); it != memo.end())
    return it->second;
  if (!visiting.insert(name).second)
    return 0; // a cycle (the catalog refuses them; be safe)
  int result = 0;
  auto detail = backend.workflow(name);
  if (detail && detail->has_coordinator && detail->coordinator.enabled
      && !detail->coordinator.paused) {
    std::vector<int> counts;
    for (const auto& dep : detail->coordinator.dependencies)
      counts.push_back(fires_left_today(backend, dep.workflow, now, memo, visiting));
    if (!detail->coordinator.cron.empty())
      counts.push_back(cron_fires_left_today(detail->coordinator, now));
    if (!counts.empty())
      result = *std::min_element(counts.begin(), counts.end());
  }
  visiting.erase(name);
  memo[name] = result;
  return result;
}

http_response workflows_today_left(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto list = c.backend.workflows();
  if (!list)
    return fail(list.error());
  std::map<std::string, int> memo;
  std::set<std::string> visiting;
  auto now = now_ms();
  json data = json::object();
  for (const auto& w : *list)
    if (auto n = fires_left_today(c.backend, w.name, now, memo, visiting); n > 0)
      data[w.name] = n;
  return ok("fires left today, by workflow (only those that fire again today)", std::move(data));
}

// -- /akkaflow/cluster -------------------------------------------------------

/// {"name": "master(host:port)", "ip", "port", "atype": "0", "pname": "top"}
/// as akkaflow's ActorInfo.toMapList() gives it for a role.
json role_info(const std::string& role, const std::string& address) {
  auto colon = address.rfind(':');
  auto ip = colon == std::string::npos ? address : address.substr(0, colon);
  auto port = colon == std::string::npos ? std::string() : address.substr(colon + 1);
  return json{{"name", role + "(" + address + ")"},
              {"ip", ip},
              {"port", port},
              {"atype", "0"},
              {"pname", "top"}};
}

http_response cluster_get(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto h = c.backend.health();
  if (!h)
    return fail(h.error());
  json data = json::array();
  data.push_back(role_info("master", h->master));
  for (const auto& w : h->workers)
    data.push_back(role_info("worker", w.id));
  return ok("cluster '" + h->cluster + "': the master and " + std::to_string(h->workers.size())
              + " worker(s)",
            std::move(data));
}

// -- /akkaflow/workflow?action=del-dir ---------------------------------------

/// "/a/b/" → "/a/b"; "a" → "/a".
std::string folder_path(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  if (dir.empty() || dir.front() != '/')
    dir.insert(dir.begin(), '/');
  return dir;
}

bool in_folder(const std::string& dir, const std::string& folder) {
  auto d = folder_path(dir);
  return folder == "/" || d == folder || starts_with(d, folder + "/");
}

/// akkaflow's del-dir deleted an empty folder (a record of its directory
/// table) and refused one with workflows. cafflow's folders are the dir
/// attributes of the loaded workflows: an empty one has nothing to delete;
/// one with workflows is refused as akkaflow did, unless force=true asks to
/// delete each of its workflows (as DELETE /api/v1/workflows/{name}).
http_response workflows_del_dir(const context& c) {
  const auto& r = c.r;
  if (auto bad = only_params(r, {"id", "dir", "force"}))
    return *bad;
  if (has(r.params, "id") && has(r.params, "dir"))
    return fail(400, "give the folder as id or as dir, not both");
  auto given = has(r.params, "dir") ? param(r.params, "dir") : param(r.params, "id");
  if (trim(given).empty())
    return fail(400, "query parameter 'id' (the folder's path, e.g. id=/etl/daily) is missing");
  if (std::all_of(given.begin(), given.end(),
                  [](unsigned char ch) { return std::isdigit(ch) != 0; }))
    return fail(400, "cafflow's folders have no numeric ids (akkaflow's directory table): give "
                     "the folder's path, the dir attribute of its workflows, e.g. "
                     "id=/etl/daily");
  auto force = to_lower(param(r.params, "force"));
  if (force != "" && force != "true" && force != "false")
    return fail(400, "query parameter 'force': expected true or false, got '"
                       + param(r.params, "force") + "'");
  auto folder = folder_path(trim(given));
  if (folder == "/" && force == "true")
    return fail(400, "force=true deletes the workflows of one folder below /, not of every "
                     "folder");
  auto list = c.backend.workflows();
  if (!list)
    return fail(list.error());
  std::vector<std::string> inside;
  for (const auto& w : *list)
    if (in_folder(w.dir, folder))
      inside.push_back(w.name);
  if (inside.empty())
    return ok("the folder " + folder
                + " holds no workflow: nothing to delete (cafflow's folders exist only through "
                  "the dir attributes of their workflows)",
              json::array());
  if (force != "true")
    return fail(409, "the folder " + folder + " is not empty: it holds " + join(inside, ", ")
                       + "; delete them first, or add force=true to delete every workflow of it");
  // Downstream workflows first: a workflow another one depends on is
  // refused until that one is gone, so go round while anything goes.
  std::vector<std::string> removed;
  std::map<std::string, definition_result> refused_now;
  auto left = inside;
  for (bool progress = true; progress && !left.empty();) {
    progress = false;
    std::vector<std::string> still;
    for (const auto& name : left) {
      auto result = remove_definition(c.backend, c.settings, "workflow", name);
      if (result.ok()) {
        removed.push_back(name);
        refused_now.erase(name);
        progress = true;
      } else {
        refused_now[name] = result;
        still.push_back(name);
      }
    }
    left = std::move(still);
  }
  if (!left.empty()) {
    std::vector<std::string> why;
    int status = 409;
    for (const auto& name : left) {
      why.push_back(refused_now[name].message);
      status = refused_now[name].status;
    }
    return fail(removed.empty() ? status : 409,
                (removed.empty() ? std::string("deleted nothing of the folder ") + folder
                                 : "deleted " + join(removed, ", ") + " of the folder " + folder
                                     + " but not the rest")
                  + ": " + join(why, "; "));
  }
  return ok("deleted the folder " + folder + ": its workflows " + join(removed, ", ")
              + " (their files are removed; their instances stay in the history)",
            json(removed));
}

// -- /akkaflow/cluster?action=shutdown -----------------------------------------

http_response cluster_shutdown(const context& c) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  if (!c.settings.allow_shutdown)
    return fail(403, "stopping the cluster over HTTP is off: set [http] allow_shutdown = true "
                     "and [http] token to allow it, or run sbin/stop-cluster on the cluster's host");
  auto done = c.backend.shutdown();
  if (!done)
    return fail(done.error());
  // akkaflow's ShutdownCluster stopped every role: the master tells its
  // workers, and this http role stops once the answer is out.
  auto r = ok("the cluster stops: the master and its workers take nothing new; running tasks "
              "may finish within [master] drain_grace_s and [worker] drain_grace_s, then they "
              "exit; this http server exits after this answer (a standby master, which has no "
              "workers of its own while it waits, keeps running)");
  r.after_sent = c.settings.on_cluster_stopped;
  return r;
}

// -- /akkaflow/db-link[/NAME], /akkaflow/file-link[/NAME] ----------------------

/// A fail that names the form field (or query parameter) at fault.
http_response field_fail(int status, const std::string& field, const std::string& msg,
                         const std::string& name = {}) {
  return envelope(status, false, field.empty() ? msg : "form field '" + field + "': " + msg,
                  json{{"name", name}, {"field", field}});
}

/// akkaflow's form field of a links-file attribute.
std::string form_field_of(link_file_kind kind, const std::string& attribute) {
  if (attribute == "jdbc-url")
    return "jdbcUrl";
  if (attribute == "type")
    return kind == link_file_kind::db ? "dbtype" : "fstype";
  return attribute;
}

/// Refuses form fields other than `allowed`.
std::optional<http_response> only_form(const route& r, const std::vector<std::string>& allowed) {
  if (const auto* key = unknown_key(r.form, allowed))
    return field_fail(400, *key, "unknown form field for action=" + r.action + " (expected "
                                   + join(allowed, ", ") + ")");
  return std::nullopt;
}

/// A form field's value, std::nullopt when it is not sent.
std::optional<std::string> form_value(const route& r, const std::string& key) {
  if (!has(r.form, key))
    return std::nullopt;
  return param(r.form, key);
}

/// akkaflow's properties form field: "a=1&b=2" (empty values dropped).
std::optional<http_response> parse_properties(const std::string& text,
                                              std::map<std::string, std::string>& out) {
  for (const auto& item : split(text, '&')) {
    if (trim(item).empty())
      continue;
    // The name ends at the first '=': a value may hold one (sessionVariables=sql_mode=ANSI).
    auto eq = item.find('=');
    auto key = eq == std::string::npos ? std::string() : trim(item.substr(0, eq));
    if (key.empty())
      return field_fail(400, "properties", "'" + item + "' is not NAME=VALUE (properties are "
                                           "written a=1&b=2)");
    auto value = item.substr(eq + 1);
    if (out.count(key) > 0)
      return field_fail(400, "properties", "property '" + key + "' is given twice");
    if (!trim(value).empty())
      out[key] = value;
  }
  return std::nullopt;
}

http_response link_answer(const link_edit_result& result, link_file_kind kind,
                          const std::string& name, const std::string& done) {
  if (!result.ok())
    return field_fail(result.status, form_field_of(kind, result.attribute), result.message, name);
  auto msg = done;
  for (const auto& w : result.warnings)
    msg += "; warning: " + w;
  return ok(msg, name);
}

const std::string& links_path(const context& c, link_file_kind kind) {
  return kind == link_file_kind::db ? c.settings.db_links : c.settings.file_links;
}

std::string reload_note(link_file_kind kind) {
  return kind == link_file_kind::db
           ? " (workers read it at each attempt; the master checks workflows against it on its "
             "next scan)"
           : " (the master checks workflows against it on its next scan)";
}

/// add (POST /akkaflow/db-link, name in the form) and update (POST
/// /akkaflow/db-link/NAME): akkaflow's DBLinkRequest / FileLinkRequest.
http_response link_put(const context& c, link_file_kind kind, bool update) {
  const auto& r = c.r;
  if (auto bad = only_params(r, {}))
    return *bad;
  bool db = kind == link_file_kind::db;
  std::vector<std::string> fields =
    db ? std::vector<std::string>{"dbtype", "jdbcUrl", "username", "password", "desc",
                                  "properties"}
       : std::vector<std::string>{"fstype", "host", "port", "username", "password", "desc"};
  if (!update)
    fields.insert(fields.begin(), "name");
  if (auto bad = only_form(r, fields))
    return *bad;
  auto name = update ? r.target : trim(param(r.form, "name"));
  if (name.empty())
    return field_fail(400, "name", "the link's name is missing or empty");
  if (name.find_first_of("<>&\"'") != std::string::npos
      || std::any_of(name.begin(), name.end(),
                     [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
    return field_fail(400, "name", "'" + name + "' holds a character a link name cannot have "
                                                "(< > & \" ' or a control character)", name);
  const char* type_field = db ? "dbtype" : "fstype";
  auto type = form_value(r, type_field);
  if (type)
    *type = to_upper(trim(*type));
  if (!update && (!type || type->empty()))
    return field_fail(400, type_field, "the link's type is missing", name);
  // The db links parser only warns about a type this build cannot connect
  // to; a file link's type, port and host are refused by parse_file_links
  // (put_link answers its error with the attribute at fault).
  if (type && db && !contains(supported_db_link_types(), *type))
    return field_fail(400, type_field, "unknown type '" + *type + "' (expected "
                                         + join(supported_db_link_types(), ", ") + ")", name);
  link_attributes attrs;
  std::optional<std::map<std::string, std::string>> properties;
  // akkaflow's forms always send a password: an empty one keeps where the
  // link's password comes from (password-file, password-env) instead of
  // clearing it.
  auto password = form_value(r, "password");
  if (password && password->empty())
    password.reset();
  if (db) {
    auto url = form_value(r, "jdbcUrl");
    if (!update && (!url || trim(*url).empty()))
      return field_fail(400, "jdbcUrl", "the link's jdbc url is missing", name);
    attrs = {{"type", type},
             {"jdbc-url", url ? std::optional<std::string>(trim(*url)) : std::nullopt},
             {"username", form_value(r, "username")},
             {"password", password},
             {"desc", form_value(r, "desc")}};
    if (auto text = form_value(r, "properties")) {
      properties.emplace();
      if (auto bad = parse_properties(*text, *properties))
        return *bad;
    }
  } else {
    auto port = form_value(r, "port");
    if (port)
      *port = trim(*port);
    auto host = form_value(r, "host");
    if (host)
      *host = trim(*host);
    attrs = {{"type", type},         {"host", host},
             {"port", port},         {"username", form_value(r, "username")},
             {"password", password}, {"desc", form_value(r, "desc")}};
  }
  // akkaflow's add replaced a link of the same name; its update of an
  // unknown name added it — cafflow's says it is unknown.
  auto result = put_link(links_path(c, kind), kind, name, attrs, properties, update, true);
  std::string what = db ? "db link '" : "file link '";
  return link_answer(result, kind, name,
                     (result.replaced ? "replaced " : "added ") + what + name + "' in "
                       + links_path(c, kind) + reload_note(kind));
}

http_response link_del(const context& c, link_file_kind kind) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  auto result = remove_link(links_path(c, kind), kind, c.r.target);
  return link_answer(result, kind, c.r.target,
                     std::string("deleted ") + (kind == link_file_kind::db ? "db" : "file")
                       + " link '" + c.r.target + "' from " + links_path(c, kind)
                       + reload_note(kind));
}

/// cafflow's reads of the links files (akkaflow read them from MySQL in its
/// web UI): every link, or one; never a password.
http_response link_list(const context& c, link_file_kind kind, bool one) {
  if (auto bad = only_params(c.r, {}))
    return *bad;
  json data;
  if (auto problem = list_links(links_path(c, kind), kind, one ? c.r.target : "", data))
    return fail(500, *problem);
  std::string word = kind == link_file_kind::db ? "db link" : "file link";
  if (one) {
    if (data.empty())
      return field_fail(404, "", "no " + word + " named '" + c.r.target + "' in "
                                   + links_path(c, kind), c.r.target);
    return ok(word + " '" + c.r.target + "'", data.at(0));
  }
  return ok(std::to_string(data.size()) + " " + word + "(s) in " + links_path(c, kind),
            std::move(data));
}

const std::vector<route_entry>& routes() {
  static const std::vector<route_entry> table{
    // /akkaflow/workflow/NAME
    {"workflow", "get", true, false, workflow_get},
    {"workflow", "run", false, false, [](const context& c) { return workflow_start(c, "manual"); }},
    {"workflow", "trigger", false, false,
     [](const context& c) { return workflow_start(c, "trigger"); }},
    {"workflow", "trigger-blood", false, false,
     [](const context& c) { return workflow_start(c, "lineage"); }},
    {"workflow", "reset", false, false,
     [](const context& c) { return coordinator_reset(c, "workflow"); }},
    {"workflow", "del", false, false,
     [](const context& c) { return definition_del(c, "workflow"); }},
    // /akkaflow/workflow (POST form xml=..., akkaflow < 2.7: content=...)
    {"workflows-form", "check", true, true,
     [](const context& c) { return definition_check(c, "workflow"); }},
    {"workflows-form", "add", false, true,
     [](const context& c) { return definition_add(c, "workflow"); }},
    {"workflows-form", "del-dir", false, false, workflows_del_dir},
    // /akkaflow/workflow/instance/ID
    {"instance", "kill", false, false, instance_kill},
    {"instance", "rerun", false, false, instance_rerun},
    {"instance", "del", false, false, instance_del},
    // /akkaflow/workflow/watting_instance/list (akkaflow 2.6 ... 2.9)
    {"waiting", "", true, false, waiting_list},
    // /akkaflow/workflows
    {"workflows", "reset", false, false, workflows_reset},
    {"workflows", "today-trigger-left", true, false, workflows_today_left},
    // /akkaflow/coor/NAME and /akkaflow/coor (akkaflow <= 2.7)
    {"coor", "get", true, false, coor_get},
    {"coor", "reset", false, false,
     [](const context& c) { return coordinator_reset(c, "coordinator"); }},
    {"coor", "trigger", false, false, coor_trigger},
    {"coor", "del", false, false,
     [](const context& c) { return definition_del(c, "coordinator"); }},
    {"coors-form", "check", true, true,
     [](const context& c) { return definition_check(c, "coordinator"); }},
    {"coors-form", "add", false, true,
     [](const context& c) { return definition_add(c, "coordinator"); }},
    // /akkaflow/db-link[/NAME], /akkaflow/file-link[/NAME] (akkaflow 2.10+): the
    // entries of conf/db_links.xml and conf/file_links.xml; list and get are cafflow's.
    {"db-links", "add", false, true,
     [](const context& c) { return link_put(c, link_file_kind::db, false); }},
    {"db-links", "list", true, false,
     [](const context& c) { return link_list(c, link_file_kind::db, false); }},
    {"db-link", "update", false, true,
     [](const context& c) { return link_put(c, link_file_kind::db, true); }},
    {"db-link", "del", false, false, [](const context& c) { return link_del(c, link_file_kind::db); }},
    {"db-link", "get", true, false,
     [](const context& c) { return link_list(c, link_file_kind::db, true); }},
    {"file-links", "add", false, true,
     [](const context& c) { return link_put(c, link_file_kind::file, false); }},
    {"file-links", "list", true, false,
     [](const context& c) { return link_list(c, link_file_kind::file, false); }},
    {"file-link", "update", false, true,
     [](const context& c) { return link_put(c, link_file_kind::file, true); }},
    {"file-link", "del", false, false,
     [](const context& c) { return link_del(c, link_file_kind::file); }},
    {"file-link", "get", true, false,
     [](const context& c) { return link_list(c, link_file_kind::file, true); }},
    // /akkaflow/cluster
    {"cluster", "get", true, false, cluster_get},
    {"cluster", "shutdown", false, false, cluster_shutdown},
  };
  return table;
}

/// The kind of a path and its target, or "" when it is no route.
std::string path_kind(const std::vector<std::string>& parts, std::string& target) {
  auto n = parts.size();
  if (n == 4 && parts[1] == "workflow" && parts[2] == "watting_instance" && parts[3] == "list")
    return "waiting";
  if (n == 4 && parts[1] == "workflow" && parts[2] == "instance") {
    target = parts[3];
    return "instance";
  }
  if (n == 3) {
    target = parts[2];
    if (parts[1] == "workflow")
      return "workflow";
    if (parts[1] == "coor")
      return "coor";
    if (parts[1] == "db-link")
      return "db-link";
    if (parts[1] == "file-link")
      return "file-link";
  }
  if (n == 2) {
    if (parts[1] == "workflow")
      return "workflows-form";
    if (parts[1] == "coor")
      return "coors-form";
    if (parts[1] == "db-link")
      return "db-links";
    if (parts[1] == "file-link")
      return "file-links";
    if (parts[1] == "workflows" || parts[1] == "cluster")
      return parts[1];
  }
  return {};
}

/// Splits the request into a route and its entry, or answers why it is none.
std::optional<http_response> resolve(const http_request& request, route& out,
                                     const route_entry*& entry) {
  std::vector<std::string> parts;
  query_items query;
  try {
    parts = segments(request.path);
    if (auto problem = parse_query(request.query, query, "query parameter"); !problem.empty())
      return fail(400, problem);
    if (request.method == "POST")
      if (auto problem = parse_query(request.body, out.form, "form field"); !problem.empty())
        return fail(400, problem);
  } catch (const Poco::Exception& e) {
    return fail(400, "malformed percent-encoding in '" + request.path
                       + (request.query.empty() ? "" : "?" + request.query)
                       + "' or its form body: " + e.displayText());
  }
  out.kind = path_kind(parts, out.target);
  if (out.kind.empty())
    return fail(404, "no such akkaflow route: " + request.path
                       + " (expected /akkaflow/workflow[/NAME], /akkaflow/workflow/instance/ID, "
                         "/akkaflow/workflow/watting_instance/list, /akkaflow/workflows, "
                         "/akkaflow/coor[/NAME], /akkaflow/db-link[/NAME], "
                         "/akkaflow/file-link[/NAME] or /akkaflow/cluster)");
  std::vector<std::string> names;
  for (const auto& e : routes())
    if (out.kind == e.kind)
      names.emplace_back(e.action);
  bool takes_action = !(names.size() == 1 && names.front().empty());
  bool has_action = false;
  for (auto& [key, value] : query) {
    if (key == "action" && takes_action) {
      has_action = true;
      out.action = value;
    } else {
      out.params.emplace_back(key, value);
    }
  }
  auto expected_actions = join(names, ", ");
  if (takes_action && (!has_action || out.action.empty()))
    return fail(400, "query parameter 'action' is required (expected " + expected_actions + ")");
  if (!contains(names, out.action))
    return fail(400, "query parameter 'action': unknown action '" + out.action + "' for "
                       + request.path + " (expected " + expected_actions + ")");
  for (const auto& e : routes())
    if (out.kind == e.kind && out.action == e.action)
      entry = &e;
  return std::nullopt;
}

} // namespace

std::string akkaflow_status(const std::string& status) {
  if (status == "queued")
    return "W_PREP";
  if (status == "running")
    return "W_RUNNING";
  if (status == "succeeded")
    return "W_SUCCESSED";
  if (status == "failed")
    return "W_FAILED";
  if (status == "killed")
    return "W_KILLED";
  return "W_" + to_upper(status);
}

bool is_akkaflow_path(const std::string& path) {
  try {
    auto parts = segments(path);
    return !parts.empty() && parts[0] == "akkaflow";
  } catch (const Poco::Exception&) {
    // Not an akkaflow route for the router either (it answers 400 or 404);
    // starts_with keeps the auth side strict for "/akkaflow/%zz".
    return starts_with(path, "/akkaflow/") || path == "/akkaflow";
  }
}

bool is_akkaflow_read(const http_request& request) {
  if (!is_akkaflow_path(request.path))
    return false;
  // The body is not looked at (auth runs before it is read).
  http_request head = request;
  head.body.clear();
  route r;
  const route_entry* entry = nullptr;
  if (resolve(head, r, entry) || entry == nullptr)
    return false;
  return entry->reads;
}

http_response handle_akkaflow(api_backend& backend, const http_request& request,
                              const akkaflow_settings& settings) {
  try {
    route r;
    const route_entry* entry = nullptr;
    if (auto problem = resolve(request, r, entry))
      return *problem;
    // akkaflow's routes answered any method; its scripts use GET, and POST
    // with a form for add and check. HEAD must not change anything.
    const auto& method = request.method;
    bool allowed = entry->post_only ? method == "POST"
                                    : method == "GET" || method == "POST"
                                        || (entry->reads && method == "HEAD");
    if (!allowed) {
      std::string allow = entry->post_only ? "POST"
                          : entry->reads   ? "GET, HEAD, POST"
                                           : "GET, POST";
      auto resp = fail(405, "method " + method + " not allowed for action=" + r.action + "; use "
                              + allow
                              + (!entry->post_only ? ""
                                 : r.kind.find("link") != std::string::npos
                                   ? " with the link's fields as a form body"
                                   : " with the definition in the form field xml"));
      resp.headers.emplace_back("Allow", allow);
      return resp;
    }
    return entry->handle(context{backend, settings, r});
  } catch (const std::exception& e) {
    return fail(500, std::string("internal error: ") + e.what());
  }
}

} // namespace cafflow
