#include "store/store.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "mariadb.hpp"
#include "store/migrations.hpp"

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <tuple>

using namespace cafflow;
using cafflow::test::temp_dir;

namespace {

// Every case runs once per backend (doctest appends <sqlite> or <mariadb>
// to its name), each time on a fresh, empty database of its own.

struct sqlite_backend {
  static constexpr const char* dialect = "sqlite";
  temp_dir dir;
  std::string url = "sqlite:" + (dir / "db.sqlite");
};

struct mariadb_backend {
  static constexpr const char* dialect = "mysql";
  std::string url = cafflow::test::fresh_mariadb_url();
};

} // namespace

TYPE_TO_STRING_AS("sqlite", sqlite_backend);
TYPE_TO_STRING_AS("mariadb", mariadb_backend);

namespace {

std::unique_ptr<store> open_only(const std::string& url) {
  auto parsed = parse_store_url(url, "/");
  REQUIRE(parsed);
  auto db = open_store(*parsed, 1000);
  if (!db)
    FAIL(db.error().message);
  return std::move(*db);
}

std::unique_ptr<store> open(const std::string& url) {
  auto db = open_only(url);
  auto migrated = db->migrate();
  if (!migrated)
    FAIL(migrated.error().message);
  return db;
}

/// A session on the database behind `url` that bypasses the store, to break
/// or age the database and to look at what the store wrote.
std::unique_ptr<Poco::Data::Session> raw_session(const std::string& url) {
  auto parsed = parse_store_url(url, "/");
  REQUIRE(parsed);
  if (parsed->type == store_url::backend::sqlite) {
    Poco::Data::SQLite::Connector::registerConnector();
    return std::make_unique<Poco::Data::Session>("SQLite", parsed->path);
  }
  Poco::Data::MySQL::Connector::registerConnector();
  return std::make_unique<Poco::Data::Session>(
    "MySQL", "host=" + parsed->host + ";port=" + std::to_string(parsed->port) + ";user="
               + parsed->user + ";password=" + parsed->password + ";db=" + parsed->database
               + ";character-set=utf8mb4");
}

void raw_execute(const std::string& url, const std::string& sql) {
  auto session = raw_session(url);
  *session << sql, Poco::Data::Keywords::now;
}

/// Every row of a query, its columns joined by '|'.
std::vector<std::string> raw_rows(const std::string& url, const std::string& sql) {
  auto session = raw_session(url);
  Poco::Data::Statement select(*session);
  select << sql;
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<std::string> rows;
  for (std::size_t row = 0; row < rs.rowCount(); ++row) {
    std::string line;
    for (std::size_t col = 0; col < rs.columnCount(); ++col)
      line += (col == 0 ? "" : "|") + rs.value(col, row).convert<std::string>();
    rows.push_back(line);
  }
  return rows;
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

node_record make_node(const std::string& name, const std::string& status) {
  return node_record{name, "action", "shell", status, 1, 5, 0, "", {}};
}

attempt_record make_attempt(int number, const std::string& status) {
  return attempt_record{number, "127.0.0.1:2851", status, -1, false, 4000 + number, 3,
                        "/l/a.log", 5, 0, "", ""};
}

xml_file_record make_file(const std::string& path, const std::string& status) {
  xml_file_record f;
  f.path = path;
  f.kind = "workflow";
  f.name = "flow";
  f.status = status;
  f.hash = "abc123";
  f.active_version = 2;
  f.checked_at = 1700000000000;
  return f;
}

coordinator_state_record make_coordinator(const std::string& workflow, timestamp next_fire) {
  return coordinator_state_record{workflow, next_fire, next_fire - 1000,
                                  "{\"waiting\":[\"up\"],\"note\":\"ünïcode\"}"};
}

/// "workflow@logical_time instance_id" of every fire.
std::vector<std::string> describe(const std::vector<fire_record>& fires) {
  std::vector<std::string> out;
  for (const auto& f : fires)
    out.push_back(f.workflow + "@" + std::to_string(f.logical_time) + " " + f.instance_id);
  return out;
}

/// "workflow<-upstream@logical_time instance_id" of every dependency.
std::vector<std::string> describe(const std::vector<dependency_record>& dependencies) {
  std::vector<std::string> out;
  for (const auto& d : dependencies)
    out.push_back(d.workflow + "<-" + d.upstream + "@" + std::to_string(d.logical_time) + " "
                  + d.instance_id);
  return out;
}

std::vector<std::string> ids_of(const std::vector<instance_record>& list) {
  std::vector<std::string> ids;
  for (const auto& r : list)
    ids.push_back(r.id);
  return ids;
}

/// Two threads, each with its own store, take the master lease in 30
/// rounds at the same moment: before round r thread 0 runs `prepare(db, r)`
/// (an error message, or ""), then both run `take(db, name, r)`; a thread
/// starts a round only when the other has finished the one before. Checks
/// that exactly one wins each round, at `epoch_of(r)` with a TTL of 5000 from
/// r * 10000, and that the loser saw the winner's lease.
template <class Prepare, class Take, class Epoch>
void race_for_lease(const std::string& url, Prepare prepare, Take take, Epoch epoch_of) {
  constexpr int rounds = 30;
  const std::string names[2] = {"master-a", "master-b"};
  std::vector<lease_record> leases[2];
  std::vector<std::string> errors[2];
  std::atomic<int> done[2] = {{0}, {0}};
  std::atomic<int> prepared{0};
  auto race = [&](int who) {
    auto parsed = parse_store_url(url, "/");
    auto db = open_store(*parsed, 10000);
    if (!db) {
      errors[who].push_back(db.error().message);
      prepared = rounds;
      done[who] = rounds;
      return;
    }
    for (int r = 1; r <= rounds; ++r) {
      if (who == 0) {
        while (done[1] < r - 1)
          std::this_thread::yield();
        if (auto problem = prepare(**db, r); !problem.empty())
          errors[who].push_back(problem);
        prepared = r;
      } else {
        while (prepared < r)
          std::this_thread::yield();
      }
      auto lease = take(**db, names[who], r);
      if (lease)
        leases[who].push_back(*lease);
      else
        errors[who].push_back(lease.error().message);
      done[who] = r;
    }
  };
  std::thread other([&] { race(1); });
  race(0);
  other.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  REQUIRE(leases[0].size() == rounds);
  REQUIRE(leases[1].size() == rounds);
  for (int r = 1; r <= rounds; ++r) {
    CAPTURE(r);
    const auto& a = leases[0][r - 1];
    const auto& b = leases[1][r - 1];
    auto epoch = epoch_of(r);
    bool a_won = a.holder == names[0] && a.epoch == epoch;
    bool b_won = b.holder == names[1] && b.epoch == epoch;
    CHECK(a_won != b_won);
    // The loser saw the winner's lease of this round.
    CHECK(a.holder == b.holder);
    CHECK(a.epoch == epoch);
    CHECK(b.epoch == epoch);
    CHECK(a.expires_at == r * 10000 + 5000);
    CHECK(b.expires_at == r * 10000 + 5000);
  }
  CHECK(open(url)->read_lease()->epoch == epoch_of(rounds));
}

} // namespace

TEST_SUITE_BEGIN("sql_store");

#define BACKENDS sqlite_backend, mariadb_backend

TEST_CASE_TEMPLATE("migrations apply once and record the schema version", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto latest = migrations_for(B::dialect).back().version;
  CHECK(latest >= 2);
  CHECK(*db->schema_version() == latest);
  CHECK(db->migrate()); // idempotent
  CHECK(*db->schema_version() == latest);
  // ... also from a second store on the same database.
  auto again = open(backend.url);
  CHECK(*again->schema_version() == latest);
  // One row per migration (numbers may leave gaps: tests/src/store/migrations_test.cpp).
  CHECK(raw_rows(backend.url, "SELECT COUNT(*) FROM schema_version")
        == std::vector<std::string>{std::to_string(migrations_for(B::dialect).size())});
}

TEST_CASE_TEMPLATE("a database newer than the binary is refused", B, BACKENDS) {
  B backend;
  open(backend.url);
  // Simulate a newer cafflow having migrated this database.
  raw_execute(backend.url,
              "INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0)");
  auto db = open_only(backend.url);
  auto migrated = db->migrate();
  REQUIRE_FALSE(migrated);
  CHECK(migrated.error().code == ec::schema_too_new);
  CHECK(migrated.error().message.find("999") != std::string::npos);
  CHECK(migrated.error().message.find(parse_store_url(backend.url, "/")->redacted()) == 0);
}

TEST_CASE_TEMPLATE("workflows: versions upsert, listing by name", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
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
  CHECK((*list)[1].desc == "desc");
  CHECK((*list)[1].node_count == 3);
  CHECK((*list)[1].loaded_at == 10);
  // Names are case-sensitive: "B_flow" is another workflow.
  REQUIRE(db->apply({workflow_put{workflow_record{"B_flow", "/", "", "u", "/B.xml", "h", 1, 5, 1,
                                                  "active"},
                                  "<B/>"}}));
  CHECK(db->workflows()->size() == 3);
}

TEST_CASE_TEMPLATE("a 100 KB workflow XML is kept whole", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::string xml = "<workflow-app name=\"big\">";
  while (xml.size() < 100 * 1024)
    xml += "<!-- padding: ünïcödé and 🚀 -->\n";
  xml += "</workflow-app>";
  workflow_record w{"big", "/d", "", "me", "/x/big.xml", "h", 1, 10, 1, "active"};
  REQUIRE(db->apply({workflow_put{w, xml}}));
  auto stored = raw_rows(backend.url, "SELECT xml FROM workflow_version WHERE workflow = 'big'");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].size() == xml.size());
  CHECK(stored[0] == xml);
  auto version = db->workflow_version("big", 1);
  REQUIRE(version);
  REQUIRE(version->has_value());
  CHECK((*version)->xml == xml);
  CHECK((*version)->file == "/x/big.xml");
}

TEST_CASE_TEMPLATE("instances page by id with their nodes and attempts, and every version lists", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  for (int i = 1; i <= 7; ++i) {
    auto id = "000" + std::to_string(i);
    batch.push_back(instance_put{make_instance(id, "w", i % 2 ? "succeeded" : "running")});
    batch.push_back(node_put{id, 0, node_record{"s", "start", "", "succeeded", 0, 1, 1, "", {}}});
    batch.push_back(node_put{id, 1, node_record{"a", "action", "shell", "succeeded", 1, 1, 2, "",
                                                {}}});
    batch.push_back(attempt_put{id, "a", make_attempt(1, "succeeded")});
  }
  REQUIRE(db->apply(batch));
  std::vector<std::string> ids;
  std::string after;
  for (;;) {
    auto page = db->instances_after(after, 3);
    REQUIRE(page);
    if (page->empty())
      break;
    CHECK(page->size() <= 3);
    for (const auto& r : *page) {
      ids.push_back(r.id);
      REQUIRE(r.nodes.size() == 2);
      CHECK(r.nodes[0].name == "s");
      REQUIRE(r.nodes[1].attempts.size() == 1);
      CHECK(r.nodes[1].attempts[0].status == "succeeded");
    }
    after = page->back().id;
  }
  CHECK(ids == std::vector<std::string>{"0001", "0002", "0003", "0004", "0005", "0006", "0007"});
  workflow_record w{"flow", "/d", "", "me", "/x/flow.xml", "h1", 1, 10, 1, "active"};
  REQUIRE(db->apply({workflow_put{w, "<v1/>"}}));
  w.version = 2;
  REQUIRE(db->apply({workflow_put{w, "<v2/>"}}));
  auto versions = db->workflow_versions();
  REQUIRE(versions);
  REQUIRE(versions->size() == 2);
  CHECK((*versions)[0].xml == "<v1/>");
  CHECK((*versions)[1].version == 2);
}

TEST_CASE_TEMPLATE("every loaded version of a workflow can be read back", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  workflow_record w{"flow", "/d", "", "me", "/x/flow.xml", "h1", 1, 10, 1, "active"};
  REQUIRE(db->apply({workflow_put{w, "<v1/>"}}));
  w.version = 2;
  w.hash = "h2";
  w.file = "/y/flow.xml";
  w.loaded_at = 20;
  REQUIRE(db->apply({workflow_put{w, "<v2/>"}}));
  auto v1 = db->workflow_version("flow", 1);
  REQUIRE(v1);
  REQUIRE(v1->has_value());
  CHECK((*v1)->xml == "<v1/>");
  CHECK((*v1)->hash == "h1");
  CHECK((*v1)->file == "/x/flow.xml");
  auto v2 = db->workflow_version("flow", 2);
  REQUIRE(v2->has_value());
  CHECK((*v2)->xml == "<v2/>");
  CHECK((*v2)->loaded_at == 20);
  CHECK_FALSE(db->workflow_version("flow", 3)->has_value());
  CHECK_FALSE(db->workflow_version("Flow", 1)->has_value());
}

TEST_CASE_TEMPLATE("the versions of one workflow list oldest first without their XML", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  workflow_record w{"flow", "/d", "", "me", "/x/flow.xml", "h1", 1, 10, 1, "active"};
  workflow_record other{"flow2", "/d", "", "me", "/x/flow2.xml", "o1", 1, 11, 1, "active"};
  REQUIRE(db->apply({workflow_put{w, "<v1/>"}, workflow_put{other, "<o1/>"}}));
  w.version = 2;
  w.hash = "h2";
  w.file = "/y/" + std::string(3000, 'f') + ".xml"; // longer than a text chunk on MySQL
  w.loaded_at = 20;
  REQUIRE(db->apply({workflow_put{w, "<v2/>"}}));
  auto history = db->workflow_history("flow");
  REQUIRE(history);
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].workflow == "flow");
  CHECK((*history)[0].version == 1);
  CHECK((*history)[0].hash == "h1");
  CHECK((*history)[0].file == "/x/flow.xml");
  CHECK((*history)[0].loaded_at == 10);
  CHECK((*history)[0].xml.empty());
  CHECK((*history)[1].version == 2);
  CHECK((*history)[1].file == w.file);
  CHECK((*history)[1].loaded_at == 20);
  CHECK(db->workflow_history("flow2")->size() == 1);
  CHECK(db->workflow_history("nope")->empty());
  CHECK(db->workflow_history("Flow")->empty());
}

TEST_CASE_TEMPLATE("instance listing filters by a range of logical times with both ends "
                   "included",
                   B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  // 2100-01-01 and later need 64 bits.
  const timestamp day = 86400000, base = 4102444800000;
  for (int i = 1; i <= 5; ++i) {
    auto inst = make_instance("000" + std::to_string(i), i == 3 ? "b" : "a", "succeeded");
    inst.logical_time = base + i * day;
    batch.push_back(instance_put{inst});
  }
  REQUIRE(db->apply(batch));
  instance_filter range;
  range.from = base + 2 * day;
  range.to = base + 4 * day;
  CHECK(ids_of(*db->instances(range)) == std::vector<std::string>{"0004", "0003", "0002"});
  range.workflow = "a";
  CHECK(ids_of(*db->instances(range)) == std::vector<std::string>{"0004", "0002"});
  instance_filter from;
  from.from = base + 4 * day + 1;
  CHECK(ids_of(*db->instances(from)) == std::vector<std::string>{"0005"});
  instance_filter to;
  to.to = base + 2 * day - 1;
  CHECK(ids_of(*db->instances(to)) == std::vector<std::string>{"0001"});
  to.limit = 1;
  to.to = base + 5 * day;
  to.offset = 1;
  CHECK(ids_of(*db->instances(to)) == std::vector<std::string>{"0004"});
  instance_filter empty;
  empty.from = base + 3 * day + 1;
  empty.to = base + 4 * day - 1;
  CHECK(db->instances(empty)->empty());
}

TEST_CASE_TEMPLATE("instances with nodes and attempts round-trip", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto inst = make_instance("0001", "w", "running");
  inst.parent_id = "0000";
  inst.backfill_id = "bf-7";
  inst.logical_time = 4102444800000; // 2100-01-01: needs 64 bits
  node_record n{"a", "action", "shell", "failed", 1, 5, 6, "exit code 3", {}};
  attempt_record a{1, "127.0.0.1:2851", "failed", 3, false, 4242, 1, "/l/a.1.log", 5, 6,
                   "exit code 3", R"({"value":1042.0})"};
  node_record s{"s", "start", "", "succeeded", 0, 4, 4, "", {}};
  REQUIRE(db->apply({instance_put{inst}, node_put{"0001", 1, n}, node_put{"0001", 0, s},
                     attempt_put{"0001", "a", a}}));
  auto found = db->instance("0001");
  REQUIRE(found);
  REQUIRE(found->has_value());
  const auto& r = **found;
  CHECK(r.workflow == "w");
  CHECK(r.params == inst.params);
  CHECK(r.parent_id == "0000");
  CHECK(r.backfill_id == "bf-7");
  CHECK(r.logical_time == 4102444800000);
  REQUIRE(r.nodes.size() == 2);
  CHECK(r.nodes[0].name == "s"); // definition order, not insertion order
  CHECK(r.nodes[1].status == "failed");
  REQUIRE(r.nodes[1].attempts.size() == 1);
  CHECK(r.nodes[1].attempts[0].exit_code == 3);
  CHECK(r.nodes[1].attempts[0].pid == 4242);
  CHECK(r.nodes[1].attempts[0].worker == "127.0.0.1:2851");
  CHECK(r.nodes[1].attempts[0].epoch == 1);
  CHECK(r.nodes[1].attempts[0].result == R"({"value":1042.0})");
  // Updates replace the row.
  inst.status = "failed";
  inst.message = "node 'a' failed";
  inst.parent_id.clear();
  REQUIRE(db->apply({instance_put{inst}}));
  auto updated = **db->instance("0001");
  CHECK(updated.status == "failed");
  CHECK(updated.parent_id.empty());
  CHECK(updated.backfill_id == "bf-7");
  CHECK_FALSE(db->instance("nope")->has_value());
  // The listing carries the new columns too.
  CHECK((*db->instances({}))[0].backfill_id == "bf-7");
}

TEST_CASE_TEMPLATE("sub-workflow links round-trip: a child's parent and an attempt's child", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto parent = make_instance("0001", "p", "running");
  auto child = make_instance("0002", "c", "running");
  child.trigger = child.origin = "sub-workflow";
  child.parent_id = "0001";
  child.parent_node = "run_c";
  child.depth = 3;
  child.timezone = "Asia/Shanghai";
  node_record n{"run_c", "action", "sub-workflow", "running", 1, 5, 0, "", {}};
  attempt_record a;
  a.number = 1;
  a.status = "running";
  a.started = 5;
  a.child_id = "0002";
  // The child and the attempt naming it go in one transaction.
  REQUIRE(db->apply({instance_put{parent}, node_put{"0001", 1, n}, instance_put{child},
                     attempt_put{"0001", "run_c", a}}));
  auto p = **db->instance("0001");
  REQUIRE(p.nodes.size() == 1);
  REQUIRE(p.nodes[0].attempts.size() == 1);
  CHECK(p.nodes[0].attempts[0].child_id == "0002");
  CHECK(p.parent_node.empty());
  CHECK(p.depth == 0);
  CHECK(p.timezone.empty());
  auto c = **db->instance("0002");
  CHECK(c.parent_id == "0001");
  CHECK(c.parent_node == "run_c");
  CHECK(c.depth == 3);
  CHECK(c.timezone == "Asia/Shanghai");
  CHECK(c.trigger == "sub-workflow");
  // The listing and the unfinished instances (what a new master resumes)
  // carry them too.
  instance_filter by_trigger;
  by_trigger.trigger = "sub-workflow";
  auto listed = *db->instances(by_trigger);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].parent_node == "run_c");
  auto unfinished = *db->unfinished_instances();
  REQUIRE(unfinished.size() == 2);
  CHECK(unfinished[0].nodes[0].attempts[0].child_id == "0002");
  CHECK(unfinished[1].depth == 3);
  // The attempt's final row keeps its child.
  a.status = "failed";
  a.finished = 9;
  REQUIRE(db->apply({attempt_put{"0001", "run_c", a}}));
  CHECK((**db->instance("0001")).nodes[0].attempts[0].child_id == "0002");
}

TEST_CASE_TEMPLATE("run options, executions and the execution of attempts round-trip", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto inst = make_instance("0001", "w", "running");
  inst.run_mode = "nodes";
  inst.options.nodes = {"a", "b"};
  inst.options.downstream = true;
  inst.options.skip = {"c"};
  inst.execution = 2;
  inst.requested_by = "ann";
  node_record n{"a", "action", "shell", "running", 2, 5, 0, "", {}};
  attempt_record first{1, "w1", "failed", 3, false, 1, 1, "/l/a.1.log", 5, 6, "exit code 3", ""};
  attempt_record second{2, "w1", "running", -1, false, 2, 1, "/l/a.2.log", 7, 0, "", ""};
  second.execution = 2;
  execution_record e1{"0001", 1, "cron", "", "{}", 5, 6, "failed",
                      {{"failed", {"a"}}, {"skipped", {"b", "c"}}}};
  execution_record e2{"0001", 2, "rerun", "ann", R"({"mode":"nodes","nodes":["a","b"]})", 7, 0,
                      "running", {{"running", {"a"}}}};
  REQUIRE(db->apply({instance_put{inst}, node_put{"0001", 0, n}, attempt_put{"0001", "a", first},
                     attempt_put{"0001", "a", second}, execution_put{e2}, execution_put{e1}}));
  auto r = **db->instance("0001");
  CHECK(r.run_mode == "nodes");
  CHECK(r.options.nodes == std::vector<std::string>{"a", "b"});
  CHECK(r.options.downstream);
  CHECK_FALSE(r.options.upstream);
  CHECK(r.options.skip == std::vector<std::string>{"c"});
  CHECK(r.execution == 2);
  CHECK(r.requested_by == "ann");
  REQUIRE(r.nodes[0].attempts.size() == 2);
  CHECK(r.nodes[0].attempts[0].execution == 1);
  CHECK(r.nodes[0].attempts[1].execution == 2);
  auto list = db->executions("0001");
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].number == 1);
  CHECK((*list)[0].trigger == "cron");
  CHECK((*list)[0].nodes == e1.nodes);
  CHECK((*list)[1].requested_by == "ann");
  CHECK((*list)[1].options == e2.options);
  CHECK((*list)[1].status == "running");
  // The execution ends: its row is replaced.
  e2.status = "succeeded";
  e2.finished = 9;
  e2.nodes = {{"succeeded", {"a"}}};
  REQUIRE(db->apply({execution_put{e2}}));
  auto after = *db->executions("0001");
  CHECK(after[1].status == "succeeded");
  CHECK(after[1].finished == 9);
  CHECK(after[1].nodes == e2.nodes);
  CHECK(db->executions("nope")->empty());
  // A first run without options reads back empty.
  REQUIRE(db->apply({instance_put{make_instance("0002", "w", "queued")}}));
  auto plain = **db->instance("0002");
  CHECK(plain.options.empty());
  CHECK(plain.run_mode.empty());
  CHECK(plain.execution == 1);
}

TEST_CASE_TEMPLATE("instance listing filters, orders newest first and pages", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
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

TEST_CASE_TEMPLATE("an empty store has no last instance id and nothing unfinished", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  CHECK(*db->last_instance_id() == "");
  CHECK(db->unfinished_instances()->empty());
  CHECK(db->xml_files()->empty());
  CHECK(db->workflows()->empty());
}

TEST_CASE_TEMPLATE("unfinished instances come oldest first with their nodes and attempts", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  // Written out of order, and with finished instances in between.
  for (const auto& [id, status] : std::vector<std::pair<std::string, std::string>>{
         {"0004", "running"}, {"0001", "succeeded"}, {"0003", "queued"}, {"0002", "running"},
         {"0005", "failed"}, {"0006", "killed"}}) {
    batch.push_back(instance_put{make_instance(id, "w", status)});
    batch.push_back(node_put{id, 2, make_node("c", "waiting")});
    batch.push_back(node_put{id, 0, make_node("a", "succeeded")});
    batch.push_back(node_put{id, 1, make_node("b", "running")});
    batch.push_back(attempt_put{id, "b", make_attempt(2, "running")});
    batch.push_back(attempt_put{id, "b", make_attempt(1, "failed")});
    batch.push_back(attempt_put{id, "a", make_attempt(1, "succeeded")});
  }
  // An instance without nodes yet.
  batch.push_back(instance_put{make_instance("0007", "other", "queued")});
  REQUIRE(db->apply(batch));
  auto list = db->unfinished_instances();
  REQUIRE(list);
  CHECK(ids_of(*list) == std::vector<std::string>{"0002", "0003", "0004", "0007"});
  for (const auto& r : *list) {
    CAPTURE(r.id);
    // Exactly what instance(id) returns for it.
    auto one = **db->instance(r.id);
    CHECK(one.status == r.status);
    CHECK(one.params == r.params);
    REQUIRE(one.nodes.size() == r.nodes.size());
    for (std::size_t i = 0; i < r.nodes.size(); ++i) {
      CHECK(one.nodes[i].name == r.nodes[i].name);
      CHECK(one.nodes[i].attempts.size() == r.nodes[i].attempts.size());
    }
  }
  const auto& first = (*list)[0];
  REQUIRE(first.nodes.size() == 3);
  CHECK(first.nodes[0].name == "a");
  CHECK(first.nodes[1].name == "b");
  CHECK(first.nodes[2].name == "c");
  REQUIRE(first.nodes[1].attempts.size() == 2);
  CHECK(first.nodes[1].attempts[0].number == 1);
  CHECK(first.nodes[1].attempts[0].status == "failed");
  CHECK(first.nodes[1].attempts[1].number == 2);
  CHECK(first.nodes[1].attempts[1].pid == 4002);
  CHECK(first.nodes[0].attempts.size() == 1);
  CHECK(first.nodes[2].attempts.empty());
  CHECK((*list)[3].nodes.empty());
}

TEST_CASE_TEMPLATE("unfinished instances by the thousand", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  constexpr int count = 1500;
  for (int i = 0; i < count; ++i) {
    char id[17];
    std::snprintf(id, sizeof(id), "%016x", static_cast<unsigned>(i + 1));
    batch.push_back(instance_put{make_instance(id, "w", i % 3 == 0 ? "succeeded" : "running")});
    batch.push_back(node_put{id, 0, make_node("a", "succeeded")});
    batch.push_back(node_put{id, 1, make_node("b", "running")});
    batch.push_back(attempt_put{id, "b", make_attempt(1, "running")});
  }
  REQUIRE(db->apply(batch));
  auto list = db->unfinished_instances();
  REQUIRE(list);
  REQUIRE(list->size() == 1000);
  CHECK(std::is_sorted(list->begin(), list->end(),
                       [](const auto& a, const auto& b) { return a.id < b.id; }));
  for (const auto& r : *list) {
    REQUIRE(r.nodes.size() == 2);
    REQUIRE(r.nodes[1].attempts.size() == 1);
  }
}

TEST_CASE_TEMPLATE("a large batch spans several statements, and a row written twice keeps its "
                   "last content",
                   B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch{instance_put{make_instance("0001", "w", "running")}};
  for (int i = 0; i < 250; ++i) {
    node_record n{"n" + std::to_string(i), "action", "shell", "succeeded", 1, 5, 6, "", {}};
    batch.push_back(node_put{"0001", i, n});
    attempt_record a{1, "w1", "succeeded", 0, false, 100 + i, 1, "/l", 5, 6, "", ""};
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

TEST_CASE_TEMPLATE("a batch is all or nothing", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  // Break the attempt table so that the second write of the batch fails.
  raw_execute(backend.url, "DROP TABLE attempt");
  auto result = db->apply({instance_put{make_instance("0001", "w", "queued")},
                           attempt_put{"0001", "a", attempt_record{}}});
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ec::store_error);
  CHECK(result.error().message.find("write failed") != std::string::npos);
  CHECK(db->instances({})->empty());
  // The store stays usable.
  REQUIRE(db->apply({instance_put{make_instance("0002", "w", "queued")}}));
  CHECK(db->instances({})->size() == 1);
}

TEST_CASE_TEMPLATE("unicode survives: emoji in messages, params and names", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto inst = make_instance("0001", "wörkflow_🚀", "failed");
  inst.params = {{"emoji", "🎉🐘"}, {"ключ", "значение"}, {"cjk", "漢字"}};
  inst.message = "failed: 💥 at 日本";
  node_record n{"nöde_✓", "action", "shell", "failed", 1, 5, 6, "exit 1 — 😞", {}};
  attempt_record a = make_attempt(1, "failed");
  a.message = "tail: 🔥🔥";
  REQUIRE(db->apply({instance_put{inst}, node_put{"0001", 0, n}, attempt_put{"0001", n.name, a}}));
  auto r = **db->instance("0001");
  CHECK(r.workflow == "wörkflow_🚀");
  CHECK(r.params == inst.params);
  CHECK(r.message == inst.message);
  REQUIRE(r.nodes.size() == 1);
  CHECK(r.nodes[0].name == "nöde_✓");
  CHECK(r.nodes[0].message == "exit 1 — 😞");
  CHECK(r.nodes[0].attempts.at(0).message == "tail: 🔥🔥");
  instance_filter filter;
  filter.workflow = "wörkflow_🚀";
  CHECK(db->instances(filter)->size() == 1);
}

TEST_CASE_TEMPLATE("long texts come back whole", B, BACKENDS) {
  // The MySQL backend reads long columns in chunks of 16383 characters.
  B backend;
  auto db = open(backend.url);
  auto repeat = [](const std::string& unit, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i)
      out += unit;
    return out;
  };
  auto inst = make_instance("0001", "w", "failed");
  inst.message = repeat("ä🚀x", 15000); // 45000 characters, 105000 bytes
  inst.params = {{"big", repeat("p", 20000)}};
  node_record exact{"a", "action", "shell", "failed", 1, 5, 6, repeat("n", 16383), {}};
  node_record twice{"b", "action", "shell", "failed", 1, 5, 6, repeat("ö", 2 * 16383), {}};
  attempt_record a = make_attempt(1, "failed");
  a.message = repeat("tail ", 10000);
  a.log_path = "/logs/" + repeat("d/", 9000) + "a.log";
  workflow_record w{"w", "/d", repeat("description ", 3000), "me", "/x/w.xml", "h", 1, 10, 2,
                    "active"};
  auto file = make_file("/x/w.xml", "invalid");
  for (int i = 0; i < 400; ++i)
    file.diagnostics.push_back(
      diagnostic_record{"error", i, 1, "problem number " + std::to_string(i)});
  REQUIRE(db->apply({workflow_put{w, "<x/>"}, instance_put{inst}, node_put{"0001", 0, exact},
                     node_put{"0001", 1, twice}, attempt_put{"0001", "a", a},
                     xml_file_put{file}}));
  auto r = **db->instance("0001");
  CHECK(r.message == inst.message);
  CHECK(r.params == inst.params);
  REQUIRE(r.nodes.size() == 2);
  CHECK(r.nodes[0].message == exact.message);
  CHECK(r.nodes[1].message == twice.message);
  REQUIRE(r.nodes[0].attempts.size() == 1);
  CHECK(r.nodes[0].attempts[0].message == a.message);
  CHECK(r.nodes[0].attempts[0].log_path == a.log_path);
  CHECK((*db->instances({}))[0].message == inst.message);
  CHECK((*db->unfinished_instances()).empty());
  CHECK((*db->workflows())[0].desc == w.desc);
  auto files = db->xml_files();
  REQUIRE(files->size() == 1);
  REQUIRE((*files)[0].diagnostics.size() == 400);
  CHECK((*files)[0].diagnostics[399].message == "problem number 399");
}

TEST_CASE_TEMPLATE("bytes that are not UTF-8 are stored as U+FFFD", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto inst = make_instance("0001", "w", "failed");
  // The tail of a log may hold anything; the batch must not fail over it.
  inst.message = std::string("bad \xff\xfe bytes \xc3");
  inst.params = {{"p", std::string("v\x80")}};
  REQUIRE(db->apply({instance_put{inst}}));
  auto r = **db->instance("0001");
  CHECK(r.message == "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD");
  CHECK(r.params.at("p") == "v\xEF\xBF\xBD");
}

TEST_CASE_TEMPLATE("xml files: put, update, delete and list by path", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto a = make_file("/x/a.xml", "loaded");
  auto b = make_file("/x/b.xml", "invalid");
  b.diagnostics = {diagnostic_record{"error", 3, 14, "unknown node 'q' — did you mean 'a'?"},
                   diagnostic_record{"warning", 9, 1, "ünused ✓"}};
  auto c = make_file("/x/c.xml", "conflict");
  REQUIRE(db->apply({xml_file_put{c}, xml_file_put{a}, xml_file_put{b}}));
  auto files = db->xml_files();
  REQUIRE(files);
  REQUIRE(files->size() == 3);
  CHECK((*files)[0].path == "/x/a.xml");
  CHECK((*files)[1].path == "/x/b.xml");
  CHECK((*files)[2].path == "/x/c.xml");
  const auto& got = (*files)[1];
  CHECK(got.kind == "workflow");
  CHECK(got.name == "flow");
  CHECK(got.status == "invalid");
  CHECK(got.hash == "abc123");
  CHECK(got.active_version == 2);
  CHECK(got.checked_at == 1700000000000);
  REQUIRE(got.diagnostics.size() == 2);
  CHECK(got.diagnostics[0].level == "error");
  CHECK(got.diagnostics[0].line == 3);
  CHECK(got.diagnostics[0].column == 14);
  CHECK(got.diagnostics[0].message == "unknown node 'q' — did you mean 'a'?");
  CHECK(got.diagnostics[1].message == "ünused ✓");
  // The stored JSON has the documented shape.
  auto json = raw_rows(backend.url, "SELECT diagnostics FROM xml_file WHERE path = '/x/b.xml'");
  REQUIRE(json.size() == 1);
  CHECK(json[0].find("\"file\":\"/x/b.xml\"") != std::string::npos);
  CHECK(json[0].find("\"severity\":\"error\"") != std::string::npos);
  // Update b (fixed), delete c, delete a file that was never stored.
  b.status = "loaded";
  b.diagnostics.clear();
  b.active_version = 3;
  REQUIRE(db->apply({xml_file_put{b}, xml_file_delete{"/x/c.xml"}, xml_file_delete{"/x/nope"}}));
  files = db->xml_files();
  REQUIRE(files->size() == 2);
  CHECK((*files)[1].status == "loaded");
  CHECK((*files)[1].active_version == 3);
  CHECK((*files)[1].diagnostics.empty());
  // In one batch, the last write of a path wins, whatever it is.
  REQUIRE(db->apply({xml_file_delete{"/x/a.xml"}, xml_file_put{a}, xml_file_put{c},
                     xml_file_delete{"/x/c.xml"}}));
  files = db->xml_files();
  REQUIRE(files->size() == 2);
  CHECK((*files)[0].path == "/x/a.xml");
  CHECK((*files)[1].path == "/x/b.xml");
}

TEST_CASE_TEMPLATE("take_epoch increments, also across reopened stores", B, BACKENDS) {
  B backend;
  {
    auto db = open(backend.url);
    CHECK(*db->take_epoch("master-a", 1000, 5000) == 1);
    CHECK(*db->take_epoch("master-a", 2000, 5000) == 2);
  }
  auto db = open(backend.url);
  auto other = open(backend.url);
  CHECK(*db->take_epoch("master-b", 3000, 5000) == 3);
  CHECK(*other->take_epoch("master-c", 4000, 7000) == 4);
  CHECK(*db->take_epoch("master-b", 5000, 5000) == 5);
  auto lease = raw_rows(backend.url, "SELECT name, holder, epoch, expires_at FROM lease");
  CHECK(lease == std::vector<std::string>{"master|master-b|5|10000"});
}

TEST_CASE_TEMPLATE("the master lease is nobody's before anyone acquires it", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto lease = db->read_lease();
  REQUIRE(lease);
  CHECK(lease->holder.empty());
  CHECK(lease->epoch == 0);
  CHECK(lease->expires_at == 0);
}

TEST_CASE_TEMPLATE("the master lease goes to one holder until it expires", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto a = db->acquire_lease("master-a", 1000, 3000);
  REQUIRE(a);
  CHECK(a->holder == "master-a");
  CHECK(a->epoch == 1);
  CHECK(a->expires_at == 4000);
  // Another master, on its own connection, waits for the expiry.
  auto other = open(backend.url);
  auto b = other->acquire_lease("master-b", 3999, 3000);
  REQUIRE(b);
  CHECK(b->holder == "master-a");
  CHECK(b->epoch == 1);
  CHECK(b->expires_at == 4000);
  b = other->acquire_lease("master-b", 4000, 3000);
  REQUIRE(b);
  CHECK(b->holder == "master-b");
  CHECK(b->epoch == 2);
  CHECK(b->expires_at == 7000);
  auto stored = db->read_lease();
  REQUIRE(stored);
  CHECK(stored->holder == "master-b");
  CHECK(stored->epoch == 2);
  CHECK(stored->expires_at == 7000);
  CHECK(raw_rows(backend.url, "SELECT name, holder, epoch, expires_at FROM lease")
        == std::vector<std::string>{"master|master-b|2|7000"});
}

TEST_CASE_TEMPLATE("the holder of the master lease renews it, a stale holder cannot", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  REQUIRE(db->acquire_lease("master-a", 1000, 3000)->epoch == 1);
  auto renewed = db->renew_lease("master-a", 1, 2000, 3000);
  REQUIRE(renewed);
  CHECK(*renewed);
  CHECK(db->read_lease()->expires_at == 5000);
  // Renewing to the same expiry changes no row and still succeeds.
  CHECK(*db->renew_lease("master-a", 1, 2000, 3000));
  // Expired but nobody took it: the holder may still renew.
  CHECK(*db->renew_lease("master-a", 1, 6000, 3000));
  CHECK(db->read_lease()->expires_at == 9000);
  // A stale epoch, or a master that never held it, renews nothing.
  CHECK_FALSE(*db->renew_lease("master-a", 0, 7000, 3000));
  CHECK_FALSE(*db->renew_lease("master-a", 2, 7000, 3000));
  CHECK_FALSE(*db->renew_lease("master-b", 1, 7000, 3000));
  CHECK(db->read_lease()->expires_at == 9000);
  // After a takeover the old holder cannot renew, whatever epoch it names.
  auto other = open(backend.url);
  auto b = other->acquire_lease("master-b", 9000, 3000);
  REQUIRE(b->holder == "master-b");
  REQUIRE(b->epoch == 2);
  auto stale = db->renew_lease("master-a", 1, 9500, 3000);
  REQUIRE(stale);
  CHECK_FALSE(*stale);
  CHECK_FALSE(*db->renew_lease("master-a", 2, 9500, 3000));
  CHECK(*other->renew_lease("master-b", 2, 9500, 3000));
  auto lease = db->read_lease();
  CHECK(lease->holder == "master-b");
  CHECK(lease->epoch == 2);
  CHECK(lease->expires_at == 12500);
}

TEST_CASE_TEMPLATE("a released master lease can be acquired at once", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto other = open(backend.url);
  REQUIRE(db->acquire_lease("master-a", 1000, 3000)->epoch == 1);
  // Releasing with a stale epoch or by another master changes nothing.
  REQUIRE(db->release_lease("master-a", 0, 1500));
  REQUIRE(other->release_lease("master-b", 1, 1500));
  CHECK(other->acquire_lease("master-b", 1500, 3000)->holder == "master-a");
  REQUIRE(db->release_lease("master-a", 1, 2000));
  auto released = db->read_lease();
  CHECK(released->holder.empty());
  CHECK(released->epoch == 1);
  CHECK(released->expires_at == 2000);
  // Given up: its old holder cannot renew it.
  CHECK_FALSE(*db->renew_lease("master-a", 1, 2000, 3000));
  auto b = other->acquire_lease("master-b", 2000, 3000);
  REQUIRE(b);
  CHECK(b->holder == "master-b");
  CHECK(b->epoch == 2);
  CHECK(b->expires_at == 5000);
  // take_epoch still counts on from the lease's epoch.
  CHECK(*db->take_epoch("master-c", 3000, 3000) == 3);
}

TEST_CASE_TEMPLATE("of two stores acquiring the master lease at once, one wins each round", B,
                   BACKENDS) {
  B backend;
  open(backend.url);
  // Round r acquires at r * 10000 with a TTL of 5000: the lease of the round
  // before has expired.
  race_for_lease(
    backend.url, [](store&, int) { return std::string(); },
    [](store& db, const std::string& me, int r) { return db.acquire_lease(me, r * 10000, 5000); },
    [](int r) { return static_cast<std::uint64_t>(r); });
}

TEST_CASE_TEMPLATE("master nodes: put and update by address and list by address", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto listed = db->master_nodes();
  REQUIRE(listed);
  CHECK(listed->empty());
  master_node_record b{"10.0.0.2:2850", "active", 4711, "node-b", 1000, 4102444800000};
  master_node_record a{"10.0.0.1:2850", "standby", 815, "node-ä", 2000, 2500};
  REQUIRE(db->put_master_node(b));
  REQUIRE(db->put_master_node(a));
  // Another master sees them, by address.
  auto other = open(backend.url);
  listed = other->master_nodes();
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].address == "10.0.0.1:2850");
  CHECK((*listed)[0].role == "standby");
  CHECK((*listed)[0].pid == 815);
  CHECK((*listed)[0].host == "node-ä");
  CHECK((*listed)[0].started_at == 2000);
  CHECK((*listed)[0].seen_at == 2500);
  CHECK((*listed)[1].address == "10.0.0.2:2850");
  CHECK((*listed)[1].role == "active");
  CHECK((*listed)[1].seen_at == 4102444800000); // needs 64 bits
  // The standby becomes active and reports again: its row changes in place.
  a.role = "active";
  a.seen_at = 9000;
  a.pid = 816;
  REQUIRE(other->put_master_node(a));
  listed = db->master_nodes();
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].role == "active");
  CHECK((*listed)[0].seen_at == 9000);
  CHECK((*listed)[0].pid == 816);
  CHECK((*listed)[0].started_at == 2000);
  CHECK(raw_rows(backend.url, "SELECT address, role, pid, host, started_at, seen_at FROM "
                              "master_nodes ORDER BY address")
        == std::vector<std::string>{"10.0.0.1:2850|active|816|node-ä|2000|9000",
                                    "10.0.0.2:2850|active|4711|node-b|1000|4102444800000"});
  // A role that is neither, or no address, is refused.
  a.role = "leader";
  auto refused = db->put_master_node(a);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ec::store_error);
  CHECK(refused.error().message.find("leader") != std::string::npos);
  CHECK(db->put_master_node(master_node_record{"", "standby", 1, "h", 1, 1}).error().code
        == ec::store_error);
  CHECK((*db->master_nodes())[0].role == "active");
}

TEST_CASE_TEMPLATE("seize_lease takes the lease from its dead holder at its epoch only", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto other = open(backend.url);
  REQUIRE(db->acquire_lease("master-a", 1000, 3000)->epoch == 1);
  auto unchanged = [](const expected<lease_record>& l, const std::string& holder,
                      std::uint64_t epoch, timestamp expires_at) {
    REQUIRE(l);
    CHECK(l->holder == holder);
    CHECK(l->epoch == epoch);
    CHECK(l->expires_at == expires_at);
  };
  // While the lease runs, a wrong epoch or another holder takes nothing.
  unchanged(other->seize_lease("master-b", "master-a", 0, 2000, 3000), "master-a", 1, 4000);
  unchanged(other->seize_lease("master-b", "master-a", 2, 2000, 3000), "master-a", 1, 4000);
  unchanged(other->seize_lease("master-b", "master-c", 1, 2000, 3000), "master-a", 1, 4000);
  unchanged(other->seize_lease("master-b", "", 1, 2000, 3000), "master-a", 1, 4000);
  // The dead holder at its epoch: taken at once, long before it expires.
  auto b = other->seize_lease("master-b", "master-a", 1, 2000, 3000);
  unchanged(b, "master-b", 2, 5000);
  CHECK(raw_rows(backend.url, "SELECT name, holder, epoch, expires_at FROM lease")
        == std::vector<std::string>{"master|master-b|2|5000"});
  // The old holder has lost it.
  CHECK_FALSE(*db->renew_lease("master-a", 1, 2500, 3000));
  // Seizing from the old holder again takes nothing: its epoch is gone.
  unchanged(db->seize_lease("master-c", "master-a", 1, 2500, 3000), "master-b", 2, 5000);
  unchanged(db->seize_lease("master-c", "master-b", 1, 2500, 3000), "master-b", 2, 5000);
  // Expired: anyone takes it, whoever it names as dead (as acquire_lease).
  unchanged(db->seize_lease("master-c", "master-x", 7, 5000, 3000), "master-c", 3, 8000);
  // Released: taken at once.
  REQUIRE(db->release_lease("master-c", 3, 6000));
  unchanged(other->seize_lease("master-d", "master-x", 7, 6000, 3000), "master-d", 4, 9000);
  auto lease = db->read_lease();
  CHECK(lease->holder == "master-d");
  CHECK(lease->epoch == 4);
  CHECK(lease->expires_at == 9000);
}

TEST_CASE_TEMPLATE("of two stores seizing the master lease from a dead holder at once, one wins",
                   B, BACKENDS) {
  B backend;
  open(backend.url);
  // Before round r the lease goes to a dead master for long (take_epoch:
  // epoch 2r - 1); both seize it from that one at r * 10000.
  race_for_lease(
    backend.url,
    [](store& db, int r) {
      auto taken = db.take_epoch("dead", r * 10000 - 1, 1000000);
      return taken && *taken == static_cast<std::uint64_t>(2 * r - 1)
               ? std::string()
               : "round " + std::to_string(r) + ": take_epoch failed";
    },
    [](store& db, const std::string& me, int r) {
      return db.seize_lease(me, "dead", static_cast<std::uint64_t>(2 * r - 1), r * 10000, 5000);
    },
    [](int r) { return static_cast<std::uint64_t>(2 * r); });
}

TEST_CASE_TEMPLATE("a fenced store writes only while its master holds the lease", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto name = parse_store_url(backend.url, "/")->redacted();
  REQUIRE(db->acquire_lease("master-a", 1000, 3000)->epoch == 1);
  db->fence("master-a", 1);
  // Held: writes and fires go through.
  REQUIRE(db->apply({instance_put{make_instance("0001", "w", "queued")}}));
  auto fired = db->fire(fire_record{"w", 1000, "0002", 5},
                        {instance_put{make_instance("0002", "w", "queued")}});
  REQUIRE(fired);
  CHECK(fired->fired);
  // Expired, but nobody took it: still this master's.
  REQUIRE(db->apply({instance_put{make_instance("0003", "w", "queued")}}));
  // Another master takes the expired lease: every write is refused and
  // writes nothing.
  auto other = open(backend.url);
  REQUIRE(other->acquire_lease("master-b", 5000, 3000)->epoch == 2);
  auto refused = db->apply({instance_put{make_instance("0004", "w", "queued")},
                            coordinator_put{make_coordinator("w", 2000)}});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ec::fenced);
  CHECK(refused.error().message
        == name
             + ": this master no longer holds the master lease (epoch 1; the lease is at "
               "epoch 2, holder master-b)");
  auto late = db->fire(fire_record{"w", 2000, "0005", 6},
                       {instance_put{make_instance("0005", "w", "queued")},
                        dependency_put{dependency_record{"w", "up", 2000, "u1", 6}}});
  REQUIRE_FALSE(late);
  CHECK(late.error().code == ec::fenced);
  CHECK(raw_rows(backend.url, "SELECT id FROM instance ORDER BY id")
        == std::vector<std::string>{"0001", "0002", "0003"});
  CHECK(describe(*other->fire_records("w", 0, 5000)) == std::vector<std::string>{"w@1000 0002"});
  CHECK(other->coordinator_states()->empty());
  CHECK(other->dependency_records("w", 2000)->empty());
  // Its reads and the lease calls still work: it finds out and steps down.
  CHECK(db->instances({})->size() == 3);
  CHECK_FALSE(*db->renew_lease("master-a", 1, 5000, 3000));
  CHECK(db->read_lease()->holder == "master-b");
  // The new master fences its own store and writes; the logical time that
  // the old one could not fire is still free.
  other->fence("master-b", 2);
  REQUIRE(other->apply({instance_put{make_instance("0004", "w", "queued")}}));
  CHECK(other->fire(fire_record{"w", 2000, "0006", 7}, {})->fired);
  // A seizure fences it in turn.
  auto third = open(backend.url);
  REQUIRE(third->seize_lease("master-c", "master-b", 2, 6000, 3000)->epoch == 3);
  auto seized = other->apply({instance_put{make_instance("0007", "w", "queued")}});
  REQUIRE_FALSE(seized);
  CHECK(seized.error().code == ec::fenced);
  CHECK(seized.error().message.find("(epoch 2; the lease is at epoch 3, holder master-c)")
        != std::string::npos);
  CHECK(other->fire(fire_record{"w", 3000, "0008", 8}, {}).error().code == ec::fenced);
  // So does a release: nobody holds the lease then.
  third->fence("master-c", 3);
  REQUIRE(third->apply({instance_put{make_instance("0009", "w", "queued")}}));
  REQUIRE(third->release_lease("master-c", 3, 7000));
  auto released = third->apply({instance_put{make_instance("0010", "w", "queued")}});
  REQUIRE_FALSE(released);
  CHECK(released.error().message.find("epoch 3, holder none)") != std::string::npos);
  CHECK(raw_rows(backend.url, "SELECT id FROM instance ORDER BY id")
        == std::vector<std::string>{"0001", "0002", "0003", "0004", "0009"});
  CHECK(describe(*third->fire_records("w", 0, 5000))
        == std::vector<std::string>{"w@1000 0002", "w@2000 0006"});
  // The same holder at a newer epoch (it started again) fences the store of
  // the old epoch.
  third->fence("master-c", 3);
  REQUIRE(*third->take_epoch("master-c", 8000, 3000) == 4);
  auto restarted = third->apply({instance_put{make_instance("0011", "w", "queued")}});
  REQUIRE_FALSE(restarted);
  CHECK(restarted.error().message.find("(epoch 3; the lease is at epoch 4, holder master-c)")
        != std::string::npos);
  CHECK(raw_rows(backend.url, "SELECT id FROM instance ORDER BY id")
        == std::vector<std::string>{"0001", "0002", "0003", "0004", "0009"});
  // An empty holder turns fencing off.
  db->fence("", 0);
  REQUIRE(db->apply({instance_put{make_instance("0012", "w", "queued")}}));
}

TEST_CASE_TEMPLATE("a store that is not fenced writes whoever holds the lease", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto other = open(backend.url);
  REQUIRE(other->acquire_lease("master-b", 1000, 3000)->epoch == 1);
  REQUIRE(db->apply({instance_put{make_instance("0001", "w", "queued")}}));
  CHECK(db->fire(fire_record{"w", 1000, "0002", 5},
                 {instance_put{make_instance("0002", "w", "queued")}})
          ->fired);
  REQUIRE(other->release_lease("master-b", 1, 2000));
  REQUIRE(db->apply({instance_put{make_instance("0003", "w", "queued")}}));
  CHECK(raw_rows(backend.url, "SELECT id FROM instance ORDER BY id")
        == std::vector<std::string>{"0001", "0002", "0003"});
}

TEST_CASE("a fenced write waits for an uncommitted takeover of the lease, then writes only if "
          "that rolls back") {
  // The check reads the lease under a lock: a plain read would see the old
  // holder while the takeover commits, and write after it. MariaDB shows the
  // statements that run, so this test knows the write is waiting.
  auto url = cafflow::test::fresh_mariadb_url();
  open(url);
  auto db = open_store(*parse_store_url(url, "/"), 20000);
  REQUIRE(db);
  REQUIRE((*db)->acquire_lease("master-a", 1000, 3000)->epoch == 1);
  (*db)->fence("master-a", 1);
  auto waiting = [&] {
    return raw_rows(url, "SELECT COUNT(*) FROM information_schema.processlist WHERE db = "
                         "DATABASE() AND info LIKE 'SELECT holder, epoch FROM lease%'")
           == std::vector<std::string>{"1"};
  };
  for (bool commit : {false, true}) {
    CAPTURE(commit);
    auto id = commit ? "0002" : "0001";
    auto other = raw_session(url);
    other->begin();
    *other << "UPDATE lease SET holder = 'master-b', epoch = 2 WHERE name = 'master'",
      Poco::Data::Keywords::now;
    expected<void> written;
    std::thread writing(
      [&] { written = (*db)->apply({instance_put{make_instance(id, "w", "queued")}}); });
    bool waited = cafflow::test::wait_until(waiting);
    if (commit)
      other->commit();
    else
      other->rollback();
    writing.join();
    CHECK(waited);
    if (commit) {
      REQUIRE_FALSE(written);
      CHECK(written.error().code == ec::fenced);
    } else {
      CHECK(written);
    }
  }
  CHECK(raw_rows(url, "SELECT id FROM instance") == std::vector<std::string>{"0001"});
}

TEST_CASE("both dialects create the same tables, columns and indexes") {
  mariadb_backend mysql;
  sqlite_backend sqlite;
  open(mysql.url);
  open(sqlite.url);
  auto columns = raw_rows(sqlite.url,
                          "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                          "WHERE m.type = 'table' AND m.name <> 'sqlite_sequence' "
                          "ORDER BY m.name, p.cid");
  auto indexes = raw_rows(sqlite.url, "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                      "name NOT LIKE 'sqlite_autoindex%' ORDER BY name");
  CHECK(std::find(columns.begin(), columns.end(), "instance|backfill_id") != columns.end());
  CHECK(std::find(columns.begin(), columns.end(), "lease|epoch") != columns.end());
  CHECK(std::find(columns.begin(), columns.end(), "instance|origin") != columns.end());
  CHECK(std::find(columns.begin(), columns.end(), "master_nodes|seen_at") != columns.end());
  // Ordered byte-wise as SQLite does ("backfill_items" before "backfills";
  // information_schema's own collation ignores case and would not).
  CHECK(raw_rows(mysql.url, "SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = DATABASE() ORDER BY CAST(table_name AS "
                            "BINARY), ordinal_position")
        == columns);
  CHECK(raw_rows(mysql.url, "SELECT DISTINCT index_name FROM information_schema.statistics "
                            "WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY' "
                            "ORDER BY CAST(index_name AS BINARY)")
        == indexes);
  // Binary collation everywhere (names are case-sensitive), InnoDB, and no
  // type that Poco's MySQL connector crashes on (STACK.md).
  CHECK(raw_rows(mysql.url, "SELECT DISTINCT collation_name FROM information_schema.columns "
                            "WHERE table_schema = DATABASE() AND collation_name IS NOT NULL")
        == std::vector<std::string>{"utf8mb4_bin"});
  CHECK(raw_rows(mysql.url, "SELECT DISTINCT engine FROM information_schema.tables WHERE "
                            "table_schema = DATABASE()")
        == std::vector<std::string>{"InnoDB"});
  CHECK(raw_rows(mysql.url, "SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = DATABASE() AND data_type IN ('longtext', "
                            "'longblob', 'json')")
          .empty());
}

TEST_CASE_TEMPLATE("a fire of a logical time is recorded once", B, BACKENDS) {
  B backend;
  open(backend.url);
  raw_execute(backend.url, "INSERT INTO fire_record (workflow, logical_time, instance_id, "
                           "fired_at) VALUES ('w', 1000, '0001', 5)");
  CHECK_THROWS(raw_execute(backend.url, "INSERT INTO fire_record (workflow, logical_time, "
                                        "instance_id, fired_at) VALUES ('w', 1000, '0002', 6)"));
  CHECK(raw_rows(backend.url, "SELECT instance_id FROM fire_record")
        == std::vector<std::string>{"0001"});
}

TEST_CASE_TEMPLATE("instances keep the trigger that created them, older rows read their trigger", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto rerun = make_instance("0001", "w", "running");
  rerun.trigger = "rerun";
  rerun.origin = "cron";
  auto manual = make_instance("0002", "w", "queued");
  manual.origin = "";
  REQUIRE(db->apply({instance_put{rerun}, instance_put{manual},
                     node_put{"0001", 0, make_node("a", "running")}}));
  CHECK((*db->instance("0001"))->origin == "cron");
  CHECK((*db->instance("0001"))->trigger == "rerun");
  CHECK((*db->instances({}))[1].origin == "cron");
  CHECK((*db->unfinished_instances())[0].origin == "cron");
  CHECK((*db->instances_after("", 10))[0].origin == "cron");
  // Written without one, read as its trigger.
  CHECK((*db->instance("0002"))->origin == "manual");
  CHECK(raw_rows(backend.url, "SELECT origin FROM instance WHERE id = '0002'")
        == std::vector<std::string>{""});
  // A row from before schema version 3 has origin ''.
  raw_execute(backend.url, "UPDATE instance SET origin = '' WHERE id = '0001'");
  CHECK((*db->instance("0001"))->origin == "rerun");
  CHECK((*db->instances({}))[1].origin == "rerun");
}

TEST_CASE_TEMPLATE("instance listing filters by trigger", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  for (const auto& [id, workflow, trigger] : std::vector<std::tuple<std::string, std::string,
                                                                    std::string>>{
         {"0001", "a", "cron"}, {"0002", "a", "manual"}, {"0003", "b", "cron"},
         {"0004", "a", "rerun"}, {"0005", "a", "cron"}}) {
    auto inst = make_instance(id, workflow, "succeeded");
    inst.trigger = trigger;
    inst.origin = "cron";
    batch.push_back(instance_put{inst});
  }
  REQUIRE(db->apply(batch));
  instance_filter cron;
  cron.trigger = "cron";
  CHECK(ids_of(*db->instances(cron)) == std::vector<std::string>{"0005", "0003", "0001"});
  cron.workflow = "a";
  CHECK(ids_of(*db->instances(cron)) == std::vector<std::string>{"0005", "0001"});
  instance_filter rerun;
  rerun.trigger = "rerun"; // the trigger, not the origin
  CHECK(ids_of(*db->instances(rerun)) == std::vector<std::string>{"0004"});
  instance_filter none;
  none.trigger = "Cron";
  CHECK(db->instances(none)->empty());
}

TEST_CASE_TEMPLATE("coordinator states: put, update, delete and list by workflow", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  CHECK(db->coordinator_states()->empty());
  auto b = make_coordinator("b_coord", 4102444800000); // needs 64 bits
  auto a = make_coordinator("a_flow", 2000);
  a.state.clear();
  REQUIRE(db->apply({coordinator_put{b}, coordinator_put{a}}));
  auto states = db->coordinator_states();
  REQUIRE(states);
  REQUIRE(states->size() == 2);
  CHECK((*states)[0].workflow == "a_flow");
  CHECK((*states)[0].state == "{}"); // none stored as an empty object
  CHECK((*states)[1].workflow == "b_coord");
  CHECK((*states)[1].next_fire == 4102444800000);
  CHECK((*states)[1].last_fire == 4102444799000);
  CHECK((*states)[1].state == b.state);
  // Update b, delete a, delete one that was never stored.
  b.next_fire = 5000;
  b.state = "{\"n\":2}";
  REQUIRE(
    db->apply({coordinator_put{b}, coordinator_delete{"a_flow"}, coordinator_delete{"nope"}}));
  states = db->coordinator_states();
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].next_fire == 5000);
  CHECK((*states)[0].state == "{\"n\":2}");
  // In one batch, the last write of a coordinator wins, whatever it is.
  REQUIRE(db->apply({coordinator_delete{"a_flow"}, coordinator_put{a}, coordinator_put{b},
                     coordinator_delete{"b_coord"}}));
  states = db->coordinator_states();
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].workflow == "a_flow");
  // A state that is not JSON fails the batch on both backends alike.
  b.state = "{not json";
  auto refused = db->apply({coordinator_put{b}});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ec::store_error);
  CHECK(refused.error().message.find("b_coord") != std::string::npos);
  CHECK(db->coordinator_states()->size() == 1);
}

TEST_CASE_TEMPLATE("a long coordinator state comes back whole", B, BACKENDS) {
  // The MySQL backend reads long columns in chunks of 16383 characters.
  B backend;
  auto db = open(backend.url);
  auto c = make_coordinator("c", 1000);
  c.state = "{\"pad\":\"";
  while (c.state.size() < 40000)
    c.state += "ä🚀x";
  c.state += "\"}";
  REQUIRE(db->apply({coordinator_put{c}}));
  CHECK((*db->coordinator_states())[0].state == c.state);
}

TEST_CASE_TEMPLATE("a fire is recorded once: a second fire of its logical time writes nothing", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto first = make_instance("0001", "w", "queued");
  first.trigger = "cron";
  auto fired = db->fire(fire_record{"w", 1000, "0001", 5},
                        {instance_put{first}, node_put{"0001", 0, make_node("a", "waiting")},
                         coordinator_put{make_coordinator("w", 2000)},
                         dependency_put{dependency_record{"w", "up", 1000, "u1", 4}}});
  REQUIRE(fired);
  CHECK(fired->fired);
  CHECK(fired->instance_id == "0001");
  CHECK((*db->instance("0001"))->nodes.size() == 1);
  // Another master (or a confused one) fires the same logical time.
  auto coordinator = make_coordinator("w", 9000);
  auto again = db->fire(fire_record{"w", 1000, "0002", 6},
                        {instance_put{make_instance("0002", "w", "queued")},
                         coordinator_put{coordinator},
                         dependency_put{dependency_record{"w", "up", 1000, "u2", 6}},
                         dependency_put{dependency_record{"w", "other", 1000, "u3", 6}}});
  REQUIRE(again);
  CHECK_FALSE(again->fired);
  CHECK(again->instance_id == "0001");
  CHECK(ids_of(*db->instances({})) == std::vector<std::string>{"0001"});
  CHECK((*db->coordinator_states())[0].next_fire == 2000);
  CHECK(describe(*db->dependency_records("w", 1000))
        == std::vector<std::string>{"w<-up@1000 u1"});
  CHECK(describe(*db->fire_records("w", 0, 5000)) == std::vector<std::string>{"w@1000 0001"});
  // A retry of the first fire (its commit happened, its answer was lost)
  // counts as fired, and writes nothing again.
  auto retry = db->fire(fire_record{"w", 1000, "0001", 7}, {coordinator_put{coordinator}});
  REQUIRE(retry);
  CHECK(retry->fired);
  CHECK(retry->instance_id == "0001");
  CHECK((*db->coordinator_states())[0].next_fire == 2000);
  CHECK((*db->fire_records("w", 1000, 1000))[0].fired_at == 5);
  // The next logical time, or the same one of another workflow, fires.
  CHECK(db->fire(fire_record{"w", 2000, "0003", 8}, {})->fired);
  CHECK(db->fire(fire_record{"v", 1000, "0004", 8}, {})->fired);
}

TEST_CASE_TEMPLATE("a fire whose writes fail records nothing", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  auto broken = make_coordinator("w", 2000);
  broken.state = "not json";
  auto fired = db->fire(fire_record{"w", 1000, "0001", 5},
                        {instance_put{make_instance("0001", "w", "queued")},
                         coordinator_put{broken}});
  REQUIRE_FALSE(fired);
  CHECK(fired.error().code == ec::store_error);
  CHECK(db->fire_records("w", 0, 5000)->empty());
  CHECK(db->instances({})->empty());
  // The logical time can still fire.
  CHECK(db->fire(fire_record{"w", 1000, "0002", 6}, {})->fired);
}

TEST_CASE_TEMPLATE("of two stores firing the same logical times at once, one fires each", B,
                   BACKENDS) {
  B backend;
  open(backend.url);
  constexpr int times = 30;
  // Each thread its own store, as every actor that uses the database; both
  // start firing together, so that most fires meet one of the other.
  std::vector<fire_outcome> outcomes[2];
  std::vector<std::string> errors[2];
  std::atomic<int> ready{0};
  auto fire_all = [&](int who) {
    auto parsed = parse_store_url(backend.url, "/");
    auto db = open_store(*parsed, 10000);
    ++ready;
    while (ready < 2)
      std::this_thread::yield();
    if (!db) {
      errors[who].push_back(db.error().message);
      return;
    }
    for (int t = 1; t <= times; ++t) {
      auto id = std::to_string(who) + "-" + std::to_string(t);
      auto fired = (*db)->fire(fire_record{"w", t * 1000, id, t},
                               {instance_put{make_instance(id, "w", "queued")}});
      if (fired)
        outcomes[who].push_back(*fired);
      else
        errors[who].push_back(fired.error().message);
    }
  };
  std::thread other([&] { fire_all(1); });
  fire_all(0);
  other.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  REQUIRE(outcomes[0].size() == times);
  REQUIRE(outcomes[1].size() == times);
  auto db = open(backend.url);
  auto fires = db->fire_records("w", 0, times * 1000);
  REQUIRE(fires->size() == times);
  for (int t = 0; t < times; ++t) {
    CAPTURE(t);
    const auto& a = outcomes[0][t];
    const auto& b = outcomes[1][t];
    CHECK(a.fired != b.fired);
    CHECK(a.instance_id == b.instance_id);
    CHECK(a.instance_id == (*fires)[t].instance_id);
  }
  // Only the instances of the fires were written.
  CHECK(db->instances({})->size() == times);
}

TEST_CASE_TEMPLATE("fire records by workflow and range of logical times", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  for (timestamp t : {3000, 1000, 2000})
    REQUIRE(db->fire(fire_record{"w", t, "w" + std::to_string(t), t + 1}, {})->fired);
  REQUIRE(db->fire(fire_record{"other", 2000, "o2000", 1}, {})->fired);
  REQUIRE(db->fire(fire_record{"w", 4102444800000, "late", 2}, {})->fired);
  CHECK(describe(*db->fire_records("w", 1500, 3000))
        == std::vector<std::string>{"w@2000 w2000", "w@3000 w3000"});
  CHECK(describe(*db->fire_records("w", 1000, 2000))
        == std::vector<std::string>{"w@1000 w1000", "w@2000 w2000"});
  CHECK(describe(*db->fire_records("w", 4102444800000, 4102444800000))
        == std::vector<std::string>{"w@4102444800000 late"});
  CHECK(db->fire_records("w", 3001, 3999)->empty());
  CHECK(db->fire_records("W", 0, 5000)->empty());
  auto one = (*db->fire_records("other", 0, 5000)).at(0);
  CHECK(one.workflow == "other");
  CHECK(one.fired_at == 1);
}

TEST_CASE_TEMPLATE("dependency records of a fire, by upstream", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  REQUIRE(db->apply({dependency_put{dependency_record{"w", "up_b", 1000, "b1", 11}},
                     dependency_put{dependency_record{"w", "up_a", 1000, "a1", 12}},
                     dependency_put{dependency_record{"w", "up_a", 2000, "a2", 13}},
                     dependency_put{dependency_record{"v", "up_a", 1000, "a1", 14}}}));
  auto deps = db->dependency_records("w", 1000);
  REQUIRE(deps);
  CHECK(describe(*deps) == std::vector<std::string>{"w<-up_a@1000 a1", "w<-up_b@1000 b1"});
  CHECK((*deps)[1].satisfied_at == 11);
  // A later instance of the upstream replaces the row.
  REQUIRE(db->apply({dependency_put{dependency_record{"w", "up_b", 1000, "b9", 19}}}));
  deps = db->dependency_records("w", 1000);
  CHECK(describe(*deps) == std::vector<std::string>{"w<-up_a@1000 a1", "w<-up_b@1000 b9"});
  CHECK((*deps)[1].satisfied_at == 19);
  CHECK(db->dependency_records("w", 3000)->empty());
}

TEST_CASE_TEMPLATE("copy_store copies coordinators, fires and dependencies, page by page", B,
                   BACKENDS) {
  B source;
  B target;
  auto from = open(source.url);
  auto to = open(target.url);
  auto inst = make_instance("0001", "w", "succeeded");
  inst.trigger = "rerun";
  inst.origin = "cron";
  auto older = make_instance("0002", "w", "succeeded");
  REQUIRE(from->apply({instance_put{inst}, instance_put{older},
                       coordinator_put{make_coordinator("w", 2000)},
                       coordinator_put{make_coordinator("c", 3000)}}));
  raw_execute(source.url, "UPDATE instance SET origin = '' WHERE id = '0002'");
  // More than a page (500) of each.
  std::vector<store_write> batch;
  for (int i = 0; i < 1200; ++i) {
    auto workflow = i % 3 == 0 ? "c" : "w";
    batch.push_back(fire_put{fire_record{workflow, i * 1000, "f" + std::to_string(i), i}});
    batch.push_back(dependency_put{
      dependency_record{workflow, i % 2 ? "up_a" : "up_b", i * 1000, "u" + std::to_string(i), i}});
  }
  REQUIRE(from->apply(batch));
  std::vector<std::string> said;
  auto copied = copy_store(*from, *to, [&](const std::string& line) { said.push_back(line); });
  REQUIRE(copied);
  CHECK(copied->instances == 2);
  CHECK(copied->coordinators == 2);
  CHECK(copied->fires == 1200);
  CHECK(copied->dependencies == 1200);
  CHECK(std::find(said.begin(), said.end(), "1200 fires") != said.end());
  CHECK(std::find(said.begin(), said.end(), "1200 dependencies") != said.end());
  CHECK((*to->instance("0001"))->origin == "cron");
  CHECK((*to->instance("0002"))->origin == "manual");
  auto states = to->coordinator_states();
  REQUIRE(states->size() == 2);
  CHECK((*states)[0].workflow == "c");
  CHECK((*states)[1].next_fire == 2000);
  CHECK((*states)[1].state == make_coordinator("w", 2000).state);
  for (const char* workflow : {"c", "w"}) {
    CAPTURE(workflow);
    CHECK(describe(*to->fire_records(workflow, 0, 2000000))
          == describe(*from->fire_records(workflow, 0, 2000000)));
  }
  CHECK(to->fire_records("w", 1000, 1000)->at(0).fired_at == 1);
  for (int i = 0; i < 1200; i += 97) {
    auto workflow = i % 3 == 0 ? "c" : "w";
    CHECK(describe(*to->dependency_records(workflow, i * 1000))
          == describe(*from->dependency_records(workflow, i * 1000)));
  }
  CHECK(to->dependency_records_after({}, 5000)->size() == 1200);
}

TEST_CASE("a fire waits for an uncommitted fire of its logical time, then fires only if that "
          "rolls back") {
  // MariaDB shows the statements that run, so this test knows the fire is
  // inserting (and waiting for the other's lock) before that ends.
  auto url = cafflow::test::fresh_mariadb_url();
  open(url);
  auto db = open_store(*parse_store_url(url, "/"), 20000);
  REQUIRE(db);
  auto waiting = [&] {
    return raw_rows(url, "SELECT COUNT(*) FROM information_schema.processlist WHERE db = "
                         "DATABASE() AND info LIKE 'INSERT INTO fire_record%'")
           == std::vector<std::string>{"1"};
  };
  for (bool commit : {true, false}) {
    CAPTURE(commit);
    timestamp t = commit ? 1000 : 2000;
    auto other = raw_session(url);
    other->begin();
    *other << "INSERT INTO fire_record (workflow, logical_time, instance_id, fired_at) "
              "VALUES ('w', ?, 'other', 1)",
      Poco::Data::Keywords::bind(static_cast<Poco::Int64>(t)), Poco::Data::Keywords::now;
    expected<fire_outcome> fired = fire_outcome{};
    std::thread firing([&] {
      fired = (*db)->fire(fire_record{"w", t, "mine", 2},
                          {instance_put{make_instance("mine", "w", "queued")}});
    });
    bool waited = cafflow::test::wait_until(waiting);
    if (commit)
      other->commit();
    else
      other->rollback();
    firing.join();
    CHECK(waited);
    REQUIRE(fired);
    CHECK(fired->fired == !commit);
    CHECK(fired->instance_id == (commit ? "other" : "mine"));
    CHECK((*db)->instances({})->size() == (commit ? 0 : 1));
  }
}

TEST_CASE("an interrupted MySQL migration runs again") {
  // DDL commits on its own in MySQL: a crash may leave a migration's
  // changes without its schema_version row.
  auto url = cafflow::test::fresh_mariadb_url();
  open(url);
  raw_execute(url, "DELETE FROM schema_version WHERE version >= 2");
  raw_execute(url, "DROP TABLE lease");
  raw_execute(url, "DROP TABLE master_nodes");
  auto db = open(url);
  CHECK(*db->schema_version() == migrations_for("mysql").back().version);
  CHECK(*db->take_epoch("m", 1, 1) == 1);
  REQUIRE(db->put_master_node(master_node_record{"m:1", "active", 1, "h", 1, 1}));
  // Version 3's column was there already: its ALTER counts as done.
  auto inst = make_instance("0001", "w", "queued");
  inst.origin = "cron";
  REQUIRE(db->apply({instance_put{inst}}));
  CHECK((*db->instance("0001"))->origin == "cron");
}

TEST_CASE("the MariaDB store survives a server restart and reports an outage") {
  // A server of its own: the others' tests must not see the outage.
  cafflow::test::mariadb_server server;
  auto url = server.create_database("outage");
  auto name = parse_store_url(url, "/")->redacted();
  auto db = open(url);
  REQUIRE(db->apply({instance_put{make_instance("0001", "w", "queued")}}));

  // The session still looks healthy after a restart; the next write finds
  // out, reconnects and goes through.
  server.stop();
  server.start();
  REQUIRE(db->apply({instance_put{make_instance("0002", "w", "queued")}}));
  CHECK((*db->instance("0002"))->status == "queued");
  // So does the next read.
  server.stop();
  server.start();
  auto list = db->instances({});
  REQUIRE(list);
  CHECK(list->size() == 2);

  // While the server is down, writes and reads fail with an error naming the
  // store (never its password).
  server.stop();
  auto failed = db->apply({instance_put{make_instance("0003", "w", "queued")}});
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ec::store_error);
  CHECK(failed.error().message.find(name) == 0);
  CHECK(failed.error().message.find("write failed") != std::string::npos);
  auto read = db->instances({});
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ec::store_error);

  // Back up: the store carries on without being reopened.
  server.start();
  REQUIRE(db->apply({instance_put{make_instance("0003", "w", "queued")}}));
  CHECK(db->instances({})->size() == 3);
  CHECK(*db->take_epoch("m", 1, 1) == 1);
}

TEST_CASE("a MySQL URL whose password holds a semicolon is refused before connecting") {
  auto url = parse_store_url("mysql://u:a%3Bb@127.0.0.1:1/db", "/");
  REQUIRE(url);
  auto db = open_store(*url, 1000);
  REQUIRE_FALSE(db);
  CHECK(db.error().code == ec::invalid_config);
  CHECK(db.error().message.find("a;b") == std::string::npos);
}

TEST_SUITE_END();

TEST_CASE("processes that open one new SQLite file at the same moment all get it") {
  // A master, a standby and the http server start together: the switch to
  // WAL takes a lock, and the others must wait for it rather than fail.
  for (int round = 0; round < 20; ++round) {
    sqlite_backend backend;
    constexpr int openers = 6;
    std::vector<std::string> errors(openers);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < openers; ++i)
      threads.emplace_back([&, i] {
        ++ready;
        while (ready < openers)
          std::this_thread::yield();
        auto parsed = parse_store_url(backend.url, "/");
        auto db = open_store(*parsed, 5000);
        if (!db)
          errors[i] = db.error().message;
        else if (i % 2 == 0) // the masters migrate, the http server does not
          if (auto migrated = (*db)->migrate(); !migrated)
            errors[i] = migrated.error().message;
      });
    for (auto& t : threads)
      t.join();
    for (const auto& e : errors)
      CHECK_MESSAGE(e.empty(), "round " << round << ": " << e);
  }
}

/// A connection frozen in the middle of a transaction that locks the lease
/// row (`lock`: "LOCK IN SHARE MODE" as a writer's fence check, "FOR UPDATE"
/// as a lease change): it never ends by itself.
std::unique_ptr<Poco::Data::Session> frozen_on_lease(const std::string& url,
                                                     const std::string& lock) {
  auto frozen = raw_session(url);
  frozen->begin();
  *frozen << "SELECT holder FROM lease WHERE name = 'master' " + lock, Poco::Data::Keywords::now;
  return frozen;
}

/// Whether the server ended `session` (its next statement fails).
bool ended(Poco::Data::Session& session) {
  try {
    session << "SELECT 1", Poco::Data::Keywords::now;
    return false;
  } catch (const Poco::Exception&) {
    return true;
  }
}

TEST_CASE("MySQL: a master frozen inside a transaction on the lease does not keep a standby out") {
  auto url = cafflow::test::fresh_mariadb_url();
  auto db = open(url);
  REQUIRE(db->acquire_lease("master-a", 1000, 3000)->holder == "master-a");
  // master-a's writer froze (SIGSTOP) right after its fence check.
  auto frozen = frozen_on_lease(url, "LOCK IN SHARE MODE");
  // The lease expired; the standby takes it anyway: the stuck connection is
  // ended, its transaction rolled back.
  auto taken = open(url)->acquire_lease("master-b", 10000, 3000);
  REQUIRE_MESSAGE(taken, taken.error().message);
  CHECK(taken->holder == "master-b");
  CHECK(taken->epoch == 2);
  CHECK(ended(*frozen));
}

TEST_CASE("MySQL: a standby frozen while taking the lease does not keep the holder from renewing") {
  auto url = cafflow::test::fresh_mariadb_url();
  auto db = open(url);
  REQUIRE(db->acquire_lease("master-a", 1000, 3000)->holder == "master-a");
  auto frozen = frozen_on_lease(url, "FOR UPDATE");
  auto renewed = db->renew_lease("master-a", 1, 2000, 3000);
  REQUIRE_MESSAGE(renewed, renewed.error().message);
  CHECK(*renewed);
  CHECK(db->read_lease()->expires_at == 5000);
  CHECK(ended(*frozen));
}

// -- the alert outbox (migration 0008, src/store/sql_alerts.cpp) ------------------

namespace {

alert_record alert_row(const std::string& key, const std::string& channel, timestamp created) {
  alert_record r;
  r.dedup_key = key + "|" + channel;
  r.channel = channel;
  r.kind = "instance_failed";
  r.severity = "critical";
  r.workflow = "orders";
  r.instance_id = "00ab";
  r.node = "load";
  r.title = "workflow orders failed — 失败";
  r.event = R"({"key":")" + key + R"(","title":"x"})";
  r.created_at = created;
  r.next_at = created;
  return r;
}

} // namespace

TEST_CASE_TEMPLATE("alert rows: written once per dedup key, due in order, delivery recorded", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch{alert_put{alert_row("e1", "oncall", 100)},
                                 alert_put{alert_row("e1", "mail:a@x.org", 100)},
                                 alert_put{alert_row("e2", "oncall", 200)}};
  REQUIRE(db->apply(batch));
  // The same events again (a failover, a restart): nothing new.
  REQUIRE(db->apply(batch));
  auto all = db->alerts(alert_filter{});
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].id > (*all)[2].id); // newest first
  CHECK((*all)[0].title == "workflow orders failed — 失败");
  auto due = db->due_alerts(150, 10);
  REQUIRE(due);
  REQUIRE(due->size() == 2); // e2 is not due before 200
  CHECK((*due)[0].id < (*due)[1].id);
  CHECK((*due)[0].event == R"({"key":"e1","title":"x"})");
  auto sent = (*due)[0];
  sent.status = "sent";
  sent.attempts = 1;
  sent.sent_at = 160;
  sent.answer = "250 OK";
  auto retry = (*due)[1];
  retry.attempts = 1;
  retry.next_at = 5000;
  retry.answer = "connection refused";
  REQUIRE(db->update_alerts({sent, retry}));
  auto later = db->due_alerts(1000, 10);
  REQUIRE(later);
  REQUIRE(later->size() == 1);
  CHECK((*later)[0].dedup_key != sent.dedup_key);
  auto one = db->alert(sent.id);
  REQUIRE(one);
  REQUIRE(*one);
  CHECK((*one)->status == "sent");
  CHECK((*one)->answer == "250 OK");
  CHECK((*one)->sent_at == 160);
  auto pending = db->alerts(alert_filter{"orders", "pending", 10});
  REQUIRE(pending);
  CHECK(pending->size() == 2);
  CHECK(db->alerts(alert_filter{"other", "", 10})->empty());
  CHECK_FALSE(*db->alert(999999));
}

TEST_CASE_TEMPLATE("a fenced store records no delivery for an old master", B, BACKENDS) {
  B backend;
  auto db = open(backend.url);
  REQUIRE(db->apply({alert_put{alert_row("e1", "oncall", 100)}}));
  auto epoch = db->take_epoch("master-a", now_ms(), 60000);
  REQUIRE(epoch);
  db->fence("master-a", *epoch);
  auto row = (*db->due_alerts(1000, 10))[0];
  row.status = "sent";
  REQUIRE(db->update_alerts({row}));
  auto other = open(backend.url);
  REQUIRE(other->take_epoch("master-b", now_ms(), 60000));
  row.answer = "late";
  auto refused = db->update_alerts({row});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ec::fenced);
}

TEST_CASE_TEMPLATE("pruning deletes old ended instances and versions beyond the newest K", B,
                   BACKENDS) {
  B backend;
  auto db = open(backend.url);
  std::vector<store_write> batch;
  // Ended at 1000, 2000, 3000; one still running that started long ago; one
  // ended after the cutoff.
  auto add = [&](const std::string& id, const std::string& status, timestamp finished,
                 int version = 1) {
    auto r = make_instance(id, "flow", status);
    r.version = version;
    r.finished = finished;
    batch.push_back(instance_put{r});
    batch.push_back(node_put{id, 0, make_node("a", status == "running" ? "running" : "succeeded")});
    batch.push_back(attempt_put{id, "a", make_attempt(1, "succeeded")});
    batch.push_back(attempt_put{id, "a", make_attempt(2, "succeeded")});
  };
  add("i1", "succeeded", 1000);
  add("i2", "failed", 2000);
  add("i3", "killed", 3000);
  add("i4", "running", 0, 2);
  add("i5", "succeeded", 9000);
  batch.push_back(dependency_put{dependency_record{"down", "flow", 77, "i1", 1500}});
  execution_record first_run;
  first_run.instance_id = "i1";
  batch.push_back(execution_put{first_run});
  batch.push_back(alert_put{alert_row("old-sent", "oncall", 1000)});
  batch.push_back(alert_put{alert_row("old-pending", "oncall", 1000)});
  batch.push_back(alert_put{alert_row("young-sent", "oncall", 8000)});
  REQUIRE(db->apply(batch));
  {
    auto due = db->due_alerts(100000, 10);
    REQUIRE(due);
    for (auto row : *due)
      if (row.event.find("old-pending") == std::string::npos) {
        row.status = "sent";
        REQUIRE(db->update_alerts({row}));
      }
  }

  SUBCASE("instances") {
    // A dry run counts and deletes nothing.
    auto counted = db->prune_instances(5000, 100, true);
    REQUIRE(counted);
    CHECK(counted->instances == 3);
    CHECK(counted->nodes == 3);
    CHECK(counted->attempts == 6);
    CHECK(counted->ids == std::vector<std::string>{"i1", "i2", "i3"});
    CHECK(db->instance("i1")->has_value());
    // Batches: the oldest first.
    auto first = db->prune_instances(5000, 2, false);
    REQUIRE(first);
    CHECK(first->ids == std::vector<std::string>{"i1", "i2"});
    CHECK_FALSE(db->instance("i1")->has_value());
    CHECK_FALSE(db->instance("i2")->has_value());
    auto rest = db->prune_instances(5000, 2, false);
    REQUIRE(rest);
    CHECK(rest->ids == std::vector<std::string>{"i3"});
    CHECK(db->prune_instances(5000, 2, false)->instances == 0);
    // Running and young ones stay; nothing of the deleted ones is left.
    CHECK(db->instance("i4")->has_value());
    CHECK(db->instance("i5")->has_value());
    for (const char* table : {"node_instance", "attempt", "dependency_state"})
      CHECK(raw_rows(backend.url, std::string("SELECT COUNT(*) FROM ") + table
                                    + " WHERE instance_id IN ('i1', 'i2', 'i3')")
            == std::vector<std::string>{"0"});
    CHECK(raw_rows(backend.url, "SELECT COUNT(*) FROM attempt")
          == std::vector<std::string>{"4"});
    CHECK(raw_rows(backend.url, "SELECT COUNT(*) FROM execution WHERE instance_id = 'i1'")
          == std::vector<std::string>{"0"});
    // Alerts: the old delivered one is gone; the pending and the young stay.
    CHECK(raw_rows(backend.url, "SELECT status, created_at FROM alert ORDER BY created_at")
          == std::vector<std::string>{"pending|1000", "sent|8000"});
  }

  SUBCASE("one instance") {
    // The ended one goes with its rows, whatever its age; alerts stay.
    auto deleted = db->delete_instance("i1");
    REQUIRE(deleted);
    CHECK(deleted->instances == 1);
    CHECK(deleted->nodes == 1);
    CHECK(deleted->attempts == 2);
    CHECK(deleted->ids == std::vector<std::string>{"i1"});
    CHECK_FALSE(db->instance("i1")->has_value());
    for (const char* table : {"node_instance", "attempt", "dependency_state", "execution"})
      CHECK(raw_rows(backend.url, std::string("SELECT COUNT(*) FROM ") + table
                                    + " WHERE instance_id = 'i1'")
            == std::vector<std::string>{"0"});
    CHECK(raw_rows(backend.url, "SELECT COUNT(*) FROM alert") == std::vector<std::string>{"3"});
    CHECK(db->instance("i5")->has_value());
    // A running one, an unknown one, a deleted one: nothing is deleted.
    CHECK(db->delete_instance("i4")->instances == 0);
    CHECK(db->instance("i4")->has_value());
    CHECK(raw_rows(backend.url, "SELECT COUNT(*) FROM attempt WHERE instance_id = 'i4'")
          == std::vector<std::string>{"2"});
    CHECK(db->delete_instance("nope")->instances == 0);
    CHECK(db->delete_instance("i1")->instances == 0);
    CHECK(db->delete_instance("i5")->instances == 1);
    CHECK(raw_rows(backend.url, "SELECT COUNT(*) FROM attempt") == std::vector<std::string>{"6"});
  }

  SUBCASE("versions") {
    workflow_record w{"flow", "/d", "desc", "me", "/x/flow.xml", "h", 1, 10, 3, "active"};
    for (int v = 1; v <= 4; ++v) {
      w.version = v;
      REQUIRE(db->apply({workflow_put{w, "<xml v='" + std::to_string(v) + "'/>"}}));
    }
    // Keep the newest 1 (version 4) and version 2, which the running i4 runs.
    auto counted = db->prune_versions(1, 100, true);
    REQUIRE(counted);
    CHECK(counted->ids == std::vector<std::string>{"flow@1", "flow@3"});
    CHECK(db->workflow_history("flow")->size() == 4);
    auto pruned = db->prune_versions(1, 1, false);
    REQUIRE(pruned);
    CHECK(pruned->versions == 1);
    REQUIRE(db->prune_versions(1, 100, false));
    auto history = db->workflow_history("flow");
    REQUIRE(history);
    std::vector<int> left;
    for (const auto& v : *history)
      left.push_back(v.version);
    CHECK(left == std::vector<int>{2, 4});
    CHECK(db->workflow_version("flow", 4)->has_value());
  }
}
