// The backfill tables (src/store/sql_backfills.cpp) on SQLite and MariaDB.
#include "store/store.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "mariadb.hpp"
#include "schedule/backfill_plan.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;

namespace {

struct sqlite_backend {
  temp_dir dir;
  std::string url = "sqlite:" + (dir / "db.sqlite");
};

struct mariadb_backend {
  std::string url = cafflow::test::fresh_mariadb_url();
};

} // namespace

TYPE_TO_STRING_AS("sqlite", sqlite_backend);
TYPE_TO_STRING_AS("mariadb", mariadb_backend);

namespace {

std::unique_ptr<store> open(const std::string& url) {
  auto parsed = parse_store_url(url, "/");
  REQUIRE(parsed);
  auto db = open_store(*parsed, 1000);
  if (!db)
    FAIL(db.error().message);
  auto migrated = (*db)->migrate();
  if (!migrated)
    FAIL(migrated.error().message);
  return std::move(*db);
}

backfill_record make_backfill(const std::string& id, const std::string& state) {
  backfill_record b;
  b.id = id;
  b.workflow = "A";
  b.options = R"({"from":"2026-01-01T00:00:00.000Z","to":"2026-01-07T00:00:00.000Z","parallel":2})";
  b.state = state;
  b.created_by = "tester";
  b.created = 1000;
  return b;
}

backfill_item_record make_item(const std::string& backfill, const std::string& wf, timestamp t,
                               int position) {
  backfill_item_record i;
  i.backfill_id = backfill;
  i.workflow = wf;
  i.logical_time = t;
  i.position = position;
  return i;
}

instance_record make_instance(const std::string& id, const std::string& wf, timestamp t,
                              const std::string& status) {
  instance_record r;
  r.id = id;
  r.workflow = wf;
  r.version = 1;
  r.status = status;
  r.trigger = "backfill";
  r.logical_time = t;
  r.created = 2000;
  return r;
}

} // namespace

#define BACKENDS sqlite_backend, mariadb_backend

TEST_SUITE_BEGIN("store_backfills");

TEST_CASE_TEMPLATE("backfills and their items round-trip, items with their instance's status", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch{backfill_put{make_backfill("b1", "running")}};
  // Stored in plan order 0..3, written in another order.
  for (auto [wf, t, pos] : {std::tuple{"B", 100, 1}, std::tuple{"A", 100, 0},
                            std::tuple{"A", 200, 2}, std::tuple{"B", 200, 3}})
    batch.emplace_back(backfill_item_put{make_item("b1", wf, t, pos)});
  REQUIRE(db->apply(batch));
  // The first item gets its instance in one transaction with it.
  auto started = make_item("b1", "A", 100, 0);
  started.instance_id = "i1";
  started.state = "started";
  REQUIRE(db->apply({instance_put{make_instance("i1", "A", 100, "succeeded")},
                     backfill_item_put{started}}));
  auto skipped = make_item("b1", "B", 200, 3);
  skipped.state = "skipped";
  REQUIRE(db->apply({backfill_item_put{skipped}}));

  auto b = db->backfill("b1");
  REQUIRE(b);
  REQUIRE(b->has_value());
  const auto& r = **b;
  CHECK(r.workflow == "A");
  CHECK(r.state == "running");
  CHECK(r.created_by == "tester");
  CHECK(r.created == 1000);
  CHECK(backfill_options_from_json(r.options)->parallel == 2);
  REQUIRE(r.items.size() == 4);
  CHECK(r.items[0].workflow == "A");
  CHECK(r.items[0].logical_time == 100);
  CHECK(r.items[0].instance_id == "i1");
  CHECK(r.items[0].instance_status == "succeeded");
  CHECK(item_state(r.items[0]) == "succeeded");
  CHECK(r.items[1].workflow == "B");
  CHECK(item_state(r.items[1]) == "planned");
  CHECK(r.items[2].logical_time == 200);
  CHECK(item_state(r.items[3]) == "skipped");
  CHECK(r.counts == std::map<std::string, std::int64_t>{{"planned", 2}, {"skipped", 1},
                                                        {"succeeded", 1}});
  CHECK_FALSE(*db->backfill("nope"));
}

TEST_CASE_TEMPLATE("backfill listings: newest first, by state, with counts, unfinished ones with "
                   "items",
                   B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  for (auto [id, state] : {std::pair{"b1", "succeeded"}, std::pair{"b2", "running"},
                           std::pair{"b3", "planned"}, std::pair{"b4", "cancelled"},
                           std::pair{"b5", "cancelled"}}) {
    auto b = make_backfill(id, state);
    // b5 was cancelled while its instances still ran: a new master finishes it.
    if (std::string(id) != "b5")
      b.finished = 5000;
    batch.emplace_back(backfill_put{b});
    for (int i = 0; i < 3; ++i)
      batch.emplace_back(backfill_item_put{make_item(id, "A", 100 * (i + 1), i)});
  }
  REQUIRE(db->apply(batch));
  auto all = db->backfills("", 10);
  REQUIRE(all);
  REQUIRE(all->size() == 5);
  CHECK((*all)[0].id == "b5");
  CHECK((*all)[4].id == "b1");
  CHECK((*all)[0].items.empty());
  CHECK((*all)[0].counts == std::map<std::string, std::int64_t>{{"planned", 3}});
  CHECK(db->backfills("", 2)->size() == 2);
  auto running = db->backfills("running", 10);
  REQUIRE(running->size() == 1);
  CHECK((*running)[0].id == "b2");
  auto unfinished = db->unfinished_backfills();
  REQUIRE(unfinished);
  REQUIRE(unfinished->size() == 3);
  CHECK((*unfinished)[0].id == "b2");
  CHECK((*unfinished)[1].id == "b3");
  CHECK((*unfinished)[2].id == "b5");
  CHECK((*unfinished)[0].items.size() == 3);
}

TEST_CASE_TEMPLATE("the latest instance of each logical time decides --rerun", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  REQUIRE(db->apply({instance_put{make_instance("0001", "A", 100, "failed")},
                     instance_put{make_instance("0002", "A", 100, "succeeded")},
                     instance_put{make_instance("0003", "A", 200, "succeeded")},
                     instance_put{make_instance("0004", "A", 200, "killed")},
                     instance_put{make_instance("0005", "A", 300, "running")},
                     instance_put{make_instance("0006", "B", 100, "failed")},
                     instance_put{make_instance("0007", "A", 900, "failed")}}));
  auto latest = db->latest_statuses("A", 100, 300);
  REQUIRE(latest);
  CHECK(*latest == std::map<timestamp, std::string>{{100, "succeeded"}, {200, "killed"},
                                                    {300, "running"}});
}

TEST_CASE_TEMPLATE("copy_store copies backfills with their items", B, BACKENDS) {
  B source;
  B target;
  auto from = open(source.url);
  auto to = open(target.url);
  std::vector<store_write> batch{backfill_put{make_backfill("b1", "running")},
                                 backfill_put{make_backfill("b2", "cancelled")}};
  for (int pos = 0; pos < 3; ++pos)
    batch.emplace_back(backfill_item_put{make_item("b1", "A", 1000 * (pos + 1), pos)});
  auto started = make_item("b2", "A", 5000, 0);
  started.instance_id = "i9";
  started.state = "started";
  batch.emplace_back(backfill_item_put{started});
  REQUIRE(from->apply(batch));
  auto copied = copy_store(*from, *to);
  REQUIRE(copied);
  CHECK(copied->backfills == 2);
  for (const char* id : {"b1", "b2"}) {
    CAPTURE(id);
    auto a = from->backfill(id);
    auto b = to->backfill(id);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(*b);
    CHECK((*b)->state == (*a)->state);
    CHECK((*b)->options == (*a)->options);
    CHECK((*b)->created_by == "tester");
    REQUIRE((*b)->items.size() == (*a)->items.size());
    for (std::size_t i = 0; i < (*a)->items.size(); ++i) {
      CHECK((*b)->items[i].logical_time == (*a)->items[i].logical_time);
      CHECK((*b)->items[i].instance_id == (*a)->items[i].instance_id);
      CHECK((*b)->items[i].state == (*a)->items[i].state);
    }
  }
}

TEST_SUITE_END();
