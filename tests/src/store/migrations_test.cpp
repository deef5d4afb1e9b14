#include "store/migrations.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("migrations");

TEST_CASE("statements split at semicolons outside quotes and comments") {
  auto s = split_sql("CREATE TABLE a (x TEXT); -- one; two\n"
                     "INSERT INTO a VALUES ('x;y'); /* c; d */ SELECT 1;\n  ");
  REQUIRE(s.size() == 3);
  CHECK(s[0] == "CREATE TABLE a (x TEXT)");
  CHECK(s[1] == "INSERT INTO a VALUES ('x;y')");
  CHECK(s[2] == "SELECT 1");
}

// Numbers are handed out per feature branch (backfill: 10), so a branch may
// leave a gap that another one fills before a release.
TEST_CASE("the SQLite migrations are numbered from 1 upwards, each number once") {
  auto all = migrations_for("sqlite");
  REQUIRE_FALSE(all.empty());
  CHECK(all.front().version == 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CAPTURE(all[i].name);
    if (i > 0)
      CHECK(all[i].version > all[i - 1].version);
    CHECK_FALSE(all[i].statements.empty());
  }
}

TEST_CASE("the MySQL migrations match the SQLite ones, number for number") {
  auto sqlite = migrations_for("sqlite");
  auto mysql = migrations_for("mysql");
  REQUIRE(mysql.size() == sqlite.size());
  for (std::size_t i = 0; i < mysql.size(); ++i) {
    CAPTURE(mysql[i].name);
    CHECK(mysql[i].version == sqlite[i].version);
    CHECK(mysql[i].name == sqlite[i].name);
    CHECK_FALSE(mysql[i].statements.empty());
  }
}

TEST_CASE("every MySQL migration statement can run again after an interruption") {
  // MySQL DDL is not transactional: the store re-runs an interrupted
  // migration and counts "already exists" as done, which proves a statement
  // done only for these forms (sql/mysql/0002_durable_state.sql).
  for (const auto& m : migrations_for("mysql"))
    for (const auto& statement : m.statements) {
      CAPTURE(m.name);
      CAPTURE(statement);
      bool create_table = statement.find("CREATE TABLE IF NOT EXISTS") == 0;
      bool alter = statement.find("ALTER TABLE") == 0;
      bool create_index = statement.find("CREATE INDEX") == 0;
      CHECK((create_table || alter || create_index));
      CHECK(statement.find("LONGTEXT") == std::string::npos);
      CHECK(statement.find(" JSON ") == std::string::npos);
    }
}

TEST_CASE("an unknown dialect has no migrations") { CHECK(migrations_for("oracle").empty()); }

TEST_SUITE_END();
