#include "schedule/coordinator.hpp"

#include "util/tz.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

const date::time_zone& utc() {
  return **find_time_zone("UTC");
}

/// A UTC wall-clock time ("YYYY-MM-DD HH:MM:SS").
timestamp at(std::string_view text) {
  auto t = parse_local_time(text, utc());
  REQUIRE(t.has_value());
  return *t;
}

constexpr timestamp minute = 60'000;

dependency_expr item(const std::string& workflow) {
  dependency_expr e;
  e.what = dependency_expr::kind::item;
  e.item.workflow = workflow;
  return e;
}

dependency_expr all_of(std::vector<dependency_expr> children) {
  dependency_expr e;
  e.what = dependency_expr::kind::all;
  e.children = std::move(children);
  return e;
}

dependency_expr any_of(std::vector<dependency_expr> children) {
  auto e = all_of(std::move(children));
  e.what = dependency_expr::kind::any;
  return e;
}

coordinator_spec spec(std::string cron, std::vector<std::string> upstreams = {}) {
  coordinator_spec s;
  s.cron = std::move(cron);
  std::vector<dependency_expr> items;
  for (auto& u : upstreams)
    items.push_back(item(u));
  s.depends = all_of(std::move(items));
  return s;
}

coordinator_logic make(const coordinator_spec& s, std::size_t max_catchup = 100) {
  auto c = coordinator_logic::make("wf", s, utc(), max_catchup);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  return std::move(*c);
}

std::vector<timestamp> times(const std::vector<fire_decision>& fires) {
  std::vector<timestamp> result;
  for (const auto& f : fires)
    result.push_back(f.logical_time);
  return result;
}

/// A coordinator that ran until `stopped` and is started again at `now`.
std::vector<fire_decision> restart(const coordinator_spec& s, timestamp stopped, timestamp now,
                                   std::set<timestamp> fired = {}, std::size_t max_catchup = 100) {
  auto before = make(s, max_catchup);
  before.start(std::nullopt, {}, stopped);
  auto after = make(s, max_catchup);
  return after.start(before.memory(), fired, now);
}

} // namespace

TEST_CASE("coordinator: a cron tick fires once with the tick as its logical time") {
  auto c = make(spec("*/5 * * * *"));
  auto t0 = at("2026-03-01 10:01:30");
  CHECK(c.start(std::nullopt, {}, t0).empty());
  REQUIRE(c.wakeup().has_value());
  CHECK(*c.wakeup() == at("2026-03-01 10:05:00"));
  CHECK(c.tick(at("2026-03-01 10:04:59")).empty());
  auto fires = c.tick(at("2026-03-01 10:05:00") + 20);
  REQUIRE(fires.size() == 1);
  CHECK(fires[0].logical_time == at("2026-03-01 10:05:00"));
  CHECK(fires[0].trigger == "cron");
  CHECK(c.memory().last_fire == at("2026-03-01 10:05:00"));
  CHECK(*c.wakeup() == at("2026-03-01 10:10:00"));
  // The same time again fires nothing.
  CHECK(c.tick(at("2026-03-01 10:05:01")).empty());
}

TEST_CASE("coordinator: without a cron the last dependency to become ready fires it") {
  auto c = make(spec("", {"a", "b"}));
  auto now = at("2026-03-01 10:00:00");
  CHECK(c.start(std::nullopt, {}, now).empty());
  CHECK_FALSE(c.wakeup().has_value());
  CHECK(c.upstream_succeeded("a", "i-a1", now + 1).empty());
  CHECK_FALSE(c.dependencies_ready());
  CHECK(c.upstream_succeeded("x", "i-x1", now + 2).empty()); // not an upstream
  auto fires = c.upstream_succeeded("b", "i-b1", now + 3);
  REQUIRE(fires.size() == 1);
  CHECK(fires[0].trigger == "dependency");
  CHECK(fires[0].logical_time == now + 3);
  CHECK(fires[0].ready.at("a").instance_id == "i-a1");
  CHECK(fires[0].ready.at("b").instance_id == "i-b1");
  // Firing cleared the flags: b alone is not enough again.
  CHECK(c.memory().ready.empty());
  CHECK(c.upstream_succeeded("b", "i-b2", now + 4).empty());
  CHECK(c.upstream_succeeded("a", "i-a2", now + 5).size() == 1);
}

TEST_CASE("coordinator: any and all nest") {
  auto s = spec("");
  s.depends = all_of({item("a"), any_of({item("b"), item("c")})});
  auto c = make(s);
  auto now = at("2026-03-01 10:00:00");
  c.start(std::nullopt, {}, now);
  CHECK(c.upstreams() == std::vector<std::string>{"a", "b", "c"});
  CHECK(c.upstream_succeeded("a", "1", now).empty());
  CHECK(c.upstream_succeeded("c", "2", now).size() == 1);
}

TEST_CASE("coordinator: a due tick waits for its dependencies") {
  auto c = make(spec("0 * * * *", {"up"}));
  c.start(std::nullopt, {}, at("2026-03-01 09:30:00"));
  CHECK(c.tick(at("2026-03-01 10:00:00")).empty());
  CHECK(c.memory().waiting == std::vector<timestamp>{at("2026-03-01 10:00:00")});
  auto fires = c.upstream_succeeded("up", "u1", at("2026-03-01 10:20:00"));
  REQUIRE(fires.size() == 1);
  CHECK(fires[0].trigger == "cron");
  CHECK(fires[0].logical_time == at("2026-03-01 10:00:00"));
  CHECK(c.memory().waiting.empty());

  SUBCASE("catchup none: a newer tick replaces a waiting one") {
    c.tick(at("2026-03-01 11:00:00"));
    c.tick(at("2026-03-01 12:00:00"));
    CHECK(c.memory().waiting == std::vector<timestamp>{at("2026-03-01 12:00:00")});
    CHECK(c.take_notes().size() == 1);
    CHECK(times(c.upstream_succeeded("up", "u2", at("2026-03-01 12:01:00")))
          == std::vector<timestamp>{at("2026-03-01 12:00:00")});
  }
}

TEST_CASE("coordinator: catchup all keeps every waiting tick, one fire per set of flags") {
  auto s = spec("0 * * * *", {"up"});
  s.catchup = "all";
  auto c = make(s, 2);
  c.start(std::nullopt, {}, at("2026-03-01 09:30:00"));
  c.tick(at("2026-03-01 10:00:00"));
  c.tick(at("2026-03-01 11:00:00"));
  CHECK(c.memory().waiting.size() == 2);
  c.tick(at("2026-03-01 12:00:00")); // beyond max_catchup: the oldest is dropped
  CHECK(c.memory().waiting
        == std::vector<timestamp>{at("2026-03-01 11:00:00"), at("2026-03-01 12:00:00")});
  CHECK(times(c.upstream_succeeded("up", "u1", at("2026-03-01 12:05:00")))
        == std::vector<timestamp>{at("2026-03-01 11:00:00")});
  CHECK(times(c.upstream_succeeded("up", "u2", at("2026-03-01 12:06:00")))
        == std::vector<timestamp>{at("2026-03-01 12:00:00")});
}

TEST_CASE("coordinator: ticks missed while no master ran follow the catchup policy") {
  auto s = spec("*/10 * * * *");
  auto stopped = at("2026-03-01 10:05:00"); // next tick 10:10
  auto now = at("2026-03-01 10:45:00");     // missed 10:10, 10:20, 10:30, 10:40
  SUBCASE("none skips them") {
    auto c = make(s);
    auto before = make(s);
    before.start(std::nullopt, {}, stopped);
    CHECK(c.start(before.memory(), {}, now).empty());
    CHECK(*c.wakeup() == at("2026-03-01 10:50:00"));
    CHECK(c.take_notes().size() == 1);
  }
  SUBCASE("last runs the most recent") {
    s.catchup = "last";
    CHECK(times(restart(s, stopped, now)) == std::vector<timestamp>{at("2026-03-01 10:40:00")});
  }
  SUBCASE("all runs each, oldest first") {
    s.catchup = "all";
    CHECK(times(restart(s, stopped, now))
          == std::vector<timestamp>{at("2026-03-01 10:10:00"), at("2026-03-01 10:20:00"),
                                    at("2026-03-01 10:30:00"), at("2026-03-01 10:40:00")});
  }
  SUBCASE("all never refires a tick that has a fire record") {
    s.catchup = "all";
    CHECK(times(restart(s, stopped, now, {at("2026-03-01 10:20:00")}))
          == std::vector<timestamp>{at("2026-03-01 10:10:00"), at("2026-03-01 10:30:00"),
                                    at("2026-03-01 10:40:00")});
  }
  SUBCASE("all runs at most max_catchup, the newest") {
    s.catchup = "all";
    CHECK(times(restart(s, stopped, now, {}, 2))
          == std::vector<timestamp>{at("2026-03-01 10:30:00"), at("2026-03-01 10:40:00")});
  }
  SUBCASE("a restart before the next tick misses nothing") {
    s.catchup = "all";
    CHECK(restart(s, stopped, at("2026-03-01 10:09:59")).empty());
  }
}

TEST_CASE("coordinator: a memory from another cron starts afresh") {
  auto before = make(spec("*/10 * * * *"));
  before.start(std::nullopt, {}, at("2026-03-01 10:05:00"));
  auto s = spec("0 * * * *");
  s.catchup = "all";
  auto c = make(s);
  CHECK(c.start(before.memory(), {}, at("2026-03-01 10:45:00")).empty());
  CHECK(*c.wakeup() == at("2026-03-01 11:00:00"));
}

TEST_CASE("coordinator: the start/end window") {
  auto s = spec("0 * * * *");
  s.start_time = "2026-03-02 00:00:00";
  s.end_time = "2026-03-02 02:00:00";
  auto c = make(s);
  c.start(std::nullopt, {}, at("2026-03-01 10:00:00"));
  CHECK(*c.wakeup() == at("2026-03-02 00:00:00"));
  CHECK(c.upcoming(at("2026-03-01 10:00:00"), 5)
        == std::vector<timestamp>{at("2026-03-02 00:00:00"), at("2026-03-02 01:00:00"),
                                  at("2026-03-02 02:00:00")});
  CHECK(c.tick(at("2026-03-02 02:00:00")).size() == 3);
  CHECK_FALSE(c.wakeup().has_value()); // past the end: never again

  SUBCASE("dependencies fire only inside the window") {
    auto d = spec("", {"up"});
    d.end_time = "2026-03-02 00:00:00";
    auto dc = make(d);
    dc.start(std::nullopt, {}, at("2026-03-01 10:00:00"));
    CHECK(dc.upstream_succeeded("up", "u", at("2026-03-01 23:00:00")).size() == 1);
    CHECK(dc.upstream_succeeded("up", "u", at("2026-03-02 00:00:01")).empty());
  }
}

TEST_CASE("coordinator: disabled and paused coordinators let ticks pass") {
  SUBCASE("is-enabled false") {
    auto s = spec("* * * * *", {});
    s.enabled = false;
    auto c = make(s);
    c.start(std::nullopt, {}, at("2026-03-01 10:00:30"));
    CHECK(c.tick(at("2026-03-01 10:03:00")).empty());
    CHECK(c.upcoming(at("2026-03-01 10:03:00"), 5).empty());
    CHECK(*c.wakeup() == at("2026-03-01 10:04:00"));
  }
  SUBCASE("pause and resume") {
    auto c = make(spec("", {"up"}));
    c.start(std::nullopt, {}, at("2026-03-01 10:00:00"));
    c.pause();
    // Flags are collected while paused, and fire on resume.
    CHECK(c.upstream_succeeded("up", "u1", at("2026-03-01 10:01:00")).empty());
    CHECK(c.memory().paused);
    auto fires = c.resume(at("2026-03-01 10:02:00"));
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].logical_time == at("2026-03-01 10:02:00"));
  }
  SUBCASE("ticks during a pause are skipped, not caught up") {
    auto s = spec("* * * * *");
    s.catchup = "all";
    auto c = make(s);
    c.start(std::nullopt, {}, at("2026-03-01 10:00:30"));
    c.pause();
    CHECK(c.tick(at("2026-03-01 10:05:00")).empty());
    CHECK(c.resume(at("2026-03-01 10:05:30")).empty());
    CHECK(*c.wakeup() == at("2026-03-01 10:06:00"));
  }
}

TEST_CASE("coordinator: reset clears the flags but keeps waiting ticks") {
  auto c = make(spec("0 * * * *", {"a", "b"}));
  c.start(std::nullopt, {}, at("2026-03-01 09:30:00"));
  c.tick(at("2026-03-01 10:00:00"));
  c.upstream_succeeded("a", "1", at("2026-03-01 10:01:00"));
  c.reset();
  CHECK(c.memory().ready.empty());
  CHECK(c.memory().waiting.size() == 1);
  c.upstream_succeeded("b", "2", at("2026-03-01 10:02:00"));
  CHECK(c.upstream_succeeded("a", "3", at("2026-03-01 10:03:00")).size() == 1);
}

TEST_CASE("coordinator: the memory survives a JSON round trip") {
  auto c = make(spec("0 * * * *", {"a", "b"}));
  c.start(std::nullopt, {}, at("2026-03-01 09:30:00"));
  c.tick(at("2026-03-01 10:00:00"));
  c.upstream_succeeded("a", "i-1", at("2026-03-01 10:01:00"));
  c.pause();
  auto back = coordinator_memory_from_json(to_json(c.memory()));
  REQUIRE(back.has_value());
  CHECK(*back == c.memory());
  CHECK_FALSE(coordinator_memory_from_json("[1]").has_value());
  CHECK_FALSE(coordinator_memory_from_json("{\"ready\": {\"a\": 3}}").has_value());
}

TEST_CASE("coordinator: overlap decides what a fire at the instance-limit does") {
  CHECK(admit_fire("queue", 2, 1) == fire_admission::start);
  CHECK(admit_fire("skip", 2, 1) == fire_admission::start);
  CHECK(admit_fire("queue", 2, 2) == fire_admission::queue);
  CHECK(admit_fire("skip", 2, 2) == fire_admission::skip);
  CHECK(admit_fire("skip", 1, 3) == fire_admission::skip);
}

TEST_CASE("coordinator: with a cron a date-window item does not hold the tick back") {
  auto s = spec("0 * * * *", {"flag"});
  auto windowed = item("daily");
  windowed.item.cycle = "day";
  windowed.item.window = "today";
  s.depends.children.push_back(windowed);
  auto c = make(s);
  CHECK(c.start(std::nullopt, {}, at("2026-03-01 10:30:00")).empty());
  // The flag item still waits; the windowed one does not.
  CHECK(c.tick(at("2026-03-01 11:00:00")).empty());
  auto fires = c.upstream_succeeded("flag", "i-f", at("2026-03-01 11:00:05"));
  REQUIRE(fires.size() == 1);
  CHECK(fires[0].logical_time == at("2026-03-01 11:00:00"));
  // Only windowed items: every tick fires (its instance waits for the window).
  auto only = spec("0 * * * *");
  only.depends.children.push_back(windowed);
  auto w = make(only);
  CHECK(w.start(std::nullopt, {}, at("2026-03-01 10:30:00")).empty());
  CHECK(times(w.tick(at("2026-03-01 11:00:00"))) == std::vector<timestamp>{at("2026-03-01 11:00:00")});
  // Without a cron, a windowed item is a flag: its upstream's success fires.
  auto flagged = spec("");
  flagged.depends.children.push_back(windowed);
  auto f = make(flagged);
  CHECK(f.start(std::nullopt, {}, at("2026-03-01 10:30:00")).empty());
  CHECK(f.upstream_succeeded("daily", "i-d", at("2026-03-01 10:40:00")).size() == 1);
}
