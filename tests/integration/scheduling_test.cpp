// Coordinators with real processes (docs/SCHEDULING.md): a file dropped into
// xmlconfig fires on a seconds-cron, edits change what the next instance runs,
// a broken edit keeps the last good version, deletion stops it; dependencies
// count triggered runs but not manual ones; a master killed between ticks
// fires no tick twice and keeps its flags; rerun of failed nodes.
#include <csignal>
#include <set>
#include <thread>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "mariadb.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A workflow with one shell action that appends `line` and the logical time
/// to `log`; `coordinator` is the <coordinator> element (may be empty).
std::string appender(const std::string& name, const std::string& coordinator,
                     const std::string& log, const std::string& line) {
  return "<work-flow name=\"" + name + "\" timezone=\"UTC\" instance-limit=\"5\">" + coordinator
         + "<start name=\"s\" to=\"a\"/><action name=\"a\"><shell><command>echo " + line
         + " $CAFFLOW_LOGICAL_TIME >> " + log
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

std::string cron_coordinator(const std::string& cron, const std::string& extra = "") {
  return "<coordinator" + extra + "><depend-list cron=\"" + cron + "\"/></coordinator>";
}

std::string depends_on(const std::vector<std::string>& upstreams) {
  std::string xml = "<coordinator><depend-list>";
  for (const auto& u : upstreams)
    xml += "<workflow name=\"" + u + "\"/>";
  return xml + "</depend-list></coordinator>";
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> result;
  for (auto& line : split(read_file(path), '\n'))
    if (!line.empty())
      result.push_back(line);
  return result;
}

/// The instances of a workflow, newest first.
json instances_of(cluster& c, const std::string& workflow) {
  return c.get("/api/v1/instances?limit=1000&workflow=" + workflow)["instances"];
}

/// The fire records of `workflow` in the store at `store_url` ("" = the
/// cluster's own SQLite store).
std::vector<fire_record> fires_of(cluster& c, const std::string& workflow,
                                  const std::string& store_url = "") {
  auto url = parse_store_url(store_url.empty() ? "sqlite:" + c.dir("data/cafflow.db") : store_url,
                             c.dir(""));
  REQUIRE(url.has_value());
  auto db = open_store(*url, 5000);
  REQUIRE(db.has_value());
  auto fires = (*db)->fire_records(workflow, 0, std::numeric_limits<timestamp>::max());
  REQUIRE(fires.has_value());
  return *fires;
}

/// Keeps the master down for `duration`: the downtime is the scenario.
void stay_down(std::chrono::milliseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  wait_until([&] { return std::chrono::steady_clock::now() >= until; }, duration * 2);
}

} // namespace

TEST_SUITE_BEGIN("scheduling");

TEST_CASE("a dropped file fires on a seconds cron and follows edits and deletion") {
  cluster c;
  c.start();
  auto log = c.dir("runs");
  c.add_workflow("sub/tick.xml", appender("tick", cron_coordinator("@seconds */2 * * * * *"), log, "v1"));
  REQUIRE_MESSAGE(wait_until([&] { return lines_of(log).size() >= 2; }), c.logs());
  auto first = instances_of(c, "tick");
  REQUIRE(first.size() >= 2);
  CHECK(first[0]["trigger"] == "cron");
  // Logical times are the ticks: whole, even seconds, each once.
  std::set<std::string> times;
  for (const auto& i : first) {
    auto t = i["logical_time"].get<std::string>();
    CHECK(t.find(".000Z") != std::string::npos);
    CHECK(times.insert(t).second);
  }

  SUBCASE("an edit changes what the next instance runs") {
    c.add_workflow("sub/tick.xml", appender("tick", cron_coordinator("@seconds */2 * * * * *"), log, "v2"));
    REQUIRE_MESSAGE(wait_until([&] { return lines_of(log).back().rfind("v2", 0) == 0; }),
                    c.logs());
    CHECK(instances_of(c, "tick")[0]["version"] == 2);

    // A broken edit: diagnostics shown, version 2 keeps firing.
    c.add_workflow("sub/tick.xml", "<work-flow name=\"tick\"><start name=\"s\" to=\"nowhere\"/>");
    REQUIRE(wait_until([&] {
      auto f = file_status(c, "sub/tick.xml");
      return f["status"] == "invalid" && !f["diagnostics"].empty();
    }));
    auto before = lines_of(log).size();
    REQUIRE(wait_until([&] { return lines_of(log).size() >= before + 2; }));
    CHECK(lines_of(log).back().rfind("v2", 0) == 0);

    // Deleted: it stops firing; its history stays.
    std::remove(c.dir("xmlconfig/sub/tick.xml").c_str());
    REQUIRE(wait_until([&] {
      auto r = c.api("GET", "/api/v1/workflows/tick");
      return r.status == 404;
    }));
    // An instance fired just before may still be finishing.
    REQUIRE(wait_until([&] {
      auto list = instances_of(c, "tick");
      for (const auto& i : list)
        if (i["status"] == "running" || i["status"] == "queued")
          return false;
      return true;
    }));
    auto after_delete = lines_of(log).size();
    CHECK_FALSE(wait_until([&] { return lines_of(log).size() > after_delete; },
                           std::chrono::seconds(5)));
    CHECK(instances_of(c, "tick").size() >= after_delete);
  }

  // Every fire is recorded once, with the instance it created.
  auto fires = fires_of(c, "tick");
  std::set<timestamp> fired;
  for (const auto& f : fires) {
    CHECK(fired.insert(f.logical_time).second);
    CHECK_FALSE(f.instance_id.empty());
  }
}

TEST_CASE("a dependency counts triggered runs and not manual ones") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("a.xml", appender("up", "", log, "up"));
  c.add_workflow("b.xml", appender("down", depends_on({"up"}), log, "down"));
  c.start();
  // A manual run of the upstream has no downstream effect.
  auto manual = c.run("up");
  CHECK(c.wait_for(manual)["status"] == "succeeded");
  CHECK_FALSE(wait_until([&] { return !instances_of(c, "down").empty(); },
                         std::chrono::seconds(3)));
  // A trigger does: the downstream fires once the upstream succeeded.
  auto r = c.api("POST", "/api/v1/workflows/up/trigger", "{}");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  auto triggered = json::parse(r.body)["instance_id"].get<std::string>();
  CHECK(c.wait_for(triggered)["trigger"] == "trigger");
  REQUIRE_MESSAGE(wait_until([&] { return instances_of(c, "down").size() == 1; }), c.logs());
  auto down = c.wait_for(instances_of(c, "down")[0]["id"].get<std::string>());
  CHECK(down["status"] == "succeeded");
  CHECK(down["trigger"] == "dependency");
  // The flag was consumed: it fired once.
  CHECK_FALSE(wait_until([&] { return instances_of(c, "down").size() > 1; },
                         std::chrono::seconds(2)));
  // The workflow view shows the coordinator.
  auto view = c.get("/api/v1/workflows/down");
  REQUIRE(view["coordinator"].is_object());
  REQUIRE(view["coordinator"]["dependencies"].size() == 1);
  CHECK(view["coordinator"]["dependencies"][0]["workflow"] == "up");
  CHECK(view["coordinator"]["dependencies"][0]["ready"] == false);
  CHECK(c.get("/api/v1/workflows/up")["downstream"] == json::array({"down"}));
}

/// The master is killed between ticks and kept down for a few: on restart
/// every missed tick fires once (catchup all) and a dependency flag set
/// before the kill still counts.
void restart_between_ticks(cluster_options opts, const std::string& store_url) {
  cluster c(std::move(opts));
  auto log = c.dir("runs");
  c.add_workflow("tick.xml",
                 appender("tick", cron_coordinator("@seconds */2 * * * * *", " catchup=\"all\""), log, "t"));
  c.add_workflow("a.xml", appender("a", "", log, "a"));
  c.add_workflow("b.xml", appender("b", "", log, "b"));
  c.add_workflow("ab.xml", appender("ab", depends_on({"a", "b"}), log, "ab"));
  c.start();
  // One of the two upstreams of ab is ready when the master dies.
  auto r = c.api("POST", "/api/v1/workflows/a/trigger", "{}");
  REQUIRE(r.status == 201);
  c.wait_for(json::parse(r.body)["instance_id"].get<std::string>());
  REQUIRE(wait_until([&] {
    auto view = c.get("/api/v1/workflows/ab");
    return view["coordinator"]["dependencies"][0]["ready"] == true;
  }));
  REQUIRE(wait_until([&] { return instances_of(c, "tick").size() >= 2; }));
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
  stay_down(std::chrono::seconds(5)); // two or three ticks pass
  c.start_master();
  REQUIRE(wait_until([&] { return c.api("GET", "/api/v1/health").status == 200; }));
  // The flag survived: b alone completes ab's dependencies.
  r = c.api("POST", "/api/v1/workflows/b/trigger", "{}");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  REQUIRE_MESSAGE(wait_until([&] { return instances_of(c, "ab").size() == 1; }), c.logs());
  // Catch-up all: every tick from the first to the last fired exactly once.
  REQUIRE(wait_until([&] { return instances_of(c, "tick").size() >= 6; }));
  auto fires = fires_of(c, "tick", store_url);
  std::set<timestamp> times;
  for (const auto& f : fires)
    CHECK(times.insert(f.logical_time).second);
  REQUIRE(times.size() >= 6);
  for (auto it = std::next(times.begin()); it != times.end(); ++it)
    CHECK(*it - *std::prev(it) == 2000); // none lost
  // One instance per fire, and one execution per instance.
  std::set<std::string> logical;
  for (const auto& i : instances_of(c, "tick"))
    CHECK(logical.insert(i["logical_time"].get<std::string>()).second);
  CHECK(c.logs().find("fired before") == std::string::npos);
}

TEST_CASE("a master killed between ticks fires no tick twice and keeps its flags") {
  restart_between_ticks(cluster_options{}, "");
}

TEST_CASE("on MariaDB a master killed between ticks fires no tick twice and keeps its flags") {
  auto url = fresh_mariadb_url();
  cluster_options opts;
  opts.extra_ini = "[store]\nurl = " + url + "\n";
  restart_between_ticks(std::move(opts), url);
}

TEST_CASE("rerun failed runs the failed node and what follows it, once more") {
  cluster c;
  auto log = c.dir("runs");
  auto marker = c.dir("fixed");
  c.add_workflow(
    "chain.xml",
    "<work-flow name=\"chain\"><start name=\"s\" to=\"a\"/>"
    "<action name=\"a\"><shell><command>echo a >> "
      + log
      + "</command></shell><ok to=\"b\"/></action>"
        "<action name=\"b\"><shell><command>echo b >> "
      + log + "; test -e " + marker
      + "</command></shell><ok to=\"c\"/></action>"
        "<action name=\"c\"><shell><command>echo c >> "
      + log + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>");
  c.start();
  auto id = c.run("chain");
  CHECK(c.wait_for(id)["status"] == "failed");
  CHECK(lines_of(log) == std::vector<std::string>{"a", "b"});
  // A running or unknown instance cannot be rerun; a bad mode is refused.
  CHECK(c.api("POST", "/api/v1/instances/nope/rerun", R"({"mode":"failed"})").status == 404);
  CHECK(c.api("POST", "/api/v1/instances/" + id + "/rerun", R"({"mode":"sideways"})").status
        == 400);
  write_file(marker, "");
  auto r = c.api("POST", "/api/v1/instances/" + id + "/rerun", R"({"mode":"failed"})");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(inst["trigger"] == "rerun");
  CHECK(lines_of(log) == std::vector<std::string>{"a", "b", "b", "c"});
  // History: b's first attempt is still there.
  auto b = node_of(inst, "b");
  REQUIRE(b["attempts"].size() == 2);
  CHECK(b["attempts"][0]["status"] == "failed");
  CHECK(b["attempts"][1]["status"] == "succeeded");
  CHECK(node_of(inst, "a")["attempts"].size() == 1);
  // A succeeded instance has nothing failed to rerun.
  CHECK(c.api("POST", "/api/v1/instances/" + id + "/rerun", R"({"mode":"failed"})").status
        == 409);
}

TEST_CASE("a legacy standalone coordinator fires its trigger-list") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("load.xml", appender("load", "", log, "load"));
  c.add_workflow("report.xml", appender("report", "", log, "report"));
  c.add_workflow("nightly.xml",
                 "<coordinator name=\"nightly\"><depend-list cron=\"@seconds */2 * * * * *\"/>"
                 "<trigger-list><workflow name=\"load\"/><workflow name=\"report\"/>"
                 "</trigger-list><param-list><param name=\"day\" value=\"${time.today}\"/>"
                 "</param-list></coordinator>");
  c.start();
  REQUIRE_MESSAGE(wait_until([&] {
    return !instances_of(c, "load").empty() && !instances_of(c, "report").empty();
  }), c.logs());
  auto load = instances_of(c, "load")[0];
  auto report = instances_of(c, "report")[0];
  CHECK(load["trigger"] == "cron");
  CHECK(load["params"]["day"].is_string());
  // One fire of the coordinator, both instances at its logical time.
  auto fires = fires_of(c, "nightly");
  REQUIRE_FALSE(fires.empty());
  CHECK(fires[0].instance_id.find(',') != std::string::npos);
}

TEST_CASE("lineage runs a workflow and everything downstream once, in order") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("a.xml", appender("a", "", log, "a"));
  c.add_workflow("b.xml", appender("b", depends_on({"a"}), log, "b"));
  c.add_workflow("c.xml", appender("c", depends_on({"b"}), log, "c"));
  c.add_workflow("x.xml", appender("x", "", log, "x")); // unrelated
  c.start();
  auto r = c.api("POST", "/api/v1/workflows/a/lineage", "{}");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  auto root = json::parse(r.body)["instance_id"].get<std::string>();
  REQUIRE_MESSAGE(wait_until([&] { return lines_of(log).size() == 3; }), c.logs());
  REQUIRE(wait_until([&] {
    auto list = instances_of(c, "c");
    return !list.empty() && list[0]["status"] == "succeeded";
  }));
  auto lines = lines_of(log);
  CHECK(lines[0].rfind("a ", 0) == 0);
  CHECK(lines[1].rfind("b ", 0) == 0);
  CHECK(lines[2].rfind("c ", 0) == 0);
  for (const auto* name : {"b", "c"}) {
    CAPTURE(name);
    auto list = instances_of(c, name);
    // Once: lineage successes do not also fire the coordinators.
    REQUIRE(list.size() == 1);
    CHECK(list[0]["trigger"] == "lineage");
    CHECK(list[0]["parent_id"] == root);
  }
  CHECK_FALSE(wait_until([&] { return lines_of(log).size() > 3; }, std::chrono::seconds(2)));
  CHECK(instances_of(c, "x").empty());
}

TEST_CASE("a paused coordinator lets ticks pass until it is resumed") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("tick.xml", appender("tick", cron_coordinator("@seconds * * * * * *", " overlap=\"skip\""),
                                      log, "t"));
  c.start();
  REQUIRE(wait_until([&] { return !instances_of(c, "tick").empty(); }));
  auto r = c.api("POST", "/api/v1/workflows/tick/pause", "");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(c.get("/api/v1/workflows/tick")["coordinator"]["paused"] == true);
  CHECK(c.get("/api/v1/workflows/tick")["coordinator"]["next_fires"].empty());
  // A fire decided just before the pause may still create its instance;
  // nothing after that.
  auto paused = instances_of(c, "tick").size() + 1;
  CHECK_FALSE(wait_until([&] { return instances_of(c, "tick").size() > paused; },
                         std::chrono::seconds(3)));
  REQUIRE(c.api("POST", "/api/v1/workflows/tick/resume", "").status == 200);
  CHECK(wait_until([&] { return instances_of(c, "tick").size() > paused; }));
  CHECK(c.api("POST", "/api/v1/workflows/nope/pause", "").status == 404);
  c.add_workflow("plain.xml", appender("plain", "", c.dir("plain"), "p"));
  REQUIRE(wait_until([&] { return version_of(c, "plain") == 1; }));
  CHECK(c.api("POST", "/api/v1/workflows/plain/pause", "").status == 409);
}

TEST_CASE("overlap skip drops a tick while the previous instance runs") {
  cluster c;
  c.add_workflow("slow.xml",
                 "<work-flow name=\"slow\" instance-limit=\"1\"><coordinator overlap=\"skip\">"
                 "<depend-list cron=\"@seconds * * * * * *\"/></coordinator><start name=\"s\" to=\"a\"/>"
                 "<action name=\"a\"><shell><command>sleep 2</command></shell><ok to=\"e\"/>"
                 "</action><end name=\"e\"/></work-flow>");
  c.start();
  REQUIRE(wait_until([&] {
    int done = 0;
    for (const auto& i : instances_of(c, "slow"))
      done += i["status"] == "succeeded";
    return done >= 2;
  }, std::chrono::seconds(30)));
  // Never two at once, none queued: the ticks in between were skipped.
  auto list = instances_of(c, "slow");
  for (const auto& i : list)
    CHECK(i["status"] != "queued");
  auto finished_before = [](const json& a, const json& b) {
    return a["finished"].is_string() && a["finished"].get<std::string>() <= b["started"].get<std::string>();
  };
  for (std::size_t k = 0; k + 1 < list.size(); ++k)
    if (list[k]["started"].is_string())
      CHECK(finished_before(list[k + 1], list[k]));
  CHECK(c.logs().find("(overlap skip)") != std::string::npos);
}

TEST_SUITE_END();
