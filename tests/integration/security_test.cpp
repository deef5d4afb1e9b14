// Security of the cluster's CAF connections (docs/OPERATIONS.md, "Security"):
// mutual TLS with the cluster's CA, roles proven per session, and gates that
// take each message only from a role that may send it — tried by a foreign
// cluster, by insiders holding certificates of the wrong role (caf_probe),
// and by hostile bytes; plus a master paused without a standby.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.hpp"
#include "exec/process.hpp"
#include "mariadb.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

namespace fs = std::filesystem;

/// The lines of a file (none when it does not exist).
std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> result;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

std::string role_log(cluster& c, const std::string& role, const std::string& address) {
  return read_file(c.dir("logs/" + role + "-" + address.substr(address.rfind(':') + 1) + ".log"));
}

/// Certificates for the probe, issued by the cluster's CA through the CLI.
struct probe_certs {
  std::string dir;
  std::string role;
};

probe_certs issue(cluster& c, const std::string& role, const std::string& host,
                  const std::string& dir) {
  auto r = c.cli({"tls", "issue", "--role", role, "--host", host, "--out", dir});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return {dir, role};
}

/// Runs caf_probe with `certs` against `target`; its output.
std::string probe(const probe_certs& certs, const std::string& target,
                  std::vector<std::string> action) {
  std::vector<std::string> argv{CAF_PROBE_BIN,
                                "--ca",
                                certs.dir + "/ca.pem",
                                "--cert",
                                certs.dir + "/" + certs.role + ".pem",
                                "--key",
                                certs.dir + "/" + certs.role + ".key",
                                "--role",
                                certs.role,
                                target};
  argv.insert(argv.end(), action.begin(), action.end());
  auto r = run_command(argv);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  return r.output;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A workflow "slow" whose node "wait" sleeps, and "probe" that appends to a log.
void add_workflows(cluster& c, const std::string& log) {
  c.add_workflow("probe.xml", chain_xml("probe", {"p"}, log));
  c.add_workflow("slow.xml", chain_xml("slow", {"wait"}, log, {{"wait", "sleep 30"}}));
}

/// The current epoch of the cluster.
std::uint64_t epoch_of(cluster& c) { return c.get("/api/v1/health")["epoch"].get<std::uint64_t>(); }

} // namespace

TEST_CASE("a foreign cluster with its own CA gets no registration, no task and no epoch") {
  cluster ours;
  auto log = ours.dir("ran.log");
  add_workflows(ours, log);
  ours.start();
  auto epoch = epoch_of(ours);
  // Their master calls our worker its own; their worker registers with our
  // master; their http server asks our master. Each has its own data/tls (CA).
  cluster_options theirs_opts;
  theirs_opts.master_overrides = {"cluster.workers=" + ours.worker_addresses().at(0)};
  theirs_opts.worker_overrides = {{"cluster.master=" + ours.master_address()}};
  theirs_opts.http_overrides = {"cluster.master=" + ours.master_address()};
  cluster theirs(theirs_opts);
  std::filesystem::create_directories(theirs.dir("logs"));
  theirs.start_master();
  theirs.start_worker(0);
  theirs.start_http();
  auto their_worker = theirs.worker_addresses().at(0);
  // Their worker says it cannot reach our master; their master is up.
  REQUIRE(wait_until([&] {
    return contains(role_log(theirs, "worker", their_worker), "cannot reach the master at "
                                                                + ours.master_address());
  }));
  REQUIRE(wait_until(
    [&] { return contains(role_log(theirs, "master", theirs.master_address()), "up at"); }));
  // Their http server cannot log in: 503 there.
  CHECK(theirs.api("GET", "/api/v1/health").status == 503);
  // Ours: the same workers, the same epoch, and work runs.
  INFO(ours.logs());
  auto cluster_view = ours.get("/api/v1/cluster");
  REQUIRE(cluster_view["workers"].size() == 1);
  CHECK(cluster_view["workers"][0]["id"] == ours.worker_addresses().at(0));
  CHECK(cluster_view["workers"][0]["state"] == "up");
  CHECK(epoch_of(ours) == epoch);
  auto id = ours.run("probe");
  CHECK(ours.wait_for(id)["status"] == "succeeded");
  CHECK(lines_of(log) == std::vector<std::string>{"p"});
  auto worker_log = role_log(ours, "worker", ours.worker_addresses().at(0));
  CHECK_FALSE(contains(worker_log, theirs.master_address()));
}

TEST_CASE("members of the wrong role are refused, and internal actors are out of reach") {
  cluster c;
  auto log = c.dir("ran.log");
  add_workflows(c, log);
  c.start();
  auto epoch = epoch_of(c);
  auto master = c.master_address();
  auto worker = c.worker_addresses().at(0);
  auto http_cert = issue(c, "http", "127.0.0.1", c.dir("probe/http"));
  auto worker_cert = issue(c, "worker", "127.0.0.1", c.dir("probe/worker"));
  auto elsewhere = issue(c, "worker", "10.9.9.9", c.dir("probe/elsewhere"));

  SUBCASE("an http certificate cannot claim to be a worker") {
    auto out = probe(http_cert, master, {"hello", "worker"});
    CHECK(contains(out, "refused"));
    CHECK(contains(out, "cannot open a worker session"));
    CHECK_FALSE(contains(out, "accepted"));
  }
  SUBCASE("nobody claims the master's role") {
    auto out = probe(worker_cert, master, {"hello", "master"});
    CHECK(contains(out, "refused"));
  }
  SUBCASE("a worker certificate registers only a worker of its own host") {
    auto out = probe(elsewhere, master, {"register", "127.0.0.1:5555"});
    CHECK(contains(out, "refused"));
    CHECK(contains(out, "cannot register worker 127.0.0.1:5555"));
    CHECK(c.get("/api/v1/cluster")["workers"].size() == 1);
  }
  SUBCASE("a worker's session cannot start instances") {
    auto out = probe(worker_cert, master, {"api-run", "127.0.0.1:5555", "probe"});
    CHECK(contains(out, "registered"));
    CHECK(contains(out, "refused"));
    CHECK(contains(out, "without the credential of an http session"));
    CHECK_FALSE(contains(out, "started"));
    CHECK(c.get("/api/v1/instances")["instances"].empty());
  }
  SUBCASE("an http session passes on the API's requests only") {
    auto id = c.run("slow");
    REQUIRE(wait_until([&] { return node_status_is(c, id, "wait", "running"); }));
    auto out = probe(http_cert, master, {"api-internal", id});
    CHECK(contains(out, "logged-in"));
    CHECK(contains(out, "refused"));
    CHECK(contains(out, "none of the gate's"));
    CHECK_FALSE(contains(out, "answered"));
    // The master never took "it ended as failed": the node still runs.
    CHECK(node_status_is(c, id, "wait", "running"));
    REQUIRE(c.api("POST", "/api/v1/instances/" + id + "/kill").status == 200);
    CHECK(c.wait_for(id)["status"] == "killed");
  }
  SUBCASE("an http session cannot report for a worker") {
    auto id = c.run("slow");
    REQUIRE(wait_until([&] { return node_status_is(c, id, "wait", "running"); }));
    auto out = probe(http_cert, master, {"forge-report", worker, id, "wait"});
    CHECK(contains(out, "logged-in"));
    CHECK(contains(out, "heartbeat-unknown"));
    // The forged success never arrived: the node still runs; a kill ends it.
    CHECK(node_status_is(c, id, "wait", "running"));
    REQUIRE(c.api("POST", "/api/v1/instances/" + id + "/kill").status == 200);
    CHECK(c.wait_for(id)["status"] == "killed");
  }
  SUBCASE("a worker takes orders only from its master's session") {
    auto marker = c.dir("pwned");
    auto out = probe(worker_cert, worker, {"worker-run", marker});
    CHECK(contains(out, "sent"));
    CHECK(contains(out, "log-refused"));
    // Work that the real master sends afterwards runs; the worker handled
    // the forged orders before it (one connection, in order).
    auto id = c.run("probe");
    CHECK(c.wait_for(id)["status"] == "succeeded");
    CHECK_FALSE(fs::exists(marker));
    CHECK(epoch_of(c) == epoch);
    auto worker_log = role_log(c, "worker", worker);
    CHECK(contains(worker_log, "refused a run without the credential"));
  }
  SUBCASE("internal messages to every actor of the master and the worker go nowhere") {
    // Every path between the processes used once first (a run, a task log,
    // heartbeats), so that whatever they make reachable is reachable.
    auto done = c.run("probe");
    REQUIRE(c.wait_for(done)["status"] == "succeeded");
    CHECK(c.api("GET", "/api/v1/instances/" + done + "/nodes/p/log").status == 200);
    auto beat = [&] {
      return c.get("/api/v1/cluster")["workers"][0]["last_heartbeat"].get<std::string>();
    };
    auto first_beat = beat();
    REQUIRE(wait_until([&] { return beat() != first_beat; }));
    auto slow = c.run("slow");
    REQUIRE(wait_until([&] { return node_status_is(c, slow, "wait", "running"); }));
    for (const auto& target : {master, worker}) {
      CAPTURE(target);
      auto out = probe(worker_cert, target, {"spray", "400", "probe", slow, "wait"});
      CHECK(contains(out, "sprayed"));
      // Of all the actors of the process, only its gate answers anyone.
      CHECK(contains(out, "answered 1:"));
    }
    // Had any of it arrived: the master would have resigned (lease), held or
    // drained its dispatcher, started "probe", marked "wait" succeeded, or
    // the worker would have stopped.
    auto id = c.run("probe");
    CHECK(c.wait_for(id)["status"] == "succeeded");
    CHECK(node_status_is(c, slow, "wait", "running"));
    CHECK(epoch_of(c) == epoch);
    auto instances = c.get("/api/v1/instances")["instances"];
    CHECK(instances.size() == 3);
    auto master_log = role_log(c, "master", master);
    CHECK_FALSE(contains(master_log, "no longer the active master"));
    CHECK_FALSE(contains(master_log, "draining"));
    CHECK_FALSE(contains(master_log, "placing no attempts"));
    CHECK(c.master()->running());
    CHECK(c.worker(0)->running());
    REQUIRE(c.api("POST", "/api/v1/instances/" + slow + "/kill").status == 200);
  }
  SUBCASE("a certificate of another CA does not even connect") {
    cluster other;
    std::filesystem::create_directories(other.dir("data"));
    auto r = run_command({CAFFLOW_CLI_BIN, "--conf", other.conf(), "tls", "init"});
    REQUIRE(r.exit_code == 0);
    auto foreign = probe_certs{other.dir("probe"), "worker"};
    auto issued = run_command({CAFFLOW_CLI_BIN, "--conf", other.conf(), "tls", "issue", "--role",
                               "worker", "--host", "127.0.0.1", "--out", foreign.dir});
    REQUIRE(issued.exit_code == 0);
    CHECK(contains(probe(foreign, master, {"register", worker}), "unreachable"));
    CHECK(contains(probe(foreign, worker, {"worker-run", c.dir("pwned")}), "unreachable"));
    CHECK_FALSE(fs::exists(c.dir("pwned")));
  }
  CHECK(c.master()->running());
}

TEST_CASE("hostile bytes on a CAF port cost bounded memory and the API keeps answering") {
  cluster c;
  c.start();
  auto rss_kb = [&] {
    for (const auto& line : lines_of("/proc/" + std::to_string(c.master()->pid()) + "/status"))
      if (line.rfind("VmRSS:", 0) == 0)
        return std::stol(line.substr(6));
    return 0L;
  };
  auto before = rss_kb();
  auto port = std::stoi(c.master_address().substr(c.master_address().rfind(':') + 1));
  // A BASP header announcing a 4 GB payload, as a plain TCP client sends it.
  std::string header(36, '\0');
  header[0] = 2; // direct message
  header[2] = header[3] = header[4] = header[5] = static_cast<char>(0xff);
  std::vector<int> sockets;
  for (int i = 0; i < 600; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      (void)!::write(fd, header.data(), header.size());
      sockets.push_back(fd);
    } else {
      ::close(fd);
    }
    if (i % 100 == 0)
      CHECK(c.api("GET", "/api/v1/health").status == 200);
  }
  CHECK(sockets.size() > 100);
  CHECK(c.api("GET", "/api/v1/health").status == 200);
  auto during = rss_kb();
  for (int fd : sockets)
    ::close(fd);
  // Bounded: far from the 4 GB each header announced (a few MB at most).
  INFO("RSS before " << before << " kB, with 600 hostile connections " << during << " kB");
  CHECK(during - before < 64 * 1024);
  CHECK(c.master()->running());
  CHECK(c.workers_registered());
}

TEST_CASE("a master paused longer than the worker timeout, without a standby, reruns nothing") {
  cluster_options opts(1, 4);
  opts.extra_ini = "[master]\nworker_timeout_ms = 1000\n";
  cluster c(opts);
  auto dir = c.dir("marks");
  std::filesystem::create_directories(dir);
  // Four parallel tasks that run through the pause and end during it.
  std::string xml = "<work-flow name=\"par\"><start name=\"s\" to=\"f\"/><fork name=\"f\">";
  for (int i = 0; i < 4; ++i)
    xml += "<path to=\"t" + std::to_string(i) + "\"/>";
  xml += "</fork>";
  for (int i = 0; i < 4; ++i) {
    auto n = "t" + std::to_string(i);
    // The task's workload: 2 to 5 seconds, so that they end during the pause.
    xml += "<action name=\"" + n + "\"><shell><command>echo start >> " + dir + "/" + n
           + "; sleep " + std::to_string(2 + i) + "; touch " + dir + "/" + n
           + ".end</command></shell><ok to=\"j\"/></action>";
  }
  xml += "<join name=\"j\" to=\"e\"/><end name=\"e\"/></work-flow>";
  c.add_workflow("par.xml", xml);
  c.start();
  auto id = c.run("par");
  REQUIRE(wait_until([&] {
    for (int i = 0; i < 4; ++i)
      if (lines_of(dir + "/t" + std::to_string(i)).empty())
        return false;
    return true;
  }));
  c.master()->signal(SIGSTOP);
  // Paused until every task has ended (their results wait in the worker's
  // outbox): the last one runs 5 s, several times worker_timeout_ms.
  REQUIRE(wait_until([&] {
    for (int i = 0; i < 4; ++i)
      if (!fs::exists(dir + "/t" + std::to_string(i) + ".end"))
        return false;
    return true;
  }));
  c.master()->signal(SIGCONT);
  auto done = c.wait_for(id, std::chrono::seconds(60));
  CHECK(done["status"] == "succeeded");
  for (int i = 0; i < 4; ++i) {
    auto n = "t" + std::to_string(i);
    CAPTURE(n);
    CHECK(lines_of(dir + "/" + n).size() == 1);
    CHECK(node_of(done, n)["attempts"].size() == 1);
  }
  CHECK(contains(role_log(c, "master", c.master_address()), "was paused for about"));
}

TEST_CASE("with TLS off everything runs, and every role says so") {
  cluster_options opts;
  opts.extra_ini = "[tls]\nenabled = false\n";
  cluster c(opts);
  c.add_workflow("probe.xml", chain_xml("probe", {"p"}, c.dir("ran.log")));
  c.start();
  auto health = c.get("/api/v1/health");
  CHECK(health["tls"] == "off");
  REQUIRE(health["warnings"].size() == 1);
  CHECK(contains(health["warnings"][0].get<std::string>(), "TLS is off"));
  auto status = c.cli({"cluster", "status"});
  CHECK(contains(status.output, "WARNING    TLS is off"));
  CHECK(c.wait_for(c.run("probe"))["status"] == "succeeded");
  for (const auto& [role, address] :
       std::vector<std::pair<std::string, std::string>>{{"master", c.master_address()},
                                                        {"worker", c.worker_addresses().at(0)},
                                                        {"http", c.http_address()}})
    CHECK(contains(role_log(c, role, address), "TLS is off"));
  CHECK_FALSE(fs::exists(c.dir("data/tls")));
}

TEST_CASE("certificates are created at the first start, and a wrong one stops the process") {
  cluster c;
  c.start();
  for (const auto* file : {"ca.pem", "ca.key", "master.pem", "master.key", "worker.pem",
                           "worker.key", "http.pem", "http.key"})
    CHECK(fs::exists(c.dir(std::string("data/tls/") + file)));
  auto shown = c.cli({"tls", "show"});
  CHECK(shown.exit_code == 0);
  CHECK(contains(shown.output, "OU=worker"));
  // (Info lines reach the file within a second: spdlog flushes periodically.)
  CHECK(wait_until(
    [&] { return contains(role_log(c, "master", c.master_address()), "mutual TLS with"); }));
  c.stop();
  // The master with the worker's certificate: a clear error, exit 78.
  auto r = run_command({CAFFLOWD_BIN, "--role", "master", "--conf", c.conf(), "--address",
                        c.master_address(), "--set", "tls.ca=" + c.dir("data/tls/ca.pem"),
                        "--set", "tls.cert=" + c.dir("data/tls/worker.pem"), "--set",
                        "tls.key=" + c.dir("data/tls/worker.key")});
  CHECK(r.exit_code == 78);
  CHECK(contains(r.output, "is a worker certificate; this process needs a master certificate"));
}

TEST_CASE("a run whose request timed out never starts later") {
  mariadb_server db;
  cluster_options opts;
  opts.extra_ini = "[store]\nurl = " + db.create_database("late")
                   + "\n[http]\nrequest_timeout_ms = 1500\n";
  cluster c(std::move(opts));
  auto log = c.dir("ran.log");
  c.add_workflow("probe.xml", chain_xml("probe", {"p"}, log));
  c.start();
  // A frozen database: the run's commit waits, the request times out.
  auto pids = pids_matching("--port=" + std::to_string(db.port()));
  REQUIRE(pids.size() == 1);
  struct thaw {
    int pid;
    ~thaw() { ::kill(pid, SIGCONT); }
  } thaw_at_end{pids[0]};
  REQUIRE(::kill(pids[0], SIGSTOP) == 0);
  auto r = c.api("POST", "/api/v1/workflows/probe/run", "{}");
  INFO(r.body);
  CHECK(r.status >= 500);
  REQUIRE(::kill(pids[0], SIGCONT) == 0);
  // Once stored, the instance is there for the client to find, killed
  // without running.
  json instance;
  REQUIRE(wait_until([&] {
    auto list = c.get("/api/v1/instances")["instances"];
    if (list.size() != 1 || list[0]["status"] != "killed")
      return false;
    instance = list[0];
    return true;
  }));
  CHECK(contains(instance["message"].get<std::string>(), "request that created it timed out"));
  // Work goes on as before; the killed run never ran.
  CHECK(c.wait_for(c.run("probe"))["status"] == "succeeded");
  CHECK(lines_of(log).size() == 1);
}
