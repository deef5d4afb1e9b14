// High availability with real processes (docs/OPERATIONS.md, "High availability"): a master and a
// standby on one store. The standby takes over when the master is killed or
// frozen past its lease; nothing runs twice; an old master that wakes up
// dispatches nothing and comes back as the standby.
#include <csignal>
#include <algorithm>
#include <map>
#include <set>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "mariadb.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// The entry of `address` in the cluster view's masters list (null if none).
json master_entry(const json& view, const std::string& address) {
  for (const auto& m : view["masters"])
    if (m["address"] == address)
      return m;
  return nullptr;
}

/// The cluster view once the lease is at an epoch above `epoch`, held by `holder`.
bool taken_over(cluster& c, int epoch, const std::string& holder) {
  auto r = c.api("GET", "/api/v1/cluster");
  if (r.status != 200)
    return false;
  auto view = json::parse(r.body, nullptr, false);
  return view.is_object() && view["epoch"].is_number() && view["epoch"].get<int>() > epoch
         && view["master_reachable"] == true && master_entry(view, holder)["role"] == "active";
}

} // namespace

TEST_SUITE_BEGIN("ha");

/// The master is SIGKILLed while the middle node of a chain runs.
void kill_active_master(cluster_options opts) {
  opts.standby = true;
  cluster c(std::move(opts));
  auto hook = c.dir("hook.out");
  auto script = c.dir("hook.sh");
  write_file(script, "echo \"$CAFFLOW_EPOCH $CAFFLOW_PREVIOUS_MASTER $CAFFLOW_MASTER\" > " + hook
                       + "\n");
  write_file(c.conf(), read_file(c.conf()) + "[master]\nfailover_hook = sh " + script + "\n");
  auto runs = c.dir("runs");
  c.add_workflow("chain.xml", chain_xml("chain", {"a", "b", "c"}, runs, {{"b", "sleep 3"}}));
  c.start();
  // Both masters are listed; the first one is active.
  REQUIRE(wait_until([&] {
    auto view = c.get("/api/v1/cluster");
    return master_entry(view, c.standby_address())["role"] == "standby";
  }));
  auto before = c.get("/api/v1/cluster");
  CHECK(master_entry(before, c.master_address())["role"] == "active");
  CHECK(master_entry(before, c.master_address())["pid"] == c.master()->pid());
  auto epoch = before["epoch"].get<int>();
  auto id = c.run("chain");
  REQUIRE(wait_until([&] { return read_file(runs) == "a\nb\n"; }));
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
  CHECK_MESSAGE(wait_until([&] { return taken_over(c, epoch, c.standby_address()); },
                           std::chrono::seconds(15)),
                c.logs());
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(read_file(runs) == "a\nb\nc\n"); // b re-attached, not run again
  for (const auto* name : {"a", "b", "c"}) {
    CAPTURE(name);
    CHECK(node_of(inst, name)["attempts"].size() == 1);
  }
  // b kept running across the failover: it stays the old master's attempt.
  CHECK(node_of(inst, "a")["attempts"][0]["epoch"] == epoch);
  CHECK(node_of(inst, "b")["attempts"][0]["epoch"] == epoch);
  CHECK(node_of(inst, "c")["attempts"][0]["epoch"] == epoch + 1);
  // Logged, counted, and the hook ran with the new epoch and both addresses.
  CHECK(c.logs().find("FAILOVER") != std::string::npos);
  auto metrics = c.api("GET", "/metrics");
  CHECK(metrics.body.find("cafflow_failovers_total 1") != std::string::npos);
  REQUIRE(wait_until([&] { return !read_file(hook).empty(); }));
  CHECK(trim(read_file(hook)) == std::to_string(epoch + 1) + " " + c.master_address() + " "
                                   + c.standby_address());
  // The old master, started again, is the standby now; new runs still work.
  c.start_master();
  CHECK_MESSAGE(wait_until([&] {
                  auto view = c.get("/api/v1/cluster");
                  auto old = master_entry(view, c.master_address());
                  return old["role"] == "standby" && old["pid"] == c.master()->pid();
                }),
                c.logs());
  auto second = c.run("chain");
  CHECK(c.wait_for(second)["status"] == "succeeded");
  CHECK(read_file(runs) == "a\nb\nc\na\nb\nc\n");
}

TEST_CASE("the master killed: the standby takes over and the node running then runs once") {
  kill_active_master(cluster_options(2));
}

TEST_CASE("on MariaDB the master killed: the standby takes over and each node runs once") {
  cluster_options opts(2);
  opts.extra_ini = "[store]\nurl = " + fresh_mariadb_url() + "\n";
  kill_active_master(std::move(opts));
}

/// The master is SIGSTOPped past its lease with a retry of a node due, then
/// SIGCONTed (`store_ini`: extra config for the store).
void freeze_active_master(const std::string& store_ini) {
  cluster_options opts(1);
  opts.standby = true;
  // The old master must still know the worker when it wakes up (no
  // connection or heartbeat timeout ends it first): then only its lease
  // keeps it from dispatching.
  opts.extra_ini = "[caf]\nconnection_timeout_ms = 60000\n" + store_ini;
  opts.http_overrides = {"caf.connection_timeout_ms=2000"}; // it finds the new master
  cluster c(std::move(opts));
  write_file(c.conf(), read_file(c.conf()) + "[master]\nworker_timeout_ms = 60000\n");
  auto runs = c.dir("runs");
  auto marker = c.dir("failed-once");
  // a fails once; its retry is due 3 s later, while the master is frozen.
  c.add_workflow("retry.xml", retry_once_xml(runs, marker, 3));
  c.start();
  REQUIRE(wait_until([&] {
    return master_entry(c.get("/api/v1/cluster"), c.standby_address())["role"] == "standby";
  }));
  auto epoch = c.get("/api/v1/cluster")["epoch"].get<int>();
  auto old_pid = c.master()->pid();
  auto id = c.run("retry");
  REQUIRE(wait_until([&] { return node_status_is(c, id, "a", "retrying"); }));
  c.master()->signal(SIGSTOP);
  CHECK_MESSAGE(wait_until([&] { return taken_over(c, epoch, c.standby_address()); },
                           std::chrono::seconds(15)),
                c.logs());
  // The new master retries a and finishes the instance.
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(read_file(runs) == "a\na\nb\n");
  // The old master wakes up with its retry of a overdue: it must not place
  // it, and it steps down to standby (the same process, started again).
  c.master()->signal(SIGCONT);
  CHECK_MESSAGE(wait_until([&] {
                  return c.logs().find("is no longer the active master") != std::string::npos;
                }),
                c.logs());
  CHECK_MESSAGE(wait_until([&] {
                  auto old = master_entry(c.get("/api/v1/cluster"), c.master_address());
                  return old["role"] == "standby" && old["pid"] == old_pid && old["seen_at"].is_string();
                }),
                c.logs());
  CHECK(c.master()->running());
  // Nothing ran twice: a's two attempts (the failure and one retry) and b.
  CHECK(read_file(runs) == "a\na\nb\n");
  auto a = node_of(c.get("/api/v1/instances/" + id), "a");
  CHECK(a["attempts"].size() == 2);
  CHECK(c.logs().find("rejected: epoch") == std::string::npos); // none even reached a worker
}

TEST_CASE("the master frozen past its lease: the standby takes over and the old one dispatches nothing") {
  freeze_active_master("");
}

TEST_CASE("on MariaDB the master frozen past its lease: the standby takes over and the old one dispatches nothing") {
  freeze_active_master("[store]\nurl = " + fresh_mariadb_url() + "\n");
}


TEST_CASE("with a standby, a store outage past the lease: no tick is lost or fired twice") {
  mariadb_server db;
  cluster_options opts(1);
  opts.standby = true;
  opts.extra_ini = "[store]\nurl = " + db.create_database("ha_outage") + "\n";
  cluster c(std::move(opts));
  auto runs = c.dir("runs");
  // Every second, each tick kept (catchup all): its logical time goes to `runs`.
  c.add_workflow("tick.xml",
                 "<work-flow name=\"tick\"><coordinator catchup=\"all\"><depend-list "
                 "cron=\"@seconds * * * * * *\"/></coordinator><start name=\"s\" to=\"t\"/><action "
                 "name=\"t\"><shell><command>echo $CAFFLOW_LOGICAL_TIME >> "
                   + runs + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/>"
                            "</work-flow>");
  c.start();
  auto lines = [&] { return split(trim(read_file(runs)), '\n').size(); };
  REQUIRE(wait_until([&] { return lines() >= 3; }));
  // Neither master can renew or take the lease for 6 s (twice the TTL).
  db.stop();
  auto stopped = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return std::chrono::steady_clock::now() - stopped
                                  >= std::chrono::seconds(6); },
                     std::chrono::seconds(10)));
  auto before = lines();
  db.start();
  // One of the two masters goes on (the old one renews, or the standby takes
  // over); the missed ticks fire, each once.
  CHECK_MESSAGE(wait_until([&] { return lines() >= before + 8; }, std::chrono::seconds(40)),
                c.logs());
  // The master held its fires while it could not renew (its whole log: the
  // failure output shows only the tails).
  auto port = c.master_address().substr(c.master_address().rfind(':') + 1);
  auto master_log = read_file(c.dir("logs/master-" + port + ".log"));
  CHECK_MESSAGE(master_log.find("fires wait until it is") != std::string::npos, c.logs());
  auto seen = split(trim(read_file(runs)), '\n');
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK_MESSAGE(unique.size() == seen.size(), read_file(runs));
  // No gap: consecutive ticks are one second apart.
  std::vector<timestamp> times;
  for (const auto& s : unique) {
    timestamp t = 0;
    REQUIRE(parse_utc_time(s, t));
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  for (std::size_t i = 1; i < times.size(); ++i)
    CHECK_MESSAGE(times[i] - times[i - 1] == 1000, read_file(runs));
}

TEST_SUITE_END();
