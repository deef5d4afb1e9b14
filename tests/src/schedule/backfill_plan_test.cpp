#include "schedule/backfill_plan.hpp"

#include <map>
#include <set>

#include <doctest/doctest.h>

#include "util/tz.hpp"

using namespace cafflow;

namespace {

/// A workflow with a coordinator (cron, "" = none) that depends on `ups`
/// (flags; `window` adds cycle="day" window="today" to each item).
std::shared_ptr<const workflow> wf(const std::string& name, const std::string& cron,
                                   const std::vector<std::string>& ups = {},
                                   const std::string& zone = "UTC", bool coordinator = true) {
  auto w = std::make_shared<workflow>();
  w->name = name;
  w->timezone = zone;
  if (coordinator) {
    coordinator_spec spec;
    spec.cron = cron;
    for (const auto& up : ups) {
      dependency_expr item;
      item.what = dependency_expr::kind::item;
      item.item.workflow = up;
      item.item.cycle = "day";
      item.item.window = "today";
      spec.depends.children.push_back(item);
    }
    w->coordinator = spec;
  }
  return w;
}

timestamp utc(const std::string& text) {
  return *parse_local_time(text, **find_time_zone("UTC"));
}

backfill_options range(const std::string& from, const std::string& to,
                       const std::string& downstream = "none", const std::string& order = "asc") {
  backfill_options o;
  o.from = utc(from);
  o.to = utc(to);
  o.downstream = downstream;
  o.order = order;
  return o;
}

/// Steps per workflow.
std::map<std::string, std::size_t> count(const std::vector<backfill_step>& steps) {
  std::map<std::string, std::size_t> n;
  for (const auto& s : steps)
    ++n[s.workflow];
  return n;
}

/// A daily -> B daily -> C hourly, D hourly on A (direct), X unrelated.
backfill_definitions chain() {
  backfill_definitions d;
  d.workflows["A"] = wf("A", "0 0 * * *");
  d.workflows["B"] = wf("B", "0 0 * * *", {"A"});
  d.workflows["C"] = wf("C", "0 * * * *", {"B"});
  d.workflows["X"] = wf("X", "0 0 * * *");
  return d;
}

} // namespace

TEST_SUITE_BEGIN("backfill_plan");

TEST_CASE("backfill plan: counts per workflow for each downstream setting") {
  struct row {
    const char* downstream;
    std::map<std::string, std::size_t> expected;
  };
  for (const auto& r : {row{"none", {{"A", 7}}}, row{"direct", {{"A", 7}, {"B", 7}}},
                        row{"all", {{"A", 7}, {"B", 7}, {"C", 168}}}}) {
    CAPTURE(r.downstream);
    auto plan = plan_backfill(chain(), "A", range("2026-01-01", "2026-01-07", r.downstream), 1000);
    REQUIRE(plan);
    CHECK(count(*plan) == r.expected);
    // Each (workflow, logical time) once.
    std::set<std::pair<std::string, timestamp>> seen;
    for (const auto& s : *plan)
      CHECK(seen.insert({s.workflow, s.logical_time}).second);
  }
}

TEST_CASE("backfill plan: ticks of the cron within the range, both ends included") {
  struct row {
    const char* cron;
    const char* from;
    const char* to;
    std::size_t expected;
  };
  for (const auto& r : {row{"0 0 * * *", "2026-01-01", "2026-01-01", 1},
                        row{"0 0 * * *", "2026-01-01 00:00:01", "2026-01-02", 1},
                        row{"0 * * * *", "2026-01-01", "2026-01-01 23:59:59", 24},
                        row{"30 6 * * 1", "2026-01-01", "2026-01-31", 4},
                        row{"0 0 1 * *", "2026-01-01", "2026-12-31", 12},
                        row{"", "2026-02-27", "2026-03-01", 3}}) {
    CAPTURE(r.cron);
    CAPTURE(r.from);
    backfill_definitions d;
    d.workflows["W"] = wf("W", r.cron);
    auto plan = plan_backfill(d, "W", range(r.from, r.to), 1000);
    REQUIRE(plan);
    CHECK(plan->size() == r.expected);
    for (const auto& s : *plan) {
      CHECK(s.logical_time >= utc(r.from));
      CHECK(s.logical_time <= utc(r.to));
    }
  }
}

TEST_CASE("backfill plan: a workflow without coordinator runs daily at 00:00 in its zone") {
  backfill_definitions d;
  d.workflows["W"] = wf("W", "", {}, "Europe/Berlin", false);
  auto plan = plan_backfill(d, "W", range("2026-03-28", "2026-03-30"), 100);
  REQUIRE(plan);
  auto berlin = *find_time_zone("Europe/Berlin");
  REQUIRE(plan->size() == 2); // 03-28 00:00 Berlin is 03-27 23:00 UTC: before the range
  CHECK(format_local_time((*plan)[0].logical_time, *berlin) == "2026-03-29 00:00:00");
  CHECK(format_local_time((*plan)[1].logical_time, *berlin) == "2026-03-30 00:00:00");
  // The DST day has 23 hours: an hourly child gets 23 instances for it.
  d.workflows["H"] = wf("H", "0 * * * *", {"W"}, "Europe/Berlin");
  auto one = backfill_options{};
  one.dates = {(*plan)[0].logical_time};
  one.downstream = "all";
  auto day = plan_backfill(d, "W", one, 100);
  REQUIRE(day);
  CHECK(count(*day) == std::map<std::string, std::size_t>{{"W", 1}, {"H", 23}});
}

TEST_CASE("backfill plan: order by period, parents before children, asc or desc") {
  auto asc = plan_backfill(chain(), "A", range("2026-01-01", "2026-01-02", "all"), 1000);
  REQUIRE(asc);
  REQUIRE(asc->size() == 2 + 2 + 48);
  CHECK((*asc)[0] == backfill_step{"A", utc("2026-01-01")});
  CHECK((*asc)[1] == backfill_step{"B", utc("2026-01-01")});
  CHECK((*asc)[2] == backfill_step{"C", utc("2026-01-01")});
  CHECK((*asc)[25] == backfill_step{"C", utc("2026-01-01 23:00:00")});
  CHECK((*asc)[26] == backfill_step{"A", utc("2026-01-02")});
  auto desc = plan_backfill(chain(), "A", range("2026-01-01", "2026-01-02", "all", "desc"), 1000);
  REQUIRE(desc);
  CHECK((*desc)[0] == backfill_step{"A", utc("2026-01-02")});
  CHECK((*desc)[1] == backfill_step{"B", utc("2026-01-02")});
  CHECK((*desc)[2] == backfill_step{"C", utc("2026-01-02")});
  CHECK((*desc)[26] == backfill_step{"A", utc("2026-01-01")});
}

TEST_CASE("backfill plan: a date list, and each date's period for the downstream") {
  backfill_options o;
  o.dates = {utc("2026-01-05"), utc("2026-01-03")};
  o.downstream = "all";
  auto plan = plan_backfill(chain(), "A", o, 1000);
  REQUIRE(plan);
  CHECK(count(*plan) == std::map<std::string, std::size_t>{{"A", 2}, {"B", 2}, {"C", 48}});
  CHECK((*plan)[0] == backfill_step{"A", utc("2026-01-03")});
}

TEST_CASE("backfill plan: a date between two ticks covers the period of the tick before it") {
  backfill_options o;
  o.dates = {utc("2026-01-03 14:30:00")};
  o.downstream = "all";
  auto plan = plan_backfill(chain(), "A", o, 1000);
  REQUIRE(plan);
  CHECK(count(*plan) == std::map<std::string, std::size_t>{{"A", 1}, {"B", 1}, {"C", 24}});
  CHECK((*plan)[0] == backfill_step{"A", utc("2026-01-03 14:30:00")});
  CHECK((*plan)[1] == backfill_step{"B", utc("2026-01-03")});
}

TEST_CASE("backfill plan: a legacy standalone coordinator's trigger-list is downstream") {
  auto d = chain();
  auto c = std::make_shared<standalone_coordinator>();
  c->name = "legacy";
  dependency_expr item;
  item.what = dependency_expr::kind::item;
  item.item.workflow = "X";
  c->spec.depends.children.push_back(item);
  c->trigger_list = {"Y"};
  d.coordinators["legacy"] = c;
  d.workflows["Y"] = wf("Y", "", {}, "UTC", false);
  auto plan = plan_backfill(d, "X", range("2026-01-01", "2026-01-03", "direct"), 100);
  REQUIRE(plan);
  CHECK(count(*plan) == std::map<std::string, std::size_t>{{"X", 3}, {"Y", 3}});
}

TEST_CASE("backfill plan: a workflow depending on its own earlier periods is still planned") {
  auto d = chain();
  d.workflows["S"] = wf("S", "0 0 * * *", {"A", "S"});
  auto plan = plan_backfill(d, "A", range("2026-01-01", "2026-01-02", "direct"), 100);
  REQUIRE(plan);
  CHECK(count(*plan) == std::map<std::string, std::size_t>{{"A", 2}, {"B", 2}, {"S", 2}});
}

TEST_CASE("backfill plan: refusals name the field or the cap") {
  struct row {
    backfill_options options;
    std::string root;
    std::size_t max;
    ec code;
    const char* names;
  };
  auto bad_parallel = range("2026-01-01", "2026-01-07");
  bad_parallel.parallel = 0;
  auto bad_order = range("2026-01-01", "2026-01-07");
  bad_order.order = "sideways";
  auto both = range("2026-01-01", "2026-01-07");
  both.dates = {utc("2026-01-01")};
  for (const auto& r : {
         row{range("2026-01-07", "2026-01-01"), "A", 100, ec::invalid_request, "'from'"},
         row{bad_parallel, "A", 100, ec::invalid_request, "'parallel'"},
         row{bad_order, "A", 100, ec::invalid_request, "'order'"},
         row{both, "A", 100, ec::invalid_request, "not both"},
         row{backfill_options{}, "A", 100, ec::invalid_request, "'from'"},
         row{range("2026-01-01", "2026-01-07"), "nope", 100, ec::unknown_workflow, "'nope'"},
         row{range("2026-01-01 00:00:01", "2026-01-01 23:00:00"), "A", 100, ec::invalid_request,
             "no logical time"},
         row{range("2026-01-01", "2026-01-07", "all"), "A", 100, ec::invalid_request,
             "more than 100"},
         row{range("2026-01-01", "2030-01-01"), "A", 100, ec::invalid_request,
             "more than 100"}}) {
    CAPTURE(r.names);
    auto plan = plan_backfill(chain(), r.root, r.options, r.max);
    REQUIRE_FALSE(plan);
    CHECK(plan.error().code == r.code);
    CHECK(plan.error().message.find(r.names) != std::string::npos);
  }
}

TEST_CASE("backfill plan: --rerun decides from the latest instance's status") {
  struct row {
    const char* rerun;
    const char* latest;
    bool run;
  };
  for (const auto& r : {row{"none", "", true}, row{"none", "failed", true},
                        row{"none", "succeeded", false}, row{"failed", "", false},
                        row{"failed", "failed", true}, row{"failed", "killed", true},
                        row{"failed", "succeeded", false}, row{"all", "succeeded", true},
                        row{"all", "", true}}) {
    CAPTURE(r.rerun);
    CAPTURE(r.latest);
    CHECK(rerun_wanted(r.rerun, r.latest) == r.run);
  }
}

TEST_CASE("backfill plan: options survive JSON, progress and final state from items") {
  auto o = range("2026-01-01", "2026-01-07", "all", "desc");
  o.parallel = 3;
  o.rerun = "failed";
  o.params = {{"k", "v w"}};
  auto back = backfill_options_from_json(to_json(o));
  REQUIRE(back);
  CHECK(back->from == o.from);
  CHECK(back->to == o.to);
  CHECK(back->parallel == 3);
  CHECK(back->order == "desc");
  CHECK(back->downstream == "all");
  CHECK(back->rerun == "failed");
  CHECK(back->params == o.params);
  CHECK_FALSE(backfill_options_from_json("{\"from\": 5}"));

  auto item = [](const char* state, const char* id, const char* status) {
    backfill_item_record i;
    i.state = state;
    i.instance_id = id;
    i.instance_status = status;
    return i;
  };
  std::vector<backfill_item_record> items{
    item("started", "1", "succeeded"), item("started", "2", "failed"),
    item("started", "3", "running"),   item("started", "4", "queued"),
    item("planned", "", ""),           item("skipped", "0", "succeeded"),
    item("cancelled", "", "")};
  auto p = progress_of(items);
  CHECK(p.planned == 7);
  CHECK(p.done == 2);
  CHECK(p.skipped == 1);
  CHECK(p.failed == 1);
  CHECK(p.running == 2);
  CHECK(p.waiting == 1);
  CHECK(p.cancelled == 1);
  CHECK(final_state({items[0], items[5]}) == "succeeded");
  CHECK(final_state({items[0], items[1]}) == "failed");
  CHECK(item_over(items[1]));
  CHECK_FALSE(item_over(items[2]));
  CHECK_FALSE(item_over(items[4]));
}

TEST_SUITE_END();
