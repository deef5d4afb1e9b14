// The bearer token ([http] token, [http] open_reads) and akkaflow's routes
// against a real cluster: master, worker and http as processes on loopback.
// The akkaflow requests are the ones akkaflow's sbin/akka-* scripts send
// (Kent7306/akkaflow), each cited above the request that translates it.
#include <filesystem>

#include <doctest/doctest.h>

#include "cli/cli.hpp"
#include "cluster.hpp"
#include "config/config.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

const std::string token = "it-s3cret-0123456789";

/// One request to the cluster's HTTP port with the given token ("" = none).
client_response send(cluster& c, const std::string& method, const std::string& path,
                     const std::string& with_token, const std::string& body = {}) {
  auto address = parse_host_port(c.http_address());
  REQUIRE(address.has_value());
  auto response = http_call(*address, method, path, body, 5000, bearer(with_token));
  if (!response)
    return client_response{0, response.error().message};
  return *response;
}

/// An akkaflow request as its scripts send it (curl -s -XGET "http://...PATH"),
/// with the token; answers the parsed envelope and checks its shape.
json akka(cluster& c, const std::string& path, int expected_status = 200) {
  auto r = send(c, "GET", path, token);
  CAPTURE(path);
  CAPTURE(r.body);
  CHECK(r.status == expected_status);
  CHECK(r.header("Content-Type").rfind("application/json", 0) == 0);
  auto body = json::parse(r.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body.contains("result"));
  CHECK(body.contains("msg"));
  CHECK(body.contains("data"));
  CHECK(body["result"] == (expected_status == 200 ? "success" : "fail"));
  return body;
}

/// One shell action that appends `line` to `log`; `coordinator` may be empty.
std::string appender(const std::string& name, const std::string& coordinator,
                     const std::string& log, const std::string& line) {
  return "<work-flow name=\"" + name + "\" timezone=\"UTC\">" + coordinator
         + "<start name=\"s\" to=\"a\"/><action name=\"a\"><shell><command>echo " + line
         + " $CAFFLOW_PARAM_stadate $CAFFLOW_PARAM_city &gt;&gt; " + log
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

std::string depends_on(const std::vector<std::string>& upstreams) {
  std::string xml = "<coordinator><depend-list>";
  for (const auto& u : upstreams)
    xml += "<workflow name=\"" + u + "\"/>";
  return xml + "</depend-list></coordinator>";
}

/// `first` always succeeds; `second` succeeds once `flag` exists.
std::string flaky_xml(const std::string& log, const std::string& flag) {
  return "<work-flow name=\"flaky\"><start name=\"s\" to=\"first\"/>"
         "<action name=\"first\"><shell><command>echo first &gt;&gt; "
         + log + "</command></shell><ok to=\"second\"/></action>"
         + "<action name=\"second\"><shell><command>test -f " + flag
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

const std::string sleeper_xml =
  "<work-flow name=\"sleeper\"><start name=\"s\" to=\"nap\"/><action name=\"nap\"><shell>"
  "<command>sleep 60</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";

/// The instances of a workflow, newest first (reads are open).
json instances_of(cluster& c, const std::string& workflow) {
  return c.get("/api/v1/instances?limit=1000&workflow=" + workflow)["instances"];
}

/// Whether `down`'s coordinator holds its dependency on `up` as ready.
bool ready(cluster& c, const std::string& down, const std::string& up) {
  auto view = c.get("/api/v1/workflows/" + down);
  for (const auto& d : view["coordinator"]["dependencies"])
    if (d["workflow"] == up)
      return d["ready"].get<bool>();
  return false;
}

std::size_t attempts_of(const json& instance, const std::string& node) {
  auto n = node_of(instance, node);
  return n.is_object() && n.contains("attempts") ? n["attempts"].size() : 0;
}

/// The CLI with the cluster's config and `env` (NAME=VALUE items).
command_result cli(cluster& c, std::vector<std::string> args, std::vector<std::string> env) {
  args.insert(args.begin(), {CAFFLOW_CLI_BIN, "--conf", c.conf()});
  return run_command(args, std::move(env));
}

/// No token from anywhere: not the config's, not the environment's.
const std::vector<std::string> no_token_env{"CAFFLOW_HTTP_TOKEN=", "CAFFLOW_TOKEN="};

} // namespace

TEST_SUITE_BEGIN("auth_akkaflow");

TEST_CASE("a configured token guards every mutating request and the CLI sends it") {
  cluster_options opts;
  opts.extra_ini = "[http]\ntoken = " + token + "\n";
  cluster c(opts);
  c.add_workflow("hello.xml", appender("hello", "", c.dir("runs"), "hello"));
  c.start(); // its readiness check reads /api/v1/health without a token

  auto missing = send(c, "POST", "/api/v1/workflows/hello/run", "", "{}");
  CHECK(missing.status == 401);
  CHECK(missing.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
  auto error = json::parse(missing.body, nullptr, false);
  REQUIRE(error.is_object());
  CHECK(error["error"].get<std::string>().find("missing token") != std::string::npos);
  auto wrong = send(c, "POST", "/api/v1/workflows/hello/run", "not-the-token", "{}");
  CHECK(wrong.status == 401);
  CHECK(json::parse(wrong.body)["error"] == "wrong token in the Authorization header");
  // The check comes before routing and before the body: any path, any method.
  CHECK(send(c, "DELETE", "/metrics", "").status == 401);
  CHECK(send(c, "POST", "/api/v1/workflows/hello/run", "", std::string(4000, 'x')).status
        == 401);
  CHECK(instances_of(c, "hello").empty());
  auto right = send(c, "POST", "/api/v1/workflows/hello/run", token, "{}");
  REQUIRE_MESSAGE(right.status == 201, right.body);
  CHECK(c.wait_for(json::parse(right.body)["instance_id"].get<std::string>())["status"]
        == "succeeded");
  // Reads stay open (open_reads defaults to true).
  CHECK(send(c, "GET", "/api/v1/workflows", "").status == 200);
  CHECK(send(c, "HEAD", "/api/v1/instances", "").status == 200);
  CHECK(instances_of(c, "hello").size() == 1);

  // The CLI takes the token from [http] token of its config...
  auto run = c.cli({"workflow", "run", "hello"});
  CHECK_MESSAGE(run.exit_code == exit_code::ok, run.output);
  // ...and refuses clearly without one, or with a wrong one.
  auto anonymous = cli(c, {"workflow", "run", "hello"}, no_token_env);
  CHECK(anonymous.exit_code == exit_code::unauthorized);
  CHECK(anonymous.exit_code == 77);
  CHECK_MESSAGE(anonymous.output.find("missing token") != std::string::npos, anonymous.output);
  CHECK(anonymous.output.find("--token") != std::string::npos);
  auto bad = cli(c, {"--token", "nope", "workflow", "run", "hello"}, {});
  CHECK(bad.exit_code == exit_code::unauthorized);
  CHECK_MESSAGE(bad.output.find("wrong token") != std::string::npos, bad.output);
  // --token and CAFFLOW_TOKEN come before the config.
  auto from_env = cli(c, {"workflow", "run", "hello"},
                      {"CAFFLOW_HTTP_TOKEN=", "CAFFLOW_TOKEN=" + token});
  CHECK_MESSAGE(from_env.exit_code == exit_code::ok, from_env.output);
  auto from_flag = cli(c, {"--token", token, "workflow", "run", "hello"}, no_token_env);
  CHECK_MESSAGE(from_flag.exit_code == exit_code::ok, from_flag.output);
  auto list = cli(c, {"workflow", "list"}, no_token_env);
  CHECK_MESSAGE(list.exit_code == exit_code::ok, list.output);
  CHECK(wait_until([&] { return instances_of(c, "hello").size() == 4; }));
  // Scripts (sbin/lib.sh) read the token as any key.
  auto shown = c.cli({"config", "get", "http.token"});
  CHECK(shown.exit_code == 0);
  CHECK(shown.output == token + "\n");
}

TEST_CASE("open_reads = false closes the reads too") {
  cluster_options opts;
  opts.extra_ini = "[http]\ntoken = " + token + "\nopen_reads = false\n";
  cluster c(opts);
  c.add_workflow("hello.xml", appender("hello", "", c.dir("runs"), "hello"));
  // cluster::start() polls health without a token: start the roles and poll
  // with one.
  std::filesystem::create_directories(c.dir("logs"));
  c.start_master();
  c.start_worker(0);
  c.start_http();
  REQUIRE_MESSAGE(wait_until([&] {
                    auto h = send(c, "GET", "/api/v1/health", token);
                    return h.status == 200
                           && json::parse(h.body)["workers"].size() == 1;
                  }),
                  c.logs());

  CHECK(send(c, "GET", "/api/v1/health", "").status == 401);
  CHECK(send(c, "GET", "/api/v1/workflows", "wrong").status == 401);
  CHECK(send(c, "GET", "/metrics", "").status == 401);
  CHECK(send(c, "GET", "/akkaflow/cluster?action=get", "").status == 401);
  CHECK(send(c, "GET", "/api/v1/workflows", token).status == 200);
  CHECK(send(c, "GET", "/akkaflow/cluster?action=get", token).status == 200);
  auto anonymous = cli(c, {"workflow", "list"}, no_token_env);
  CHECK_MESSAGE(anonymous.exit_code == exit_code::unauthorized, anonymous.output);
  auto with = c.cli({"workflow", "list"});
  CHECK_MESSAGE(with.exit_code == exit_code::ok, with.output);
  CHECK(with.output.find("hello") != std::string::npos);
}

TEST_CASE("akkaflow routes answer the requests of akkaflow's shell scripts") {
  cluster_options opts;
  opts.extra_ini = "[http]\ntoken = " + token + "\n";
  cluster c(opts);
  auto log = c.dir("runs");
  auto flag = c.dir("flag");
  c.add_workflow("hello.xml", appender("hello", "", log, "hello"));
  c.add_workflow("up.xml", appender("up", "", log, "up"));
  c.add_workflow("other.xml", appender("other", "", log, "other"));
  c.add_workflow("down.xml", appender("down", depends_on({"up", "other"}), log, "down"));
  c.add_workflow("sleeper.xml", sleeper_xml);
  c.add_workflow("flaky.xml", flaky_xml(log, flag));
  c.start();

  // sbin/akka-workflow-run with --param "stadate=2017-12-12&city=guangzhou":
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=run&$param"
  const std::string run_path =
    "/akkaflow/workflow/hello?action=run&stadate=2017-12-12&city=guangzhou";
  CHECK(send(c, "GET", run_path, "").status == 401); // changes something, even on GET
  CHECK(instances_of(c, "hello").empty());
  auto run = akka(c, run_path);
  auto id = run["data"].get<std::string>();
  auto hello = c.wait_for(id);
  CHECK(hello["status"] == "succeeded");
  CHECK(hello["trigger"] == "manual");
  CHECK(hello["params"]["stadate"] == "2017-12-12");
  CHECK(hello["params"]["city"] == "guangzhou");
  CHECK(read_file(log).find("hello 2017-12-12 guangzhou") != std::string::npos);
  akka(c, "/akkaflow/workflow/nope?action=run", 404);

  // sbin/akka-workflow-trigger:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=trigger"
  auto trigger = akka(c, "/akkaflow/workflow/up?action=trigger");
  CHECK(c.wait_for(trigger["data"].get<std::string>())["trigger"] == "trigger");
  REQUIRE_MESSAGE(wait_until([&] { return ready(c, "down", "up"); }), c.logs());
  // sbin/akka-workflow-reset:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=reset"
  akka(c, "/akkaflow/workflow/down?action=reset");
  CHECK_FALSE(ready(c, "down", "up"));
  akka(c, "/akkaflow/workflow/hello?action=reset", 409); // no coordinator

  // sbin/akka-util-reset-all:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflows?action=reset"
  trigger = akka(c, "/akkaflow/workflow/up?action=trigger");
  c.wait_for(trigger["data"].get<std::string>());
  REQUIRE_MESSAGE(wait_until([&] { return ready(c, "down", "up"); }), c.logs());
  akka(c, "/akkaflow/workflows?action=reset");
  CHECK_FALSE(ready(c, "down", "up"));
  CHECK(instances_of(c, "down").empty()); // "other" never ran

  // sbin/akka-instance-kill:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/instance/$instance_id?action=kill"
  auto sleeper = akka(c, "/akkaflow/workflow/sleeper?action=run")["data"].get<std::string>();
  REQUIRE(wait_until([&] {
    return node_of(c.get("/api/v1/instances/" + sleeper), "nap")["status"] == "running";
  }));
  auto killed = akka(c, "/akkaflow/workflow/instance/" + sleeper + "?action=kill");
  CHECK(killed["data"] == "W_KILLED");
  CHECK(c.wait_for(sleeper)["status"] == "killed");
  akka(c, "/akkaflow/workflow/instance/" + sleeper + "?action=kill", 409);
  akka(c, "/akkaflow/workflow/instance/nosuchid?action=kill", 404);

  // sbin/akka-instance-rerun:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/instance/$instance_id?action=rerun"
  // and HttpServer.scala's recover=true (skip the nodes that succeeded).
  auto flaky = akka(c, "/akkaflow/workflow/flaky?action=run")["data"].get<std::string>();
  CHECK(c.wait_for(flaky)["status"] == "failed");
  write_file(flag, "");
  CHECK(akka(c, "/akkaflow/workflow/instance/" + flaky + "?action=rerun&recover=true")["data"]
        == flaky);
  json again;
  REQUIRE(wait_until([&] {
    again = c.get("/api/v1/instances/" + flaky);
    return again["status"] == "succeeded";
  }));
  CHECK(attempts_of(again, "first") == 1);
  CHECK(attempts_of(again, "second") == 2);
  akka(c, "/akkaflow/workflow/instance/" + flaky + "?action=rerun");
  REQUIRE(wait_until([&] {
    again = c.get("/api/v1/instances/" + flaky);
    return again["status"] == "succeeded" && attempts_of(again, "first") == 2;
  }));
  CHECK(attempts_of(again, "second") == 3);

  // The cluster as akkaflow's ActorInfo list.
  auto cluster_info = akka(c, "/akkaflow/cluster?action=get")["data"];
  REQUIRE(cluster_info.size() == 2);
  CHECK(cluster_info[0]["name"] == "master(" + c.master_address() + ")");
  CHECK(cluster_info[1]["name"] == "worker(" + c.worker_addresses()[0] + ")");
  CHECK(cluster_info[1]["pname"] == "top");

  // sbin/akka-workflow-del:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=del"
  auto del = akka(c, "/akkaflow/workflow/hello?action=del", 501);
  CHECK(del["msg"].get<std::string>().find(c.dir("xmlconfig/hello.xml")) != std::string::npos);
  CHECK(version_of(c, "hello") == 1);
  // sbin/shutdown-cluster:
  //   curl -s -XGET "http://$host:$port/akkaflow/cluster?action=shutdown"
  akka(c, "/akkaflow/cluster?action=shutdown", 501);
  CHECK(c.api("GET", "/api/v1/health").status == 200);
  akka(c, "/akkaflow/workflow/hello?action=launch", 400);
}

TEST_SUITE_END();
