#include "http/api.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "store/store.hpp"

using namespace cafflow;
using nlohmann::json;

namespace {

/// A backend with canned answers that records what it was asked.
class fake_backend : public api_backend {
public:
  bool master_up = true;
  bool store_available = true;
  /// Whether cluster() can read the lease and the masters.
  bool store_readable = true;
  bool recovering = false;
  bool paused = false;
  /// How many instances the listing holds (it answers a page of them).
  int stored_instances = 1;
  /// The versions of the detail cannot be read: why.
  std::string versions_error;
  /// A name for the workflow and its file that is not UTF-8 ("" = the usual).
  std::string odd_name;
  instance_filter last_filter;
  std::string last_run;
  param_map last_params;
  start_request last_start;
  std::string last_rerun_id;
  rerun_request last_rerun;
  std::string last_coordinate;

  expected<health_record> health() override {
    if (!master_up)
      return make_error(ec::master_unreachable, "the master is not reachable");
    health_record h;
    h.store_available = store_available;
    h.store_error = store_available ? "" : "db:3306: connection refused";
    h.recovering = recovering;
    h.paused = paused;
    h.pending_writes = paused ? 42 : 0;
    h.cluster = "c";
    h.master = "127.0.0.1:1";
    // The master's own epoch differs from the lease's (7): the view must
    // take the lease's when it has it.
    h.epoch = 6;
    h.master_pid = 41;
    h.started = 1767225600000;
    h.workers.push_back(worker_record{"127.0.0.1:2", "127.0.0.1", 4, 1, {}, 5, "up"});
    return h;
  }
  /// Master 127.0.0.1:1 active until 2026-01-01T00:01:00Z, the standby
  /// 127.0.0.1:9 seen a second before.
  expected<cluster_view> cluster() override {
    if (!store_readable)
      return make_error(ec::store_error, "cannot read the lease: database is locked");
    cluster_view v;
    v.cluster = "c";
    v.epoch = 7;
    v.lease_holder = "127.0.0.1:1";
    v.lease_expires_at = 1767225660000;
    v.masters.push_back(master_entry{{"127.0.0.1:1", "active", 41, "alpha", 1767225600000,
                                      1767225655000},
                                     1767225660000});
    v.masters.push_back(
      master_entry{{"127.0.0.1:9", "standby", 42, "beta", 1767225601000, 1767225654000}, 0});
    return v;
  }
  expected<std::vector<workflow_record>> workflows() override {
    if (!odd_name.empty())
      return std::vector<workflow_record>{workflow_record{odd_name, "/", "", "me",
                                                          "/x/" + odd_name + ".xml", "h", 1, 1, 1,
                                                          "active"}};
    return std::vector<workflow_record>{workflow_record{"w", "/", "", "me", "/x/w.xml", "h", 2,
                                                        7, 3, "active"}};
  }
  expected<std::vector<workflow_record>> known_workflows() override {
    auto list = *workflows();
    list.push_back(workflow_record{"daily_ETL", "/etl", "", "me", "/x/etl.xml", "h", 1, 7, 3,
                                   "active"});
    list.push_back(workflow_record{"old_etl", "/etl", "", "me", "/x/old.xml", "h", 4, 7, 3,
                                   "removed"});
    return list;
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
    std::vector<instance_record> page;
    for (int i = f.offset; i < stored_instances && i < f.offset + f.limit; ++i) {
      instance_record r;
      r.id = i == 0 ? "01" : "i" + std::to_string(i);
      r.workflow = "w";
      r.status = "running";
      r.trigger = "rerun";
      r.origin = "cron";
      r.parent_id = "00";
      page.push_back(r);
    }
    return page;
  }
  expected<instance_record> instance(const std::string& id) override {
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    instance_record r;
    r.id = "01";
    r.status = "failed";
    r.nodes.push_back(node_record{"a", "action", "shell", "failed", 1, 1, 2, "exit code 3",
                                  {attempt_record{1, "w1", "failed", 3, false, 9, 1, "/l", 1, 2,
                                                  "exit code 3", ""}}});
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
  std::string last_deleted;
  expected<void> delete_instance(const std::string& id) override {
    if (id == "busy")
      return make_error(ec::conflict, "instance busy is running: kill it or wait for its end "
                                      "before deleting it");
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_deleted = id;
    return {};
  }
  std::string last_log;
  std::string last_dependencies;

  expected<dependency_report> instance_dependencies(const std::string& id) override {
    last_dependencies = id;
    if (id == "zz")
      return make_error(ec::unknown_instance, "no instance with id 'zz'");
    dependency_report r;
    r.workflow = "B";
    r.instance_id = id;
    r.state = "waiting";
    r.message = "depend-list: waiting for dependencies:\nA (cycle day, window today): waiting";
    r.detail = R"({"workflow":"B","parts":[{"part":"depend-list","state":"waiting"}]})";
    return r;
  }

  expected<dependency_report> workflow_dependencies(const std::string& name,
                                                    timestamp logical_time) override {
    last_dependencies = name + "@" + std::to_string(logical_time);
    if (name != "B")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "'");
    dependency_report r;
    r.workflow = name;
    r.state = "holds";
    r.detail = "{}";
    return r;
  }

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
  expected<workflow_detail> workflow(const std::string& name) override {
    if (name != "w" && name != "plain")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    workflow_detail d;
    d.record = workflow_record{name, "/", "", "me", "/x/" + name + ".xml", "h", 2, 7, 3,
                               "active"};
    d.nodes = {dag_node{"s", "start", "", ""}, dag_node{"a", "action", "shell", "load it"},
               dag_node{"d", "decision", "", ""}, dag_node{"e", "end", "", ""}};
    d.edges = {dag_edge{"s", "a", "next", ""}, dag_edge{"a", "d", "ok", ""},
               dag_edge{"d", "e", "case", "${param:x} == 1"}, dag_edge{"d", "a", "default", ""}};
    d.versions = {workflow_version_view{1, "h1", "/x/old.xml", 1000},
                  workflow_version_view{2, "h", "/x/" + name + ".xml", 7}};
    d.versions_error = versions_error;
    if (name == "plain")
      return d;
    d.has_coordinator = true;
    auto& c = d.coordinator;
    c.paused = true;
    c.cron = "0 1 * * *";
    c.timezone = "Europe/Berlin";
    c.start_time = "2026-01-01 00:00:00";
    c.catchup = "last";
    c.overlap = "queue";
    c.next_fires = {1767225600000, 1767312000000};
    c.waiting = {1767139200000};
    c.last_fire = 1767052800000;
    c.dependencies.push_back(dependency_view{"up_a", true, "0a", 1767139300000});
    c.dependencies.push_back(dependency_view{"up_b", false, "", 0});
    c.params = {{"day", "${time.today|yyyy-MM-dd|-1 day}"}, {"city", "x"}};
    d.downstream = {"report"};
    return d;
  }
  expected<std::string> start(const start_request& request) override {
    if (request.workflow != "w")
      return make_error(ec::unknown_workflow,
                        "no workflow named '" + request.workflow + "' is loaded");
    last_start = request;
    last_run = request.workflow;
    last_params = request.params;
    return std::string("02");
  }
  expected<void> rerun(const std::string& id, const rerun_request& request) override {
    if (id == "busy")
      return make_error(ec::conflict, "instance busy is running: kill it or wait for its end");
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_rerun_id = id;
    last_rerun = request;
    return {};
  }
  std::string last_mark_id;
  mark_request last_mark;
  expected<void> mark(const std::string& id, const mark_request& request) override {
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    if (request.node == "pending")
      return make_error(ec::conflict, "node 'pending' is pending");
    last_mark_id = id;
    last_mark = request;
    return {};
  }
  /// Instances followed (GET .../events), and whether following fails.
  std::vector<std::string> followed;
  std::vector<bool> followed_with_nodes;
  bool follow_fails = false;
  expected<void> follow_instance(const std::string& id, bool with_nodes,
                                 std::shared_ptr<http_sink> sink) override {
    if (follow_fails)
      return make_error(ec::master_unreachable, "the master is not reachable");
    followed.push_back(id);
    followed_with_nodes.push_back(with_nodes);
    sink->write(sse_event("instance", R"({"id":")" + id + R"("})", "1"));
    sink->close();
    return {};
  }
  expected<workflow_version_record> workflow_version(const std::string& name,
                                                     int version) override {
    if (name != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    if (version != 2)
      return make_error(ec::unknown_workflow, "workflow 'w' has no version " + std::to_string(version));
    return workflow_version_record{"w", 2, "h", "/x/w.xml", "<work-flow name=\"w\"/>", 7};
  }
  expected<void> coordinate(const std::string& name, const std::string& action) override {
    if (name != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    last_coordinate = name + ":" + action;
    return {};
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

TEST_CASE("health: 200 with workers and 503 without a master") {
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
  b.stored_instances = 20;
  auto wfs = body_of(call(b, "GET", "/api/v1/workflows"));
  CHECK(wfs["workflows"][0]["name"] == "w");
  CHECK(wfs["workflows"][0]["version"] == 2);
  auto list = call(b, "GET", "/api/v1/instances?workflow=w%20x&status=failed&limit=5&offset=10");
  CHECK(list.status == 200);
  CHECK(b.last_filter.workflow == "w x");
  CHECK(b.last_filter.status == "failed");
  // One more than asked: whether another page follows.
  CHECK(b.last_filter.limit == 6);
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

TEST_CASE("run: params from the body and 201 with the id") {
  fake_backend b;
  auto r = call(b, "POST", "/api/v1/workflows/w/run",
                R"({"params": {"day": "2026-11-20", "n": 3, "flag": true}})");
  CHECK(r.status == 201);
  CHECK(body_of(r)["instance_id"] == "02");
  CHECK(b.last_params == param_map{{"day", "2026-11-20"}, {"n", "3"}, {"flag", "true"}});
  CHECK(b.last_start.trigger == "manual");
  CHECK(b.last_start.logical_time == 0);
  CHECK(call(b, "POST", "/api/v1/workflows/w/run", "").status == 201);
  CHECK(b.last_params.empty());
}

namespace {

/// The status is `status` and the JSON error contains `fragment`.
void check_error(const http_response& r, int status, const std::string& fragment) {
  CAPTURE(r.body);
  CHECK(r.status == status);
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("error"));
  CHECK(j["error"].get<std::string>().find(fragment) != std::string::npos);
}

} // namespace

TEST_CASE("run with a logical time as text or milliseconds") {
  fake_backend b;
  auto r = call(b, "POST", "/api/v1/workflows/w/run",
                R"({"logical_time": "2026-01-01 00:00:00", "params": {"a": "1"}})");
  CHECK(r.status == 201);
  CHECK(b.last_start.logical_time == 1767225600000);
  CHECK(b.last_start.params == param_map{{"a", "1"}});
  CHECK(call(b, "POST", "/api/v1/workflows/w/run", R"({"logical_time": "2026-01-01T00:00:00Z"})")
          .status
        == 201);
  CHECK(b.last_start.logical_time == 1767225600000);
  CHECK(call(b, "POST", "/api/v1/workflows/w/run", R"({"logical_time": 1767225600123})").status
        == 201);
  CHECK(b.last_start.logical_time == 1767225600123);
  CHECK(b.last_start.params.empty());
}

TEST_CASE("run rejects a bad logical time naming the field") {
  fake_backend b;
  for (auto body : {R"({"logical_time": "tomorrow"})", R"({"logical_time": "2026-13-01 00:00:00"})",
                    R"({"logical_time": -5})", R"({"logical_time": 0})", R"({"logical_time": 1.5})",
                    R"({"logical_time": true})", R"({"logical_time": null})",
                    R"({"logical_time": ["2026-01-01"]})"}) {
    CAPTURE(body);
    check_error(call(b, "POST", "/api/v1/workflows/w/run", body), 400, "'logical_time'");
  }
  CHECK(b.last_run.empty());
}

TEST_CASE("trigger and lineage start instances with their trigger") {
  fake_backend b;
  auto t = call(b, "POST", "/api/v1/workflows/w/trigger", R"({"params": {"day": "2026-01-01"}})");
  CHECK(t.status == 201);
  CHECK(body_of(t)["instance_id"] == "02");
  CHECK(b.last_start.workflow == "w");
  CHECK(b.last_start.trigger == "trigger");
  CHECK(b.last_start.params == param_map{{"day", "2026-01-01"}});
  CHECK(b.last_start.logical_time == 0);
  auto l = call(b, "POST", "/api/v1/workflows/w/lineage");
  CHECK(l.status == 201);
  CHECK(body_of(l)["instance_id"] == "02");
  CHECK(b.last_start.trigger == "lineage");
  CHECK(b.last_start.params.empty());
}

TEST_CASE("trigger and lineage errors") {
  fake_backend b;
  for (std::string verb : {"trigger", "lineage"}) {
    CAPTURE(verb);
    auto path = "/api/v1/workflows/w/" + verb;
    check_error(call(b, "POST", path, "{"), 400, "not valid JSON");
    check_error(call(b, "POST", path, R"("x")"), 400, "JSON object");
    // A trigger runs now; a lineage run may name its logical time (issue 15).
    if (verb == "trigger")
      check_error(call(b, "POST", path, R"({"logical_time": "2026-01-01 00:00:00"})"), 400,
                  "unknown field 'logical_time'");
    check_error(call(b, "POST", path, R"({"params": "a=1"})"), 400, "'params' must be an object");
    check_error(call(b, "POST", path, R"({"params": {"a": null}})"), 400, "'params.a'");
    check_error(call(b, "POST", "/api/v1/workflows/nope/" + verb), 404, "no workflow named 'nope'");
    // GET .../lineage reads the lineage (its own test case); PUT is refused.
    auto wrong = call(b, verb == "trigger" ? "GET" : "PUT", path);
    auto allowed = verb == "trigger" ? "POST" : "GET, POST";
    check_error(wrong, 405, std::string("use ") + allowed);
    REQUIRE(wrong.headers.size() == 1);
    CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", allowed});
  }
  CHECK(b.last_run.empty());
  check_error(call(b, "POST", "/api/v1/workflows/w/fire"), 404, "no such resource");
  auto lineage = call(b, "POST", "/api/v1/workflows/w/lineage",
                      R"({"logical_time": "2026-01-01 00:00:00"})");
  CHECK(lineage.status == 201);
  CHECK(b.last_start.trigger == "lineage");
  CHECK(b.last_start.logical_time == 1767225600000);
}

TEST_CASE("workflow detail with its coordinator") {
  fake_backend b;
  auto r = call(b, "GET", "/api/v1/workflows/w");
  CHECK(r.status == 200);
  auto j = body_of(r);
  CHECK(j["workflow"]["name"] == "w");
  CHECK(j["workflow"]["version"] == 2);
  CHECK(j["workflow"]["loaded_at"] == "1970-01-01T00:00:00.007Z");
  const auto& c = j["coordinator"];
  CHECK(c["enabled"] == true);
  CHECK(c["paused"] == true);
  CHECK(c["cron"] == "0 1 * * *");
  CHECK(c["timezone"] == "Europe/Berlin");
  CHECK(c["start_time"] == "2026-01-01 00:00:00");
  CHECK(c["end_time"].is_null());
  CHECK(c["catchup"] == "last");
  CHECK(c["overlap"] == "queue");
  CHECK(c["next_fires"] == json::array({"2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"}));
  CHECK(c["waiting"] == json::array({"2025-12-31T00:00:00.000Z"}));
  CHECK(c["last_fire"] == "2025-12-30T00:00:00.000Z");
  REQUIRE(c["dependencies"].size() == 2);
  CHECK(c["dependencies"][0]
        == json{{"workflow", "up_a"},
                {"ready", true},
                {"instance_id", "0a"},
                {"ready_at", "2025-12-31T00:01:40.000Z"}});
  CHECK(c["dependencies"][1]["ready"] == false);
  CHECK(c["dependencies"][1]["instance_id"].is_null());
  CHECK(c["dependencies"][1]["ready_at"].is_null());
  // The param-list in its order, not sorted.
  CHECK(c["params"][0] == json{{"name", "day"}, {"value", "${time.today|yyyy-MM-dd|-1 day}"}});
  CHECK(c["params"][1]["name"] == "city");
  CHECK(c["triggers"] == json::array());
  CHECK(j["downstream"] == json::array({"report"}));
}

TEST_CASE("workflow detail without a coordinator and its errors") {
  fake_backend b;
  auto j = body_of(call(b, "GET", "/api/v1/workflows/plain"));
  CHECK(j["workflow"]["name"] == "plain");
  CHECK(j["coordinator"].is_null());
  CHECK(j["downstream"] == json::array());
  check_error(call(b, "GET", "/api/v1/workflows/nope"), 404, "no workflow named 'nope'");
  check_error(call(b, "GET", "/api/v1/workflows/a%20b"), 404, "no workflow named 'a b'");
  auto wrong = call(b, "POST", "/api/v1/workflows/w");
  check_error(wrong, 405, "use GET");
  REQUIRE(wrong.headers.size() == 1);
  CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "GET, DELETE"});
}

TEST_CASE("pause resume and reset a coordinator") {
  fake_backend b;
  for (std::string action : {"pause", "resume", "reset"}) {
    CAPTURE(action);
    auto r = call(b, "POST", "/api/v1/workflows/w/" + action);
    CHECK(r.status == 200);
    CHECK(body_of(r) == json{{"workflow", "w"}, {"action", action}});
    CHECK(b.last_coordinate == "w:" + action);
    check_error(call(b, "POST", "/api/v1/workflows/nope/" + action), 404,
                "no workflow named 'nope'");
    check_error(call(b, "GET", "/api/v1/workflows/w/" + action), 405, "use POST");
  }
}

TEST_CASE("rerun modes") {
  fake_backend b;
  auto r = call(b, "POST", "/api/v1/instances/01/rerun");
  CHECK(r.status == 200);
  CHECK(body_of(r) == json{{"instance_id", "01"}, {"status", "running"}});
  CHECK(b.last_rerun_id == "01");
  CHECK(b.last_rerun.mode == "failed");
  CHECK(b.last_rerun.options.empty());
  CHECK(call(b, "POST", "/api/v1/instances/01/rerun", R"({"mode": "all"})").status == 200);
  CHECK(b.last_rerun.mode == "all");
  CHECK(call(b, "POST", "/api/v1/instances/01/rerun", R"({"mode": "failed"})").status == 200);
  CHECK(b.last_rerun.mode == "failed");
  CHECK(call(b, "POST", "/api/v1/instances/01/rerun", R"({"mode": "nodes", "nodes": ["a", "b"]})")
          .status
        == 200);
  CHECK(b.last_rerun.mode == "nodes");
  CHECK(b.last_rerun.options.nodes == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(b.last_rerun.options.downstream);
  // nodes and from_node imply mode nodes; skip goes with any mode.
  CHECK(call(b, "POST", "/api/v1/instances/01/rerun",
             R"({"nodes": ["a"], "upstream": true, "downstream": true, "skip": ["c"]})")
          .status
        == 200);
  CHECK(b.last_rerun.mode == "nodes");
  CHECK(b.last_rerun.options.upstream);
  CHECK(b.last_rerun.options.downstream);
  CHECK(b.last_rerun.options.skip == std::vector<std::string>{"c"});
  CHECK(call(b, "POST", "/api/v1/instances/01/rerun", R"({"from_node": "b"})").status == 200);
  CHECK(b.last_rerun.mode == "nodes");
  CHECK(b.last_rerun.options.from_node == "b");
  CHECK(call(b, "POST", "/api/v1/instances/01/rerun", R"({"mode": "failed", "skip": ["c"]})")
          .status
        == 200);
  CHECK(b.last_rerun.mode == "failed");
  CHECK(b.last_rerun.options.skip == std::vector<std::string>{"c"});
}

TEST_CASE("rerun rejects bad bodies naming the field") {
  fake_backend b;
  auto rerun = [&](const std::string& body) {
    return call(b, "POST", "/api/v1/instances/01/rerun", body);
  };
  check_error(rerun("{mode: all}"), 400, "not valid JSON");
  check_error(rerun("[]"), 400, "JSON object");
  check_error(rerun(R"({"mode": "some"})"), 400, "field 'mode'");
  check_error(rerun(R"({"mode": 1})"), 400, "field 'mode'");
  check_error(rerun(R"({"mode": "nodes"})"), 400, "field 'nodes' (or 'from_node') is required");
  check_error(rerun(R"({"mode": "nodes", "nodes": []})"), 400,
              "field 'nodes' (or 'from_node') is required");
  check_error(rerun(R"({"mode": "nodes", "nodes": "a"})"), 400, "field 'nodes' must be an array");
  check_error(rerun(R"({"mode": "nodes", "nodes": ["a", 1]})"), 400, "field 'nodes'");
  check_error(rerun(R"({"mode": "nodes", "nodes": [""]})"), 400, "field 'nodes'");
  check_error(rerun(R"({"mode": "all", "nodes": ["a"]})"), 400,
              "fields 'nodes' and 'from_node' are only allowed");
  check_error(rerun(R"({"mode": "failed", "from_node": "a"})"), 400,
              "fields 'nodes' and 'from_node' are only allowed");
  check_error(rerun(R"({"nodes": ["a"], "upstream": 1})"), 400, "field 'upstream'");
  check_error(rerun(R"({"from_node": 3})"), 400, "field 'from_node'");
  check_error(rerun(R"({"skip": "a"})"), 400, "field 'skip' must be an array");
  check_error(rerun(R"({"mode": "all", "node": ["a"]})"), 400, "unknown field 'node'");
  CHECK(b.last_rerun_id.empty());
}

TEST_CASE("run and trigger take run options") {
  fake_backend b;
  CHECK(call(b, "POST", "/api/v1/workflows/w/run",
             R"({"nodes": ["a", "b"], "downstream": true, "skip": ["c"]})")
          .status
        == 201);
  CHECK(b.last_start.options.nodes == std::vector<std::string>{"a", "b"});
  CHECK(b.last_start.options.downstream);
  CHECK(b.last_start.options.skip == std::vector<std::string>{"c"});
  CHECK(call(b, "POST", "/api/v1/workflows/w/run", R"({"from_node": "b"})").status == 201);
  CHECK(b.last_start.options.from_node == "b");
  CHECK(call(b, "POST", "/api/v1/workflows/w/trigger", R"({"skip": ["c"]})").status == 201);
  CHECK(b.last_start.trigger == "trigger");
  CHECK(b.last_start.options.skip == std::vector<std::string>{"c"});
  check_error(call(b, "POST", "/api/v1/workflows/w/trigger", R"({"nodes": ["a"]})"), 400,
              "unknown field 'nodes'");
  check_error(call(b, "POST", "/api/v1/workflows/w/run", R"({"nodes": [1]})"), 400,
              "field 'nodes' must be an array of node names");
}

TEST_CASE("mark a node succeeded or failed") {
  fake_backend b;
  auto r = call(b, "POST", "/api/v1/instances/01/nodes/load/mark",
                R"({"status": "succeeded", "reason": "by hand", "by": "ann"})");
  CHECK(r.status == 200);
  CHECK(body_of(r) == json{{"instance_id", "01"}, {"node", "load"}, {"status", "succeeded"}});
  CHECK(b.last_mark.node == "load");
  CHECK(b.last_mark.status == "succeeded");
  CHECK(b.last_mark.reason == "by hand");
  CHECK(b.last_mark.by == "ann");
  CHECK(call(b, "POST", "/api/v1/instances/01/nodes/load/mark", R"({"status": "failed"})").status
        == 200);
  CHECK(b.last_mark.status == "failed");
  CHECK(b.last_mark.reason.empty());
  auto mark = [&](const std::string& body) {
    return call(b, "POST", "/api/v1/instances/01/nodes/load/mark", body);
  };
  check_error(mark(""), 400, "field 'status': expected \"succeeded\" or \"failed\", got nothing");
  check_error(mark(R"({"status": "done"})"), 400, "got \"done\"");
  check_error(mark(R"({"status": "failed", "reason": 5})"), 400, "field 'reason'");
  check_error(mark(R"({"status": "failed", "why": "x"})"), 400, "unknown field 'why'");
  check_error(call(b, "POST", "/api/v1/instances/zz/nodes/load/mark", R"({"status": "failed"})"),
              404, "no instance");
  check_error(call(b, "POST", "/api/v1/instances/01/nodes/pending/mark",
                   R"({"status": "failed"})"),
              409, "is pending");
  check_error(call(b, "GET", "/api/v1/instances/01/nodes/load/mark"), 405, "use POST");
}

TEST_CASE("rerun maps unknown instances to 404 and conflicts to 409") {
  fake_backend b;
  check_error(call(b, "POST", "/api/v1/instances/zz/rerun"), 404, "no instance with id 'zz'");
  check_error(call(b, "POST", "/api/v1/instances/busy/rerun", R"({"mode": "all"})"), 409,
              "is running");
  auto wrong = call(b, "GET", "/api/v1/instances/01/rerun");
  check_error(wrong, 405, "use POST");
  REQUIRE(wrong.headers.size() == 1);
  CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "POST"});
}

TEST_CASE("instances by trigger with their origin and parent") {
  fake_backend b;
  auto list = call(b, "GET", "/api/v1/instances?trigger=cron");
  CHECK(list.status == 200);
  CHECK(b.last_filter.trigger == "cron");
  auto i = body_of(list)["instances"][0];
  CHECK(i["trigger"] == "rerun");
  CHECK(i["origin"] == "cron");
  CHECK(i["parent_id"] == "00");
  call(b, "GET", "/api/v1/instances");
  CHECK(b.last_filter.trigger.empty());
  check_error(call(b, "GET", "/api/v1/instances?trigger=crn"), 400,
              "query parameter 'trigger': unknown trigger 'crn'");
  // Without an origin of its own an instance came from its trigger.
  auto one = body_of(call(b, "GET", "/api/v1/instances/01"));
  CHECK(one["origin"] == "manual");
  CHECK(one["parent_id"].is_null());
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
  CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "GET, POST"});
  check(call(b, "GET", "/api/v1/workflows/w/run"), 405, "use POST");
}

TEST_CASE("dependencies of an instance and of a workflow at a logical time") {
  fake_backend b;
  auto inst = call(b, "GET", "/api/v1/instances/01/dependencies");
  CHECK(inst.status == 200);
  CHECK(b.last_dependencies == "01");
  auto body = body_of(inst);
  CHECK(body["state"] == "waiting");
  CHECK(body["instance_id"] == "01");
  CHECK(body["parts"][0]["part"] == "depend-list");
  CHECK(body["message"].get<std::string>().find("A (cycle day, window today)") != std::string::npos);
  CHECK(call(b, "GET", "/api/v1/instances/zz/dependencies").status == 404);
  CHECK(call(b, "POST", "/api/v1/instances/01/dependencies").status == 405);
  auto wf = call(b, "GET", "/api/v1/workflows/B/dependencies?logical_time=2026-07-28%2004:10:00");
  CHECK(wf.status == 200);
  CHECK(b.last_dependencies == "B@1785211800000");
  CHECK(body_of(wf)["instance_id"].is_null());
  CHECK(body_of(wf)["state"] == "holds");
  call(b, "GET", "/api/v1/workflows/B/dependencies");
  CHECK(b.last_dependencies == "B@0"); // the next fire
  call(b, "GET", "/api/v1/workflows/B/dependencies?logical_time=1785211800000");
  CHECK(b.last_dependencies == "B@1785211800000");
  auto bad = call(b, "GET", "/api/v1/workflows/B/dependencies?logical_time=tomorrow");
  CHECK(bad.status == 400);
  CHECK(body_of(bad)["error"].get<std::string>().find("'logical_time'") != std::string::npos);
  CHECK(call(b, "GET", "/api/v1/workflows/B/dependencies?at=1").status == 400);
  CHECK(call(b, "GET", "/api/v1/workflows/X/dependencies").status == 404);
}

TEST_CASE("DELETE an instance deletes an ended one and refuses a running one") {
  fake_backend b;
  auto deleted = call(b, "DELETE", "/api/v1/instances/01");
  CHECK(deleted.status == 200);
  CHECK(body_of(deleted) == json{{"instance_id", "01"}, {"deleted", true}});
  CHECK(b.last_deleted == "01");
  auto busy = call(b, "DELETE", "/api/v1/instances/busy");
  CHECK(busy.status == 409);
  CHECK(body_of(busy)["error"].get<std::string>().find("is running") != std::string::npos);
  CHECK(call(b, "DELETE", "/api/v1/instances/zz").status == 404);
  CHECK(call(b, "DELETE", "/api/v1/instances/..%2Fx").status == 400);
  auto put = call(b, "PUT", "/api/v1/instances/01");
  CHECK(put.status == 405);
}

TEST_CASE("kill and logs and the cluster view") {
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

TEST_CASE("cluster with a master: its view plus the epoch of the lease and the masters by role") {
  fake_backend b;
  auto r = call(b, "GET", "/api/v1/cluster");
  CAPTURE(r.body);
  REQUIRE(r.status == 200);
  auto c = body_of(r);
  // What the master answers stays as it was.
  CHECK(c["cluster"] == "c");
  CHECK(c["master"]["address"] == "127.0.0.1:1");
  CHECK(c["master"]["epoch"] == 6);
  CHECK(c["workers"].size() == 1);
  CHECK(c["slots"]["total"] == 4);
  CHECK(c["master_reachable"] == true);
  CHECK(c["master_error"].is_null());
  CHECK(c["epoch"] == 7);
  CHECK(c["lease"] == json{{"holder", "127.0.0.1:1"}, {"expires_at", "2026-01-01T00:01:00.000Z"}});
  REQUIRE(c["masters"].size() == 2);
  CHECK(c["masters"][0] == json{{"address", "127.0.0.1:1"},
                                {"role", "active"},
                                {"pid", 41},
                                {"host", "alpha"},
                                {"started_at", "2026-01-01T00:00:00.000Z"},
                                {"seen_at", "2026-01-01T00:00:55.000Z"},
                                {"lease_expires_at", "2026-01-01T00:01:00.000Z"}});
  CHECK(c["masters"][1]["address"] == "127.0.0.1:9");
  CHECK(c["masters"][1]["role"] == "standby");
  CHECK(c["masters"][1]["lease_expires_at"].is_null());
}

TEST_CASE("cluster with a master but no store: the master's epoch and itself as the one master") {
  fake_backend b;
  b.store_readable = false;
  auto r = call(b, "GET", "/api/v1/cluster");
  CAPTURE(r.body);
  REQUIRE(r.status == 200);
  auto c = body_of(r);
  CHECK(c["master_reachable"] == true);
  CHECK(c["epoch"] == 6);
  CHECK(c["lease"].is_null());
  REQUIRE(c["masters"].size() == 1);
  CHECK(c["masters"][0] == json{{"address", "127.0.0.1:1"},
                                {"role", "active"},
                                {"pid", 41},
                                {"host", nullptr},
                                {"started_at", "2026-01-01T00:00:00.000Z"},
                                {"seen_at", nullptr},
                                {"lease_expires_at", nullptr}});
}

TEST_CASE("cluster without a master: 200 from the store with the masters and no master view") {
  fake_backend b;
  b.master_up = false;
  auto r = call(b, "GET", "/api/v1/cluster");
  CAPTURE(r.body);
  REQUIRE(r.status == 200);
  auto c = body_of(r);
  CHECK(c["cluster"] == "c");
  CHECK(c["master_reachable"] == false);
  CHECK(c["master_error"] == "the master is not reachable");
  CHECK(c["master"].is_null());
  CHECK(c["store"].is_null());
  CHECK(c["workers"] == json::array());
  for (auto key : {"slots", "attempts", "instances", "workflows"}) {
    CAPTURE(key);
    REQUIRE(c.contains(key));
    CHECK(c[key].is_null());
  }
  CHECK(c["epoch"] == 7);
  CHECK(c["lease"]["holder"] == "127.0.0.1:1");
  REQUIRE(c["masters"].size() == 2);
  CHECK(c["masters"][0]["role"] == "active");
  CHECK(c["masters"][1]["role"] == "standby");
  CHECK(c["masters"][1]["host"] == "beta");
  // Both answers have the same keys, in the same order.
  fake_backend up;
  auto up_body = nlohmann::ordered_json::parse(call(up, "GET", "/api/v1/cluster").body);
  auto down_body = nlohmann::ordered_json::parse(r.body);
  std::vector<std::string> with_master, without;
  for (auto& [key, value] : up_body.items())
    with_master.push_back(key);
  for (auto& [key, value] : down_body.items())
    without.push_back(key);
  CHECK(with_master.size() == 16);
  CHECK(with_master == without);
  // Health and readiness still say the master is gone.
  CHECK(call(b, "GET", "/api/v1/health").status == 503);
  CHECK(call(b, "GET", "/api/v1/ready").status == 503);
}

TEST_CASE("cluster with neither master nor store: 503 naming both") {
  fake_backend b;
  b.master_up = false;
  b.store_readable = false;
  auto r = call(b, "GET", "/api/v1/cluster");
  check_error(r, 503, "the master is not reachable");
  check_error(r, 503, "database is locked");
}

TEST_CASE("the cluster view: the unexpired lease holder is active and every other master standby") {
  std::vector<master_node_record> nodes{
    master_node_record{"10.0.0.2:2751", "standby", 12, "b", 1000, 5000},
    master_node_record{"10.0.0.1:2751", "active", 11, "a", 900, 5100}};
  lease_record lease{"10.0.0.1:2751", 4, 9000};
  auto v = make_cluster_view(lease, nodes, 8000);
  CHECK(v.epoch == 4);
  CHECK(v.lease_holder == "10.0.0.1:2751");
  CHECK(v.lease_expires_at == 9000);
  REQUIRE(v.masters.size() == 2);
  // By address, whatever order the rows come in.
  CHECK(v.masters[0].address == "10.0.0.1:2751");
  CHECK(v.masters[0].role == "active");
  CHECK(v.masters[0].pid == 11);
  CHECK(v.masters[0].host == "a");
  CHECK(v.masters[0].started_at == 900);
  CHECK(v.masters[0].seen_at == 5100);
  CHECK(v.masters[0].lease_expires_at == 9000);
  CHECK(v.masters[1].address == "10.0.0.2:2751");
  CHECK(v.masters[1].role == "standby");
  CHECK(v.masters[1].lease_expires_at == 0);

  SUBCASE("an expired lease makes nobody active whatever the rows say") {
    auto expired = make_cluster_view(lease, nodes, 9000);
    REQUIRE(expired.masters.size() == 2);
    CHECK(expired.masters[0].role == "standby");
    CHECK(expired.masters[0].lease_expires_at == 0);
    CHECK(expired.masters[1].role == "standby");
    CHECK(expired.lease_holder == "10.0.0.1:2751");
  }
  SUBCASE("a holder without a row is listed") {
    lease_record other{"10.0.0.3:2751", 5, 9000};
    auto v3 = make_cluster_view(other, nodes, 8000);
    REQUIRE(v3.masters.size() == 3);
    CHECK(v3.masters[0].role == "standby");
    CHECK(v3.masters[1].role == "standby");
    CHECK(v3.masters[2].address == "10.0.0.3:2751");
    CHECK(v3.masters[2].role == "active");
    CHECK(v3.masters[2].pid == 0);
    CHECK(v3.masters[2].lease_expires_at == 9000);
  }
  SUBCASE("no lease yet: the rows alone and all standby") {
    auto none = make_cluster_view(lease_record{}, nodes, 8000);
    CHECK(none.epoch == 0);
    REQUIRE(none.masters.size() == 2);
    CHECK(none.masters[0].role == "standby");
    CHECK(none.masters[1].role == "standby");
    CHECK(make_cluster_view(lease_record{}, {}, 8000).masters.empty());
  }
}

TEST_CASE("error codes map to HTTP statuses") {
  CHECK(http_status(ec::unknown_workflow) == 404);
  CHECK(http_status(ec::invalid_request) == 400);
  CHECK(http_status(ec::conflict) == 409);
  CHECK(http_status(ec::master_unreachable) == 503);
  CHECK(http_status(ec::timeout) == 503);
  CHECK(http_status(ec::unspecified) == 500);
}

TEST_CASE("ready: 200 when the master answers with a store and no recovery or else 503 and why") {
  fake_backend b;
  auto ok = call(b, "GET", "/api/v1/ready");
  CHECK(ok.status == 200);
  CHECK(ok.content_type == "application/json");
  CHECK(body_of(ok) == json{{"ready", true}});
  auto not_ready = [&](const std::string& fragment) {
    auto r = call(b, "GET", "/api/v1/ready");
    CAPTURE(r.body);
    CHECK(r.status == 503);
    auto j = body_of(r);
    CHECK(j["ready"] == false);
    CHECK(j["error"].get<std::string>().find(fragment) != std::string::npos);
  };
  b.recovering = true;
  not_ready("recovering");
  b.recovering = false;
  b.store_available = false;
  not_ready("the store is unavailable: db:3306: connection refused");
  b.store_available = true;
  b.paused = true;
  not_ready("42 writes wait for the store");
  b.paused = false;
  b.master_up = false;
  not_ready("the master is not reachable");
  // Liveness stays what it was.
  b.master_up = true;
  b.recovering = true;
  CHECK(call(b, "GET", "/api/v1/health").status == 200);
  auto wrong = call(b, "POST", "/api/v1/ready");
  check_error(wrong, 405, "use GET");
  REQUIRE(wrong.headers.size() == 1);
  CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "GET"});
}

namespace {

/// The names of a workflow listing.
std::vector<std::string> names_of(const http_response& r) {
  std::vector<std::string> names;
  auto body = body_of(r);
  for (const auto& w : body["workflows"])
    names.push_back(w["name"].get<std::string>());
  return names;
}

} // namespace

TEST_CASE("workflows filter by dir exactly and by a part of the name and by status") {
  fake_backend b;
  using names = std::vector<std::string>;
  CHECK(names_of(call(b, "GET", "/api/v1/workflows")) == names{"w"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=active")) == names{"w"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=")) == names{"w"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=removed")) == names{"old_etl"});
  auto removed = body_of(call(b, "GET", "/api/v1/workflows?status=removed"))["workflows"][0];
  CHECK(removed["status"] == "removed");
  CHECK(removed["version"] == 4);
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=all")) == names{"w", "daily_ETL", "old_etl"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=all&dir=/etl")) == names{"daily_ETL", "old_etl"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=all&dir=%2Fetl%2F")).empty());
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=all&name=etl")) == names{"daily_ETL", "old_etl"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?status=all&name=Y_e")) == names{"daily_ETL"});
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?name=etl")).empty()); // active only
  CHECK(names_of(call(b, "GET", "/api/v1/workflows?dir=/&name=W")) == names{"w"});
  check_error(call(b, "GET", "/api/v1/workflows?status=deleted"), 400,
              "query parameter 'status': unknown status 'deleted' (expected active, removed or all)");
  check_error(call(b, "GET", "/api/v1/workflows?folder=/etl"), 400,
              "unknown query parameter 'folder' (expected dir, name, status, limit, offset or detail)");
  check_error(call(b, "GET", "/api/v1/workflows?stat%00us=x"), 400, "'stat\\x00us'");
}

TEST_CASE("filter_workflows keeps the order and every field") {
  std::vector<workflow_record> list{
    workflow_record{"b", "/x", "", "", "/f/b.xml", "h", 1, 0, 1, "active"},
    workflow_record{"ab", "/x", "", "", "/f/ab.xml", "h", 1, 0, 1, "removed"},
    workflow_record{"c", "/y", "", "", "/f/c.xml", "h", 1, 0, 1, "active"}};
  workflow_filter all_x;
  all_x.dir = "/x";
  all_x.status = "all";
  auto found = filter_workflows(list, all_x);
  REQUIRE(found.size() == 2);
  CHECK(found[0].name == "b");
  CHECK(found[1].name == "ab");
  CHECK(found[1].file == "/f/ab.xml");
  workflow_filter active_b;
  active_b.name = "B";
  CHECK(filter_workflows(list, active_b).size() == 1);
}

TEST_CASE("instances by a range of logical times") {
  fake_backend b;
  CHECK(call(b, "GET", "/api/v1/instances?from=2026-01-01T00:00:00Z&to=2026-01-02%2000:00:00")
          .status
        == 200);
  CHECK(b.last_filter.from == 1767225600000);
  CHECK(b.last_filter.to == 1767312000000);
  CHECK(call(b, "GET", "/api/v1/instances?from=1767225600123").status == 200);
  CHECK(b.last_filter.from == 1767225600123);
  CHECK(b.last_filter.to == 0);
  CHECK(call(b, "GET", "/api/v1/instances?to=2026-01-01T00:00:00.250Z").status == 200);
  CHECK(b.last_filter.from == 0);
  CHECK(b.last_filter.to == 1767225600250);
  CHECK(call(b, "GET", "/api/v1/instances?from=1000&to=1000").status == 200);
  CHECK(call(b, "GET", "/api/v1/instances?from=&to=").status == 200);
  CHECK(b.last_filter.from == 0);
  CHECK(b.last_filter.to == 0);
  for (auto bad : {"yesterday", "2026-13-01T00:00:00Z", "-5", "1.5", "99999999999999999999"}) {
    CAPTURE(bad);
    check_error(call(b, "GET", std::string("/api/v1/instances?from=") + bad), 400,
                std::string("query parameter 'from': '") + bad + "' is not a time");
  }
  check_error(call(b, "GET", "/api/v1/instances?to=soon"), 400, "query parameter 'to': 'soon'");
  check_error(call(b, "GET", "/api/v1/instances?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"),
              400, "'from' (2026-01-02T00:00:00.000Z) is after 'to' (2026-01-01T00:00:00.000Z)");
}

TEST_CASE("instances page with limit and offset and say where the next page starts") {
  fake_backend b;
  b.stored_instances = 5;
  auto first = body_of(call(b, "GET", "/api/v1/instances?limit=2"));
  CHECK(first["instances"].size() == 2);
  CHECK(first["next_offset"] == 2);
  auto middle = body_of(call(b, "GET", "/api/v1/instances?limit=2&offset=2"));
  CHECK(middle["instances"].size() == 2);
  CHECK(middle["instances"][0]["id"] == "i2");
  CHECK(middle["next_offset"] == 4);
  auto last = body_of(call(b, "GET", "/api/v1/instances?limit=2&offset=4"));
  CHECK(last["instances"].size() == 1);
  CHECK(last["next_offset"].is_null());
  // A page that ends exactly at the last instance is the last page.
  auto exact = body_of(call(b, "GET", "/api/v1/instances?limit=5"));
  CHECK(exact["instances"].size() == 5);
  CHECK(exact["next_offset"].is_null());
  auto beyond = body_of(call(b, "GET", "/api/v1/instances?offset=100"));
  CHECK(beyond["instances"].empty());
  CHECK(beyond["next_offset"].is_null());
  CHECK(call(b, "GET", "/api/v1/instances?limit=10000").status == 200);
  check_error(call(b, "GET", "/api/v1/instances?limit=10001"), 400,
              "query parameter 'limit': expected a number between 1 and 10000, got '10001'");
  check_error(call(b, "GET", "/api/v1/instances?offset=-1"), 400, "query parameter 'offset'");
  check_error(call(b, "GET", "/api/v1/instances?offset=99999999999"), 400,
              "query parameter 'offset'");
}

TEST_CASE("workflow detail with its nodes and edges and stored versions") {
  fake_backend b;
  auto j = body_of(call(b, "GET", "/api/v1/workflows/w"));
  REQUIRE(j["nodes"].size() == 4);
  CHECK(j["nodes"][0] == json{{"name", "s"}, {"kind", "start"}, {"action_type", nullptr},
                              {"desc", ""}});
  CHECK(j["nodes"][1] == json{{"name", "a"}, {"kind", "action"}, {"action_type", "shell"},
                              {"desc", "load it"}});
  REQUIRE(j["edges"].size() == 4);
  CHECK(j["edges"][0] == json{{"from", "s"}, {"to", "a"}, {"label", "next"}});
  CHECK(j["edges"][2] == json{{"from", "d"}, {"to", "e"}, {"label", "case"},
                              {"condition", "${param:x} == 1"}});
  CHECK(j["edges"][3] == json{{"from", "d"}, {"to", "a"}, {"label", "default"}});
  REQUIRE(j["versions"].size() == 2);
  CHECK(j["versions"][0] == json{{"version", 1}, {"hash", "h1"}, {"file", "/x/old.xml"},
                                 {"loaded_at", "1970-01-01T00:00:01.000Z"}});
  CHECK(j["versions"][1]["version"] == 2);
  CHECK_FALSE(j.contains("versions_error"));
  // Without the store the rest still answers.
  b.versions_error = "the store is unavailable";
  auto without = body_of(call(b, "GET", "/api/v1/workflows/w"));
  CHECK(without["versions"].is_null());
  CHECK(without["versions_error"] == "the store is unavailable");
  CHECK(without["nodes"].size() == 4);
}

TEST_CASE("the log endpoint refuses paths out of the task log directory before asking anyone") {
  fake_backend b;
  auto refused = [&](const std::string& target, const std::string& fragment) {
    CAPTURE(target);
    check_error(call(b, "GET", target), 400, fragment);
  };
  refused("/api/v1/instances/01/nodes/..%2F..%2Fetc%2Fpasswd/log",
          "node name '../../etc/passwd' is not valid: it contains '/'");
  refused("/api/v1/instances/01/nodes/%2e%2e/log", "node name '..' is not valid: it is '..'");
  refused("/api/v1/instances/01/nodes/%2E/log", "node name '.' is not valid");
  refused("/api/v1/instances/01/nodes/a%5Cb/log", "it contains '\\'");
  refused("/api/v1/instances/01/nodes/a%00b/log", "node name 'a\\x00b' is not valid: it contains a "
                                                  "control character");
  refused("/api/v1/instances/01/nodes/a%0Ab/log", "control character");
  refused("/api/v1/instances/01/nodes/" + std::string(201, 'n') + "/log",
          "is longer than 200 bytes");
  refused("/api/v1/instances/..%2F..%2Fetc/nodes/a/log",
          "instance id '../../etc' is not valid: it contains '/'");
  refused("/api/v1/instances/%2e%2e/nodes/a/log", "instance id '..' is not valid");
  refused("/api/v1/instances/01/nodes/a/log?attempt=99999999999", "query parameter 'attempt'");
  CHECK(b.last_log.empty());
  // Instance ids are checked on every instance route.
  refused("/api/v1/instances/..%2Fx", "instance id '../x'");
  refused("/api/v1/instances/..%2Fx/kill", "instance id '../x'");
  refused("/api/v1/instances/a%00/rerun", "instance id 'a\\x00'");
  // A plain odd name is asked for (and the backend decides).
  CHECK(call(b, "GET", "/api/v1/instances/01/nodes/a..b/log").status == 200);
  CHECK(b.last_log == "01/a..b#0@0");
  CHECK(call(b, "GET", "/api/v1/instances/01/nodes/" + std::string(200, 'n') + "/log").status
        == 200);
}

TEST_CASE("malformed %-escapes are 400s, not 500s") {
  fake_backend b;
  for (const auto& target : {"/api/v1/workflows/%zz", "/api/v1/workflows/a%",
                             "/api/v1/instances?workflow=%e", "/api/v1/workflows?name=%G1"}) {
    CAPTURE(target);
    auto r = call(b, "GET", target);
    CHECK(r.status == 400);
    CHECK(body_of(r)["error"].get<std::string>().find("malformed percent-encoding")
          != std::string::npos);
  }
}

TEST_CASE("a JSON body nested deeper than the limit is a 400 naming it") {
  fake_backend b;
  // {"mode": [[...]]} balanced: the message printed the value recursively
  // and overflowed the stack before the limit.
  auto deep = std::string(70000, '[') + std::string(70000, ']');
  for (const auto& body : {std::string(70000, '['), "{\"params\":" + std::string(65, '[') + "}",
                           "{\"mode\":" + std::string(70000, '{'), "{\"mode\":" + deep + "}"}) {
    auto r = call(b, "POST", "/api/v1/workflows/w/run", body);
    CHECK(r.status == 400);
    CHECK(body_of(r)["error"] == "request body nests arrays and objects deeper than 64 levels");
    r = call(b, "POST", "/api/v1/instances/01/rerun", body);
    CHECK(r.status == 400);
  }
  // 64 levels are fine as far as nesting goes (then the field is wrong).
  auto r = call(b, "POST", "/api/v1/workflows/w/run",
                "{\"params\":" + std::string(63, '[') + std::string(63, ']') + "}");
  CHECK(r.status == 400);
  CHECK(body_of(r)["error"] == "field 'params' must be an object of strings");
  // Brackets inside strings do not count.
  r = call(b, "POST", "/api/v1/workflows/w/run",
           "{\"params\":{\"a\":\"" + std::string(1000, '[') + "\\\"\"}}");
  CHECK(r.status == 201);
}

TEST_CASE("names that are not UTF-8 are escaped, and the answer is JSON") {
  fake_backend b;
  b.odd_name = "w\xfe";
  auto r = call(b, "GET", "/api/v1/workflows");
  REQUIRE(r.status == 200);
  auto list = body_of(r);
  CHECK(list["workflows"][0]["name"] == "w\\xfe");
  CHECK(list["workflows"][0]["file"] == "/x/w\\xfe.xml");
}

namespace {

/// Answers backfills from a plan-free fake: the request as it arrived.
class backfill_backend : public fake_backend {
public:
  backfill_request last_backfill;
  std::string last_cancel;

  expected<backfill_record> create_backfill(const backfill_request& r) override {
    last_backfill = r;
    if (r.workflow == "nope")
      return make_error(ec::unknown_workflow, "no workflow named 'nope' is loaded");
    backfill_record b;
    b.id = r.dry_run ? "" : "bf1";
    b.workflow = r.workflow;
    b.options = r.options;
    b.state = r.dry_run ? "planned" : "running";
    backfill_item_record item;
    item.workflow = r.workflow;
    item.logical_time = 1767225600000;
    b.items = {item};
    b.counts = {{"planned", 1}};
    return b;
  }
  expected<backfill_record> backfill(const std::string& id) override {
    if (id != "bf1")
      return make_error(ec::unknown_instance, "no backfill with id '" + id + "'");
    backfill_record b;
    b.id = id;
    b.workflow = "w";
    b.options = "{}";
    b.state = "running";
    backfill_item_record done, running, waiting;
    done.instance_id = "i1";
    done.state = "started";
    done.instance_status = "succeeded";
    running.instance_id = "i2";
    running.state = "started";
    running.instance_status = "running";
    b.items = {done, running, waiting};
    b.counts = {{"succeeded", 1}, {"running", 1}, {"planned", 1}};
    return b;
  }
  expected<backfill_record> cancel_backfill(const std::string& id) override {
    last_cancel = id;
    auto b = backfill(id);
    if (b)
      b->state = "cancelled";
    return b;
  }
};

} // namespace

TEST_CASE("backfills: a body becomes options, dry run 200, created 201") {
  backfill_backend b;
  auto r = call(b, "POST", "/api/v1/backfills",
                R"({"workflow": "w", "from": "2026-01-01 00:00:00", "to": 1767830400000,
                    "parallel": 3, "order": "desc", "downstream": "all", "rerun": "failed",
                    "params": {"k": "v"}, "created_by": "ops"})");
  CHECK(r.status == 201);
  CHECK(body_of(r)["id"] == "bf1");
  CHECK(body_of(r)["progress"]["waiting"] == 1);
  CHECK(body_of(r)["items"][0]["state"] == "planned");
  CHECK(b.last_backfill.workflow == "w");
  CHECK(b.last_backfill.created_by == "ops");
  CHECK_FALSE(b.last_backfill.dry_run);
  auto o = json::parse(b.last_backfill.options);
  CHECK(o["from"] == "2026-01-01T00:00:00.000Z");
  CHECK(o["to"] == "2026-01-08T00:00:00.000Z");
  CHECK(o["parallel"] == 3);
  CHECK(o["order"] == "desc");
  CHECK(o["downstream"] == "all");
  CHECK(o["rerun"] == "failed");
  CHECK(o["params"]["k"] == "v");
  auto dry = call(b, "POST", "/api/v1/backfills",
                  R"({"workflow": "w", "dates": ["2026-01-03 00:00:00"], "dry_run": true})");
  CHECK(dry.status == 200);
  CHECK(body_of(dry)["id"].is_null());
  CHECK(json::parse(b.last_backfill.options)["dates"].size() == 1);
}

TEST_CASE("backfills: bad bodies are 400 naming the field") {
  backfill_backend b;
  struct row {
    const char* body;
    const char* names;
  };
  for (const auto& r : {
         row{R"({"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"})", "'workflow'"},
         row{R"({"workflow": "nope", "dates": ["2026-01-01 00:00:00"]})", "field 'workflow'"},
         row{R"({"workflow": "w", "from": "2026-01-07 00:00:00", "to": "2026-01-01 00:00:00"})",
             "'from'"},
         row{R"({"workflow": "w", "from": "soon", "to": "2026-01-01 00:00:00"})", "'from'"},
         row{R"({"workflow": "w", "from": "2026-01-01 00:00:00"})", "'to'"},
         row{R"({"workflow": "w", "dates": []})", "'dates'"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "parallel": 0})",
             "'parallel'"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "order": "up"})", "'order'"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "downstream": 2})",
             "'downstream'"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "rerun": "some"})", "'rerun'"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "dry_run": "yes"})",
             "'dry_run'"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "from": "2026-01-01 00:00:00",
                 "to": "2026-01-02 00:00:00"})",
             "not both"},
         row{R"({"workflow": "w", "dates": ["2026-01-01 00:00:00"], "colour": 1})", "'colour'"}}) {
    CAPTURE(r.body);
    check_error(call(b, "POST", "/api/v1/backfills", r.body), 400, r.names);
  }
}

TEST_CASE("backfills: show with progress, cancel, 404 and methods") {
  backfill_backend b;
  auto r = call(b, "GET", "/api/v1/backfills/bf1");
  CHECK(r.status == 200);
  auto p = body_of(r)["progress"];
  CHECK(p["planned"] == 3);
  CHECK(p["done"] == 1);
  CHECK(p["running"] == 1);
  CHECK(p["waiting"] == 1);
  CHECK(body_of(r)["items"][1]["state"] == "running");
  CHECK(body_of(r)["items"][1]["instance_id"] == "i2");
  CHECK(call(b, "GET", "/api/v1/backfills/zz").status == 404);
  auto c = call(b, "DELETE", "/api/v1/backfills/bf1");
  CHECK(c.status == 200);
  CHECK(b.last_cancel == "bf1");
  CHECK(body_of(c)["state"] == "cancelled");
  CHECK(call(b, "PUT", "/api/v1/backfills").status == 405);
  CHECK(call(b, "POST", "/api/v1/backfills/bf1").status == 405);
  check_error(call(b, "GET", "/api/v1/backfills?state=odd"), 400, "'state'");
}

/// Records what a streamed response writes.
struct recording_sink : http_sink {
  std::string written;
  bool closed = false;
  bool write(std::string bytes) override {
    written += bytes;
    return !closed;
  }
  void close() override { closed = true; }
  bool open() const override { return !closed; }
};

TEST_CASE("GET /instances/{id}/events streams server-sent events of a known instance") {
  fake_backend b;
  auto r = call(b, "GET", "/api/v1/instances/01/events");
  CHECK(r.status == 200);
  CHECK(r.content_type.rfind("text/event-stream", 0) == 0);
  REQUIRE(r.stream);
  CHECK(b.followed.empty()); // nothing is followed before the head is out
  auto sink = std::make_shared<recording_sink>();
  r.stream(sink);
  CHECK(b.followed == std::vector<std::string>{"01"});
  CHECK(b.followed_with_nodes == std::vector<bool>{true});
  CHECK(sink->written.find("retry: 1000\n\n") == 0);
  CHECK(sink->written.find("event: instance\ndata: {\"id\":\"01\"}\n\n") != std::string::npos);
  CHECK(sink->closed);

  check_error(call(b, "GET", "/api/v1/instances/nope/events"), 404, "no instance with id 'nope'");

  // nodes=false: the instance's row only (what `cafflow instance wait` follows).
  call(b, "GET", "/api/v1/instances/01/events?nodes=false").stream(
    std::make_shared<recording_sink>());
  CHECK(b.followed_with_nodes == std::vector<bool>{true, false});
  call(b, "GET", "/api/v1/instances/01/events?nodes=0").stream(std::make_shared<recording_sink>());
  CHECK(b.followed_with_nodes == std::vector<bool>{true, false, false});
  check_error(call(b, "GET", "/api/v1/instances/01/events?nodes=no"), 400,
              "query parameter 'nodes': expected true or false, got 'no'");
  check_error(call(b, "GET", "/api/v1/instances/01/events?node=false"), 400,
              "unknown query parameter 'node' (expected nodes)");
  check_error(call(b, "POST", "/api/v1/instances/01/events"), 405, "use GET");
  check_error(call(b, "GET", "/api/v1/instances/..%2Fx/events"), 400, "is not valid");

  // Following fails (no master): an error event, then the end.
  b.follow_fails = true;
  auto failing = call(b, "GET", "/api/v1/instances/01/events");
  auto sink2 = std::make_shared<recording_sink>();
  failing.stream(sink2);
  CHECK(sink2->written.find("event: error\ndata: {\"error\":\"the master is not reachable\"}")
        != std::string::npos);
  CHECK(sink2->closed);
}

TEST_CASE("sse_event puts every line of the data on a data: line") {
  CHECK(sse_event("", "x") == "data: x\n\n");
  CHECK(sse_event("e", "a\nb\r\nc", "7") == "id: 7\nevent: e\ndata: a\ndata: b\ndata: c\n\n");
  // A blank line in the data cannot end the event early.
  CHECK(sse_event("e", "a\n\nb").find("\n\n") == sse_event("e", "a\n\nb").size() - 2);
}

TEST_CASE("GET /workflows pages with limit and offset - detail adds runs and the coordinator") {
  fake_backend b;
  auto all = body_of(call(b, "GET", "/api/v1/workflows?status=all"));
  CHECK(all["total"] == 3);
  CHECK(all["next_offset"].is_null());
  CHECK(all["workflows"].size() == 3);
  auto first = body_of(call(b, "GET", "/api/v1/workflows?status=all&limit=2"));
  CHECK(first["workflows"].size() == 2);
  CHECK(first["next_offset"] == 2);
  CHECK(first["total"] == 3);
  auto second = body_of(call(b, "GET", "/api/v1/workflows?status=all&limit=2&offset=2"));
  CHECK(second["workflows"].size() == 1);
  CHECK(second["workflows"][0]["name"] == all["workflows"][2]["name"]);
  CHECK(second["next_offset"].is_null());
  auto beyond = body_of(call(b, "GET", "/api/v1/workflows?limit=2&offset=50"));
  CHECK(beyond["workflows"].empty());
  CHECK(beyond["total"] == 1);

  b.stored_instances = 3;
  auto detail = body_of(call(b, "GET", "/api/v1/workflows?limit=10&detail=true"));
  const auto& w = detail["workflows"][0];
  CHECK(w["name"] == "w");
  CHECK(w["coordinator"]["paused"] == true);
  CHECK(w["coordinator"]["cron"] == "0 1 * * *");
  CHECK(w["coordinator"]["next_fire"] == "2026-01-01T00:00:00.000Z");
  CHECK(w["coordinator"]["dependencies"].size() == 2);
  CHECK(w["recent_runs"].size() == 3);
  CHECK(b.last_filter.workflow == "w");

  check_error(call(b, "GET", "/api/v1/workflows?limit=0"), 400, "'limit'");
  check_error(call(b, "GET", "/api/v1/workflows?offset=-1"), 400, "'offset'");
  check_error(call(b, "GET", "/api/v1/workflows?detail=yes&limit=1"), 400, "'detail'");
  check_error(call(b, "GET", "/api/v1/workflows?detail=true"), 400, "needs 'limit'");
  check_error(call(b, "GET", "/api/v1/workflows?detail=true&limit=500"), 400, "at most 100");
}

namespace {

/// An SVG with Graphviz's character references for '-' undone.
std::string plain_svg(std::string svg) {
  for (auto at = svg.find("&#45;"); at != std::string::npos; at = svg.find("&#45;"))
    svg.replace(at, 5, "-");
  return svg;
}

} // namespace

TEST_CASE("GET /workflows/{name}/graph draws the DAG with Graphviz - versions give the XML") {
  fake_backend b;
  auto r = call(b, "GET", "/api/v1/workflows/w/graph");
  CHECK(r.status == 200);
  CHECK(r.content_type == "image/svg+xml");
  CHECK(r.body.find("<svg") != std::string::npos);
  // Every node is a group the page can colour, with its shape (Graphviz
  // writes '-' as a character reference in SVG).
  auto svg = plain_svg(r.body);
  for (const auto* id : {"wfnode-s", "wfnode-a", "wfnode-d", "wfnode-e"})
    CHECK(svg.find(std::string("id=\"") + id + "\"") != std::string::npos);
  CHECK(svg.find("class=\"node kind-decision\"") != std::string::npos);
  CHECK(svg.find("class=\"edge edge-default\"") != std::string::npos);
  CHECK(r.body.find("<polygon") != std::string::npos); // the decision's diamond, the action's box
  CHECK(r.body.find("${param:x} == 1") != std::string::npos); // a case's condition labels its edge
  check_error(call(b, "GET", "/api/v1/workflows/nope/graph"), 404, "no workflow named 'nope'");
  check_error(call(b, "POST", "/api/v1/workflows/w/graph"), 405, "use GET");

  auto v = body_of(call(b, "GET", "/api/v1/workflows/w/versions/2"));
  CHECK(v["xml"] == "<work-flow name=\"w\"/>");
  CHECK(v["version"] == 2);
  check_error(call(b, "GET", "/api/v1/workflows/w/versions/9"), 404, "no version 9");
  check_error(call(b, "GET", "/api/v1/workflows/w/versions/x"), 400, "not a version number");
}

namespace {

/// Workflows with coordinators: src <- mid <- out, src <- side, up2 <- mid
/// (not ready) and ghost <- mid (not loaded); v1 of mid is a stored version
/// with another graph than the active one.
class lineage_backend : public fake_backend {
public:
  int asked = 0;
  expected<workflow_detail> workflow(const std::string& name) override {
    ++asked;
    static const std::map<std::string, std::vector<std::pair<std::string, bool>>> ups{
      {"src", {}}, {"mid", {{"src", true}, {"up2", false}, {"ghost", false}}},
      {"out", {{"mid", true}}}, {"side", {{"src", false}}}, {"up2", {}}};
    auto it = ups.find(name);
    if (it == ups.end())
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    workflow_detail d;
    d.record = workflow_record{name, "/lin", "", "me", "/x/" + name + ".xml", "h-" + name, 2, 7, 3,
                               "active"};
    d.nodes = {dag_node{"s", "start", "", ""}, dag_node{"now", "action", "shell", ""},
               dag_node{"e", "end", "", ""}};
    d.edges = {dag_edge{"s", "now", "next", ""}, dag_edge{"now", "e", "ok", ""}};
    d.has_coordinator = !it->second.empty();
    for (const auto& [u, ready] : it->second)
      d.coordinator.dependencies.push_back(dependency_view{u, ready, "", 0});
    for (const auto& [other, its_ups] : ups)
      for (const auto& u : its_ups)
        if (u.first == name)
          d.downstream.push_back(other);
    return d;
  }
  expected<workflow_version_record> workflow_version(const std::string& name,
                                                     int version) override {
    if (name != "mid" || (version != 1 && version != 3))
      return make_error(ec::unknown_workflow, "workflow '" + name + "' has no version "
                                                + std::to_string(version));
    if (version == 3)
      return workflow_version_record{"mid", 3, "h3", "/x/mid.xml", "<work-flow name=\"mid\"/>", 7};
    return workflow_version_record{
      "mid", 1, "h1", "/x/mid.xml",
      R"(<work-flow name="mid"><start name="s" to="before"/>)"
      R"(<action name="before"><shell><command>true</command></shell><ok to="e"/></action>)"
      R"(<end name="e"/></work-flow>)",
      7};
  }
};

} // namespace

TEST_CASE("GET /workflows/{name}/lineage lists every workflow upstream and downstream but no sibling") {
  lineage_backend b;
  auto j = body_of(call(b, "GET", "/api/v1/workflows/mid/lineage"));
  CAPTURE(j.dump());
  // Each workflow is read once: mid, src, up2, ghost (not loaded) and out.
  CHECK(b.asked == 5);
  std::map<std::string, std::string> relation;
  for (const auto& w : j["workflows"])
    relation[w["name"]] = w["relation"];
  CHECK(relation == std::map<std::string, std::string>{{"mid", "self"}, {"src", "upstream"},
                                                        {"up2", "upstream"}, {"ghost", "upstream"},
                                                        {"out", "downstream"}});
  CHECK(j["workflows"][0]["name"] == "mid"); // itself first
  for (const auto& w : j["workflows"]) {
    CHECK(w["known"] == (w["name"] != "ghost"));
    CHECK(w["dir"] == (w["name"] == "ghost" ? json(nullptr) : json("/lin")));
  }
  std::set<std::string> edges;
  for (const auto& e : j["edges"])
    edges.insert(e["from"].get<std::string>() + ">" + e["to"].get<std::string>() + ":"
                 + e["ready"].dump());
  CHECK(edges == std::set<std::string>{"src>mid:true", "up2>mid:false", "ghost>mid:false",
                                       "mid>out:true"});
  CHECK(j["truncated"] == false);
  // From the top: everything below it, each level.
  auto top = body_of(call(b, "GET", "/api/v1/workflows/src/lineage"));
  std::set<std::string> below;
  for (const auto& w : top["workflows"])
    below.insert(w["name"].get<std::string>() + ":" + w["relation"].get<std::string>());
  CHECK(below == std::set<std::string>{"src:self", "mid:downstream", "out:downstream",
                                       "side:downstream"});
  check_error(call(b, "GET", "/api/v1/workflows/nope/lineage"), 404, "no workflow named 'nope'");
  check_error(call(b, "PUT", "/api/v1/workflows/mid/lineage"), 405, "GET, POST");
}

TEST_CASE("GET /workflows/{name}/lineage/graph draws the lineage with Graphviz and lays it out once") {
  lineage_backend b;
  auto r = call(b, "GET", "/api/v1/workflows/mid/lineage/graph");
  CHECK(r.status == 200);
  CHECK(r.content_type == "image/svg+xml");
  auto svg = plain_svg(r.body);
  for (const auto* id : {"lnnode-mid", "lnnode-src", "lnnode-up2", "lnnode-ghost", "lnnode-out"})
    CHECK(svg.find(std::string("id=\"") + id + "\"") != std::string::npos);
  CHECK(svg.find("lnnode-side") == std::string::npos);
  CHECK(svg.find("wfnode-") == std::string::npos);
  CHECK(svg.find("class=\"node kind-self\"") != std::string::npos);
  CHECK(svg.find("class=\"node kind-upstream\"") != std::string::npos);
  CHECK(svg.find("class=\"node kind-downstream\"") != std::string::npos);
  CHECK(svg.find("class=\"edge edge-waiting\"") != std::string::npos); // up2 > mid
  CHECK(svg.find("class=\"edge edge-depends\"") != std::string::npos);
  CHECK(svg.find("(not loaded)") != std::string::npos);
  // The same lineage again: the same drawing.
  CHECK(call(b, "GET", "/api/v1/workflows/mid/lineage/graph").body == r.body);
  check_error(call(b, "GET", "/api/v1/workflows/nope/lineage/graph"), 404, "no workflow named");
  check_error(call(b, "POST", "/api/v1/workflows/mid/lineage/graph"), 405, "use GET");
}

TEST_CASE("GET /workflows/{name}/versions/{version}/graph draws a stored version's DAG") {
  lineage_backend b;
  auto old = call(b, "GET", "/api/v1/workflows/mid/versions/1/graph");
  CHECK(old.status == 200);
  auto svg = plain_svg(old.body);
  CHECK(svg.find("id=\"wfnode-before\"") != std::string::npos);
  CHECK(svg.find("id=\"wfnode-now\"") == std::string::npos);
  auto active = plain_svg(call(b, "GET", "/api/v1/workflows/mid/graph").body);
  CHECK(active.find("id=\"wfnode-now\"") != std::string::npos);
  CHECK(active.find("id=\"wfnode-before\"") == std::string::npos);
  check_error(call(b, "GET", "/api/v1/workflows/mid/versions/2/graph"), 404, "no version 2");
  check_error(call(b, "GET", "/api/v1/workflows/mid/versions/3/graph"), 500, "cannot be parsed");
  check_error(call(b, "GET", "/api/v1/workflows/mid/versions/x/graph"), 400, "not a version number");
  check_error(call(b, "DELETE", "/api/v1/workflows/mid/versions/1/graph"), 405, "use GET");
}

TEST_CASE("GET /xmlconfig?status= lists the files in those statuses only") {
  fake_backend b;
  auto bad = body_of(call(b, "GET", "/api/v1/xmlconfig?status=invalid,conflict"));
  REQUIRE(bad["files"].size() == 1);
  CHECK(bad["files"][0]["path"] == "/x/bad.xml");
  CHECK(body_of(call(b, "GET", "/api/v1/xmlconfig?status=loaded"))["files"].empty());
  CHECK(body_of(call(b, "GET", "/api/v1/xmlconfig?status="))["files"].size() == 1);
  check_error(call(b, "GET", "/api/v1/xmlconfig?status=broken"), 400, "unknown status 'broken'");
  check_error(call(b, "GET", "/api/v1/xmlconfig?x=1"), 400, "unknown query parameter 'x'");
}

TEST_CASE("GET /workflows asks the backend for one page - never for the whole list") {
  // A master pages where the workflows are: the API passes the filter,
  // offset and limit on and takes the total from the answer.
  class paging_backend final : public fake_backend {
  public:
    workflow_filter filter;
    std::uint64_t offset = 99, limit = 99;
    int whole_lists = 0;
    expected<std::vector<workflow_record>> workflows() override {
      ++whole_lists;
      return fake_backend::workflows();
    }
    expected<std::vector<workflow_record>> known_workflows() override {
      ++whole_lists;
      return fake_backend::known_workflows();
    }
    expected<workflow_page> workflows_page(const workflow_filter& f, std::uint64_t o,
                                           std::uint64_t l) override {
      filter = f;
      offset = o;
      limit = l;
      workflow_page page;
      page.total = 100000;
      for (std::uint64_t i = o; i < o + l && i < page.total; ++i) {
        workflow_record r;
        r.name = "w" + std::to_string(i);
        r.dir = f.dir;
        page.workflows.push_back(r);
      }
      return page;
    }
  };
  paging_backend b;
  auto page = body_of(call(b, "GET", "/api/v1/workflows?limit=100&offset=500&dir=%2Fd&name=x"));
  CHECK(b.offset == 500);
  CHECK(b.limit == 100);
  CHECK(b.filter.dir == "/d");
  CHECK(b.filter.name == "x");
  CHECK(b.filter.status == "active");
  CHECK(page["total"] == 100000);
  CHECK(page["workflows"].size() == 100);
  CHECK(page["workflows"][0]["name"] == "w500");
  CHECK(page["next_offset"] == 600);
  auto last = body_of(call(b, "GET", "/api/v1/workflows?status=all&limit=100&offset=99950"));
  CHECK(b.filter.status == "all");
  CHECK(last["workflows"].size() == 50);
  CHECK(last["next_offset"].is_null());
  CHECK(b.whole_lists == 0);
}

TEST_CASE("the default workflows_page filters and pages the whole list as before") {
  fake_backend b;
  workflow_filter all;
  all.status = "all";
  auto everything = b.known_workflows();
  REQUIRE(everything);
  auto page = b.workflows_page(all, 1, 1);
  REQUIRE(page);
  CHECK(page->total == everything->size());
  REQUIRE(page->workflows.size() == 1);
  CHECK(page->workflows[0].name == (*everything)[1].name);
  auto rest = b.workflows_page(all, 1, 0);
  REQUIRE(rest);
  CHECK(rest->workflows.size() == everything->size() - 1);
  auto none = b.workflows_page(all, 50, 10);
  REQUIRE(none);
  CHECK(none->workflows.empty());
}

TEST_SUITE_END();
