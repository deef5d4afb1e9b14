#include "schedule/windows.hpp"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "util/tz.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

const date::time_zone& zone(const char* name) {
  return **find_time_zone(name);
}

/// A wall-clock time ("YYYY-MM-DD HH:MM") in `z`.
timestamp at(const std::string& text, const date::time_zone& z) {
  auto t = parse_local_time(text + ":00", z);
  REQUIRE(t.has_value());
  return *t;
}

/// A UTC time "YYYY-MM-DD HH:MM".
timestamp utc(const std::string& text) {
  return at(text, zone("UTC"));
}

constexpr timestamp hour = 3'600'000;
constexpr timestamp minute = 60'000;

struct window_case {
  const char* tz;
  const char* logical_time; // local, in tz
  const char* cycle;
  const char* window;
  /// Expected periods as UTC "from/to" pairs.
  std::vector<std::pair<const char*, const char*>> periods;
};

// Every keyword at least once; month ends, leap days, year and week
// boundaries, DST days in America/New_York and Europe/Berlin. Expected times
// are UTC (computed independently with Python's zoneinfo for the zones).
const std::vector<window_case> window_cases{
  // hours
  {"UTC", "2026-07-28 04:10", "hour", "currentHour", {{"2026-07-28 04:00", "2026-07-28 05:00"}}},
  {"UTC", "2026-07-28 04:10", "hour", "last1Hour", {{"2026-07-28 03:00", "2026-07-28 04:00"}}},
  {"UTC",
   "2026-07-28 04:10",
   "hour",
   "last2Hours",
   {{"2026-07-28 02:00", "2026-07-28 03:00"}, {"2026-07-28 03:00", "2026-07-28 04:00"}}},
  {"UTC",
   "2026-07-28 04:00",
   "hour",
   "last3Hours",
   {{"2026-07-28 01:00", "2026-07-28 02:00"},
    {"2026-07-28 02:00", "2026-07-28 03:00"},
    {"2026-07-28 03:00", "2026-07-28 04:00"}}},
  {"UTC", "2026-01-01 00:10", "hour", "last1Hour", {{"2025-12-31 23:00", "2026-01-01 00:00"}}},
  // New York spring forward (2026-03-08 02:00 EST -> 03:00 EDT): the hour
  // before 03:00 EDT is 01:00 EST.
  {"America/New_York",
   "2026-03-08 03:30",
   "hour",
   "last2Hours",
   {{"2026-03-08 05:00", "2026-03-08 06:00"}, {"2026-03-08 06:00", "2026-03-08 07:00"}}},
  // Half-hour offset: hours start at local :00.
  {"Asia/Kolkata", "2026-07-28 10:40", "hour", "currentHour",
   {{"2026-07-28 04:30", "2026-07-28 05:30"}}},
  // days
  {"UTC", "2026-07-28 04:10", "day", "today", {{"2026-07-28 00:00", "2026-07-29 00:00"}}},
  {"UTC", "2026-07-28 04:10", "day", "last1Days", {{"2026-07-27 00:00", "2026-07-28 00:00"}}},
  {"UTC",
   "2026-07-28 04:10",
   "day",
   "last2Days",
   {{"2026-07-26 00:00", "2026-07-27 00:00"}, {"2026-07-27 00:00", "2026-07-28 00:00"}}},
  {"UTC",
   "2026-03-01 00:30",
   "day",
   "last3Days",
   {{"2026-02-26 00:00", "2026-02-27 00:00"},
    {"2026-02-27 00:00", "2026-02-28 00:00"},
    {"2026-02-28 00:00", "2026-03-01 00:00"}}},
  {"UTC",
   "2024-03-01 10:00",
   "day",
   "last2Days",
   {{"2024-02-28 00:00", "2024-02-29 00:00"}, {"2024-02-29 00:00", "2024-03-01 00:00"}}},
  {"UTC", "2026-01-01 00:00", "day", "last1Days", {{"2025-12-31 00:00", "2026-01-01 00:00"}}},
  {"UTC",
   "2026-01-03 12:00",
   "day",
   "last7Days",
   {{"2025-12-27 00:00", "2025-12-28 00:00"},
    {"2025-12-28 00:00", "2025-12-29 00:00"},
    {"2025-12-29 00:00", "2025-12-30 00:00"},
    {"2025-12-30 00:00", "2025-12-31 00:00"},
    {"2025-12-31 00:00", "2026-01-01 00:00"},
    {"2026-01-01 00:00", "2026-01-02 00:00"},
    {"2026-01-02 00:00", "2026-01-03 00:00"}}},
  // DST days: 23 and 25 hours.
  {"America/New_York", "2026-03-08 12:00", "day", "today",
   {{"2026-03-08 05:00", "2026-03-09 04:00"}}},
  {"America/New_York", "2026-03-09 01:00", "day", "last1Days",
   {{"2026-03-08 05:00", "2026-03-09 04:00"}}},
  {"America/New_York", "2026-11-01 12:00", "day", "today",
   {{"2026-11-01 04:00", "2026-11-02 05:00"}}},
  {"Europe/Berlin", "2026-03-29 10:00", "day", "today",
   {{"2026-03-28 23:00", "2026-03-29 22:00"}}},
  {"Europe/Berlin",
   "2026-10-26 08:00",
   "day",
   "last2Days",
   {{"2026-10-23 22:00", "2026-10-24 22:00"}, {"2026-10-24 22:00", "2026-10-25 23:00"}}},
  // weeks (2026-07-28 is a Tuesday; 2026-01-01 a Thursday)
  {"UTC", "2026-07-28 04:10", "week", "thisWeek", {{"2026-07-27 00:00", "2026-08-03 00:00"}}},
  {"UTC", "2026-07-27 00:00", "week", "thisWeek", {{"2026-07-27 00:00", "2026-08-03 00:00"}}},
  {"UTC", "2026-08-02 23:59", "week", "thisWeek", {{"2026-07-27 00:00", "2026-08-03 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastWeek", {{"2026-07-20 00:00", "2026-07-27 00:00"}}},
  {"UTC", "2026-01-01 08:00", "week", "thisWeek", {{"2025-12-29 00:00", "2026-01-05 00:00"}}},
  {"UTC", "2026-01-01 08:00", "week", "lastWeek", {{"2025-12-22 00:00", "2025-12-29 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastMonday", {{"2026-07-20 00:00", "2026-07-21 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastTuesday", {{"2026-07-21 00:00", "2026-07-22 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastWednesday",
   {{"2026-07-22 00:00", "2026-07-23 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastThursday", {{"2026-07-23 00:00", "2026-07-24 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastFriday", {{"2026-07-24 00:00", "2026-07-25 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastSaturday", {{"2026-07-25 00:00", "2026-07-26 00:00"}}},
  {"UTC", "2026-07-28 04:10", "week", "lastSunday", {{"2026-07-26 00:00", "2026-07-27 00:00"}}},
  {"UTC", "2026-01-01 08:00", "week", "lastSunday", {{"2025-12-28 00:00", "2025-12-29 00:00"}}},
  // Berlin: the week with the spring DST day has 167 hours.
  {"Europe/Berlin", "2026-03-30 09:00", "week", "lastWeek",
   {{"2026-03-22 23:00", "2026-03-29 22:00"}}},
  // months
  {"UTC", "2026-07-28 04:10", "month", "thisMonth", {{"2026-07-01 00:00", "2026-08-01 00:00"}}},
  {"UTC", "2024-02-29 23:59", "month", "thisMonth", {{"2024-02-01 00:00", "2024-03-01 00:00"}}},
  {"UTC", "2024-03-15 12:00", "month", "lastMonth", {{"2024-02-01 00:00", "2024-03-01 00:00"}}},
  {"UTC", "2024-03-15 12:00", "month", "lastMonthBegin",
   {{"2024-02-01 00:00", "2024-02-02 00:00"}}},
  {"UTC", "2024-03-15 12:00", "month", "lastMonthEnd", {{"2024-02-29 00:00", "2024-03-01 00:00"}}},
  {"UTC", "2026-01-01 00:00", "month", "lastMonth", {{"2025-12-01 00:00", "2026-01-01 00:00"}}},
  {"UTC", "2026-01-31 23:00", "month", "lastMonthEnd", {{"2025-12-31 00:00", "2026-01-01 00:00"}}},
  {"UTC", "2026-03-31 23:00", "month", "lastMonthEnd", {{"2026-02-28 00:00", "2026-03-01 00:00"}}},
  {"Europe/Berlin", "2026-04-15 12:00", "month", "lastMonth",
   {{"2026-02-28 23:00", "2026-03-31 22:00"}}},
};

// -- verdicts ---------------------------------------------------------------------

dependency_expr item(const std::string& workflow, const std::string& cycle,
                     const std::string& window, const std::string& node = {}) {
  dependency_expr e;
  e.what = dependency_expr::kind::item;
  e.item.workflow = workflow;
  e.item.cycle = cycle;
  e.item.window = window;
  e.item.node = node;
  return e;
}

dependency_expr group(dependency_expr::kind k, std::vector<dependency_expr> children) {
  dependency_expr e;
  e.what = k;
  e.children = std::move(children);
  return e;
}

/// Upstream instances by workflow, looked up like the store does.
struct fake_store {
  std::map<std::string, std::vector<upstream_instance>> by_workflow;
  int lookups = 0;

  upstream_lookup lookup() {
    return [this](const std::string& workflow, const std::string& node, timestamp from,
                  timestamp to) -> expected<std::vector<upstream_instance>> {
      ++lookups;
      if (workflow == "broken")
        return make_error(ec::store_error, "the store is down");
      std::vector<upstream_instance> out;
      auto key = node.empty() ? workflow : workflow + "/" + node;
      for (const auto& u : by_workflow[key])
        if (u.logical_time >= from && u.logical_time < to)
          out.push_back(u);
      return out;
    };
  }
};

upstream_instance inst(const std::string& id, timestamp logical_time, const std::string& status,
                       timestamp finished = 0) {
  return upstream_instance{id, logical_time, status, finished};
}

} // namespace

TEST_SUITE("schedule/windows") {

TEST_CASE("every window keyword of the format has a case in the table") {
  std::set<std::string> tested;
  for (const auto& c : window_cases)
    tested.insert(c.window);
  tested.insert("last24Hours"); // its 24 periods: "lengths of DST days and 24 absolute hours"
  for (const auto& [cycle, names] : windows_by_cycle())
    for (const auto& name : names) {
      CAPTURE(name);
      CHECK(tested.count(name) == 1);
    }
}

TEST_CASE("window periods: every keyword at month ends, leap days, DST days and boundaries") {
  for (const auto& c : window_cases) {
    CAPTURE(c.tz);
    CAPTURE(c.logical_time);
    CAPTURE(c.window);
    const auto& z = zone(c.tz);
    auto periods = window_periods(c.cycle, c.window, at(c.logical_time, z), z);
    REQUIRE(periods.has_value());
    REQUIRE(periods->size() == c.periods.size());
    for (std::size_t i = 0; i < c.periods.size(); ++i) {
      CAPTURE(i);
      CHECK(format_local_time((*periods)[i].from, zone("UTC")).substr(0, 16)
            == c.periods[i].first);
      CHECK(format_local_time((*periods)[i].to, zone("UTC")).substr(0, 16)
            == c.periods[i].second);
    }
  }
}

TEST_CASE("window periods: lengths of DST days and 24 absolute hours") {
  const auto& ny = zone("America/New_York");
  auto spring = window_periods("day", "today", at("2026-03-08 12:00", ny), ny);
  REQUIRE(spring.has_value());
  CHECK(spring->front().to - spring->front().from == 23 * hour);
  auto fall = window_periods("day", "today", at("2026-11-01 12:00", ny), ny);
  REQUIRE(fall.has_value());
  CHECK(fall->front().to - fall->front().from == 25 * hour);
  auto hours = window_periods("hour", "last24Hours", at("2026-03-08 12:30", ny), ny);
  REQUIRE(hours.has_value());
  REQUIRE(hours->size() == 24);
  for (std::size_t i = 0; i < hours->size(); ++i) {
    CHECK((*hours)[i].to - (*hours)[i].from == hour);
    if (i > 0)
      CHECK((*hours)[i].from == (*hours)[i - 1].to);
  }
  CHECK(hours->back().to == at("2026-03-08 12:00", ny));
  // Fall back: the second 01:00 hour is its own period.
  auto repeated = window_periods("hour", "currentHour", utc("2026-11-01 06:30"), ny);
  REQUIRE(repeated.has_value());
  CHECK(repeated->front().from == utc("2026-11-01 06:00"));
  CHECK(repeated->front().to == utc("2026-11-01 07:00"));
}

TEST_CASE("window periods: an unknown cycle or window is an error naming it") {
  const auto& z = zone("UTC");
  auto bad_cycle = window_periods("year", "today", 0, z);
  REQUIRE_FALSE(bad_cycle.has_value());
  CHECK(bad_cycle.error().message.find("'year'") != std::string::npos);
  auto bad_window = window_periods("day", "thisWeek", 0, z);
  REQUIRE_FALSE(bad_window.has_value());
  CHECK(bad_window.error().message.find("'thisWeek'") != std::string::npos);
}

TEST_CASE("verdict of one item: the latest instance of each period decides") {
  const auto& z = zone("UTC");
  auto t = utc("2026-07-28 04:10");
  struct row {
    const char* name;
    std::vector<upstream_instance> instances;
    dependency_state expected;
    const char* seen; // the instance the period looked at ("" = none)
  };
  std::vector<row> rows{
    {"no instance", {}, dependency_state::waiting, ""},
    {"an instance of another day only",
     {inst("a1", utc("2026-07-27 04:10"), "succeeded")},
     dependency_state::waiting,
     ""},
    {"running", {inst("a1", utc("2026-07-28 01:00"), "running")}, dependency_state::waiting, "a1"},
    {"queued", {inst("a1", utc("2026-07-28 01:00"), "queued")}, dependency_state::waiting, "a1"},
    {"succeeded", {inst("a1", utc("2026-07-28 00:00"), "succeeded")}, dependency_state::holds,
     "a1"},
    {"failed", {inst("a1", utc("2026-07-28 01:00"), "failed", 5)}, dependency_state::failed, "a1"},
    {"killed", {inst("a1", utc("2026-07-28 01:00"), "killed", 5)}, dependency_state::failed, "a1"},
    {"failed, then a rerun (same id) succeeded",
     {inst("a1", utc("2026-07-28 01:00"), "succeeded")},
     dependency_state::holds,
     "a1"},
    {"two in one period: the later logical time counts (failed)",
     {inst("a2", utc("2026-07-28 01:00"), "succeeded"),
      inst("a1", utc("2026-07-28 02:00"), "failed", 5)},
     dependency_state::failed,
     "a1"},
    {"two in one period: the later logical time counts (succeeded)",
     {inst("a1", utc("2026-07-28 01:00"), "failed", 5),
      inst("a2", utc("2026-07-28 02:00"), "succeeded")},
     dependency_state::holds,
     "a2"},
    {"same logical time: the later id counts (a new run after a failed one)",
     {inst("a2", utc("2026-07-28 01:00"), "running"),
      inst("a1", utc("2026-07-28 01:00"), "failed", 5)},
     dependency_state::waiting,
     "a2"},
    {"an instance at the end of the period belongs to the next",
     {inst("a1", utc("2026-07-29 00:00"), "succeeded")},
     dependency_state::waiting,
     ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    fake_store store;
    store.by_workflow["A"] = r.instances;
    auto v = evaluate_dependencies(group(dependency_expr::kind::all, {item("A", "day", "today")}),
                                   t, z, store.lookup());
    REQUIRE(v.has_value());
    CHECK(v->state == r.expected);
    REQUIRE(v->children.size() == 1);
    const auto& periods = v->children[0].periods;
    REQUIRE(periods.size() == 1);
    CHECK(periods[0].state == r.expected);
    CHECK((periods[0].seen ? periods[0].seen->id : std::string{}) == r.seen);
  }
}

TEST_CASE("verdict: every period must hold, one failed period fails the item") {
  const auto& z = zone("UTC");
  auto t = utc("2026-07-28 04:10");
  fake_store store;
  store.by_workflow["A"] = {inst("a1", utc("2026-07-26 01:00"), "succeeded")};
  auto expr = item("A", "day", "last2Days");
  auto v = evaluate_dependencies(expr, t, z, store.lookup());
  REQUIRE(v.has_value());
  CHECK(v->state == dependency_state::waiting);
  CHECK(v->periods[0].state == dependency_state::holds);
  CHECK(v->periods[1].state == dependency_state::waiting);
  CHECK(store.lookups == 1); // one query for the whole window
  store.by_workflow["A"].push_back(inst("a2", utc("2026-07-27 01:00"), "failed", 77));
  v = evaluate_dependencies(expr, t, z, store.lookup());
  REQUIRE(v.has_value());
  CHECK(v->state == dependency_state::failed);
  CHECK(v->failed_at == 77);
  store.by_workflow["A"].back().status = "succeeded";
  v = evaluate_dependencies(expr, t, z, store.lookup());
  REQUIRE(v.has_value());
  CHECK(v->state == dependency_state::holds);
}

TEST_CASE("verdict: a node= item looks at the node of the latest instance") {
  const auto& z = zone("UTC");
  fake_store store;
  store.by_workflow["A/load"] = {inst("a1", utc("2026-07-28 01:00"), "succeeded")};
  store.by_workflow["A"] = {inst("a1", utc("2026-07-28 01:00"), "running")};
  auto v = evaluate_dependencies(item("A", "day", "today", "load"), utc("2026-07-28 04:10"), z,
                                 store.lookup());
  REQUIRE(v.has_value());
  CHECK(v->state == dependency_state::holds);
  auto whole = evaluate_dependencies(item("A", "day", "today"), utc("2026-07-28 04:10"), z,
                                     store.lookup());
  REQUIRE(whole.has_value());
  CHECK(whole->state == dependency_state::waiting);
}

TEST_CASE("verdict: all and any nest") {
  const auto& z = zone("UTC");
  auto t = utc("2026-07-28 04:10");
  using k = dependency_expr::kind;
  auto H = [&](const char* id) { return inst(id, utc("2026-07-28 01:00"), "succeeded"); };
  auto W = [&](const char* id) { return inst(id, utc("2026-07-28 01:00"), "running"); };
  auto F = [&](const char* id, timestamp at) {
    return inst(id, utc("2026-07-28 01:00"), "failed", at);
  };
  struct row {
    const char* name;
    std::map<std::string, std::vector<upstream_instance>> upstream;
    dependency_expr expr;
    dependency_state expected;
    timestamp failed_at;
  };
  auto abc_all = group(k::all, {item("A", "day", "today"), item("B", "day", "today")});
  auto abc_any = group(k::any, {item("A", "day", "today"), item("B", "day", "today")});
  auto nested = group(k::all, {item("A", "day", "today"),
                               group(k::any, {item("B", "day", "today"),
                                              item("C", "day", "today")})});
  std::vector<row> rows{
    {"all: both hold", {{"A", {H("a")}}, {"B", {H("b")}}}, abc_all, dependency_state::holds, 0},
    {"all: one waits", {{"A", {H("a")}}, {"B", {W("b")}}}, abc_all, dependency_state::waiting, 0},
    {"all: one failed, one waits", {{"A", {F("a", 10)}}, {"B", {W("b")}}}, abc_all,
     dependency_state::failed, 10},
    {"all: two failed: since the first", {{"A", {F("a", 30)}}, {"B", {F("b", 20)}}}, abc_all,
     dependency_state::failed, 20},
    {"any: one holds, one failed", {{"A", {F("a", 10)}}, {"B", {H("b")}}}, abc_any,
     dependency_state::holds, 0},
    {"any: one failed, one waits", {{"A", {F("a", 10)}}, {"B", {}}}, abc_any,
     dependency_state::waiting, 0},
    {"any: both failed: since the last", {{"A", {F("a", 30)}}, {"B", {F("b", 20)}}}, abc_any,
     dependency_state::failed, 30},
    {"nested: A holds, B failed, C holds", {{"A", {H("a")}}, {"B", {F("b", 5)}}, {"C", {H("c")}}},
     nested, dependency_state::holds, 0},
    {"nested: A holds, B and C failed", {{"A", {H("a")}}, {"B", {F("b", 5)}}, {"C", {F("c", 6)}}},
     nested, dependency_state::failed, 6},
    {"nested: A waits, B failed, C holds", {{"A", {}}, {"B", {F("b", 5)}}, {"C", {H("c")}}},
     nested, dependency_state::waiting, 0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    fake_store store;
    store.by_workflow = r.upstream;
    auto v = evaluate_dependencies(r.expr, t, z, store.lookup());
    REQUIRE(v.has_value());
    CHECK(v->state == r.expected);
    CHECK(v->failed_at == r.failed_at);
  }
}

TEST_CASE("verdict: items without a window hold here, a failed lookup is an error") {
  const auto& z = zone("UTC");
  fake_store store;
  dependency_expr flag = item("A", "", "");
  auto v = evaluate_dependencies(group(dependency_expr::kind::all, {flag}), 0, z, store.lookup());
  REQUIRE(v.has_value());
  CHECK(v->state == dependency_state::holds);
  CHECK(store.lookups == 0);
  auto broken = evaluate_dependencies(item("broken", "day", "today"), 0, z, store.lookup());
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().message == "the store is down");
}

TEST_CASE("windowed_part and mixes_windows_in_any") {
  using k = dependency_expr::kind;
  auto flags = group(k::all, {item("A", "", ""), item("B", "", "")});
  CHECK_FALSE(windowed_part(flags).has_value());
  auto mixed = group(k::all, {item("A", "", ""), item("B", "day", "today"),
                              group(k::all, {item("C", "", "")})});
  auto part = windowed_part(mixed);
  REQUIRE(part.has_value());
  REQUIRE(part->children.size() == 1);
  CHECK(part->children[0].item.workflow == "B");
  CHECK_FALSE(mixes_windows_in_any(mixed));
  CHECK(mixes_windows_in_any(
    group(k::all, {group(k::any, {item("A", "", ""), item("B", "day", "today")})})));
  CHECK_FALSE(mixes_windows_in_any(
    group(k::any, {item("A", "hour", "last1Hour"), item("B", "day", "today")})));
}

TEST_CASE("the explanation names each period and the instance it looked at") {
  const auto& z = zone("UTC");
  fake_store store;
  store.by_workflow["A"] = {inst("00aa", utc("2026-07-26 04:10"), "succeeded")};
  auto v = evaluate_dependencies(
    group(dependency_expr::kind::all, {item("A", "day", "last2Days")}), utc("2026-07-28 04:10"),
    z, store.lookup());
  REQUIRE(v.has_value());
  CHECK(explain(*v, z)
        == "A (cycle day, window last2Days): waiting\n"
           "  2026-07-26 00:00:00 - 2026-07-27 00:00:00: instance 00aa (logical time "
           "2026-07-26 04:10:00) succeeded\n"
           "  2026-07-27 00:00:00 - 2026-07-28 00:00:00: none yet");
  auto j = to_json(*v, z);
  CHECK(j["state"] == "waiting");
  CHECK(j["children"][0]["periods"][0]["instance"]["id"] == "00aa");
  CHECK(j["children"][0]["periods"][1]["instance"].is_null());
  CHECK(j["children"][0]["periods"][1]["from"]["local"] == "2026-07-27 00:00:00");
}

TEST_CASE("failure policy: fail at once, or wait wait-minutes for a rerun (fake clock)") {
  const auto& z = zone("UTC");
  auto t = utc("2026-07-28 04:10");
  fake_store store;
  auto failed_at = utc("2026-07-28 05:00");
  store.by_workflow["A"] = {inst("a1", utc("2026-07-28 01:00"), "failed", failed_at)};
  auto expr = item("A", "day", "today");
  auto v = evaluate_dependencies(expr, t, z, store.lookup());
  REQUIRE(v.has_value());
  auto since = utc("2026-07-28 04:30"); // the waiter waits since then
  auto now = utc("2026-07-28 05:01");
  auto fail = apply_failure_policy(*v, "fail", 30, since, now, z);
  CHECK(fail.state == dependency_state::failed);
  CHECK(fail.message.find("2026-07-28 00:00:00 - 2026-07-29 00:00:00: instance a1") != std::string::npos);
  // wait 30: counted from the failure (later than the start of the wait).
  auto waiting = apply_failure_policy(*v, "wait", 30, since, now, z);
  CHECK(waiting.state == dependency_state::waiting);
  CHECK(waiting.deadline == failed_at + 30 * minute);
  CHECK(apply_failure_policy(*v, "wait", 30, since, failed_at + 30 * minute - 1, z).state
        == dependency_state::waiting);
  auto expired = apply_failure_policy(*v, "wait", 30, since, failed_at + 30 * minute, z);
  CHECK(expired.state == dependency_state::failed);
  CHECK(expired.deadline == 0);
  CHECK(expired.message.find("within 30 minutes") != std::string::npos);
  // A waiter that began after the failure waits its full minutes from then.
  auto late_start = utc("2026-07-28 06:00");
  CHECK(apply_failure_policy(*v, "wait", 30, late_start, late_start + 29 * minute, z).state
        == dependency_state::waiting);
  CHECK(apply_failure_policy(*v, "wait", 30, late_start, late_start + 30 * minute, z).state
        == dependency_state::failed);
  // wait-minutes 0 fails at once.
  CHECK(apply_failure_policy(*v, "wait", 0, since, now, z).state == dependency_state::failed);
  // The rerun succeeds within the minutes: holds.
  store.by_workflow["A"][0].status = "succeeded";
  auto rerun = evaluate_dependencies(expr, t, z, store.lookup());
  REQUIRE(rerun.has_value());
  auto released = apply_failure_policy(*rerun, "wait", 30, since, failed_at + 10 * minute, z);
  CHECK(released.state == dependency_state::holds);
  CHECK(released.deadline == 0);
}

} // TEST_SUITE
