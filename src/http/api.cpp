#include "http/api.hpp"

#include <Poco/URI.h>

#include "http/json.hpp"
#include "model/status.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

http_response json_response(int status, const json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump();
  r.body += '\n';
  return r;
}

http_response from_error(const error& err) {
  return error_response(http_status(err.code), err.message);
}

std::string decode(const std::string& text, bool plus_is_space) {
  std::string result;
  Poco::URI::decode(text, result, plus_is_space);
  return result;
}

/// Splits "/a/b/c" into decoded segments {"a", "b", "c"}.
std::vector<std::string> segments(const std::string& path) {
  auto result = split(path.substr(path.empty() ? 0 : 1), '/');
  for (auto& segment : result)
    segment = decode(segment, false);
  if (!result.empty() && result.back().empty())
    result.pop_back(); // trailing slash
  return result;
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

http_response get_workflows(api_backend& backend) {
  auto list = backend.workflows();
  if (!list)
    return from_error(list.error());
  json items = json::array();
  for (const auto& w : *list)
    items.push_back(to_json(w));
  return json_response(200, json{{"workflows", std::move(items)}});
}

http_response get_xml_files(api_backend& backend) {
  auto list = backend.xml_files();
  if (!list)
    return from_error(list.error());
  json items = json::array();
  for (const auto& f : *list)
    items.push_back(to_json(f));
  return json_response(200, json{{"files", std::move(items)}});
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
    } else if (key == "limit" || key == "offset") {
      long long n = 0;
      long long max = key == "limit" ? 10000 : 1LL << 40;
      if (!parse_int(value, n) || n < (key == "limit" ? 1 : 0) || n > max)
        return error_response(400, "query parameter '" + key + "': expected a number between "
                                     + (key == "limit" ? "1 and 10000" : "0 and 2^40")
                                     + ", got '" + value + "'");
      (key == "limit" ? filter.limit : filter.offset) = static_cast<int>(n);
    } else {
      return error_response(400, "unknown query parameter '" + key
                                   + "' (expected workflow, status, limit or offset)");
    }
  }
  auto list = backend.instances(filter);
  if (!list)
    return from_error(list.error());
  json items = json::array();
  for (const auto& i : *list)
    items.push_back(to_json(i, false));
  return json_response(200, json{{"instances", std::move(items)}});
}

http_response get_instance(api_backend& backend, const std::string& id) {
  auto inst = backend.instance(id);
  if (!inst)
    return from_error(inst.error());
  return json_response(200, to_json(*inst, true));
}

http_response get_cluster(api_backend& backend) {
  auto h = backend.health();
  if (!h)
    return from_error(h.error());
  return json_response(200, cluster_json(*h));
}

http_response post_kill(api_backend& backend, const std::string& id) {
  auto done = backend.kill(id);
  if (!done)
    return from_error(done.error());
  return json_response(200, json{{"instance_id", id}, {"status", "killed"}});
}

http_response get_log(api_backend& backend, const std::string& id, const std::string& node,
                      const std::string& query) {
  long long attempt = 0, offset = 0;
  for (const auto& [key, value] : parse_query(query)) {
    long long n = 0;
    if ((key == "attempt" || key == "offset") && (!parse_int(value, n) || n < 0))
      return error_response(400, "query parameter '" + key
                                   + "': expected a non-negative number, got '" + value + "'");
    if (key == "attempt")
      attempt = n;
    else if (key == "offset")
      offset = n;
    else
      return error_response(400, "unknown query parameter '" + key
                                   + "' (expected attempt or offset)");
  }
  auto chunk = backend.node_log(id, node, static_cast<int>(attempt), offset);
  if (!chunk)
    return from_error(chunk.error());
  return json_response(200, to_json(*chunk));
}

http_response post_run(api_backend& backend, const std::string& name, const std::string& body) {
  param_map params;
  if (!trim(body).empty()) {
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded())
      return error_response(400, "request body is not valid JSON");
    if (!parsed.is_object())
      return error_response(400, "request body must be a JSON object like {\"params\": {}}");
    for (auto& [key, value] : parsed.items())
      if (key != "params")
        return error_response(400, "unknown field '" + key + "' in request body (expected "
                                                             "'params')");
    if (parsed.contains("params")) {
      const auto& p = parsed["params"];
      if (!p.is_object())
        return error_response(400, "field 'params' must be an object of strings");
      for (auto& [key, value] : p.items()) {
        if (key.empty())
          return error_response(400, "field 'params' has an empty name");
        if (value.is_string())
          params[key] = value.get<std::string>();
        else if (value.is_number() || value.is_boolean())
          params[key] = value.dump();
        else
          return error_response(400, "field 'params." + key
                                       + "' must be a string, number or boolean");
      }
    }
  }
  auto id = backend.run(name, params);
  if (!id)
    return from_error(id.error());
  return json_response(201, json{{"instance_id", *id}});
}

} // namespace

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
    if (parts.size() == 1 && parts[0] == "workflows")
      return only("GET") ? get_workflows(backend) : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "xmlconfig")
      return only("GET") ? get_xml_files(backend) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "workflows" && parts[2] == "run")
      return method == "POST" ? post_run(backend, parts[1], request.body)
                              : method_not_allowed("POST");
    if (parts.size() == 1 && parts[0] == "instances")
      return only("GET") ? get_instances(backend, request.query) : method_not_allowed("GET");
    if (parts.size() == 2 && parts[0] == "instances")
      return only("GET") ? get_instance(backend, parts[1]) : method_not_allowed("GET");
    if (parts.size() == 3 && parts[0] == "instances" && parts[2] == "kill")
      return method == "POST" ? post_kill(backend, parts[1]) : method_not_allowed("POST");
    if (parts.size() == 5 && parts[0] == "instances" && parts[2] == "nodes" && parts[4] == "log")
      return only("GET") ? get_log(backend, parts[1], parts[3], request.query)
                         : method_not_allowed("GET");
    if (parts.size() == 1 && parts[0] == "cluster")
      return only("GET") ? get_cluster(backend) : method_not_allowed("GET");
    return error_response(404, "no such resource: " + request.path);
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

} // namespace cafflow
