// The walking skeleton end to end: master, worker and http as separate
// cafflowd processes talking over CAF on loopback.
#include <csignal>
#include <set>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "config/config.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A fork of three actions and a join; every action appends its name (and
/// the instance's param) to a file, so the test sees what really ran.
std::string fork_join_xml(const std::string& out) {
  auto action = [&](const std::string& name, const std::string& next) {
    return "<action name=\"" + name + "\"><shell><command>echo " + name
           + " $CAFFLOW_PARAM_day &gt;&gt; " + out + "</command></shell><ok to=\"" + next
           + "\"/></action>";
  };
  return "<work-flow name=\"fork_join\"><start name=\"start\" to=\"prepare\"/>"
         + action("prepare", "split")
         + "<fork name=\"split\"><path to=\"a\"/><path to=\"b\"/><path to=\"c\"/></fork>"
         + action("a", "merge") + action("b", "merge") + action("c", "merge")
         + "<join name=\"merge\" to=\"finish\"/>" + action("finish", "end")
         + "<end name=\"end\"/></work-flow>";
}

const json* node(const json& instance, const std::string& name) {
  for (const auto& n : instance["nodes"])
    if (n["name"] == name)
      return &n;
  return nullptr;
}

int port_of(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

} // namespace

TEST_SUITE_BEGIN("cluster");

TEST_CASE("a fork/join workflow runs across master, worker and http processes") {
  cluster c;
  auto out = c.dir("out.txt");
  c.add_workflow("etl/fork_join.xml", fork_join_xml(out));
  c.start();

  // Three processes, each on its configured port; worker and http are
  // connected to the master's CAF port.
  std::set<int> pids{c.master()->pid(), c.worker(0)->pid(), c.http()->pid()};
  CHECK(pids.size() == 3);
  auto listens = [](int pid, int port) {
    for (const auto& s : tcp_sockets(pid))
      if (s.state == "LISTEN" && s.local_port == port)
        return true;
    return false;
  };
  auto talks_to = [](int pid, int port) {
    for (const auto& s : tcp_sockets(pid))
      if (s.state == "ESTABLISHED" && s.remote_port == port)
        return true;
    return false;
  };
  CHECK(listens(c.master()->pid(), port_of(c.master_address())));
  CHECK(listens(c.worker(0)->pid(), port_of(c.worker_addresses()[0])));
  CHECK(listens(c.http()->pid(), port_of(c.http_address())));
  // The worker registers with the master, and the master tells the workers
  // that it is the active one: CAF keeps one connection, either way round.
  CHECK((talks_to(c.worker(0)->pid(), port_of(c.master_address()))
         || talks_to(c.master()->pid(), port_of(c.worker_addresses()[0]))));
  CHECK(talks_to(c.http()->pid(), port_of(c.master_address())));

  auto workflows = c.get("/api/v1/workflows");
  REQUIRE(workflows["workflows"].size() == 1);
  CHECK(workflows["workflows"][0]["name"] == "fork_join");

  auto id = c.run("fork_join", {{"day", "2026-11-20"}});
  auto inst = c.wait_for(id);
  INFO(c.logs());
  CHECK(inst["status"] == "succeeded");
  CHECK(inst["params"]["day"] == "2026-11-20");
  for (auto name : {"start", "prepare", "split", "a", "b", "c", "merge", "finish", "end"}) {
    CAPTURE(name);
    auto n = node(inst, name);
    REQUIRE(n != nullptr);
    CHECK((*n)["status"] == "succeeded");
  }
  auto a = node(inst, "a");
  REQUIRE((*a)["attempts"].size() == 1);
  CHECK((*a)["attempts"][0]["worker"] == c.worker_addresses()[0]);
  CHECK((*a)["attempts"][0]["exit_code"] == 0);
  // Every action ran exactly once, the join's successor after all branches.
  auto lines = read_file(out);
  CHECK(lines.rfind("prepare 2026-11-20\n", 0) == 0);
  CHECK(lines.substr(lines.size() - 18) == "finish 2026-11-20\n");
  for (auto name : {"a ", "b ", "c "})
    CHECK(lines.find(name) != std::string::npos);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 5);
  // The task's own log file exists where the attempt says.
  CHECK(read_file((*a)["attempts"][0]["log_path"].get<std::string>()).empty());

  // Listing and filtering.
  auto list = c.get("/api/v1/instances?workflow=fork_join&status=succeeded");
  REQUIRE(list["instances"].size() == 1);
  CHECK(list["instances"][0]["id"] == id);

  // A graceful stop: every process exits 0 and nothing of the cluster remains.
  CHECK(c.stop());
  CHECK(pids_matching(c.conf()).empty());
}

TEST_CASE("an action that exits 3 fails the instance, naming the node and why") {
  cluster c;
  c.add_workflow("bad.xml", R"(<workflow name="bad"><start name="s" to="check"/>
    <action name="check"><shell><command>echo looking; echo "input missing" >&2; exit 3</command>
    </shell><ok to="e"/></action><end name="e"/></workflow>)");
  c.start();
  auto id = c.run("bad");
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "failed");
  CHECK(inst["message"] == "node 'check' failed: exit code 3");
  auto n = node(inst, "check");
  REQUIRE(n != nullptr);
  CHECK((*n)["status"] == "failed");
  CHECK((*n)["message"].get<std::string>().find("input missing") != std::string::npos);
  CHECK((*n)["attempts"][0]["exit_code"] == 3);
  CHECK(node(inst, "e")->at("status") == "skipped"); // never reached

  // The CLI shows the same to people, and `wait` exits 1.
  auto show = c.cli({"instance", "show", id});
  CHECK(show.exit_code == 0);
  CHECK(show.output.find("node 'check' failed") != std::string::npos);
  CHECK(show.output.find("input missing") != std::string::npos);
  auto wait = c.cli({"instance", "wait", id, "--timeout", "10"});
  CHECK(wait.exit_code == 1);
}

TEST_CASE("the CLI lists, runs and waits, and wait times out with exit code 2") {
  cluster c;
  c.add_workflow("quick.xml", R"(<work-flow name="quick"><start name="s" to="a"/>
    <action name="a"><shell><command>true</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)");
  c.add_workflow("slow.xml", R"(<work-flow name="slow"><start name="s" to="a"/>
    <action name="a"><shell><command>sleep 30</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)");
  c.start();
  auto list = c.cli({"workflow", "list"});
  CHECK(list.exit_code == 0);
  CHECK(list.output.find("quick") != std::string::npos);
  CHECK(list.output.find("slow") != std::string::npos);
  auto run = c.cli({"workflow", "run", "quick", "-p", "k=v"});
  REQUIRE(run.exit_code == 0);
  auto id = run.output.substr(0, run.output.find('\n'));
  CHECK(c.cli({"instance", "wait", id, "--timeout", "20"}).exit_code == 0);
  auto listed = c.cli({"--json", "instance", "list", "--workflow", "quick"});
  CHECK(json::parse(listed.output)["instances"][0]["params"]["k"] == "v");
  auto slow = c.cli({"workflow", "run", "slow"});
  auto slow_id = slow.output.substr(0, slow.output.find('\n'));
  CHECK(c.cli({"instance", "wait", slow_id, "--timeout", "0.5"}).exit_code == 2);
  auto missing = c.cli({"workflow", "run", "nope"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("no workflow named 'nope'") != std::string::npos);
  CHECK(c.cli({"instance", "frobnicate"}).exit_code == 64);
}

TEST_CASE("bad HTTP requests get a 4xx JSON error") {
  cluster c;
  c.start();
  auto check = [&](const client_response& r, int status) {
    CAPTURE(r.body);
    CHECK(r.status == status);
    CHECK(json::parse(r.body, nullptr, false).contains("error"));
  };
  check(c.api("GET", "/no/such/route"), 404);
  check(c.api("POST", "/api/v1/workflows/nope/run", "{}"), 404);
  check(c.api("POST", "/api/v1/workflows/nope/run", "{broken"), 400);
  check(c.api("GET", "/api/v1/instances/0000000000000000"), 404);
  check(c.api("PUT", "/api/v1/health"), 405);
  check(c.api("POST", "/api/v1/workflows/x/run", std::string(2 << 20, 'x')), 413);

  // A POST with neither Content-Length nor chunks (curl -X POST) has an empty
  // body: answered at once, with the status's own reason phrase.
  auto address = parse_host_port(c.http_address());
  REQUIRE(address);
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress(address->host, address->port));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string request = "POST /api/v1/instances/0000000000000000/kill HTTP/1.1\r\n"
                        "Host: " + c.http_address() + "\r\nConnection: keep-alive\r\n\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  char buf[512];
  int n = 0;
  try {
    n = socket.receiveBytes(buf, sizeof(buf));
  } catch (const Poco::TimeoutException&) {
    FAIL("no answer within 10 s: the server waits for a body that never comes");
  }
  CHECK(std::string(buf, static_cast<std::size_t>(std::max(n, 0))).rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
}

TEST_CASE("a dead master is noticed: health is 503 until it is back, workers re-register") {
  cluster c;
  c.start();
  c.master()->signal(SIGKILL);
  CHECK(c.master()->wait() == 128 + SIGKILL);
  CHECK(wait_until([&] { return c.api("GET", "/api/v1/health").status == 503; }));
  c.start_master();
  CHECK(wait_until([&] { return c.workers_registered(); }));
  auto logs = c.logs();
  CHECK(logs.find("lost the master") != std::string::npos);
}

TEST_CASE("a dead worker is noticed by the master") {
  cluster c;
  c.start();
  c.worker(0)->signal(SIGKILL);
  CHECK(c.worker(0)->wait() == 128 + SIGKILL);
  CHECK(wait_until([&] { return c.get("/api/v1/health")["workers"].empty(); }));
  c.start_worker(0);
  CHECK(wait_until([&] { return c.workers_registered(); }));
}

TEST_CASE("cafflowd refuses a bad config with the file, line and key") {
  temp_dir dir;
  write_file(dir / "conf/c.ini", "[worker]\nslots = lots\n");
  auto r = run_command({CAFFLOWD_BIN, "--role", "worker", "--conf", dir / "conf/c.ini"});
  CHECK(r.exit_code == 78);
  CHECK(r.output.find("c.ini:2: worker.slots: expected a whole number, got 'lots'") !=
        std::string::npos);
  auto role = run_command({CAFFLOWD_BIN, "--role", "boss"});
  CHECK(role.exit_code == 64);
  CHECK(role.output.find("unknown role 'boss'") != std::string::npos);
}

TEST_CASE("a port in use is a clear startup error") {
  cluster c;
  c.start();
  // A second master on the same port cannot start.
  temp_dir dir;
  auto r = run_command({CAFFLOWD_BIN, "--role", "master", "--conf", c.conf(), "--set",
                        "paths.data=" + (dir / "data"), "--set", "paths.logs=" + (dir / "logs")});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot listen on " + c.master_address()) != std::string::npos);
}

TEST_SUITE_END();
