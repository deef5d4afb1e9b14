#include "http/akkaflow.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cafflow;
using nlohmann::json;

namespace {

/// A backend with canned answers that records what it was asked: workflow
/// "w" (file /x/w.xml) exists, instance "01" has ended, "live" runs.
class fake_backend : public api_backend {
public:
  bool master_up = true;
  start_request last_start;
  int starts = 0;
  std::string last_rerun_id;
  rerun_request last_rerun;
  std::string last_coordinate;
  std::string last_kill;
  int resets_all = 0;

  error no_master() const {
    return make_error(ec::master_unreachable, "the master at 127.0.0.1:1 is not reachable");
  }

  expected<health_record> health() override {
    if (!master_up)
      return no_master();
    health_record h;
    h.cluster = "c";
    h.master = "127.0.0.1:2751";
    h.workers.push_back(worker_record{"127.0.0.1:2851", "127.0.0.1", 4, 1, {}, 5, "up"});
    h.workers.push_back(worker_record{"10.0.0.7:2852", "10.0.0.7", 2, 0, {}, 5, "up"});
    return h;
  }
  /// The store knows the master: akkaflow's cluster listing must still
  /// follow health() alone (503 without a master).
  expected<cluster_view> cluster() override {
    cluster_view v;
    v.cluster = "c";
    v.epoch = 1;
    v.lease_holder = "127.0.0.1:2751";
    v.masters.push_back(master_entry{{"127.0.0.1:2751", "active", 1, "h", 1, 1}, 2});
    return v;
  }
  expected<std::vector<workflow_record>> workflows() override {
    return std::vector<workflow_record>{};
  }
  expected<std::vector<xml_file_record>> xml_files() override {
    return std::vector<xml_file_record>{};
  }
  expected<std::vector<instance_record>> instances(const instance_filter&) override {
    return std::vector<instance_record>{};
  }
  expected<instance_record> instance(const std::string& id) override {
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    instance_record r;
    r.id = id;
    r.status = "failed";
    return r;
  }
  expected<workflow_detail> workflow(const std::string& name) override {
    if (!master_up)
      return no_master();
    if (name != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    workflow_detail d;
    d.record = workflow_record{name, "/", "", "me", "/x/w.xml", "h", 2, 7, 3, "active"};
    return d;
  }
  expected<std::string> start(const start_request& request) override {
    if (!master_up)
      return no_master();
    if (request.workflow != "w")
      return make_error(ec::unknown_workflow,
                        "no workflow named '" + request.workflow + "' is loaded");
    last_start = request;
    ++starts;
    return std::string("02");
  }
  expected<void> rerun(const std::string& id, const rerun_request& request) override {
    if (id == "live")
      return make_error(ec::conflict, "instance live is running: kill it or wait for its end");
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_rerun_id = id;
    last_rerun = request;
    return {};
  }
  expected<void> coordinate(const std::string& name, const std::string& action) override {
    if (name != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    last_coordinate = name + ":" + action;
    return {};
  }
  expected<void> reset_coordinators() override {
    ++resets_all;
    return {};
  }
  expected<void> kill(const std::string& id) override {
    if (id == "01")
      return make_error(ec::conflict, "instance 01 is not running (it is failed)");
    if (id != "live")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_kill = id;
    return {};
  }
  expected<log_chunk> node_log(const std::string&, const std::string&, int,
                               std::int64_t) override {
    return make_error(ec::unknown_instance, "no log");
  }
  expected<metrics_snapshot> metrics() override {
    return make_error(ec::unspecified, "no metrics here");
  }
};

http_request request(const std::string& method, const std::string& target) {
  http_request r;
  r.method = method;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos)
    r.query = target.substr(q + 1);
  return r;
}

http_response call(fake_backend& b, const std::string& method, const std::string& target) {
  return handle_akkaflow(b, request(method, target));
}

/// The parsed envelope; fails the test when the body is not one.
json envelope_of(const http_response& r) {
  auto body = json::parse(r.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body.size() == 3);
  CHECK(body.contains("result"));
  CHECK(body.contains("msg"));
  CHECK(body.contains("data"));
  CHECK(r.content_type == "application/json");
  return body;
}

/// Checks a "fail" answer with `status` whose msg contains `text`.
void check_fail(const http_response& r, int status, const std::string& text) {
  CAPTURE(r.body);
  CHECK(r.status == status);
  auto body = envelope_of(r);
  CHECK(body["result"] == "fail");
  CHECK(body["data"].is_null());
  CHECK(body["msg"].get<std::string>().find(text) != std::string::npos);
}

} // namespace

TEST_SUITE_BEGIN("akkaflow");

// sbin/akka-workflow-run:
//   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=run&$param"
TEST_CASE("run passes every other query parameter as a run parameter") {
  fake_backend b;
  auto r =
    call(b, "GET", "/akkaflow/workflow/w?action=run&stadate=2017-12-12&city=guang%20zhou");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"] == "02");
  CHECK(body["msg"].get<std::string>().find("02") != std::string::npos);
  CHECK(b.last_start.workflow == "w");
  CHECK(b.last_start.trigger == "manual");
  CHECK(b.last_start.params == param_map{{"stadate", "2017-12-12"}, {"city", "guang zhou"}});
  // The script without --param leaves a trailing '&'.
  auto bare = call(b, "GET", "/akkaflow/workflow/w?action=run&");
  CHECK(bare.status == 200);
  CHECK(b.last_start.params.empty());
  check_fail(call(b, "GET", "/akkaflow/workflow/nope?action=run"), 404,
             "no workflow named 'nope'");
}

// sbin/akka-workflow-trigger: ...?action=trigger; HttpServer.scala: ignore_node=a,b
TEST_CASE("trigger and trigger-blood start a trigger and a lineage run") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/w?action=trigger");
  CHECK(r.status == 200);
  CHECK(envelope_of(r)["data"] == "02");
  CHECK(b.last_start.trigger == "trigger");
  CHECK(b.last_start.params.empty());
  CHECK(call(b, "POST", "/akkaflow/workflow/w?action=trigger&ignore_node=").status == 200);
  CHECK(call(b, "GET", "/akkaflow/workflow/w?action=trigger-blood").status == 200);
  CHECK(b.last_start.trigger == "lineage");
  CHECK(b.starts == 3);
}

TEST_CASE("trigger refuses to skip nodes given in ignore_node") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=trigger&ignore_node=a,b"), 501,
             "'ignore_node' (a,b)");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=trigger&recover=true"), 400,
             "unknown query parameter 'recover' for action=trigger (expected ignore_node)");
  CHECK(b.starts == 0);
}

// sbin/akka-workflow-reset: ...?action=reset
TEST_CASE("reset resets the coordinator of the workflow") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/w?action=reset");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"].is_null());
  CHECK(b.last_coordinate == "w:reset");
  check_fail(call(b, "GET", "/akkaflow/workflow/x?action=reset"), 404, "no workflow named 'x'");
}

// sbin/akka-workflow-del: ...?action=del
TEST_CASE("del is refused and names the file that defines the workflow") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=del"), 501, "/x/w.xml");
  check_fail(call(b, "GET", "/akkaflow/workflow/x?action=del"), 404, "no workflow named 'x'");
}

TEST_CASE("get answers the workflow with its coordinator") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/w?action=get");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"]["workflow"]["file"] == "/x/w.xml");
  CHECK(call(b, "HEAD", "/akkaflow/workflow/w?action=get").status == 200);
}

// sbin/akka-instance-kill: ...workflow/instance/$instance_id?action=kill
TEST_CASE("instance kill answers akkaflow's W_KILLED") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/instance/live?action=kill");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"] == "W_KILLED");
  CHECK(b.last_kill == "live");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=kill"), 409,
             "is not running");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/zz?action=kill"), 404,
             "no instance with id 'zz'");
}

// sbin/akka-instance-rerun: ...workflow/instance/$instance_id?action=rerun
TEST_CASE("instance rerun runs every node or with recover=true the failed ones") {
  fake_backend b;
  auto all = call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun");
  CHECK(all.status == 200);
  CHECK(envelope_of(all)["data"] == "01");
  CHECK(b.last_rerun.mode == "all");
  CHECK(call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun&recover=true").status == 200);
  CHECK(b.last_rerun.mode == "failed");
  CHECK(call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun&recover=false").status
        == 200);
  CHECK(b.last_rerun.mode == "all");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun&recover=maybe"), 400,
             "query parameter 'recover': expected true or false, got 'maybe'");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/live?action=rerun"), 409, "running");
}

TEST_CASE("instance del is refused and the instance stays") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=del"), 501,
             "does not delete instances");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/zz?action=del"), 404, "'zz'");
}

// sbin/akka-util-reset-all: ...akkaflow/workflows?action=reset
TEST_CASE("workflows reset resets every coordinator") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflows?action=reset");
  CHECK(r.status == 200);
  CHECK(envelope_of(r)["result"] == "success");
  CHECK(b.resets_all == 1);
}

TEST_CASE("cluster get lists the master and the workers as akkaflow's actor infos") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/cluster?action=get");
  CHECK(r.status == 200);
  auto data = envelope_of(r)["data"];
  REQUIRE(data.size() == 3);
  CHECK(data[0] == json{{"name", "master(127.0.0.1:2751)"},
                        {"ip", "127.0.0.1"},
                        {"port", "2751"},
                        {"atype", "0"},
                        {"pname", "top"}});
  CHECK(data[2]["name"] == "worker(10.0.0.7:2852)");
  CHECK(data[2]["ip"] == "10.0.0.7");
  CHECK(data[2]["port"] == "2852");
  b.master_up = false;
  check_fail(call(b, "GET", "/akkaflow/cluster?action=get"), 503, "not reachable");
}

// sbin/shutdown-cluster: ...akkaflow/cluster?action=shutdown
TEST_CASE("cluster shutdown is refused") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/cluster?action=shutdown"), 501, "sbin/stop-cluster");
}

TEST_CASE("malformed requests get a fail naming the problem") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/workflow/w"), 400,
             "query parameter 'action' is required (expected get, run, trigger");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action="), 400, "'action' is required");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=launch"), 400,
             "unknown action 'launch'");
  check_fail(call(b, "GET", "/akkaflow/workflows?action=get"), 400, "(expected reset)");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=kill&force=1"), 400,
             "unknown query parameter 'force' for action=kill (it takes none)");
  check_fail(call(b, "GET", "/akkaflow/cluster?action=get&action=shutdown"), 400,
             "'action' is given twice");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=run&=x"), 400, "has no name");
  check_fail(call(b, "GET", "/akkaflow/workflow/w%zz?action=run"), 400,
             "malformed percent-encoding");
  check_fail(call(b, "GET", "/akkaflow/coor/w?action=reset"), 404, "no such akkaflow route");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01/x?action=kill"), 404,
             "no such akkaflow route");
  auto head = call(b, "HEAD", "/akkaflow/workflow/w?action=run");
  check_fail(head, 405, "method HEAD not allowed");
  CHECK(head.headers == std::vector<std::pair<std::string, std::string>>{{"Allow", "GET, POST"}});
  check_fail(call(b, "DELETE", "/akkaflow/workflow/w?action=del"), 405, "use GET, POST");
  CHECK(b.starts == 0);
}

TEST_CASE("is_akkaflow_read holds only for action=get") {
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/cluster?action=get")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/workflow/w?action=get")));
  CHECK(is_akkaflow_read(request("GET", "/akka%66low/cluster?action=get")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/cluster?action=shutdown")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w?action=run")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w?action=get&action=run")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w%zz?action=get")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/api/v1/health")));
  CHECK(is_akkaflow_path("/akkaflow/workflow/w"));
  CHECK(is_akkaflow_path("/%61kkaflow/workflow/w"));
  CHECK(is_akkaflow_path("/akkaflow/%zz"));
  CHECK_FALSE(is_akkaflow_path("/api/v1/workflows"));
  CHECK_FALSE(is_akkaflow_path("/akkaflowx/workflow"));
}

TEST_CASE("instance statuses map to akkaflow's names") {
  CHECK(akkaflow_status("queued") == "W_PREP");
  CHECK(akkaflow_status("running") == "W_RUNNING");
  CHECK(akkaflow_status("succeeded") == "W_SUCCESSED");
  CHECK(akkaflow_status("failed") == "W_FAILED");
  CHECK(akkaflow_status("killed") == "W_KILLED");
  CHECK(akkaflow_status("paused") == "W_PAUSED");
}

TEST_SUITE_END();
