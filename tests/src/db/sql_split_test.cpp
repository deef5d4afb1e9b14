#include "db/sql_split.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("sql_split");

namespace {

std::vector<std::string> texts(const std::string& sql, sql_dialect d) {
  std::vector<std::string> out;
  for (const auto& s : split_statements(sql, d))
    out.push_back(s.text);
  return out;
}

} // namespace

TEST_CASE("semicolons in quotes or identifiers or comments do not split") {
  auto s = texts("INSERT INTO t VALUES ('a;b', \"c;d\"); -- x; y\n/* p; q */ SELECT 1;;", sql_dialect::generic);
  REQUIRE(s.size() == 2);
  CHECK(s[0] == "INSERT INTO t VALUES ('a;b', \"c;d\")");
  CHECK(s[1] == "-- x; y\n/* p; q */ SELECT 1");
}

TEST_CASE("doubled quotes stay inside the string") {
  auto s = texts("SELECT 'it''s; fine'; SELECT 2", sql_dialect::sqlite);
  REQUIRE(s.size() == 2);
  CHECK(s[0] == "SELECT 'it''s; fine'");
}

TEST_CASE("MySQL: backslash escapes and backquotes and # comments") {
  auto s = texts("INSERT INTO `a;b` VALUES ('x\\';y'); # c; d\nSELECT 1", sql_dialect::mysql);
  REQUIRE(s.size() == 2);
  CHECK(s[0] == "INSERT INTO `a;b` VALUES ('x\\';y')");
  CHECK(s[1] == "# c; d\nSELECT 1");
  // Elsewhere a backslash is an ordinary character.
  CHECK(texts("SELECT 'a\\'; SELECT 2", sql_dialect::postgresql).size() == 2);
}

TEST_CASE("PostgreSQL: dollar quoting and nested comments and $1 parameters") {
  auto s = texts("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
                 "DO $body$ BEGIN PERFORM 1; END $body$;\n"
                 "/* outer /* inner; */ still; */ SELECT $1;",
                 sql_dialect::postgresql);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql");
  CHECK(s[1] == "DO $body$ BEGIN PERFORM 1; END $body$");
  CHECK(s[2] == "/* outer /* inner; */ still; */ SELECT $1");
}

TEST_CASE("each statement knows its line and comment-only pieces are dropped") {
  auto s = split_statements("\n-- only a comment;\nSELECT 1;\n\n  SELECT\n2; /* tail */", sql_dialect::generic);
  REQUIRE(s.size() == 2);
  CHECK(s[0].line == 3);
  CHECK(s[1].line == 5);
  auto stripped = split_statements("SELECT 1 -- one\n; /* x */ SELECT 2", sql_dialect::generic, true);
  REQUIRE(stripped.size() == 2);
  CHECK(stripped[0].text == "SELECT 1");
  CHECK(stripped[1].text == "SELECT 2");
}

TEST_SUITE_END();
