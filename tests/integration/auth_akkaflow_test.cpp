// The bearer token ([http] token, [http] open_reads) and akkaflow's routes
// against a real cluster: master, worker and http as processes on loopback.
// The akkaflow requests are the ones akkaflow's sbin/akka-* scripts send
// (Kent7306/akkaflow), each cited above the request that translates it.
#include <filesystem>

#include <Poco/URI.h>
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

/// A POST with a form body as akkaflow's add/check scripts send it
/// (curl -s -XPOST -d "xml=$con" "http://...PATH"), with the token.
json akka_post(cluster& c, const std::string& path, const std::string& form,
               int expected_status = 200) {
  auto r = send(c, "POST", path, token, form);
  CAPTURE(path);
  CAPTURE(r.body);
  CHECK(r.status == expected_status);
  auto body = json::parse(r.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["result"] == (expected_status == 200 ? "success" : "fail"));
  return body;
}

/// A form value percent-encoded as akkaflow's sbin/url-encode did.
std::string form_value(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "&=+#;/?:@ \n", out);
  return out;
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
  // (cafflow removes the file that defines it; the history stays.)
  auto del = akka(c, "/akkaflow/workflow/hello?action=del");
  CHECK(del["msg"].get<std::string>().find(c.dir("xmlconfig/hello.xml")) != std::string::npos);
  CHECK(version_of(c, "hello") == 0);
  CHECK_FALSE(std::filesystem::exists(c.dir("xmlconfig/hello.xml")));
  CHECK(instances_of(c, "hello").size() == 1);
  // sbin/shutdown-cluster:
  //   curl -s -XGET "http://$host:$port/akkaflow/cluster?action=shutdown"
  // Refused by default ([http] allow_shutdown = false): the master stays.
  auto refused = akka(c, "/akkaflow/cluster?action=shutdown", 403);
  CHECK(refused["msg"].get<std::string>().find("allow_shutdown = true") != std::string::npos);
  CHECK(c.api("GET", "/api/v1/health").status == 200);
  CHECK(c.master()->running());
  akka(c, "/akkaflow/workflow/hello?action=launch", 400);
}

TEST_CASE("akkaflow's definition routes and legacy routes and sbin/akka replayed against a cluster") {
  cluster_options opts;
  opts.extra_ini = "[http]\ntoken = " + token + "\n";
  cluster c(opts);
  auto log = c.dir("runs");
  c.add_workflow("up.xml", appender("up", "", log, "up"));
  c.add_workflow("slow.xml",
                 "<work-flow name=\"slow\" instance-limit=\"1\"><start name=\"s\" to=\"nap\"/>"
                 "<action name=\"nap\"><shell><command>sleep 60</command></shell><ok to=\"e\"/>"
                 "</action><end name=\"e\"/></work-flow>");
  // Six cron fields in an akkaflow file: 00:30 on January 1st (the sixth
  // field is not read; read as seconds first it would fire at second 30).
  c.add_workflow("minutely.xml",
                 appender("minutely", "<coordinator><depend-list cron=\"30 0 1 1 * *\"/></coordinator>",
                          log, "minutely"));
  c.start();

  auto next_fires = c.get("/api/v1/workflows/minutely")["coordinator"]["next_fires"];
  REQUIRE(next_fires.size() >= 2);
  for (const auto& t : next_fires) {
    CHECK(t.get<std::string>().substr(5, 11) == "01-01T00:30");
    CHECK(t.get<std::string>().substr(17, 2) == "00");
  }
  auto minutely = file_status(c, "minutely.xml");
  REQUIRE(minutely.is_object());
  REQUIRE(minutely["diagnostics"].size() == 1);
  CHECK(minutely["diagnostics"][0]["message"].get<std::string>().find("'@seconds 30 0 1 1 * *'")
        != std::string::npos);

  // sbin/akka-workflow-check:
  //   curl -s -XPOST -d "xml=$con" "http://$host:$port/akkaflow/workflow?action=check"
  auto added_xml = appender("added", depends_on({"up"}), log, "added");
  auto check = akka_post(c, "/akkaflow/workflow?action=check", "xml=" + form_value(added_xml));
  CHECK(check["msg"] == "the workflow 'added' is valid");
  CHECK(send(c, "POST", "/akkaflow/workflow?action=check", "", "xml=" + form_value(added_xml))
          .status
        == 401);
  auto orphan = akka_post(c, "/akkaflow/workflow?action=check",
                          "xml=" + form_value(appender("orphan", depends_on({"nowhere"}), log, "o")),
                          400);
  CHECK(orphan["msg"] == "it names workflows that are not loaded: nowhere");
  auto broken = akka_post(c, "/akkaflow/workflow?action=check",
                          "xml=" + form_value("<work-flow name=\"b\"><start name=\"s\" "
                                              "to=\"zz\"/><end name=\"e\"/></work-flow>"),
                          400);
  CHECK(broken["msg"].get<std::string>().find("line 1: 's' continues to unknown node 'zz'")
        != std::string::npos);
  CHECK(send(c, "GET", "/akkaflow/workflow?action=add", token).status == 405);

  // sbin/akka-workflow-add (2.8.2+): check, then
  //   curl -s -XPOST -d "xml=$xml_str" ".../akkaflow/workflow?action=add&path=$file_str"
  auto add = akka_post(c, "/akkaflow/workflow?action=add&path=%2Fhome%2Fetl%2Fadded.xml",
                       "xml=" + form_value(added_xml));
  CHECK(add["data"] == "added");
  CHECK(add["msg"] == "added workflow 'added': " + c.dir("xmlconfig/added.xml") + " is loaded");
  CHECK(version_of(c, "added") == 1);
  // akkaflow before 2.7 (sbin/submit-workflow) sent the form field content=.
  auto replaced = akka_post(c, "/akkaflow/workflow?action=add",
                            "content=" + form_value(appender("added", depends_on({"up"}), log,
                                                             "added2")));
  CHECK(replaced["msg"].get<std::string>().rfind("replaced workflow 'added'", 0) == 0);
  CHECK(version_of(c, "added") == 2);
  auto up = akka(c, "/akkaflow/workflow/up?action=trigger")["data"].get<std::string>();
  CHECK(c.wait_for(up)["status"] == "succeeded");
  REQUIRE_MESSAGE(wait_until([&] { return !instances_of(c, "added").empty(); }), c.logs());
  CHECK(c.wait_for(instances_of(c, "added")[0]["id"].get<std::string>())["status"]
        == "succeeded");
  CHECK(read_file(log).find("added2") != std::string::npos);

  // sbin/akka-workflow-del:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=del"
  auto in_use = akka(c, "/akkaflow/workflow/up?action=del", 409);
  CHECK(in_use["msg"] == "workflow 'up' is a dependency of added; remove it from their "
                         "coordinators first");
  auto del = akka(c, "/akkaflow/workflow/added?action=del");
  CHECK(del["msg"] == "deleted workflow 'added': removed " + c.dir("xmlconfig/added.xml")
                        + "; its instances stay in the history");
  CHECK_FALSE(std::filesystem::exists(c.dir("xmlconfig/added.xml")));
  CHECK(version_of(c, "added") == 0);
  CHECK(instances_of(c, "added").size() == 1);

  // sbin/akka-front:
  //   curl -s -XGET "http://${host}:${port}/akkaflow/workflow/watting_instance/list"
  auto first = akka(c, "/akkaflow/workflow/slow?action=run")["data"].get<std::string>();
  REQUIRE(wait_until([&] { return node_status_is(c, first, "nap", "running"); }));
  auto second = akka(c, "/akkaflow/workflow/slow?action=run")["data"].get<std::string>();
  REQUIRE(wait_until([&] { return c.get("/api/v1/instances/" + second)["status"] == "queued"; }));
  auto waiting = akka(c, "/akkaflow/workflow/watting_instance/list");
  CHECK(waiting["data"] == json::array({json{{"wfid", second}, {"name", "slow"}}}));
  auto busy = akka(c, "/akkaflow/workflow/slow?action=del", 409);
  CHECK(busy["msg"].get<std::string>().find("has a running instance (" + first + ")")
        != std::string::npos);
  akka(c, "/akkaflow/workflow/instance/" + second + "?action=kill");
  akka(c, "/akkaflow/workflow/instance/" + first + "?action=kill");
  // akkaflow 2.9.8+: the fires left today by workflow (only minutely has a cron).
  auto left = akka(c, "/akkaflow/workflows?action=today-trigger-left")["data"];
  REQUIRE(left.is_object());
  CHECK_FALSE(left.contains("up"));
  CHECK_FALSE(left.contains("slow"));

  // akkaflow <= 2.7: standalone coordinators over /akkaflow/coor (sbin/submit-coor,
  // sbin/akka-coor-*); this one is in the original format of v1.0 ... 2.6.3.
  const std::string coor_xml =
    "<coordinator name=\"coor_up\" start=\"2016-09-10 10:00:00\" end=\"2099-09-10 10:00:00\">"
    "<trigger><cron config=\"0 0 1 1 * *\"/></trigger>"
    "<workflow-list><workflow path=\"up\"/></workflow-list></coordinator>";
  akka_post(c, "/akkaflow/coor?action=check", "xml=" + form_value(coor_xml));
  akka_post(c, "/akkaflow/workflow?action=add", "xml=" + form_value(coor_xml), 400);
  auto coor_add = akka_post(c, "/akkaflow/coor?action=add", "content=" + form_value(coor_xml));
  CHECK(coor_add["data"] == "coor_up");
  auto coor = akka(c, "/akkaflow/coor/coor_up?action=get")["data"];
  CHECK(coor["path"] == c.dir("xmlconfig/coordinators/coor_up.xml"));
  CHECK(coor["status"] == "loaded");
  akka(c, "/akkaflow/coor/coor_up?action=reset");
  // sbin/akka-coor-trigger: it fires now (its cron is on January 1st).
  auto coor_fired = akka(c, "/akkaflow/coor/coor_up?action=trigger")["data"];
  REQUIRE(coor_fired.size() == 1);
  auto coor_run = c.wait_for(coor_fired[0].get<std::string>());
  CHECK(coor_run["workflow"] == "up");
  CHECK(coor_run["trigger"] == "trigger");
  CHECK(coor_run["status"] == "succeeded");
  akka(c, "/akkaflow/coor/coor_up?action=del");
  CHECK_FALSE(std::filesystem::exists(c.dir("xmlconfig/coordinators/coor_up.xml")));
  akka(c, "/akkaflow/coor/coor_up?action=get", 404);

  // akkaflow 2.10+: db links and file links are files in cafflow; instances stay.
  akka_post(c, "/akkaflow/db-link?action=add",
            "name=l&dbtype=MYSQL&jdbcUrl=jdbc%3Amysql%3A%2F%2Fh%3A3306%2Fd&username=u&password=p"
            "&desc=d&properties=%7B%7D",
            501);
  akka(c, "/akkaflow/db-link/l?action=del", 501);
  akka_post(c, "/akkaflow/file-link?action=add", "name=f&fstype=LOCAL&host=h&port=-1", 501);
  akka(c, "/akkaflow/file-link/f?action=update", 501);
  // akkaflow 2.12's folder ids do not exist in cafflow: the path is asked for.
  auto numeric = akka(c, "/akkaflow/workflow?action=del-dir&id=3", 400);
  CHECK(numeric["msg"].get<std::string>().find("no numeric ids") != std::string::npos);
  // sbin/akka-instance-del: the ended (killed) instance goes.
  akka(c, "/akkaflow/workflow/instance/" + first + "?action=del");
  CHECK(c.api("GET", "/api/v1/instances/" + first).status == 404);

  // sbin/akka: akkaflow's command set, as operators type it.
  auto akka_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"bash", std::string(CAFFLOW_SOURCE_DIR) + "/sbin/akka", "--conf",
                               c.conf()});
    return run_command(args);
  };
  auto r = akka_cmd({"workflow", "-run", "up", "--param", "stadate=2017-12-12&city=guang zhou"});
  CAPTURE(r.output);
  CHECK(r.exit_code == 0);
  auto answer = json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
  REQUIRE(answer.is_object());
  auto run = c.wait_for(answer["data"].get<std::string>());
  CHECK(run["params"]["city"] == "guang zhou");
  CHECK(run["trigger"] == "manual");
  auto file = c.dir("submit/added.xml");
  write_file(file, added_xml);
  r = akka_cmd({"workflow", "-check", file});
  CHECK(r.exit_code == 0);
  r = akka_cmd({"workflow", "-add", file});
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("\"result\":\"success\"") != std::string::npos);
  CHECK(version_of(c, "added") > 0);
  r = akka_cmd({"workflow", "-list", "add"});
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("added") != std::string::npos);
  r = akka_cmd({"workflow", "-trigger", "up", "--blood"});
  CHECK(r.exit_code == 0);
  r = akka_cmd({"util", "-reset-all"});
  CHECK(r.exit_code == 0);
  r = akka_cmd({"instance", "-kill", "nosuchid"});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("\"result\":\"fail\"") != std::string::npos);
  r = akka_cmd({"workflow"});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("akka workflow -run") != std::string::npos);
}

// akkaflow's coor trigger (TriggerPostWorkflow), instance del
// (RemoveWorkFlowInstance), del-dir (DelWorklowDir) and cluster shutdown
// (ShutdownCluster), the last one enabled by [http] allow_shutdown.
TEST_CASE("akkaflow coor trigger and instance del and del-dir and shutdown against a cluster") {
  cluster_options opts;
  opts.extra_ini = "[http]\ntoken = " + token + "\nallow_shutdown = true\n";
  cluster c(opts);
  auto log = c.dir("runs");
  c.add_workflow("up.xml", appender("up", "", log, "up"));
  c.add_workflow("sleeper.xml", sleeper_xml);
  auto in_etl = [&](const std::string& name, const std::string& coordinator) {
    auto xml = appender(name, coordinator, log, name);
    return xml.replace(xml.find(" timezone="), 0, " dir=\"/etl\"");
  };
  c.add_workflow("etl/a.xml", in_etl("a", ""));
  c.add_workflow("etl/daily/b.xml", in_etl("b", depends_on({"a"})));
  // The original standalone format (v1.0 ... 2.6.3): its cron fires on
  // January 1st only, its trigger-list is up.
  c.add_workflow("coordinators/coor_up.xml",
                 "<coordinator name=\"coor_up\" start=\"2016-09-10 10:00:00\" "
                 "end=\"2099-09-10 10:00:00\"><trigger><cron config=\"0 0 1 1 * *\"/></trigger>"
                 "<workflow-list><workflow path=\"up\"/></workflow-list></coordinator>");
  c.start();
  REQUIRE_MESSAGE(wait_until([&] { return version_of(c, "b") > 0; }), c.logs());

  // sbin/akka-coor-trigger:
  //   curl -s -XGET "http://$host:$port/akkaflow/coor/$coor_name?action=trigger"
  CHECK(send(c, "GET", "/akkaflow/coor/coor_up?action=trigger", "").status == 401);
  CHECK(instances_of(c, "up").empty());
  auto fired = akka(c, "/akkaflow/coor/coor_up?action=trigger");
  REQUIRE(fired["data"].is_array());
  REQUIRE(fired["data"].size() == 1);
  auto up_id = fired["data"][0].get<std::string>();
  CHECK(fired["msg"] == "triggered coordinator 'coor_up': instance(s) " + up_id);
  auto up_run = c.wait_for(up_id);
  CHECK(up_run["status"] == "succeeded");
  CHECK(up_run["workflow"] == "up");
  CHECK(up_run["trigger"] == "trigger");
  CHECK(read_file(log).find("up") != std::string::npos);
  CHECK(instances_of(c, "up").size() == 1);
  akka(c, "/akkaflow/coor/nope?action=trigger", 404);

  // sbin/akka-instance-del:
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow/instance/$instance_id?action=del"
  auto deleted = akka(c, "/akkaflow/workflow/instance/" + up_id + "?action=del");
  CHECK(deleted["msg"] == "deleted instance " + up_id + " with its nodes, attempts and executions");
  CHECK(c.api("GET", "/api/v1/instances/" + up_id).status == 404);
  CHECK(instances_of(c, "up").empty());
  akka(c, "/akkaflow/workflow/instance/" + up_id + "?action=del", 404);
  // A running instance is refused and keeps running.
  auto sleeper = akka(c, "/akkaflow/workflow/sleeper?action=run")["data"].get<std::string>();
  REQUIRE(wait_until([&] { return node_status_is(c, sleeper, "nap", "running"); }));
  auto running = akka(c, "/akkaflow/workflow/instance/" + sleeper + "?action=del", 409);
  CHECK(running["msg"].get<std::string>().find("is running") != std::string::npos);
  CHECK(send(c, "DELETE", "/api/v1/instances/" + sleeper, token).status == 409);
  CHECK(c.get("/api/v1/instances/" + sleeper)["status"] == "running");
  akka(c, "/akkaflow/workflow/instance/" + sleeper + "?action=kill");
  CHECK(c.wait_for(sleeper)["status"] == "killed");
  // Once ended: the native route and the CLI (cafflow instance delete).
  CHECK(send(c, "DELETE", "/api/v1/instances/" + sleeper, "").status == 401);
  auto by_cli = c.cli({"instance", "delete", sleeper});
  CHECK_MESSAGE(by_cli.exit_code == exit_code::ok, by_cli.output);
  CHECK(by_cli.output == sleeper + " deleted\n");
  CHECK(c.api("GET", "/api/v1/instances/" + sleeper).status == 404);
  auto again = c.cli({"instance", "delete", sleeper});
  CHECK(again.exit_code != exit_code::ok);

  // sbin/akka-util-del-dir (akkaflow 2.12: only an empty folder goes):
  //   curl -s -XGET "http://$host:$port/akkaflow/workflow?action=del-dir&id=$dir"
  auto not_empty = akka(c, "/akkaflow/workflow?action=del-dir&id=%2Fetl", 409);
  CHECK(not_empty["msg"].get<std::string>().find("is not empty") != std::string::npos);
  CHECK(version_of(c, "a") > 0);
  auto empty = akka(c, "/akkaflow/workflow?action=del-dir&id=%2Fnowhere");
  CHECK(empty["data"] == json::array());
  // force=true deletes every workflow of it (b first: it depends on a).
  auto forced = akka(c, "/akkaflow/workflow?action=del-dir&id=%2Fetl&force=true");
  CHECK(forced["data"] == json::array({"b", "a"}));
  CHECK(wait_until([&] { return version_of(c, "a") == 0 && version_of(c, "b") == 0; }));
  CHECK_FALSE(std::filesystem::exists(c.dir("xmlconfig/etl/a.xml")));
  CHECK_FALSE(std::filesystem::exists(c.dir("xmlconfig/etl/daily/b.xml")));
  CHECK(version_of(c, "up") > 0);

  // sbin/shutdown-cluster:
  //   curl -s -XGET "http://$host:$port/akkaflow/cluster?action=shutdown"
  CHECK(send(c, "GET", "/akkaflow/cluster?action=shutdown", "").status == 401);
  CHECK(c.master()->running());
  auto stopping = akka(c, "/akkaflow/cluster?action=shutdown");
  CHECK(stopping["msg"].get<std::string>().find("the master stops") != std::string::npos);
  // It drains (nothing runs) and exits 0; the http server then has no master.
  CHECK_MESSAGE(c.master()->wait(std::chrono::seconds(30)) == 0, c.logs());
  CHECK(c.logs().find("stopping on request") != std::string::npos);
  CHECK(wait_until([&] { return c.api("GET", "/api/v1/health").status == 503; }));
}

TEST_SUITE_END();
