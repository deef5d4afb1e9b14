// The cluster runtime with real processes: slots across workers, lost
// workers, timeouts and kills of whole process trees, host pinning,
// instance limits, logs, attachments.
#include <algorithm>
#include <csignal>
#include <map>
#include <sstream>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A workflow of one action (shell command, extra action attributes).
std::string one_action(const std::string& name, const std::string& command,
                       const std::string& attrs = "") {
  return "<work-flow name=\"" + name + "\"><start name=\"s\" to=\"a\"/><action name=\"a\" " + attrs
         + "><shell><command><![CDATA[" + command
         + "]]></command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// The instance as soon as `pred` holds for it (or the last one seen).
json wait_instance(cluster& c, const std::string& id, const std::function<bool(const json&)>& pred) {
  json last;
  wait_until([&] {
    auto r = c.api("GET", "/api/v1/instances/" + id);
    if (r.status != 200)
      return false;
    last = json::parse(r.body);
    return pred(last);
  });
  return last;
}

int read_pid(const std::string& path) {
  auto text = read_file(path);
  return text.empty() ? 0 : std::stoi(text);
}

} // namespace

TEST_SUITE_BEGIN("runtime");

TEST_CASE("attempts use every worker's slots and never more") {
  cluster c(cluster_options(2, 2));
  auto out = c.dir("spans");
  std::string paths, actions;
  for (int i = 0; i < 8; ++i) {
    auto n = "t" + std::to_string(i);
    paths += "<path to=\"" + n + "\"/>";
    actions += "<action name=\"" + n + "\"><shell><command>echo \"$CAFFLOW_WORKER $(date +%s%N) start\" >> "
               + out + "; sleep 1; echo \"$CAFFLOW_WORKER $(date +%s%N) end\" >> " + out
               + "</command></shell><ok to=\"j\"/></action>";
  }
  c.add_workflow("fan.xml", "<work-flow name=\"fan\"><start name=\"s\" to=\"f\"/><fork name=\"f\">"
                              + paths + "</fork>" + actions
                              + "<join name=\"j\" to=\"e\"/><end name=\"e\"/></work-flow>");
  c.start();
  auto inst = c.wait_for(c.run("fan"));
  REQUIRE(inst["status"] == "succeeded");
  // Replay the start/end events per worker: at most 2 at once on each.
  std::map<std::string, std::vector<std::pair<long long, int>>> events;
  std::istringstream lines(read_file(out));
  std::string worker, kind;
  long long at = 0;
  while (lines >> worker >> at >> kind)
    events[worker].emplace_back(at, kind == "start" ? 1 : -1);
  CHECK(events.size() == 2); // both workers used
  for (auto& [w, list] : events) {
    std::sort(list.begin(), list.end()); // an end sorts before a start at the same time
    int now = 0, most = 0;
    for (auto& [t, delta] : list)
      most = std::max(most, now += delta);
    CAPTURE(w);
    CHECK(most <= 2);
    CHECK(most >= 1);
  }
}

TEST_CASE("a worker killed mid-run: its attempt is retried on the other, nothing of it is left") {
  cluster c(cluster_options(2, 1));
  auto dir = c.dir("");
  c.add_workflow("retry.xml", one_action("retry",
    "sleep 60 & echo $! > " + dir + "child.$CAFFLOW_ATTEMPT; echo $CAFFLOW_WORKER > " + dir
      + "worker.$CAFFLOW_ATTEMPT; if [ $CAFFLOW_ATTEMPT = 1 ]; then wait; fi",
    "retry-times=\"1\""));
  c.start();
  auto id = c.run("retry");
  REQUIRE(wait_until([&] { return read_pid(dir + "child.1") > 0 && !read_file(dir + "worker.1").empty(); }));
  auto first_worker = trim(read_file(dir + "worker.1"));
  auto child = read_pid(dir + "child.1");
  std::size_t index = first_worker == c.worker_addresses()[0] ? 0 : 1;
  c.worker(index)->signal(SIGKILL);
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  auto a = node_of(inst, "a");
  REQUIRE(a["attempts"].size() == 2);
  CHECK(a["attempts"][0]["lost"] == true);
  CHECK(a["attempts"][0]["status"] == "lost");
  CHECK(a["attempts"][1]["worker"] == c.worker_addresses()[1 - index]);
  CHECK(a["attempts"][1]["status"] == "succeeded");
  CHECK(wait_until([&] { return !process_exists(child); }));
}

TEST_CASE("a timeout kills the task's whole process tree and fails the attempt") {
  cluster c;
  auto dir = c.dir("");
  c.add_workflow("slow.xml", one_action("slow",
    "sleep 60 & echo $! > " + dir + "child; sleep 60", "timeout=\"1\""));
  c.start();
  auto inst = c.wait_for(c.run("slow"));
  CHECK(inst["status"] == "failed");
  auto a = node_of(inst, "a");
  CHECK(a["attempts"][0]["status"] == "timed_out");
  CHECK(a["message"].get<std::string>().find("timed out after 1s") == 0);
  auto child = read_pid(dir + "child");
  REQUIRE(child > 0);
  CHECK(wait_until([&] { return !process_exists(child); }));
}

TEST_CASE("timeout-action warn leaves the task running") {
  cluster c;
  c.add_workflow("warn.xml", one_action("warn", "sleep 2", "timeout=\"1\" timeout-action=\"warn\""));
  c.start();
  auto inst = c.wait_for(c.run("warn"));
  CHECK(inst["status"] == "succeeded");
  CHECK(c.logs().find("still running after 1 s (timeout-action warn)") != std::string::npos);
}

TEST_CASE("an attempt is stored with its worker and pid - a short one at its end and a long one while it runs") {
  cluster c;
  auto dir = c.dir("");
  // b runs until the test writes a line into its fifo.
  REQUIRE(::mkfifo((dir + "go.b").c_str(), 0600) == 0);
  c.add_workflow("two.xml", R"(<work-flow name="two"><start name="s" to="a"/>
    <action name="a"><shell><command>echo $$ > )" + dir + R"(pid.a</command></shell><ok to="b"/></action>
    <action name="b"><shell><command>echo $$ > )" + dir + R"(pid.b; read line &lt; )" + dir + R"(go.b</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)");
  c.start();
  auto id = c.run("two");
  REQUIRE(wait_until([&] { return read_pid(dir + "pid.b") > 0; }));
  // The worker tells of a running process once it has run for a moment: a
  // short one only at its end, with what it would have said before.
  auto running = wait_instance(c, id, [](const json& i) {
    auto b = node_of(i, "b")["attempts"];
    return b.size() == 1 && b[0]["pid"] != 0;
  });
  auto a = node_of(running, "a")["attempts"][0];
  CHECK(a["status"] == "succeeded");
  CHECK(a["pid"] == read_pid(dir + "pid.a"));
  CHECK(a["worker"] == c.worker_addresses()[0]);
  CHECK(a["started"].is_string());
  CHECK(a["log_path"] != "");
  auto b = node_of(running, "b")["attempts"][0];
  CHECK(b["status"] == "running");
  CHECK(b["pid"] == read_pid(dir + "pid.b"));
  CHECK(b["worker"] == c.worker_addresses()[0]);
  write_file(dir + "go.b", "go\n"); // opens the fifo: b reads its line and ends
  auto done = c.wait_for(id);
  CHECK(done["status"] == "succeeded");
  CHECK(node_of(done, "b")["attempts"][0]["pid"] == read_pid(dir + "pid.b"));
}

TEST_CASE("killing an instance stops its processes and ends it killed") {
  cluster c;
  auto dir = c.dir("");
  c.add_workflow("two.xml", R"(<work-flow name="two"><start name="s" to="f"/>
    <fork name="f"><path to="a"/><path to="b"/></fork>
    <action name="a"><shell><command>sleep 60 &amp; echo $! > )" + dir + R"(child.a; wait</command></shell><ok to="j"/></action>
    <action name="b"><shell><command>sleep 60 &amp; echo $! > )" + dir + R"(child.b; wait</command></shell><ok to="j"/></action>
    <join name="j" to="e"/><end name="e"/></work-flow>)");
  c.start();
  auto id = c.run("two");
  REQUIRE(wait_until([&] { return read_pid(dir + "child.a") > 0 && read_pid(dir + "child.b") > 0; }));
  auto killed = c.cli({"instance", "kill", id});
  CHECK(killed.exit_code == 0);
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "killed");
  for (auto n : {"a", "b"}) {
    CAPTURE(n);
    CHECK(node_of(inst, n)["status"] == "killed");
    auto child = read_pid(dir + "child." + n);
    CHECK(wait_until([&] { return !process_exists(child); }));
  }
  // The attempts' rows end up saying how they ended.
  auto done = wait_instance(c, id, [](const json& i) {
    return node_of(i, "a")["attempts"][0]["status"] == "killed";
  });
  CHECK(node_of(done, "a")["attempts"][0]["status"] == "killed");
  CHECK(c.api("POST", "/api/v1/instances/" + id + "/kill").status == 409);
  CHECK(c.api("POST", "/api/v1/instances/nope/kill").status == 404);
}

TEST_CASE("an action pinned to a host no worker has waits, visibly, without failing") {
  cluster c;
  c.add_workflow("pinned.xml", one_action("pinned", "true", "host=\"elsewhere\""));
  c.start();
  auto id = c.run("pinned");
  auto inst = wait_instance(c, id, [](const json& i) { return node_of(i, "a")["status"] == "waiting"; });
  CHECK(node_of(inst, "a")["status"] == "waiting");
  CHECK(node_of(inst, "a")["message"] == "waiting for a worker on host 'elsewhere'");
  CHECK(inst["status"] == "running");
  CHECK(c.get("/api/v1/cluster")["attempts"]["queued"] == 1);
  CHECK(c.api("POST", "/api/v1/instances/" + id + "/kill").status == 200);
  CHECK(c.wait_for(id)["status"] == "killed");
}

TEST_CASE("worker groups place actions on the workers that list them") {
  cluster_options opts(2, 2);
  opts.worker_overrides = {{"worker.groups=etl"}, {"worker.groups=gpu,etl"}};
  cluster c(opts);
  c.add_workflow("gpu.xml", one_action("gpu", "echo $CAFFLOW_WORKER", "worker-group=\"gpu\""));
  c.start();
  auto inst = c.wait_for(c.run("gpu"));
  CHECK(node_of(inst, "a")["attempts"][0]["worker"] == c.worker_addresses()[1]);
  auto cluster = c.get("/api/v1/cluster");
  for (const auto& w : cluster["workers"])
    if (w["id"] == c.worker_addresses()[1])
      CHECK(w["groups"] == json::array({"gpu", "etl"}));
    else
      CHECK(w["groups"] == json::array({"etl"}));
}

TEST_CASE("instance-limit: excess instances wait and run in order") {
  cluster c;
  auto out = c.dir("order");
  c.add_workflow("one.xml", one_action("one", "echo $CAFFLOW_INSTANCE_ID >> " + out + "; sleep 0.5"));
  c.start();
  auto first = c.run("one");
  auto second = c.run("one");
  auto third = c.run("one");
  auto waiting = c.get("/api/v1/instances/" + third);
  CHECK(waiting["status"] == "queued");
  for (const auto& id : {first, second, third})
    CHECK(c.wait_for(id)["status"] == "succeeded");
  CHECK(read_file(out) == first + "\n" + second + "\n" + third + "\n");
}

TEST_CASE("node logs come from the worker that ran them, also through the CLI") {
  cluster c;
  c.add_workflow("talk.xml", one_action("talk", "echo line one; echo line two >&2; exit 4", "retry-times=\"1\""));
  c.start();
  auto id = c.run("talk");
  CHECK(c.wait_for(id)["status"] == "failed");
  auto chunk = c.get("/api/v1/instances/" + id + "/nodes/a/log");
  CHECK(chunk["attempt"] == 2);
  CHECK(chunk["content"] == "line one\nline two\n");
  CHECK(chunk["worker"] == c.worker_addresses()[0]);
  auto tail = c.get("/api/v1/instances/" + id + "/nodes/a/log?attempt=1&offset=9");
  CHECK(tail["content"] == "line two\n");
  auto cli = c.cli({"instance", "log", id, "a", "--attempt", "1"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.output == "line one\nline two\n");
  auto follow = c.cli({"instance", "log", id, "a", "--follow"});
  CHECK(follow.output == "line one\nline two\n");
  // Names are never paths: no way out of the task log folder (a bad name is
  // refused as such; more in api_test.cpp).
  CHECK(c.api("GET", "/api/v1/instances/" + id + "/nodes/..%2F..%2F..%2Fetc%2Fpasswd/log").status == 400);
  CHECK(c.api("GET", "/api/v1/instances/..%2F..%2Fetc/nodes/a/log").status == 400);
  CHECK(c.api("GET", "/api/v1/instances/" + id + "/nodes/a/log?attempt=7").status == 404);
}

TEST_CASE("attachments travel with the attempt, and file-executor runs the shipped script") {
  cluster c;
  auto dir = c.dir("");
  write_file(dir + "xmlconfig/lib/helper.txt", "helper content\n");
  write_file(dir + "xmlconfig/lib/job.sh", "#!/bin/sh\necho \"job $1 $(cat helper.txt)\"\n");
  c.add_workflow("files.xml", R"(<work-flow name="files"><start name="s" to="a"/>
    <action name="a"><script><code>cat helper.txt</code>
      <attach-list><file>lib/helper.txt</file></attach-list></script><ok to="b"/></action>
    <action name="b"><file-executor><command>lib/job.sh 42</command>
      <attach-list><file>lib/helper.txt</file></attach-list></file-executor><ok to="e"/></action>
    <end name="e"/></work-flow>)");
  c.start();
  auto id = c.run("files");
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(c.get("/api/v1/instances/" + id + "/nodes/a/log")["content"] == "helper content\n");
  CHECK(c.get("/api/v1/instances/" + id + "/nodes/b/log")["content"] == "job 42 helper content\n");
}

TEST_CASE("a worker without a master for longer than its lease kills its tasks") {
  cluster_options opts(1, 2);
  opts.worker_overrides = {{"worker.lease_s=1"}};
  cluster c(opts);
  auto dir = c.dir("");
  c.add_workflow("long.xml", one_action("long", "sleep 60 & echo $! > " + dir + "child; wait"));
  c.start();
  c.run("long");
  REQUIRE(wait_until([&] { return read_pid(dir + "child") > 0; }));
  auto child = read_pid(dir + "child");
  c.master()->signal(SIGKILL);
  CHECK(wait_until([&] { return !process_exists(child); }));
  CHECK(c.logs().find("killing 1 running tasks") != std::string::npos);
}

TEST_CASE("the cluster view lists master and workers, also through the CLI") {
  cluster c(cluster_options(2, 3));
  c.start();
  auto view = c.get("/api/v1/cluster");
  CHECK(view["master"]["address"] == c.master_address());
  CHECK(view["master"]["pid"] == c.master()->pid());
  REQUIRE(view["workers"].size() == 2);
  CHECK(view["slots"]["total"] == 6);
  for (const auto& w : view["workers"]) {
    CHECK(w["state"] == "up");
    CHECK(w["slots"] == 3);
    CHECK_FALSE(w["last_heartbeat"].is_null());
  }
  auto status = c.cli({"cluster", "status"});
  CHECK(status.exit_code == 0);
  CHECK(status.output.find(c.worker_addresses()[1]) != std::string::npos);
}

TEST_SUITE_END();
