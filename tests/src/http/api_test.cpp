#include "http/api.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cafflow;
using nlohmann::json;

namespace {

/// A backend with canned answers that records what it was asked.
class fake_backend : public api_backend {
public:
  bool master_up = true;
  instance_filter last_filter;
  std::string last_run;
  param_map last_params;

  expected<health_record> health() override {
    if (!master_up)
      return make_error(ec::master_unreachable, "the master is not reachable");
    health_record h;
    h.cluster = "c";
    h.master = "127.0.0.1:1";
    h.workers.push_back(worker_record{"127.0.0.1:2", "127.0.0.1", 4, 1, {}, 5, "up"});
    return h;
  }
  expected<std::vector<workflow_record>> workflows() override {
    return std::vector<workflow_record>{workflow_record{"w", "/", "", "me", "/x/w.xml", "h", 2,
                                                        7, 3, "active"}};
  }
  expected<std::vector<xml_file_record>> xml_files() override {
    xml_file_record f;
    f.path = "/x/bad.xml";
    f.kind = "workflow";
    f.name = "bad";
    f.status = "invalid";
    f.active_version = 2;
    f.diagnostics.push_back(diagnostic_record{"error", 3, 5, "unknown element <shel>"});
    return std::vector<xml_file_record>{f};
  }
  expected<std::vector<instance_record>> instances(const instance_filter& f) override {
    last_filter = f;
    instance_record r;
    r.id = "01";
    r.workflow = "w";
    r.status = "running";
    return std::vector<instance_record>{r};
  }
  expected<instance_record> instance(const std::string& id) override {
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    instance_record r;
    r.id = "01";
    r.status = "failed";
    r.nodes.push_back(node_record{"a", "action", "shell", "failed", 1, 1, 2, "exit code 3",
                                  {attempt_record{1, "w1", "failed", 3, false, 9, 1, "/l", 1, 2,
                                                  "exit code 3"}}});
    r.nodes.push_back(node_record{"s", "start", "", "succeeded", 0, 1, 1, "", {}});
    return r;
  }
  expected<void> kill(const std::string& id) override {
    if (id == "done")
      return make_error(ec::conflict, "instance done is not running (it is succeeded)");
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    return {};
  }
  std::string last_log;
  expected<log_chunk> node_log(const std::string& id, const std::string& node, int attempt,
                               std::int64_t offset) override {
    last_log = id + "/" + node + "#" + std::to_string(attempt) + "@" + std::to_string(offset);
    log_chunk c;
    c.instance_id = id;
    c.node = node;
    c.attempt = attempt == 0 ? 2 : attempt;
    c.offset = offset;
    c.content = "hello\n";
    c.next_offset = offset + 6;
    c.size = offset + 6;
    return c;
  }
  expected<std::string> run(const std::string& wf, const param_map& params) override {
    if (wf != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + wf + "' is loaded");
    last_run = wf;
    last_params = params;
    return std::string("02");
  }
};

http_response call(fake_backend& b, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
  http_request r;
  r.method = method;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos)
    r.query = target.substr(q + 1);
  r.body = body;
  return handle_api(b, r);
}

json body_of(const http_response& r) { return json::parse(r.body); }

} // namespace

TEST_SUITE_BEGIN("api");

TEST_CASE("health: 200 with workers, 503 without a master") {
  fake_backend b;
  auto ok = call(b, "GET", "/api/v1/health");
  CHECK(ok.status == 200);
  CHECK(ok.content_type == "application/json");
  CHECK(body_of(ok)["status"] == "ok");
  CHECK(body_of(ok)["workers"][0]["id"] == "127.0.0.1:2");
  b.master_up = false;
  auto down = call(b, "GET", "/api/v1/health");
  CHECK(down.status == 503);
  CHECK(body_of(down)["status"] == "unavailable");
  CHECK(body_of(down)["error"] == "the master is not reachable");
}

TEST_CASE("workflows and instances") {
  fake_backend b;
  auto wfs = body_of(call(b, "GET", "/api/v1/workflows"));
  CHECK(wfs["workflows"][0]["name"] == "w");
  CHECK(wfs["workflows"][0]["version"] == 2);
  auto list = call(b, "GET", "/api/v1/instances?workflow=w%20x&status=failed&limit=5&offset=10");
  CHECK(list.status == 200);
  CHECK(b.last_filter.workflow == "w x");
  CHECK(b.last_filter.status == "failed");
  CHECK(b.last_filter.limit == 5);
  CHECK(b.last_filter.offset == 10);
  CHECK_FALSE(body_of(list)["instances"][0].contains("nodes"));
  auto one = body_of(call(b, "GET", "/api/v1/instances/01"));
  CHECK(one["nodes"][0]["attempts"][0]["exit_code"] == 3);
  CHECK(one["nodes"][0]["action_type"] == "shell");
  CHECK_FALSE(one["nodes"][1].contains("attempts"));
  CHECK(one["logical_time"].is_null());
}

TEST_CASE("xmlconfig lists files with status and diagnostics") {
  fake_backend b;
  auto r = call(b, "GET", "/api/v1/xmlconfig");
  CHECK(r.status == 200);
  auto f = body_of(r)["files"][0];
  CHECK(f["status"] == "invalid");
  CHECK(f["active_version"] == 2);
  CHECK(f["diagnostics"][0]["line"] == 3);
  CHECK(f["diagnostics"][0]["message"] == "unknown element <shel>");
  CHECK(call(b, "POST", "/api/v1/xmlconfig").status == 405);
}

TEST_CASE("run: params from the body, 201 with the id") {
  fake_backend b;
  auto r = call(b, "POST", "/api/v1/workflows/w/run",
                R"({"params": {"day": "2026-11-20", "n": 3, "flag": true}})");
  CHECK(r.status == 201);
  CHECK(body_of(r)["instance_id"] == "02");
  CHECK(b.last_params == param_map{{"day", "2026-11-20"}, {"n", "3"}, {"flag", "true"}});
  CHECK(call(b, "POST", "/api/v1/workflows/w/run", "").status == 201);
  CHECK(b.last_params.empty());
}

TEST_CASE("errors are JSON with a status that fits") {
  fake_backend b;
  auto check = [&](const http_response& r, int status, const std::string& fragment) {
    CAPTURE(r.body);
    CHECK(r.status == status);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    REQUIRE(j.contains("error"));
    CHECK(j["error"].get<std::string>().find(fragment) != std::string::npos);
  };
  check(call(b, "GET", "/nope"), 404, "no such resource");
  check(call(b, "GET", "/api/v1/nope"), 404, "no such resource");
  check(call(b, "GET", "/api/v1/instances/xyz"), 404, "no instance with id 'xyz'");
  check(call(b, "POST", "/api/v1/workflows/other/run", "{}"), 404, "no workflow named 'other'");
  check(call(b, "POST", "/api/v1/workflows/w/run", "{not json"), 400, "not valid JSON");
  check(call(b, "POST", "/api/v1/workflows/w/run", "[1]"), 400, "JSON object");
  check(call(b, "POST", "/api/v1/workflows/w/run", R"({"parms": {}})"), 400,
        "unknown field 'parms'");
  check(call(b, "POST", "/api/v1/workflows/w/run", R"({"params": [1]})"), 400,
        "'params' must be an object");
  check(call(b, "POST", "/api/v1/workflows/w/run", R"({"params": {"a": {"b": 1}}})"), 400,
        "'params.a'");
  check(call(b, "GET", "/api/v1/instances?limit=0"), 400, "'limit'");
  check(call(b, "GET", "/api/v1/instances?limit=ten"), 400, "'limit'");
  check(call(b, "GET", "/api/v1/instances?status=sleeping"), 400, "unknown status 'sleeping'");
  check(call(b, "GET", "/api/v1/instances?colour=red"), 400, "unknown query parameter 'colour'");
  auto wrong = call(b, "DELETE", "/api/v1/workflows");
  check(wrong, 405, "method not allowed");
  REQUIRE(wrong.headers.size() == 1);
  CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "GET"});
  check(call(b, "GET", "/api/v1/workflows/w/run"), 405, "use POST");
}

TEST_CASE("kill, logs and the cluster view") {
  fake_backend b;
  auto killed = call(b, "POST", "/api/v1/instances/01/kill");
  CHECK(killed.status == 200);
  CHECK(body_of(killed)["status"] == "killed");
  CHECK(call(b, "POST", "/api/v1/instances/done/kill").status == 409);
  CHECK(call(b, "POST", "/api/v1/instances/zz/kill").status == 404);
  CHECK(call(b, "GET", "/api/v1/instances/01/kill").status == 405);
  auto log = call(b, "GET", "/api/v1/instances/01/nodes/load%20x/log?attempt=1&offset=6");
  CHECK(log.status == 200);
  CHECK(b.last_log == "01/load x#1@6");
  CHECK(body_of(log)["content"] == "hello\n");
  CHECK(body_of(log)["next_offset"] == 12);
  call(b, "GET", "/api/v1/instances/01/nodes/a/log");
  CHECK(b.last_log == "01/a#0@0"); // the last attempt, from the start
  CHECK(call(b, "GET", "/api/v1/instances/01/nodes/a/log?offset=-1").status == 400);
  CHECK(call(b, "GET", "/api/v1/instances/01/nodes/a/log?path=/etc/passwd").status == 400);
  auto cluster = body_of(call(b, "GET", "/api/v1/cluster"));
  CHECK(cluster["master"]["address"] == "127.0.0.1:1");
  CHECK(cluster["workers"][0]["slots"] == 4);
  CHECK(cluster["slots"]["total"] == 4);
}

TEST_CASE("error codes map to HTTP statuses") {
  CHECK(http_status(ec::unknown_workflow) == 404);
  CHECK(http_status(ec::invalid_request) == 400);
  CHECK(http_status(ec::conflict) == 409);
  CHECK(http_status(ec::master_unreachable) == 503);
  CHECK(http_status(ec::timeout) == 503);
  CHECK(http_status(ec::unspecified) == 500);
}

TEST_SUITE_END();
