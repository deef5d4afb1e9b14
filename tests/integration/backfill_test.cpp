// Backfills with real processes (WORKFLOW-FORMAT.md §8, docs/SCHEDULING.md
// "Backfill"): a chain A daily -> B daily -> C hourly backfilled through its
// downstream, each (workflow, logical time) exactly once; dry runs; --rerun
// none; cancel; a master SIGKILLed mid-backfill with a standby.
#include <csignal>
#include <map>
#include <set>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A workflow whose one shell action appends "NAME LOGICAL_TIME" to `log`
/// (after `extra`); `cron` and `ups` make its coordinator (each upstream
/// with cycle="day" window="today").
std::string step_xml(const std::string& name, const std::string& cron,
                     const std::vector<std::string>& ups, const std::string& log,
                     const std::string& extra = "", int limit = 4) {
  std::string coordinator = "<coordinator><depend-list cron=\"" + cron + "\">";
  for (const auto& up : ups)
    coordinator += "<workflow name=\"" + up + "\" cycle=\"day\" window=\"today\"/>";
  coordinator += "</depend-list></coordinator>";
  return "<work-flow name=\"" + name + "\" timezone=\"UTC\" instance-limit=\""
         + std::to_string(limit) + "\">" + coordinator
         + "<start name=\"s\" to=\"a\"/><action name=\"a\"><shell><command>"
         + (extra.empty() ? "" : extra + "; ") + "echo " + name
         + " $CAFFLOW_LOGICAL_TIME >> " + log
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> result;
  for (auto& line : split(read_file(path), '\n'))
    if (!trim(line).empty())
      result.push_back(trim(line));
  return result;
}

/// Every instance the backfills created, by (workflow, logical time).
std::map<std::pair<std::string, std::string>, int> backfill_instances(cluster& c) {
  std::map<std::pair<std::string, std::string>, int> seen;
  auto body = c.get("/api/v1/instances?trigger=backfill&limit=10000");
  for (const auto& i : body["instances"])
    ++seen[{i["workflow"].get<std::string>(), i["logical_time"].get<std::string>()}];
  return seen;
}

std::map<std::string, int> per_workflow(const std::map<std::pair<std::string, std::string>, int>& s) {
  std::map<std::string, int> n;
  for (const auto& [key, count] : s)
    n[key.first] += count;
  return n;
}

json post_backfill(cluster& c, const json& body, int expected_status) {
  auto r = c.api("POST", "/api/v1/backfills", body.dump());
  CHECK_MESSAGE(r.status == expected_status, r.body);
  return json::parse(r.body, nullptr, false);
}

/// Waits until backfill `id` is in `state` (or any final state when empty).
json wait_backfill(cluster& c, const std::string& id, std::chrono::seconds timeout) {
  json last;
  wait_until(
    [&] {
      auto r = c.api("GET", "/api/v1/backfills/" + id);
      if (r.status != 200)
        return false;
      last = json::parse(r.body);
      auto s = last["state"];
      return s == "succeeded" || s == "failed" || (s == "cancelled" && !last["finished"].is_null());
    },
    timeout);
  return last;
}

const json week{{"workflow", "A"},
                {"from", "2026-01-01 00:00:00"},
                {"to", "2026-01-07 00:00:00"},
                {"downstream", "all"},
                {"parallel", 4}};

} // namespace

TEST_SUITE_BEGIN("backfill");

TEST_CASE("backfill of A over 7 days, downstream all: A 7, B 7, C 168, each once, dry run and "
          "--rerun none create nothing") {
  cluster c(cluster_options(1, 8));
  auto log = c.dir("runs.log");
  c.add_workflow("A.xml", step_xml("A", "0 0 * * *", {}, log));
  c.add_workflow("B.xml", step_xml("B", "0 0 * * *", {"A"}, log));
  c.add_workflow("C.xml", step_xml("C", "0 * * * *", {"B"}, log));
  c.start();

  // The plan only: nothing starts.
  auto dry = week;
  dry["dry_run"] = true;
  auto plan = post_backfill(c, dry, 200);
  REQUIRE(plan["items"].is_array());
  std::map<std::string, int> planned;
  for (const auto& item : plan["items"])
    ++planned[item["workflow"].get<std::string>()];
  CHECK(planned == std::map<std::string, int>{{"A", 7}, {"B", 7}, {"C", 168}});
  CHECK(plan["items"][0]["workflow"] == "A");
  CHECK(plan["items"][1]["workflow"] == "B");
  CHECK(plan["items"][2]["workflow"] == "C");
  CHECK(plan["id"].is_null());
  CHECK(c.get("/api/v1/backfills")["backfills"].empty());
  CHECK(backfill_instances(c).empty());

  auto created = post_backfill(c, week, 201);
  auto id = created["id"].get<std::string>();
  CHECK(created["progress"]["planned"] == 182);
  auto done = wait_backfill(c, id, std::chrono::seconds(240));
  REQUIRE_MESSAGE(done["state"] == "succeeded", (done.dump() + "\n" + c.logs()));
  CHECK(done["progress"]["done"] == 182);
  CHECK(done["progress"]["failed"] == 0);
  auto seen = backfill_instances(c);
  CHECK(per_workflow(seen) == std::map<std::string, int>{{"A", 7}, {"B", 7}, {"C", 168}});
  for (const auto& [key, count] : seen) {
    CAPTURE(key.first);
    CAPTURE(key.second);
    CHECK(count == 1);
  }
  // What ran: each (workflow, logical time) once.
  auto lines = lines_of(log);
  CHECK(lines.size() == 182);
  CHECK(std::set<std::string>(lines.begin(), lines.end()).size() == 182);
  // None of B and C ran before the day it waits for (cycle day, window
  // today) had run upstream: each task's line is its whole work, so the
  // upstream line of that day must come earlier in the log.
  auto ran_before = [&](std::size_t at, const std::string& upstream, const std::string& day) {
    for (std::size_t i = 0; i < at; ++i)
      if (starts_with(lines[i], upstream + " " + day))
        return true;
    return false;
  };
  int checked = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto parts = split(lines[i], ' ');
    REQUIRE(parts.size() == 2);
    auto day = parts[1].substr(0, 10);
    if (parts[0] == "B" || parts[0] == "C") {
      CAPTURE(lines[i]);
      CHECK(ran_before(i, parts[0] == "B" ? "A" : "B", day));
      ++checked;
    }
  }
  CHECK(checked == 175);
  // Each instance names its backfill; the listing shows it.
  auto inst = c.get("/api/v1/instances?trigger=backfill&limit=1");
  CHECK(inst["instances"][0]["backfill_id"] == id);
  auto list = c.get("/api/v1/backfills");
  REQUIRE(list["backfills"].size() == 1);
  CHECK(list["backfills"][0]["progress"]["done"] == 182);

  // Again with --rerun none (the default): everything succeeded already.
  auto again = post_backfill(c, week, 201);
  auto second = wait_backfill(c, again["id"].get<std::string>(), std::chrono::seconds(30));
  CHECK(second["state"] == "succeeded");
  CHECK(second["progress"]["skipped"] == 182);
  CHECK(backfill_instances(c).size() == 182);
  CHECK(lines_of(log).size() == 182);

  // The CLI: the same plan, and its refusals (exit 64, naming the field).
  auto cli = c.cli({"backfill", "create", "A", "--from", "2026-01-01", "--to", "2026-01-02",
                    "--downstream", "direct", "--dry-run", "--tz", "UTC"});
  CHECK_MESSAGE(cli.exit_code == 0, cli.output);
  CHECK(cli.output.find("4 items (A 2, B 2)") != std::string::npos);
  auto bad_range = c.cli({"backfill", "create", "A", "--from", "2026-01-07", "--to",
                          "2026-01-01", "--tz", "UTC"});
  CHECK(bad_range.exit_code == 64);
  CHECK(bad_range.output.find("--from") != std::string::npos);
  auto unknown = c.cli({"backfill", "create", "nope", "--from", "2026-01-01", "--to",
                        "2026-01-02", "--tz", "UTC"});
  CHECK(unknown.exit_code == 64);
  CHECK(unknown.output.find("'workflow'") != std::string::npos);
  auto zero = c.cli({"workflow", "backfill", "A", "--dates", "2026-01-01", "--parallel", "0"});
  CHECK(zero.exit_code == 64);
  CHECK(zero.output.find("--parallel") != std::string::npos);
  auto bad_time = c.cli({"backfill", "create", "A", "--dates", "yesterday-ish"});
  CHECK(bad_time.exit_code == 64);
  auto shown = c.cli({"backfill", "show", id});
  CHECK(shown.exit_code == 0);
  CHECK(shown.output.find("done 182") != std::string::npos);
}

TEST_CASE("backfill API refusals name the field") {
  cluster c;
  auto log = c.dir("runs.log");
  c.add_workflow("A.xml", step_xml("A", "0 0 * * *", {}, log));
  c.start();
  struct row {
    json body;
    const char* names;
  };
  for (const auto& r :
       {row{json{{"workflow", "nope"}, {"dates", {"2026-01-01 00:00:00"}}}, "'workflow'"},
        row{json{{"workflow", "A"}, {"from", "2026-01-07 00:00:00"}, {"to", "2026-01-01 00:00:00"}},
            "'from'"},
        row{json{{"workflow", "A"}, {"from", "yesterday"}, {"to", "2026-01-01 00:00:00"}}, "'from'"},
        row{json{{"workflow", "A"}, {"dates", {"2026-01-01 00:00:00"}}, {"parallel", 0}},
            "'parallel'"},
        row{json{{"workflow", "A"}, {"dates", {"2026-01-01 00:00:00"}}, {"order", "up"}}, "'order'"},
        row{json{{"workflow", "A"}}, "'from'"}}) {
    CAPTURE(r.body.dump());
    auto answer = post_backfill(c, r.body, 400);
    CHECK(answer["error"].get<std::string>().find(r.names) != std::string::npos);
  }
  CHECK(c.api("GET", "/api/v1/backfills/0000000000000000").status == 404);
  CHECK(c.api("DELETE", "/api/v1/backfills/0000000000000000").status == 404);
}

TEST_CASE("cancel mid-way: unstarted items are cancelled, running instances killed") {
  cluster c(cluster_options(1, 4));
  auto log = c.dir("runs.log");
  c.add_workflow("S.xml", step_xml("S", "0 0 * * *", {}, log, "sleep 30", 2));
  c.start();
  auto created = post_backfill(c,
                               json{{"workflow", "S"},
                                    {"from", "2026-01-01 00:00:00"},
                                    {"to", "2026-01-10 00:00:00"},
                                    {"parallel", 2}},
                               201);
  auto id = created["id"].get<std::string>();
  REQUIRE(wait_until([&] {
    return c.get("/api/v1/instances?trigger=backfill&status=running")["instances"].size() == 2;
  }));
  auto r = c.api("DELETE", "/api/v1/backfills/" + id);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(json::parse(r.body)["state"] == "cancelled");
  auto done = wait_backfill(c, id, std::chrono::seconds(30));
  CHECK(done["state"] == "cancelled");
  CHECK(done["progress"]["cancelled"] == 8);
  CHECK(done["progress"]["failed"] == 2); // the two killed
  CHECK(done["progress"]["done"] == 0);
  auto instances = c.get("/api/v1/instances?trigger=backfill")["instances"];
  REQUIRE(instances.size() == 2);
  for (const auto& i : instances)
    CHECK(i["status"] == "killed");
  // A second cancel is refused: it is over.
  CHECK(c.api("DELETE", "/api/v1/backfills/" + id).status == 409);
  CHECK(lines_of(log).empty());
}

TEST_CASE("the master SIGKILLed mid-backfill: the standby completes it, nothing twice or missing") {
  cluster_options opts(1, 4);
  opts.standby = true;
  cluster c(std::move(opts));
  auto log = c.dir("runs.log");
  c.add_workflow("A.xml", step_xml("A", "0 0 * * *", {}, log, "sleep 0.3"));
  c.add_workflow("B.xml", step_xml("B", "0 0 * * *", {"A"}, log, "sleep 0.3"));
  c.start();
  auto created = post_backfill(c,
                               json{{"workflow", "A"},
                                    {"from", "2026-01-01 00:00:00"},
                                    {"to", "2026-01-12 00:00:00"},
                                    {"downstream", "all"},
                                    {"parallel", 2}},
                               201);
  auto id = created["id"].get<std::string>();
  REQUIRE(wait_until([&] { return lines_of(log).size() >= 6; }, std::chrono::seconds(60)));
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
  auto done = wait_backfill(c, id, std::chrono::seconds(120));
  REQUIRE_MESSAGE(done["state"] == "succeeded", (done.dump() + "\n" + c.logs()));
  CHECK(done["progress"]["done"] == 24);
  auto seen = backfill_instances(c);
  CHECK(per_workflow(seen) == std::map<std::string, int>{{"A", 12}, {"B", 12}});
  for (const auto& [key, count] : seen) {
    CAPTURE(key.first);
    CAPTURE(key.second);
    CHECK(count == 1);
  }
  auto lines = lines_of(log);
  CHECK(lines.size() == 24);
  CHECK(std::set<std::string>(lines.begin(), lines.end()).size() == 24);
}

TEST_SUITE_END();
