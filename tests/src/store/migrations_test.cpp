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

TEST_CASE("the SQLite migrations are numbered 1, 2, ... without gaps") {
  auto all = migrations_for("sqlite");
  REQUIRE_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CAPTURE(all[i].name);
    CHECK(all[i].version == static_cast<int>(i) + 1);
    CHECK_FALSE(all[i].statements.empty());
  }
}

TEST_CASE("an unknown dialect has no migrations") { CHECK(migrations_for("oracle").empty()); }

TEST_SUITE_END();
