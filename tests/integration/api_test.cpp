// Every endpoint of docs/API.md against a real cluster: the shapes of the
// answers, and every error status (400, 404, 405 with Allow, 409, 413, 503),
// always {"error": "..."} as application/json. Every request has a timeout.
#include <csignal>
#include <set>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "config/config.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// One answer of the HTTP API with the headers the tests look at.
struct answer {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string allow;
  /// The body parsed (discarded when it is not JSON).
  json data;
};

/// Sends one request (chunked when `chunked`) and reads the whole answer
/// within 10 s; a transport error is status 0 with the error as body.
answer send(const cluster& c, const std::string& method, const std::string& target,
            const std::string& body = {}, bool chunked = false) {
  answer a;
  auto address = parse_host_port(c.http_address());
  REQUIRE(address);
  try {
    Poco::Net::HTTPClientSession session(address->host, static_cast<Poco::UInt16>(address->port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (chunked)
      request.setChunkedTransferEncoding(true);
    else if (!body.empty() || method == "POST" || method == "PUT")
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!body.empty())
      request.setContentType("application/json");
    auto& out = session.sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    a.status = static_cast<int>(response.getStatus());
    a.content_type = response.getContentType();
    a.allow = response.get("Allow", "");
    Poco::StreamCopier::copyToString(in, a.body);
  } catch (const Poco::Exception& e) {
    a.status = 0;
    a.body = e.displayText();
  }
  a.data = json::parse(a.body, nullptr, false);
  return a;
}

/// The answer has `status`, is JSON and, for an error, exactly {"error": text}
/// with `fragment` in the text.
void expect(const answer& a, int status, const std::string& fragment = {}) {
  CAPTURE(a.body);
  CHECK(a.status == status);
  CHECK(a.content_type == "application/json");
  REQUIRE_FALSE(a.data.is_discarded());
  if (status < 400)
    return;
  REQUIRE(a.data.is_object());
  CHECK(a.data.size() == 1);
  REQUIRE(a.data.contains("error"));
  REQUIRE(a.data["error"].is_string());
  CHECK_FALSE(a.data["error"].get<std::string>().empty());
  CHECK(a.data["error"].get<std::string>().find(fragment) != std::string::npos);
}

std::string shell(const std::string& name, const std::string& command,
                  const std::string& attrs = "", const std::string& coordinator = "") {
  return "<work-flow name=\"" + name + "\" " + attrs + ">" + coordinator +
         "<start name=\"s\" to=\"a\"/><action name=\"a\" desc=\"the one step\"><shell><command>" +
         command + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// A workflow with every kind of node and transition; `marker` changes its
/// content (a new version).
std::string every_kind(const std::string& marker) {
  return "<work-flow name=\"etl\" dir=\"/etl\" desc=\"nightly load\">"
         "<coordinator><depend-list cron=\"0 0 1 1 *\"><workflow name=\"hello\"/></depend-list>"
         "</coordinator>"
         "<start name=\"start\" to=\"prepare\"/>"
         "<action name=\"prepare\"><shell><command>echo " +
         marker +
         "</command></shell>"
         "<ok to=\"split\"/><error to=\"failed\"/></action>"
         "<fork name=\"split\"><path to=\"left\"/><path to=\"right\"/></fork>"
         "<action name=\"left\"><shell><command>true</command></shell><ok to=\"merge\"/></action>"
         "<action name=\"right\"><script><code>true</code></script><ok to=\"merge\"/></action>"
         "<join name=\"merge\" to=\"choose\"/>"
         "<decision name=\"choose\"><case to=\"failed\">${param:mode} == 'broken'</case>"
         "<default to=\"end\"/></decision>"
         "<kill name=\"failed\"><message>it broke</message></kill>"
         "<end name=\"end\"/></work-flow>";
}

/// The names of a workflow listing.
std::set<std::string> names_of(const answer& a) {
  std::set<std::string> names;
  if (a.data.is_object() && a.data.contains("workflows"))
    for (const auto& w : a.data["workflows"])
      names.insert(w["name"].get<std::string>());
  return names;
}

std::vector<std::string> ids_of(const answer& a) {
  std::vector<std::string> ids;
  if (a.data.is_object() && a.data.contains("instances"))
    for (const auto& i : a.data["instances"])
      ids.push_back(i["id"].get<std::string>());
  return ids;
}

/// Starts a manual run with a logical time; returns the id.
std::string run_at(cluster& c, const std::string& workflow, const json& logical_time) {
  auto a = send(c, "POST", "/api/v1/workflows/" + workflow + "/run",
                json{{"logical_time", logical_time}}.dump());
  REQUIRE_MESSAGE(a.status == 201, a.body);
  return a.data["instance_id"].get<std::string>();
}

/// Waits until the instance runs its node `a`.
void wait_running(cluster& c, const std::string& id) {
  REQUIRE_MESSAGE(wait_until([&] {
                    auto i = send(c, "GET", "/api/v1/instances/" + id);
                    return i.status == 200 && i.data["status"] == "running" &&
                           node_of(i.data, "a")["status"] == "running";
                  }),
                  c.logs());
}

} // namespace

TEST_SUITE_BEGIN("api");

TEST_CASE("api: health and ready and cluster and xmlconfig and workflows with filters") {
  cluster c;
  c.add_workflow("examples/hello.xml",
                 shell("hello", "echo hi", "dir=\"/examples\" desc=\"say hi\""));
  c.add_workflow("etl/etl.xml", every_kind("v1"));
  c.add_workflow("bad.xml",
                 "<work-flow name=\"bad\"><start name=\"s\" to=\"nowhere\"/></work-flow>");
  c.start();

  auto health = send(c, "GET", "/api/v1/health");
  expect(health, 200);
  CHECK(health.data["status"] == "ok");
  CHECK(health.data["master"] == c.master_address());
  CHECK(health.data["workers"][0]["id"] == c.worker_addresses()[0]);
  REQUIRE(wait_until([&] { return send(c, "GET", "/api/v1/ready").status == 200; }));
  auto ready = send(c, "GET", "/api/v1/ready");
  expect(ready, 200);
  CHECK(ready.data == json{{"ready", true}});
  auto cl = send(c, "GET", "/api/v1/cluster");
  expect(cl, 200);
  CHECK(cl.data["cluster"] == "test");
  CHECK(cl.data["master"]["address"] == c.master_address());
  CHECK(cl.data["master"]["recovering"] == false);
  CHECK(cl.data["slots"]["total"] == 4);
  CHECK(cl.data["workers"][0]["state"] == "up");

  auto files = send(c, "GET", "/api/v1/xmlconfig");
  expect(files, 200);
  auto bad = file_status(c, "bad.xml");
  REQUIRE(bad.is_object());
  CHECK(bad["status"] == "invalid");
  CHECK(bad["active_version"].is_null());
  CHECK_FALSE(bad["diagnostics"].empty());
  CHECK(file_status(c, "examples/hello.xml")["status"] == "loaded");

  // Listing and its filters.
  CHECK(names_of(send(c, "GET", "/api/v1/workflows")) == std::set<std::string>{"etl", "hello"});
  auto hello = send(c, "GET", "/api/v1/workflows?dir=/examples");
  expect(hello, 200);
  REQUIRE(hello.data["workflows"].size() == 1);
  CHECK(hello.data["workflows"][0]["name"] == "hello");
  CHECK(hello.data["workflows"][0]["desc"] == "say hi");
  CHECK(hello.data["workflows"][0]["status"] == "active");
  CHECK(hello.data["workflows"][0]["file"] == c.dir("xmlconfig/examples/hello.xml"));
  CHECK(names_of(send(c, "GET", "/api/v1/workflows?dir=/exam")).empty());
  CHECK(names_of(send(c, "GET", "/api/v1/workflows?name=ET")) == std::set<std::string>{"etl"});
  CHECK(names_of(send(c, "GET", "/api/v1/workflows?name=l&dir=%2Fetl")) ==
        std::set<std::string>{"etl"});
  CHECK(names_of(send(c, "GET", "/api/v1/workflows?status=removed")).empty());
  expect(send(c, "GET", "/api/v1/workflows?status=gone"), 400,
         "query parameter 'status': unknown status 'gone'");
  expect(send(c, "GET", "/api/v1/workflows?owner=me"), 400, "unknown query parameter 'owner'");

  // The detail: the nodes in definition order, every kind of edge, the
  // coordinator and who waits for whom.
  auto detail = send(c, "GET", "/api/v1/workflows/etl");
  expect(detail, 200);
  const auto& d = detail.data;
  CHECK(d["workflow"]["name"] == "etl");
  CHECK(d["workflow"]["nodes"] == 9);
  REQUIRE(d["nodes"].size() == 9);
  std::vector<std::string> node_names;
  for (const auto& n : d["nodes"])
    node_names.push_back(n["name"].get<std::string>());
  CHECK(node_names == std::vector<std::string>{"start", "prepare", "split", "left", "right",
                                               "merge", "choose", "failed", "end"});
  CHECK(d["nodes"][1] ==
        json{{"name", "prepare"}, {"kind", "action"}, {"action_type", "shell"}, {"desc", ""}});
  CHECK(d["nodes"][4]["action_type"] == "script");
  CHECK(d["nodes"][2] ==
        json{{"name", "split"}, {"kind", "fork"}, {"action_type", nullptr}, {"desc", ""}});
  std::set<std::string> edges;
  for (const auto& e : d["edges"])
    edges.insert(e["from"].get<std::string>() + " " + e["label"].get<std::string>() + " " +
                 e["to"].get<std::string>());
  CHECK(edges == std::set<std::string>{
                     "start next prepare", "prepare ok split", "prepare error failed",
                     "split path left", "split path right", "left ok merge", "right ok merge",
                     "merge next choose", "choose case failed", "choose default end"});
  for (const auto& e : d["edges"])
    if (e["label"] == "case")
      CHECK(e["condition"] == "${param:mode} == 'broken'");
  REQUIRE(d["coordinator"].is_object());
  CHECK(d["coordinator"]["cron"] == "0 0 1 1 *");
  REQUIRE(d["versions"].size() == 1);
  CHECK(d["versions"][0]["version"] == 1);
  CHECK(d["versions"][0]["file"] == c.dir("xmlconfig/etl/etl.xml"));
  CHECK(d["versions"][0]["hash"] == d["workflow"]["hash"]);
  CHECK(d["versions"][0]["loaded_at"].is_string());
  auto plain = send(c, "GET", "/api/v1/workflows/hello");
  expect(plain, 200);
  CHECK(plain.data["coordinator"].is_null());
  CHECK(plain.data["downstream"] == json::array({"etl"}));
  CHECK(plain.data["nodes"][1]["desc"] == "the one step");
  expect(send(c, "GET", "/api/v1/workflows/nope"), 404, "no workflow named 'nope'");

  // A changed file is a new version: both are listed, oldest first.
  c.add_workflow("etl/etl.xml", every_kind("v2"));
  REQUIRE_MESSAGE(wait_until([&] { return version_of(c, "etl") == 2; }), c.logs());
  REQUIRE(wait_until(
      [&] { return send(c, "GET", "/api/v1/workflows/etl").data["versions"].size() == 2; }));
  auto versions = send(c, "GET", "/api/v1/workflows/etl").data["versions"];
  CHECK(versions[0]["version"] == 1);
  CHECK(versions[1]["version"] == 2);
  CHECK(versions[0]["hash"] != versions[1]["hash"]);

  // A deleted file: the workflow is removed, listed with status=removed.
  std::filesystem::remove(c.dir("xmlconfig/examples/hello.xml"));
  REQUIRE_MESSAGE(wait_until([&] {
                    return names_of(send(c, "GET", "/api/v1/workflows")) ==
                           std::set<std::string>{"etl"};
                  }),
                  c.logs());
  auto removed = send(c, "GET", "/api/v1/workflows?status=removed");
  expect(removed, 200);
  REQUIRE(removed.data["workflows"].size() == 1);
  CHECK(removed.data["workflows"][0]["name"] == "hello");
  CHECK(removed.data["workflows"][0]["status"] == "removed");
  CHECK(names_of(send(c, "GET", "/api/v1/workflows?status=all")) ==
        std::set<std::string>{"etl", "hello"});
  CHECK(names_of(send(c, "GET", "/api/v1/workflows?status=all&dir=/examples")) ==
        std::set<std::string>{"hello"});
  expect(send(c, "GET", "/api/v1/workflows/hello"), 404, "no workflow named 'hello'");

  // The CLI draws the graph for people and filters the list.
  auto show = c.cli({"workflow", "show", "etl"});
  CHECK_MESSAGE(show.exit_code == 0, show.output);
  CHECK(show.output.find("dag (9 nodes") != std::string::npos);
  CHECK(show.output.find("-> left | right (in parallel)") != std::string::npos);
  CHECK(show.output.find("-> choose (waits for left, right)") != std::string::npos);
  CHECK(show.output.find("if ${param:mode} == 'broken' -> failed, else -> end") !=
        std::string::npos);
  CHECK(show.output.find("ok -> split, error -> failed") != std::string::npos);
  auto listed = c.cli({"workflow", "list", "--status", "removed"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.output.find("hello") != std::string::npos);
  CHECK(listed.output.find("etl") == std::string::npos);
  CHECK(c.cli({"workflow", "list", "--status", "gone"}).exit_code == 64);
  auto by_dir = c.cli({"--json", "workflow", "list", "--dir", "/etl", "--name", "t"});
  CHECK(json::parse(by_dir.output)["workflows"].size() == 1);
}

TEST_CASE(
    "api: runs and instances with paging and logical time ranges and logs and kill and rerun") {
  cluster c;
  c.add_workflow("hello.xml", shell("hello", "echo hello-log-line"));
  c.add_workflow("slow.xml", shell("slow", "sleep 30"));
  c.add_workflow("day.xml", shell("needs_day", "echo ${param:day}"));
  c.add_workflow("cron.xml", shell("cron", "true", "",
                                   "<coordinator><depend-list cron=\"0 0 1 1 *\"/></coordinator>"));
  c.start();

  // Three runs on three logical days (as text, ISO and milliseconds).
  auto first = run_at(c, "hello", "2026-01-01 00:00:00");
  auto second = run_at(c, "hello", "2026-01-02T00:00:00Z");
  auto third = run_at(c, "hello", 1767398400000); // 2026-01-03
  for (const auto& id : {first, second, third})
    CHECK(c.wait_for(id)["status"] == "succeeded");

  // Pages, newest first, with the offset of the next one.
  auto page = send(c, "GET", "/api/v1/instances?workflow=hello&limit=2");
  expect(page, 200);
  CHECK(ids_of(page) == std::vector<std::string>{third, second});
  CHECK(page.data["next_offset"] == 2);
  auto rest = send(c, "GET", "/api/v1/instances?workflow=hello&limit=2&offset=2");
  CHECK(ids_of(rest) == std::vector<std::string>{first});
  CHECK(rest.data["next_offset"].is_null());
  CHECK(send(c, "GET", "/api/v1/instances?workflow=hello&limit=3").data["next_offset"].is_null());
  // Logical time ranges, both ends included.
  CHECK(ids_of(send(c, "GET", "/api/v1/instances?workflow=hello&from=2026-01-02T00:00:00Z")) ==
        std::vector<std::string>{third, second});
  CHECK(ids_of(send(c, "GET", "/api/v1/instances?workflow=hello&to=2026-01-02%2000:00:00")) ==
        std::vector<std::string>{second, first});
  CHECK(ids_of(send(c, "GET",
                    "/api/v1/instances?from=1767312000000&to=1767312000000&workflow=hello")) ==
        std::vector<std::string>{second});
  CHECK(
      ids_of(send(c, "GET", "/api/v1/instances?workflow=hello&from=2026-01-04T00:00:00Z")).empty());
  expect(send(c, "GET", "/api/v1/instances?from=2026-01-03T00:00:00Z&to=2026-01-01T00:00:00Z"), 400,
         "is after 'to'");
  expect(send(c, "GET", "/api/v1/instances?from=last%20week"), 400,
         "query parameter 'from': 'last week' is not a time");
  // The CLI's --from and --to.
  auto cli_list = c.cli({"--json", "instance", "list", "--workflow", "hello", "--from",
                         "2026-01-02", "--to", "2026-01-02T23:59:59Z", "--tz", "UTC"});
  REQUIRE_MESSAGE(cli_list.exit_code == 0, cli_list.output);
  auto cli_ids = json::parse(cli_list.output)["instances"];
  REQUIRE(cli_ids.size() == 1);
  CHECK(cli_ids[0]["id"] == second);
  CHECK(c.cli({"instance", "list", "--from", "someday"}).exit_code != 0);

  // One instance in full.
  auto one = send(c, "GET", "/api/v1/instances/" + first);
  expect(one, 200);
  CHECK(one.data["logical_time"] == "2026-01-01T00:00:00.000Z");
  CHECK(one.data["trigger"] == "manual");
  auto a = node_of(one.data, "a");
  REQUIRE(a.is_object());
  CHECK(a["action_type"] == "shell");
  REQUIRE(a["attempts"].size() == 1);
  CHECK(a["attempts"][0]["exit_code"] == 0);
  CHECK(a["attempts"][0]["worker"] == c.worker_addresses()[0]);

  // Its log, whole and from an offset.
  auto log = send(c, "GET", "/api/v1/instances/" + first + "/nodes/a/log");
  expect(log, 200);
  CHECK(log.data["content"] == "hello-log-line\n");
  CHECK(log.data["attempt"] == 1);
  CHECK(log.data["running"] == false);
  CHECK(log.data["next_offset"] == 15);
  auto tail = send(c, "GET", "/api/v1/instances/" + first + "/nodes/a/log?attempt=1&offset=6");
  expect(tail, 200);
  CHECK(tail.data["content"] == "log-line\n");
  expect(send(c, "GET", "/api/v1/instances/" + first + "/nodes/a/log?attempt=2"), 404,
         "no attempt 2");
  expect(send(c, "GET", "/api/v1/instances/" + first + "/nodes/e/log"), 404, "has not run");
  expect(send(c, "GET", "/api/v1/instances/" + first + "/nodes/zz/log"), 404,
         "has no node named 'zz'");

  // trigger and lineage.
  auto triggered = send(c, "POST", "/api/v1/workflows/hello/trigger", R"({"params":{"x":"1"}})");
  expect(triggered, 201);
  auto t = c.wait_for(triggered.data["instance_id"].get<std::string>());
  CHECK(t["trigger"] == "trigger");
  CHECK(t["params"]["x"] == "1");
  auto lineage = send(c, "POST", "/api/v1/workflows/hello/lineage");
  expect(lineage, 201);
  CHECK(c.wait_for(lineage.data["instance_id"].get<std::string>())["trigger"] == "lineage");
  CHECK(ids_of(send(c, "GET", "/api/v1/instances?trigger=lineage")) ==
        std::vector<std::string>{lineage.data["instance_id"].get<std::string>()});

  // A parameter nobody defines is a 400 naming it.
  expect(send(c, "POST", "/api/v1/workflows/needs_day/run"), 400, "unknown parameter 'day'");
  auto with_day = send(c, "POST", "/api/v1/workflows/needs_day/run", R"({"params":{"day":7}})");
  expect(with_day, 201);
  auto day_id = with_day.data["instance_id"].get<std::string>();
  CHECK(c.wait_for(day_id)["status"] == "succeeded");
  CHECK(send(c, "GET", "/api/v1/instances/" + day_id + "/nodes/a/log").data["content"] == "7\n");

  // Kill a running instance; killing or rerunning at the wrong time is a 409.
  auto slow = send(c, "POST", "/api/v1/workflows/slow/run");
  expect(slow, 201);
  auto slow_id = slow.data["instance_id"].get<std::string>();
  wait_running(c, slow_id);
  // The worker creates the log as the process starts, a moment after the
  // node shows as running.
  answer running_log;
  CHECK(wait_until([&] {
    running_log = send(c, "GET", "/api/v1/instances/" + slow_id + "/nodes/a/log");
    return running_log.status == 200;
  }));
  expect(running_log, 200);
  CHECK(running_log.data["running"] == true);
  expect(send(c, "POST", "/api/v1/instances/" + slow_id + "/rerun"), 409, "is running");
  auto killed = send(c, "POST", "/api/v1/instances/" + slow_id + "/kill");
  expect(killed, 200);
  CHECK(killed.data == json{{"instance_id", slow_id}, {"status", "killed"}});
  CHECK(c.wait_for(slow_id)["status"] == "killed");
  // The row says killed a moment before the master hears the runner end.
  CHECK(wait_until(
      [&] { return send(c, "POST", "/api/v1/instances/" + slow_id + "/kill").status == 409; }));
  expect(send(c, "POST", "/api/v1/instances/" + slow_id + "/kill"), 409,
         "is not running (it is killed)");
  expect(send(c, "POST", "/api/v1/instances/" + first + "/kill"), 409,
         "is not running (it is succeeded)");

  // Rerun: the killed one again, the succeeded one has nothing failed.
  expect(send(c, "POST", "/api/v1/instances/" + first + "/rerun"), 409);
  expect(send(c, "POST", "/api/v1/instances/" + first + "/rerun",
              R"({"mode":"nodes","nodes":["nope"]})"),
         400, "nope");
  auto again = send(c, "POST", "/api/v1/instances/" + first + "/rerun", R"({"mode":"all"})");
  expect(again, 200);
  CHECK(again.data == json{{"instance_id", first}, {"status", "running"}});
  auto rerun = c.wait_for(first);
  CHECK(rerun["status"] == "succeeded");
  CHECK(rerun["trigger"] == "rerun");
  CHECK(node_of(rerun, "a")["attempts"].size() == 2);
  CHECK(send(c, "GET", "/api/v1/instances/" + first + "/nodes/a/log?attempt=2").data["content"] ==
        "hello-log-line\n");
  expect(send(c, "POST", "/api/v1/instances/" + slow_id + "/kill"), 409);

  // Coordinators: pause, resume, reset; none for a workflow without one.
  for (std::string action : {"pause", "resume", "reset"}) {
    CAPTURE(action);
    auto done = send(c, "POST", "/api/v1/workflows/cron/" + action);
    expect(done, 200);
    CHECK(done.data == json{{"workflow", "cron"}, {"action", action}});
    expect(send(c, "POST", "/api/v1/workflows/hello/" + action), 409,
           "workflow 'hello' has no coordinator");
    expect(send(c, "POST", "/api/v1/workflows/nope/" + action), 404);
  }
  auto paused = send(c, "POST", "/api/v1/workflows/cron/pause");
  expect(paused, 200);
  CHECK(send(c, "GET", "/api/v1/workflows/cron").data["coordinator"]["paused"] == true);
}

TEST_CASE(
    "api: every error is JSON with a fitting status and no path leaves the task log directory") {
  cluster_options opts;
  opts.extra_ini = "[http]\nmax_body_bytes = 4096\n";
  cluster c(opts);
  c.add_workflow("hello.xml", shell("hello", "echo hello"));
  c.start();
  auto id = c.run("hello");
  CHECK(c.wait_for(id)["status"] == "succeeded");
  auto inst = "/api/v1/instances/" + id;

  // 400: malformed JSON, wrong types, unknown fields, bad query values.
  struct bad_request {
    const char* method;
    std::string target;
    std::string body;
    std::string fragment;
  };
  std::vector<bad_request> bad{
      {"POST", "/api/v1/workflows/hello/run", "{broken", "not valid JSON"},
      {"POST", "/api/v1/workflows/hello/run", "[1]", "must be a JSON object"},
      {"POST", "/api/v1/workflows/hello/run", R"({"parms":{}})", "unknown field 'parms'"},
      {"POST", "/api/v1/workflows/hello/run", R"({"params":"a=1"})", "'params' must be an object"},
      {"POST", "/api/v1/workflows/hello/run", R"({"params":{"a":[1]}})", "'params.a'"},
      {"POST", "/api/v1/workflows/hello/run", R"({"logical_time":"tomorrow"})",
       "field 'logical_time': 'tomorrow' is not a time"},
      {"POST", "/api/v1/workflows/hello/run", R"({"logical_time":true})", "'logical_time'"},
      {"POST", "/api/v1/workflows/hello/trigger", R"({"logical_time":1})",
       "unknown field 'logical_time'"},
      {"POST", "/api/v1/workflows/hello/lineage", "null", "must be a JSON object"},
      {"POST", inst + "/rerun", R"({"mode":"sideways"})", "field 'mode'"},
      {"POST", inst + "/rerun", R"({"mode":1})", "field 'mode'"},
      {"POST", inst + "/rerun", R"({"mode":"all","nodes":["a"]})", "fields 'nodes' and 'from_node' are only allowed"},
      {"POST", inst + "/rerun", R"({"mode":"nodes","nodes":"a"})", "must be an array"},
      {"POST", inst + "/rerun", R"({"mode":"nodes","nodes":["nope"]})", "nope"},
      {"GET", "/api/v1/instances?limit=0", "", "query parameter 'limit'"},
      {"GET", "/api/v1/instances?limit=ten", "", "query parameter 'limit'"},
      {"GET", "/api/v1/instances?offset=-3", "", "query parameter 'offset'"},
      {"GET", "/api/v1/instances?status=sleeping", "", "unknown status 'sleeping'"},
      {"GET", "/api/v1/instances?trigger=cronn", "", "unknown trigger 'cronn'"},
      {"GET", "/api/v1/instances?to=noon", "", "query parameter 'to'"},
      {"GET", "/api/v1/instances?colour=red", "", "unknown query parameter 'colour'"},
      {"GET", "/api/v1/workflows?status=deleted", "", "unknown status 'deleted'"},
      {"GET", "/api/v1/workflows?folder=x", "", "unknown query parameter 'folder'"},
      {"GET", inst + "/nodes/a/log?attempt=one", "", "query parameter 'attempt'"},
      {"GET", inst + "/nodes/a/log?offset=-1", "", "query parameter 'offset'"},
      {"GET", inst + "/nodes/a/log?path=/etc/passwd", "", "unknown query parameter 'path'"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.method);
    CAPTURE(b.target);
    CAPTURE(b.body);
    expect(send(c, b.method, b.target, b.body), 400, b.fragment);
  }

  // Path traversal in the log endpoint: refused, never read.
  std::vector<std::pair<std::string, std::string>> traversal{
      {inst + "/nodes/..%2F..%2Fetc%2Fpasswd/log", "node name '../../etc/passwd' is not valid"},
      {inst + "/nodes/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd/log", "it contains '/'"},
      {inst + "/nodes/%2e%2e/log", "node name '..' is not valid"},
      {inst + "/nodes/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/log", "it contains '/'"},
      {inst + "/nodes/..%5C..%5Cetc/log", "it contains '\\'"},
      {inst + "/nodes/a%00/log", "control character"},
      {inst + "/nodes/" + std::string(5000, 'a') + "/log", "longer than 200 bytes"},
      {"/api/v1/instances/..%2F..%2F..%2Fetc/nodes/passwd/log", "instance id '../../../etc'"},
      {"/api/v1/instances/%2e%2e/nodes/a/log", "instance id '..'"},
      {"/api/v1/instances/%2F/nodes/a/log", "instance id '/'"},
  };
  for (const auto& [target, fragment] : traversal) {
    CAPTURE(target);
    auto a = send(c, "GET", target);
    expect(a, 400, fragment);
    CHECK(a.body.find("root:") == std::string::npos);
  }
  // Dots as path segments only make the route unknown.
  auto dots = send(c, "GET", inst + "/nodes/../../../../../etc/passwd/log");
  CHECK(dots.status >= 400);
  CHECK(dots.status < 500);
  CHECK(dots.body.find("root:") == std::string::npos);

  // 404: unknown routes, workflows, instances, nodes, attempts.
  expect(send(c, "GET", "/api/v2/health"), 404, "no such resource");
  expect(send(c, "GET", "/api/v1/nope"), 404, "no such resource");
  expect(send(c, "POST", "/api/v1/workflows/hello/explode"), 404, "no such resource");
  expect(send(c, "GET", "/api/v1/workflows/nope"), 404, "no workflow named 'nope'");
  expect(send(c, "POST", "/api/v1/workflows/nope/run"), 404, "no workflow named 'nope'");
  expect(send(c, "POST", "/api/v1/workflows/nope/trigger"), 404, "no workflow named 'nope'");
  expect(send(c, "POST", "/api/v1/workflows/nope/lineage"), 404, "no workflow named 'nope'");
  expect(send(c, "GET", "/api/v1/instances/0000000000000000"), 404, "0000000000000000");
  expect(send(c, "POST", "/api/v1/instances/0000000000000000/kill"), 404);
  expect(send(c, "POST", "/api/v1/instances/0000000000000000/rerun"), 404);
  expect(send(c, "GET", "/api/v1/instances/0000000000000000/nodes/a/log"), 404);
  expect(send(c, "GET", inst + "/nodes/missing/log"), 404, "no node named 'missing'");
  expect(send(c, "GET", inst + "/nodes/a/log?attempt=9"), 404, "no attempt 9");

  // 405 with Allow on every route.
  std::vector<std::string> reads{
      "/api/v1/health", "/api/v1/ready", "/api/v1/cluster", "/api/v1/xmlconfig",
      "/api/v1/instances", inst + "/nodes/a/log"};
  for (const auto& target : reads)
    for (auto method : {"POST", "PUT", "DELETE"}) {
      CAPTURE(target);
      CAPTURE(method);
      auto a = send(c, method, target);
      expect(a, 405, "use GET");
      CHECK(a.allow == "GET");
    }
  // The workflow list also takes a new file, a workflow and an instance also
  // their removal, a lineage (read) also a lineage run.
  for (auto [target, allow] : {std::pair<std::string, std::string>{"/api/v1/workflows", "GET, POST"},
                               {"/api/v1/workflows/hello", "GET, DELETE"},
                               {"/api/v1/workflows/hello/lineage", "GET, POST"},
                               {inst, "GET, DELETE"}}) {
    CAPTURE(target);
    auto a = send(c, "PUT", target);
    expect(a, 405, "use " + allow);
    CHECK(a.allow == allow);
  }
  std::vector<std::string> writes{"/api/v1/workflows/hello/run",
                                  "/api/v1/workflows/hello/trigger",
                                  "/api/v1/workflows/hello/pause",
                                  "/api/v1/workflows/hello/resume",
                                  "/api/v1/workflows/hello/reset",
                                  inst + "/kill",
                                  inst + "/rerun"};
  for (const auto& target : writes)
    for (auto method : {"GET", "PUT", "DELETE"}) {
      CAPTURE(target);
      CAPTURE(method);
      auto a = send(c, method, target);
      expect(a, 405, "use POST");
      CHECK(a.allow == "POST");
    }

  // 409: conflicts with the state.
  expect(send(c, "POST", inst + "/kill"), 409, "is not running (it is succeeded)");
  expect(send(c, "POST", inst + "/rerun"), 409);
  expect(send(c, "POST", "/api/v1/workflows/hello/pause"), 409, "has no coordinator");

  // 413: a body over http.max_body_bytes, with a length or in chunks.
  expect(send(c, "POST", "/api/v1/workflows/hello/run", std::string(5000, ' ')), 413,
         "larger than 4096 bytes");
  expect(send(c, "POST", "/api/v1/workflows/hello/run", std::string(6000, ' '), true), 413,
         "larger than 4096 bytes");
  // Just under the limit is read (and is valid JSON with blanks around it).
  expect(send(c, "POST", "/api/v1/workflows/hello/run", std::string(4000, ' ') + "{}"), 201);

  // Nothing of that broke the server.
  expect(send(c, "GET", "/api/v1/health"), 200);
}

TEST_CASE("api: without a master health and ready and the rest answer 503 at once") {
  cluster c;
  c.start();
  REQUIRE(wait_until([&] { return send(c, "GET", "/api/v1/ready").status == 200; }));
  c.master()->signal(SIGKILL);
  CHECK(c.master()->wait() == 128 + SIGKILL);
  REQUIRE(wait_until([&] { return send(c, "GET", "/api/v1/health").status == 503; }));
  auto ready = send(c, "GET", "/api/v1/ready");
  CAPTURE(ready.body);
  CHECK(ready.status == 503);
  CHECK(ready.content_type == "application/json");
  CHECK(ready.data["ready"] == false);
  CHECK(ready.data["error"].get<std::string>().find("is not reachable") != std::string::npos);
  auto health = send(c, "GET", "/api/v1/health");
  CHECK(health.data["status"] == "unavailable");
  CHECK(health.data["error"].get<std::string>().find(c.master_address()) != std::string::npos);
  // The cluster view answers from the store: who held the lease, and that
  // no master is reachable.
  auto cluster = send(c, "GET", "/api/v1/cluster");
  CAPTURE(cluster.body);
  CHECK(cluster.status == 200);
  CHECK(cluster.data["master_reachable"] == false);
  CHECK(cluster.data["epoch"].get<int>() >= 1);
  REQUIRE(cluster.data["masters"].size() == 1);
  CHECK(cluster.data["masters"][0]["address"] == c.master_address());
  CHECK(c.cli({"cluster", "status"}).exit_code == 0);
  for (auto target : {"/api/v1/workflows", "/api/v1/xmlconfig",
                      "/api/v1/instances", "/api/v1/workflows/x"}) {
    CAPTURE(target);
    expect(send(c, "GET", target), 503, "is not reachable");
  }
  expect(send(c, "POST", "/api/v1/workflows/x/run"), 503, "is not reachable");
  // Back: ready again.
  c.start_master();
  CHECK_MESSAGE(wait_until([&] { return send(c, "GET", "/api/v1/ready").status == 200; }),
                c.logs());
}

TEST_SUITE_END();
