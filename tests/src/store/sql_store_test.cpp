#include "store/store.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "store/migrations.hpp"

#include <Poco/Data/Session.h>
#include <Poco/Data/SQLite/Connector.h>

using namespace cafflow;
using cafflow::test::temp_dir;

namespace {

std::unique_ptr<store> open_sqlite(const temp_dir& dir) {
  auto url = parse_store_url("sqlite:" + (dir / "db.sqlite"), dir.path());
  REQUIRE(url);
  auto db = open_store(*url, 1000);
  REQUIRE(db);
  REQUIRE((*db)->migrate());
  return std::move(*db);
}

instance_record make_instance(const std::string& id, const std::string& wf,
                              const std::string& status) {
  instance_record r;
  r.id = id;
  r.workflow = wf;
  r.version = 1;
  r.status = status;
  r.trigger = "manual";
  r.params = {{"day", "2026-11-20"}, {"name", "überstunden \"quoted\""}};
  r.logical_time = 1000;
  r.created = 2000;
  return r;
}

} // namespace

TEST_SUITE_BEGIN("sql_store");

TEST_CASE("migrations apply once and record the schema version") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  auto latest = migrations_for("sqlite").back().version;
  CHECK(*db->schema_version() == latest);
  CHECK(db->migrate()); // idempotent
  CHECK(*db->schema_version() == latest);
}

TEST_CASE("a database newer than the binary is refused") {
  temp_dir dir;
  {
    auto db = open_sqlite(dir);
    auto url = parse_store_url("sqlite:" + (dir / "db.sqlite"), dir.path());
    // Simulate a newer cafflow having migrated this database.
    Poco::Data::Session raw("SQLite", url->path);
    raw << "INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0)",
      Poco::Data::Keywords::now;
  }
  auto url = parse_store_url("sqlite:" + (dir / "db.sqlite"), dir.path());
  auto db = open_store(*url, 1000);
  REQUIRE(db);
  auto migrated = (*db)->migrate();
  REQUIRE_FALSE(migrated);
  CHECK(migrated.error().code == ec::schema_too_new);
  CHECK(migrated.error().message.find("999") != std::string::npos);
}

TEST_CASE("workflows: versions upsert, listing by name") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  workflow_record w{"b_flow", "/d", "desc", "me", "/x/b.xml", "h1", 1, 10, 3, "active"};
  REQUIRE(db->apply({workflow_put{w, "<xml/>"}}));
  w.version = 2;
  w.hash = "h2";
  REQUIRE(db->apply({workflow_put{w, "<xml2/>"}, workflow_put{workflow_record{"a_flow", "/", "",
                                                                            "u", "/a.xml", "h",
                                                                            1, 5, 1, "active"},
                                                             "<a/>"}}));
  auto list = db->workflows();
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "a_flow");
  CHECK((*list)[1].version == 2);
  CHECK((*list)[1].hash == "h2");
}

TEST_CASE("instances with nodes and attempts round-trip") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  auto inst = make_instance("0001", "w", "running");
  node_record n{"a", "action", "shell", "failed", 1, 5, 6, "exit code 3", {}};
  attempt_record a{1, "127.0.0.1:2851", "failed", 3, false, 4242, 1, "/l/a.1.log", 5, 6,
                   "exit code 3"};
  node_record s{"s", "start", "", "succeeded", 0, 4, 4, "", {}};
  REQUIRE(db->apply({instance_put{inst}, node_put{"0001", 1, n}, node_put{"0001", 0, s},
                     attempt_put{"0001", "a", a}}));
  auto found = db->instance("0001");
  REQUIRE(found);
  REQUIRE(found->has_value());
  const auto& r = **found;
  CHECK(r.workflow == "w");
  CHECK(r.params == inst.params);
  REQUIRE(r.nodes.size() == 2);
  CHECK(r.nodes[0].name == "s"); // definition order, not insertion order
  CHECK(r.nodes[1].status == "failed");
  REQUIRE(r.nodes[1].attempts.size() == 1);
  CHECK(r.nodes[1].attempts[0].exit_code == 3);
  CHECK(r.nodes[1].attempts[0].pid == 4242);
  CHECK(r.nodes[1].attempts[0].worker == "127.0.0.1:2851");
  // Updates replace the row.
  inst.status = "failed";
  inst.message = "node 'a' failed";
  REQUIRE(db->apply({instance_put{inst}}));
  CHECK((*db->instance("0001"))->status == "failed");
  CHECK_FALSE(db->instance("nope")->has_value());
}

TEST_CASE("instance listing filters, orders newest first and pages") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  std::vector<store_write> batch;
  for (int i = 1; i <= 5; ++i)
    batch.push_back(instance_put{make_instance("000" + std::to_string(i), i % 2 ? "odd" : "even",
                                               i == 5 ? "running" : "succeeded")});
  REQUIRE(db->apply(batch));
  instance_filter all;
  auto list = db->instances(all);
  REQUIRE(list->size() == 5);
  CHECK((*list)[0].id == "0005");
  instance_filter odd;
  odd.workflow = "odd";
  CHECK(db->instances(odd)->size() == 3);
  instance_filter running;
  running.status = "running";
  CHECK(db->instances(running)->size() == 1);
  instance_filter page;
  page.limit = 2;
  page.offset = 2;
  auto paged = db->instances(page);
  REQUIRE(paged->size() == 2);
  CHECK((*paged)[0].id == "0003");
  CHECK(*db->last_instance_id() == "0005");
}

TEST_CASE("unfinished instances are marked failed") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  node_record running{"a", "action", "shell", "running", 1, 5, 0, "", {}};
  REQUIRE(db->apply({instance_put{make_instance("0001", "w", "running")},
                     instance_put{make_instance("0002", "w", "succeeded")},
                     node_put{"0001", 1, running}}));
  CHECK(*db->fail_unfinished("interrupted", 99) == 1);
  auto r = **db->instance("0001");
  CHECK(r.status == "failed");
  CHECK(r.message == "interrupted");
  CHECK(r.finished == 99);
  CHECK(r.nodes[0].status == "killed");
  CHECK((*db->instance("0002"))->status == "succeeded");
}

TEST_CASE("a large batch spans several statements, and a row written twice keeps its last content") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  std::vector<store_write> batch{instance_put{make_instance("0001", "w", "running")}};
  for (int i = 0; i < 250; ++i) {
    node_record n{"n" + std::to_string(i), "action", "shell", "succeeded", 1, 5, 6, "", {}};
    batch.push_back(node_put{"0001", i, n});
    attempt_record a{1, "w1", "succeeded", 0, false, 100 + i, 1, "/l", 5, 6, ""};
    batch.push_back(attempt_put{"0001", n.name, a});
  }
  // The same node again, later in the batch: the later write wins.
  node_record again{"n7", "action", "shell", "failed", 1, 5, 7, "second", {}};
  batch.push_back(node_put{"0001", 7, again});
  REQUIRE(db->apply(batch));
  auto r = **db->instance("0001");
  REQUIRE(r.nodes.size() == 250);
  CHECK(r.nodes[0].name == "n0");
  CHECK(r.nodes[249].name == "n249");
  CHECK(r.nodes[249].attempts.at(0).pid == 349);
  CHECK(r.nodes[7].status == "failed");
  CHECK(r.nodes[7].message == "second");
}

TEST_CASE("a batch is all or nothing") {
  temp_dir dir;
  auto db = open_sqlite(dir);
  {
    // Break the attempt table so that the second write of the batch fails.
    Poco::Data::Session raw("SQLite", dir / "db.sqlite");
    raw << "DROP TABLE attempt", Poco::Data::Keywords::now;
  }
  auto result = db->apply({instance_put{make_instance("0001", "w", "queued")},
                           attempt_put{"0001", "a", attempt_record{}}});
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ec::store_error);
  CHECK(result.error().message.find("write failed") != std::string::npos);
  CHECK(db->instances({})->empty());
}

TEST_SUITE_END();
