// Durable state with real processes: a master killed with SIGKILL and started
// again resumes every unfinished instance — running attempts re-attached,
// results that arrived meanwhile applied, retries and waiting instances kept —
// and every node runs exactly once.
#include <csignal>
#include <map>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "mariadb.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// Kills the master with SIGKILL and waits until it is gone.
void kill_master(cluster& c) {
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
}

} // namespace

TEST_SUITE_BEGIN("recovery");

/// The master is killed while the middle node of a chain runs, and started
/// again: the node is re-attached, not run again, and the history is whole.
void restart_while_running(cluster_options opts) {
  cluster c(std::move(opts));
  auto runs = c.dir("runs");
  c.add_workflow("chain.xml", chain_xml("chain", {"a", "b", "c"}, runs, {{"b", "sleep 3"}}));
  c.start();
  auto id = c.run("chain");
  REQUIRE(wait_until([&] { return read_file(runs) == "a\nb\n"; }));
  kill_master(c);
  c.start_master();
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(read_file(runs) == "a\nb\nc\n"); // each exactly once
  for (const auto* name : {"a", "b", "c"}) {
    CAPTURE(name);
    auto n = node_of(inst, name);
    CHECK(n["status"] == "succeeded");
    REQUIRE(n["attempts"].size() == 1);
    CHECK(n["attempts"][0]["status"] == "succeeded");
    CHECK(n["attempts"][0]["exit_code"] == 0);
  }
  CHECK(c.logs().find("still running on worker") != std::string::npos);
}

TEST_CASE("a master killed while a node runs: the node is re-attached, not run again") {
  restart_while_running(cluster_options());
}

TEST_CASE("on MariaDB, a master killed while a node runs: the node runs exactly once") {
  cluster_options opts;
  opts.extra_ini = "[store]\nurl = " + fresh_mariadb_url() + "\n";
  restart_while_running(std::move(opts));
}

TEST_CASE("MariaDB stopped for 10 s while a workflow runs: it completes, its history whole") {
  mariadb_server db;
  cluster_options opts;
  opts.extra_ini = "[store]\nurl = " + db.create_database("outage") + "\n";
  cluster c(std::move(opts));
  auto runs = c.dir("runs");
  auto gate = c.dir("gate");
  // b waits for the outage to begin; c and d run while the database is down.
  c.add_workflow("chain.xml",
                 chain_xml("chain", {"a", "b", "c", "d"}, runs,
                           {{"b", "while [ ! -e " + gate + " ]; do sleep 0.05; done"}}));
  c.start();
  auto id = c.run("chain");
  REQUIRE(wait_until([&] { return read_file(runs) == "a\nb\n"; }));
  db.stop();
  auto stopped = std::chrono::steady_clock::now();
  write_file(gate, "go");
  // The cluster keeps running what it runs, says it is degraded, and refuses
  // new runs rather than accepting what it cannot store.
  REQUIRE(wait_until([&] { return read_file(runs) == "a\nb\nc\nd\n"; }));
  REQUIRE(wait_until([&] { return c.get("/api/v1/health")["status"] == "degraded"; }));
  auto health = c.get("/api/v1/health");
  CHECK(health["store"]["status"] == "unavailable");
  CHECK(health["store"]["pending_writes"].get<int>() > 0);
  auto refused = c.api("POST", "/api/v1/workflows/chain/run", "{}");
  CHECK(refused.status == 503);
  CHECK(refused.body.find("the store is unavailable") != std::string::npos);
  // Down for 10 s in all, then back.
  REQUIRE(wait_until([&] { return std::chrono::steady_clock::now() - stopped
                                  >= std::chrono::seconds(10); },
                     std::chrono::seconds(15)));
  db.start();
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(read_file(runs) == "a\nb\nc\nd\n");
  for (const auto* name : {"a", "b", "c", "d"}) {
    CAPTURE(name);
    auto n = node_of(inst, name);
    CHECK(n["status"] == "succeeded");
    REQUIRE(n["attempts"].size() == 1);
    CHECK(n["attempts"][0]["status"] == "succeeded");
  }
  CHECK(wait_until([&] { return c.get("/api/v1/health")["status"] == "ok"; }));
}

TEST_CASE("a result that came while the master was down is applied when it is back") {
  cluster c;
  auto runs = c.dir("runs");
  auto gate = c.dir("gate");
  // b ends when the test says so: while the master is down.
  c.add_workflow("chain.xml",
                 chain_xml("chain", {"a", "b", "c"}, runs,
                           {{"b", "while [ ! -e " + gate + " ]; do sleep 0.05; done"}}));
  c.start();
  auto id = c.run("chain");
  REQUIRE(wait_until([&] { return read_file(runs) == "a\nb\n"; }));
  kill_master(c);
  write_file(gate, "go");
  // b ends with no master to tell: the worker keeps its result.
  REQUIRE(wait_until([&] { return c.logs().find(id + "/b#1: succeeded") != std::string::npos; }));
  c.start_master();
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(read_file(runs) == "a\nb\nc\n");
  CHECK(node_of(inst, "b")["attempts"].size() == 1);
  CHECK(node_of(inst, "b")["attempts"][0]["status"] == "succeeded");
}

TEST_CASE("a retry that was due while the master was down happens once it is back") {
  cluster c;
  auto runs = c.dir("runs");
  auto marker = c.dir("failed-once");
  // a fails on its first attempt, then succeeds; 2 s between attempts.
  c.add_workflow("retry.xml", retry_once_xml(runs, marker, 2));
  c.start();
  auto id = c.run("retry");
  REQUIRE(wait_until([&] { return node_status_is(c, id, "a", "retrying"); }));
  kill_master(c);
  c.start_master();
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(read_file(runs) == "a\na\nb\n");
  auto a = node_of(inst, "a");
  REQUIRE(a["attempts"].size() == 2);
  CHECK(a["attempts"][0]["status"] == "failed");
  CHECK(a["attempts"][1]["status"] == "succeeded");
}

TEST_CASE("instances waiting for their instance-limit still run, in order, after a restart") {
  cluster c;
  auto runs = c.dir("runs");
  auto gate = c.dir("gate");
  std::string xml = "<work-flow name=\"one\" instance-limit=\"1\"><start name=\"s\" to=\"a\"/>"
                    "<action name=\"a\"><shell><command><![CDATA[echo $CAFFLOW_INSTANCE_ID >> "
                    + runs + "; while [ ! -e " + gate
                    + " ]; do sleep 0.05; done]]></command></shell><ok to=\"e\"/></action>"
                      "<end name=\"e\"/></work-flow>";
  c.add_workflow("one.xml", xml);
  c.start();
  auto first = c.run("one");
  auto second = c.run("one");
  auto third = c.run("one");
  REQUIRE(wait_until([&] { return trim(read_file(runs)) == first; }));
  kill_master(c);
  c.start_master();
  write_file(gate, "go");
  for (const auto& id : {first, second, third})
    CHECK(c.wait_for(id)["status"] == "succeeded");
  CHECK(read_file(runs) == first + "\n" + second + "\n" + third + "\n");
}

TEST_CASE("an attempt whose worker is gone for good is lost and retried elsewhere after a restart") {
  cluster_options opts(2, 1);
  opts.extra_ini = "[worker]\nlease_s = 3\n";
  cluster c(opts);
  auto runs = c.dir("runs");
  c.add_workflow("chain.xml", chain_xml("chain", {"a"}, runs,
                                        {{"a", "echo $CAFFLOW_WORKER >> " + runs + ".workers; "
                                               "[ $CAFFLOW_ATTEMPT = 2 ] || sleep 60"}},
                                        {{"a", "retry-times=\"1\""}}));
  c.start();
  auto id = c.run("chain");
  REQUIRE(wait_until([&] { return !read_file(runs + ".workers").empty(); }));
  auto first_worker = trim(read_file(runs + ".workers"));
  std::size_t index = first_worker == c.worker_addresses()[0] ? 0 : 1;
  kill_master(c);
  c.worker(index)->signal(SIGKILL); // and its task with it
  REQUIRE(c.worker(index)->wait() == 128 + SIGKILL);
  c.start_master();
  // The book waits for the dead worker until its lease is over, then the
  // attempt is lost and the retry runs on the other worker.
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  auto a = node_of(inst, "a");
  REQUIRE(a["attempts"].size() == 2);
  CHECK(a["attempts"][0]["status"] == "lost");
  CHECK(a["attempts"][1]["worker"] == c.worker_addresses()[1 - index]);
}

TEST_CASE("moving from SQLite to MariaDB keeps every instance, attempt and workflow version") {
  cluster c;
  auto runs = c.dir("runs");
  c.add_workflow("chain.xml", chain_xml("chain", {"a", "b"}, runs));
  c.add_workflow("bad.xml", "<work-flow name='bad'>");
  c.start();
  auto first = c.wait_for(c.run("chain"));
  c.add_workflow("chain.xml", chain_xml("chain", {"a", "b", "c"}, runs)); // version 2
  REQUIRE(wait_until([&] { return version_of(c, "chain") == 2; }));
  auto second = c.wait_for(c.run("chain"));
  REQUIRE(c.stop());
  auto url = fresh_mariadb_url();
  auto copied = c.cli({"store", "copy", "--to", url});
  CAPTURE(copied.output);
  REQUIRE(copied.exit_code == 0);
  CHECK(copied.output.find("done: 1 workflows, 2 versions, 2 instances, 2 xmlconfig files")
        != std::string::npos);
  // Copying again into the now filled store is refused, naming why.
  auto again = c.cli({"store", "copy", "--to", url});
  CHECK(again.exit_code == 1);
  CHECK(again.output.find("the target store is not empty") != std::string::npos);
  write_file(c.conf(), read_file(c.conf()) + "[store]\nurl = " + url + "\n");
  c.start();
  for (const auto& before : {first, second}) {
    auto after = c.get("/api/v1/instances/" + before["id"].get<std::string>());
    CHECK(after == before);
  }
  // The workflow keeps its version; a run on the new store is a new instance.
  CHECK(version_of(c, "chain") == 2);
  auto third = c.wait_for(c.run("chain"));
  CHECK(third["status"] == "succeeded");
  CHECK(third["id"] > second["id"]);
}

TEST_SUITE_END();
