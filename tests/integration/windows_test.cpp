// Date-window dependencies with real processes (docs/SCHEDULING.md, "Date
// windows"): an instance of B (its depend-list waits for A's day) stays queued
// while A has no instance in its day and starts once A's instance at that
// logical time succeeds; a dependent node in another workflow waits on the
// master and is released by the same event; a failed upstream day with
// on-failure wait is released by a successful rerun, and with on-failure fail
// fails at once naming the period and the instance; a master restart keeps
// the waits. SQLite, and the first case on MariaDB too.
#include <csignal>
#include <filesystem>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "mariadb.hpp"
#include "util/time.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

constexpr const char* T = "2026-07-28 04:10:00";

/// A: one shell action that fails while `marker` exists.
std::string upstream_xml(const std::string& marker) {
  return R"(<work-flow name="A" timezone="UTC" instance-limit="5">
  <start name="s" to="load"/>
  <action name="load"><shell><command>test ! -e )" + marker + R"(</command></shell>
    <ok to="e"/></action>
  <end name="e"/>
</work-flow>)";
}

/// A downstream workflow whose depend-list waits for A's day.
std::string gated_xml(const std::string& name, const std::string& depend_attrs) {
  return R"(<work-flow name=")" + name + R"(" timezone="UTC" instance-limit="5">
  <coordinator><depend-list)" + depend_attrs + R"(>
    <workflow name="A" cycle="day" window="today"/>
  </depend-list></coordinator>
  <start name="s" to="work"/>
  <action name="work"><shell><command>true</command></shell><ok to="e"/></action>
  <end name="e"/>
</work-flow>)";
}

/// C: a dependent node on A's day, then a shell action.
std::string dependent_xml() {
  return R"(<work-flow name="C" timezone="UTC" instance-limit="5">
  <start name="s" to="wait"/>
  <action name="wait">
    <dependent on-failure="fail"><workflow name="A" cycle="day" window="today"/></dependent>
    <ok to="work"/>
  </action>
  <action name="work"><shell><command>true</command></shell><ok to="e"/></action>
  <end name="e"/>
</work-flow>)";
}

/// A manual run at a logical time (UTC); returns its id.
std::string run_at(cluster& c, const std::string& workflow, const std::string& logical_time) {
  auto response = c.api("POST", "/api/v1/workflows/" + workflow + "/run",
                        json{{"params", json::object()}, {"logical_time", logical_time}}.dump());
  REQUIRE_MESSAGE(response.status == 201, response.body);
  return json::parse(response.body)["instance_id"].get<std::string>();
}

json instance(cluster& c, const std::string& id) {
  return c.get("/api/v1/instances/" + id);
}

/// Waits until instance `id` says `status` and its message contains `text`.
json wait_for_message(cluster& c, const std::string& id, const std::string& status,
                      const std::string& text) {
  json last;
  auto ok = wait_until(
    [&] {
      last = instance(c, id);
      return last["status"] == status
             && last["message"].get<std::string>().find(text) != std::string::npos;
    },
    std::chrono::seconds(30));
  REQUIRE_MESSAGE(ok, (last.dump() + "\n" + c.logs()));
  return last;
}

void load(cluster& c, const std::vector<std::string>& workflows) {
  for (const auto& name : workflows)
    REQUIRE_MESSAGE(wait_until([&] { return version_of(c, name) > 0; }, std::chrono::seconds(30)),
                    (name + " was not loaded\n" + c.logs()));
}

timestamp ms_of(const json& value) {
  timestamp t = 0;
  REQUIRE(parse_utc_time(value.get<std::string>(), t));
  return t;
}

/// Starts `c` with A, B (its depend-list on A's day) and C (a dependent node
/// on A's day), all loaded.
void start_abc(cluster& c) {
  c.add_workflow("a.xml", upstream_xml(c.dir("fail-A")));
  c.add_workflow("b.xml", gated_xml("B", ""));
  c.add_workflow("c.xml", dependent_xml());
  c.start();
  load(c, {"A", "B", "C"});
}

/// B waits for A's day; C's dependent node too; both are released when A's
/// instance at T succeeds.
void waits_until_the_upstream_day_succeeds(cluster_options opts) {
  cluster c(std::move(opts));
  start_abc(c);

  auto b = run_at(c, "B", T);
  auto waiting = wait_for_message(c, b, "queued", "none yet");
  CHECK(waiting["message"].get<std::string>().find(
          "2026-07-28 00:00:00 - 2026-07-29 00:00:00: none yet")
        != std::string::npos);
  CHECK(node_of(waiting, "work")["status"] == "pending");
  auto why = c.cli({"instance", "why", b});
  CHECK_MESSAGE(why.exit_code == 2, why.output);
  CHECK(why.output.find("A (cycle day, window today): waiting") != std::string::npos);
  auto api = c.get("/api/v1/instances/" + b + "/dependencies");
  CHECK(api["state"] == "waiting");
  CHECK(api["parts"][0]["verdict"]["children"][0]["periods"][0]["instance"].is_null());

  auto cid = run_at(c, "C", T);
  REQUIRE_MESSAGE(wait_until([&] { return node_status_is(c, cid, "wait", "waiting"); },
                             std::chrono::seconds(30)),
                  (instance(c, cid).dump() + "\n" + c.logs()));
  CHECK(node_of(instance(c, cid), "wait")["message"].get<std::string>().find("none yet")
        != std::string::npos);

  // A's instance of the day before does not count.
  auto before = run_at(c, "A", "2026-07-27 04:10:00");
  CHECK(c.wait_for(before)["status"] == "succeeded");
  auto json_why = c.cli({"--json", "workflow", "why", "B", "--logical-time", T, "--tz", "UTC"});
  CHECK_MESSAGE(json_why.exit_code == 2, json_why.output);
  CHECK(json_why.output.find("\"state\"") != std::string::npos);
  CHECK(instance(c, b)["status"] == "queued");
  CHECK(node_status_is(c, cid, "wait", "waiting"));

  // A's instance in T's day releases both.
  auto a = run_at(c, "A", "2026-07-28 01:00:00");
  auto a_done = c.wait_for(a);
  REQUIRE(a_done["status"] == "succeeded");
  auto b_done = c.wait_for(b);
  CHECK(b_done["status"] == "succeeded");
  CHECK(ms_of(b_done["started"]) >= ms_of(a_done["finished"]));
  auto c_done = c.wait_for(cid);
  CHECK(c_done["status"] == "succeeded");
  CHECK(node_of(c_done, "wait")["status"] == "succeeded");
  CHECK(node_of(c_done, "wait")["attempts"].size() == 1);
  auto held = c.cli({"instance", "why", b});
  CHECK_MESSAGE(held.exit_code == 0, held.output);
  CHECK(held.output.find("instance " + a) != std::string::npos);
  CHECK(c.stop());
}

} // namespace

TEST_SUITE_BEGIN("windows");

TEST_CASE("a depend-list window and a dependent node wait for the upstream's day (SQLite)") {
  waits_until_the_upstream_day_succeeds(cluster_options{});
}

TEST_CASE("a depend-list window and a dependent node wait for the upstream's day (MariaDB)") {
  cluster_options opts;
  opts.extra_ini = "[store]\nurl = " + fresh_mariadb_url() + "\n";
  waits_until_the_upstream_day_succeeds(opts);
}

TEST_CASE("a failed upstream day: wait is released by a rerun, fail fails at once") {
  cluster c;
  auto marker = c.dir("fail-A");
  c.add_workflow("a.xml", upstream_xml(marker));
  c.add_workflow("b.xml", gated_xml("B", R"( on-failure="wait" wait-minutes="1")"));
  c.add_workflow("f.xml", gated_xml("F", R"( on-failure="fail")"));
  c.start();
  load(c, {"A", "B", "F"});

  write_file(marker, "");
  auto a = run_at(c, "A", "2026-07-28 02:00:00");
  auto failed = c.wait_for(a);
  REQUIRE(failed["status"] == "failed");

  // on-failure fail: at once, naming the period and the instance.
  auto f = run_at(c, "F", T);
  auto f_done = c.wait_for(f);
  CHECK(f_done["status"] == "failed");
  auto message = f_done["message"].get<std::string>();
  CHECK_MESSAGE(message.find("2026-07-28 00:00:00 - 2026-07-29 00:00:00: instance " + a)
                  != std::string::npos,
                message);
  CHECK(message.find("failed") != std::string::npos);
  CHECK(node_of(f_done, "work")["status"] == "pending");
  auto why = c.cli({"instance", "why", f});
  CHECK_MESSAGE(why.exit_code == 1, why.output);

  // on-failure wait with wait-minutes 1: waits; the rerun within the minute releases it.
  auto b = run_at(c, "B", T);
  wait_for_message(c, b, "queued", "waiting for a successful rerun");
  std::filesystem::remove(marker);
  auto rerun = c.api("POST", "/api/v1/instances/" + a + "/rerun", R"({"mode": "failed"})");
  REQUIRE_MESSAGE(rerun.status / 100 == 2, rerun.body);
  auto a_done = c.wait_for(a);
  REQUIRE(a_done["status"] == "succeeded");
  auto b_done = c.wait_for(b);
  CHECK(b_done["status"] == "succeeded");
  CHECK(ms_of(b_done["started"]) - ms_of(failed["finished"]) < 60'000);
  CHECK(c.stop());
}

TEST_CASE("a master restart keeps an instance waiting for its window, then releases it") {
  cluster c;
  start_abc(c);
  auto b = run_at(c, "B", T);
  wait_for_message(c, b, "queued", "none yet");
  auto cid = run_at(c, "C", T);
  REQUIRE(wait_until([&] { return node_status_is(c, cid, "wait", "waiting"); },
                     std::chrono::seconds(30)));

  // SIGKILL: nothing of the wait is handed over; the new master re-derives it.
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
  c.start_master();
  REQUIRE_MESSAGE(wait_until([&] { return c.api("GET", "/api/v1/health").status == 200; },
                             std::chrono::seconds(30)),
                  c.logs());
  load(c, {"A", "B", "C"});
  wait_for_message(c, b, "queued", "none yet");
  REQUIRE(wait_until([&] { return c.workers_registered(); }, std::chrono::seconds(30)));

  auto a = run_at(c, "A", "2026-07-28 01:00:00");
  REQUIRE(c.wait_for(a)["status"] == "succeeded");
  CHECK(c.wait_for(b)["status"] == "succeeded");
  auto c_done = c.wait_for(cid);
  CHECK(c_done["status"] == "succeeded");
  CHECK(c.stop());
}

TEST_SUITE_END();
