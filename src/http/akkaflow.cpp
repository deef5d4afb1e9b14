#include "http/akkaflow.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "http/json.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

/// Query parameters in the order given.
using query_items = std::vector<std::pair<std::string, std::string>>;

/// A request that names one of the routes, split up.
struct route {
  /// "workflow" (/akkaflow/workflow/NAME), "instance"
  /// (/akkaflow/workflow/instance/ID), "workflows" or "cluster".
  std::string kind;
  /// The workflow name or instance id; empty for "workflows" and "cluster".
  std::string target;
  std::string action;
  /// Every parameter but `action`.
  query_items params;
};

/// The actions of each kind of route; the first ones only read.
struct route_actions {
  const char* kind;
  std::vector<std::string> reads;
  std::vector<std::string> changes;
};

const std::vector<route_actions>& actions() {
  static const std::vector<route_actions> table{
    {"workflow", {"get"}, {"run", "trigger", "trigger-blood", "reset", "del"}},
    {"instance", {}, {"kill", "rerun", "del"}},
    {"workflows", {}, {"reset"}},
    {"cluster", {"get"}, {"shutdown"}},
  };
  return table;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

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

http_response fail(int status, const std::string& msg) { return envelope(status, false, msg); }

http_response fail(const error& err) { return fail(http_status(err.code), err.message); }

/// Parses "a=1&b=2"; empty items (a trailing '&') are skipped. A name given
/// twice or an empty name is an error (the message).
std::string parse_query(const std::string& query, query_items& out) {
  for (const auto& item : split(query, '&')) {
    if (item.empty())
      continue;
    auto eq = item.find('=');
    auto key = decode(item.substr(0, eq), true);
    auto value = eq == std::string::npos ? std::string() : decode(item.substr(eq + 1), true);
    if (key.empty())
      return "a query parameter has no name ('" + item + "')";
    for (const auto& [k, v] : out)
      if (k == key)
        return "query parameter '" + key + "' is given twice";
    out.emplace_back(std::move(key), std::move(value));
  }
  return {};
}

/// Splits the request into a route, or answers why it is none.
std::optional<http_response> resolve(const http_request& request, route& out) {
  std::vector<std::string> parts;
  query_items query;
  try {
    parts = segments(request.path);
    if (auto problem = parse_query(request.query, query); !problem.empty())
      return fail(400, problem);
  } catch (const Poco::Exception& e) {
    return fail(400, "malformed percent-encoding in '" + request.path
                       + (request.query.empty() ? "" : "?" + request.query)
                       + "': " + e.displayText());
  }
  if (parts.size() == 3 && parts[1] == "workflow") {
    out.kind = "workflow";
    out.target = parts[2];
  } else if (parts.size() == 4 && parts[1] == "workflow" && parts[2] == "instance") {
    out.kind = "instance";
    out.target = parts[3];
  } else if (parts.size() == 2 && (parts[1] == "workflows" || parts[1] == "cluster")) {
    out.kind = parts[1];
  } else {
    return fail(404, "no such akkaflow route: " + request.path
                       + " (expected /akkaflow/workflow/NAME, /akkaflow/workflow/instance/ID, "
                         "/akkaflow/workflows or /akkaflow/cluster)");
  }
  const route_actions* allowed = nullptr;
  for (const auto& a : actions())
    if (out.kind == a.kind)
      allowed = &a;
  std::vector<std::string> names = allowed->reads;
  names.insert(names.end(), allowed->changes.begin(), allowed->changes.end());
  auto expected_actions = join(names, ", ");
  bool has_action = false;
  for (auto& [key, value] : query) {
    if (key == "action") {
      has_action = true;
      out.action = value;
    } else {
      out.params.emplace_back(key, value);
    }
  }
  if (!has_action || out.action.empty())
    return fail(400, "query parameter 'action' is required (expected " + expected_actions + ")");
  if (!contains(names, out.action))
    return fail(400, "query parameter 'action': unknown action '" + out.action + "' for "
                       + request.path + " (expected " + expected_actions + ")");
  return std::nullopt;
}

bool reads(const route& r) {
  for (const auto& a : actions())
    if (r.kind == a.kind)
      return contains(a.reads, r.action);
  return false;
}

/// Refuses every parameter but `allowed` (for this action).
std::optional<http_response> only_params(const route& r, const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : r.params)
    if (!contains(allowed, key))
      return fail(400, "unknown query parameter '" + key + "' for action=" + r.action
                         + (allowed.empty() ? " (it takes none)"
                                            : " (expected " + join(allowed, ", ") + ")"));
  return std::nullopt;
}

/// The value of parameter `key`, or "".
std::string param(const route& r, const std::string& key) {
  for (const auto& [k, v] : r.params)
    if (k == key)
      return v;
  return {};
}

// -- /akkaflow/workflow/NAME -------------------------------------------------

http_response workflow_start(api_backend& backend, const route& r, const std::string& trigger) {
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
    auto ignored = split_list(param(r, "ignore_node"));
    if (!ignored.empty())
      return fail(501, "query parameter 'ignore_node' (" + join(ignored, ",")
                         + "): cafflow does not skip nodes of a new instance; trigger without "
                           "ignore_node, or rerun an ended instance from chosen nodes with POST "
                           "/api/v1/instances/ID/rerun {\"mode\":\"nodes\",...}");
  } else if (auto bad = only_params(r, {})) {
    return *bad;
  }
  auto id = backend.start(request);
  if (!id)
    return fail(id.error());
  std::string what = trigger == "manual"    ? "started a manual run of workflow '"
                     : trigger == "trigger" ? "triggered workflow '"
                                            : "started a lineage run from workflow '";
  return envelope(200, true, what + r.target + "': instance " + *id, *id);
}

http_response workflow_reset(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto done = backend.coordinate(r.target, "reset");
  if (!done)
    return fail(done.error());
  return envelope(200, true, "reset the coordinator of workflow '" + r.target
                               + "': none of its dependencies is ready now");
}

http_response workflow_del(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto detail = backend.workflow(r.target);
  if (!detail)
    return fail(detail.error());
  return fail(501, "cafflow does not delete workflows over HTTP: workflow '" + r.target
                     + "' is defined by the file " + detail->record.file
                     + "; delete that file from xmlconfig and the workflow is unloaded (its "
                       "instances stay in the history)");
}

http_response workflow_get(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto detail = backend.workflow(r.target);
  if (!detail)
    return fail(detail.error());
  return envelope(200, true, "workflow '" + r.target + "'", to_json(*detail));
}

// -- /akkaflow/workflow/instance/ID ------------------------------------------

http_response instance_kill(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto done = backend.kill(r.target);
  if (!done)
    return fail(done.error());
  return envelope(200, true, "instance " + r.target + " killed", akkaflow_status("killed"));
}

http_response instance_rerun(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {"recover"}))
    return *bad;
  // akkaflow: recover=true skips the nodes that succeeded, otherwise every
  // node runs again.
  auto recover = to_lower(param(r, "recover"));
  if (recover != "" && recover != "true" && recover != "false")
    return fail(400, "query parameter 'recover': expected true or false, got '"
                       + param(r, "recover") + "'");
  rerun_request request;
  request.mode = recover == "true" ? "failed" : "all";
  auto done = backend.rerun(r.target, request);
  if (!done)
    return fail(done.error());
  return envelope(200, true,
                  "instance " + r.target + " runs again ("
                    + (recover == "true" ? "its failed and killed nodes and what follows them"
                                         : "every node")
                    + ")",
                  r.target);
}

http_response instance_del(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto inst = backend.instance(r.target);
  if (!inst)
    return fail(inst.error());
  return fail(501, "cafflow does not delete instances: the history of instance " + r.target
                     + " stays (it is " + inst->status + ")");
}

// -- /akkaflow/workflows and /akkaflow/cluster -------------------------------

http_response workflows_reset(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto done = backend.reset_coordinators();
  if (!done)
    return fail(done.error());
  return envelope(200, true, "reset every coordinator: no dependency is ready now");
}

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

http_response cluster_get(api_backend& backend, const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  auto h = backend.health();
  if (!h)
    return fail(h.error());
  json data = json::array();
  data.push_back(role_info("master", h->master));
  for (const auto& w : h->workers)
    data.push_back(role_info("worker", w.id));
  return envelope(200, true, "cluster '" + h->cluster + "': the master and "
                               + std::to_string(h->workers.size()) + " worker(s)",
                  std::move(data));
}

http_response cluster_shutdown(const route& r) {
  if (auto bad = only_params(r, {}))
    return *bad;
  return fail(501, "cafflow does not stop the cluster over HTTP (a request could not wait for "
                   "the roles to drain and would stop this server first); run sbin/stop-cluster "
                   "on the cluster's host");
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
  std::string result = "W_" + status;
  for (auto& c : result)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return result;
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
  route r;
  if (resolve(request, r))
    return false;
  return reads(r);
}

http_response handle_akkaflow(api_backend& backend, const http_request& request) {
  try {
    route r;
    if (auto problem = resolve(request, r))
      return *problem;
    // akkaflow's routes answered any method; its scripts use GET. HEAD must
    // not change anything.
    const auto& method = request.method;
    bool read = reads(r);
    if (method != "GET" && method != "POST" && !(read && method == "HEAD")) {
      auto allowed = read ? "GET, HEAD, POST" : "GET, POST";
      auto resp = fail(405, "method " + method + " not allowed for action=" + r.action
                              + "; use " + allowed);
      resp.headers.emplace_back("Allow", allowed);
      return resp;
    }
    if (r.kind == "workflow") {
      if (r.action == "run")
        return workflow_start(backend, r, "manual");
      if (r.action == "trigger")
        return workflow_start(backend, r, "trigger");
      if (r.action == "trigger-blood")
        return workflow_start(backend, r, "lineage");
      if (r.action == "reset")
        return workflow_reset(backend, r);
      if (r.action == "del")
        return workflow_del(backend, r);
      return workflow_get(backend, r);
    }
    if (r.kind == "instance") {
      if (r.action == "kill")
        return instance_kill(backend, r);
      if (r.action == "rerun")
        return instance_rerun(backend, r);
      return instance_del(backend, r);
    }
    if (r.kind == "workflows")
      return workflows_reset(backend, r);
    if (r.action == "get")
      return cluster_get(backend, r);
    return cluster_shutdown(r);
  } catch (const std::exception& e) {
    return fail(500, std::string("internal error: ") + e.what());
  }
}

} // namespace cafflow
