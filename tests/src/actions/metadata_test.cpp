// metadata: table and column comments on MariaDB and PostgreSQL, copied from
// another table, and the record kept with the attempt.
#include <nlohmann/json.hpp>

#include "action_harness.hpp"
#include "mariadb.hpp"
#include "postgres.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

TEST_SUITE_BEGIN("metadata");

TEST_CASE("metadata on MariaDB keeps each column's definition and sets the comments") {
  auto jdbc = fresh_mariadb_jdbc();
  auto db = jdbc.substr(jdbc.rfind('/') + 1);
  action_runner r("<db-links>" + link_xml("dw", "MYSQL", jdbc, "cafflow", "cafflow") + "</db-links>");
  mariadb_query("CREATE TABLE " + db + ".orders (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                "day DATE NOT NULL DEFAULT '2026-01-01', note VARCHAR(20) DEFAULT 'n/a')");
  mariadb_query("CREATE TABLE " + db + ".orders_old (id INT, note VARCHAR(20) COMMENT 'old note') "
                "COMMENT 'the old orders'");
  auto out = r.run(R"(<metadata table="orders" db-link="dw" from="orders_old">
      <table-comment>orders of ${param:day}</table-comment>
      <column-comment name="day">the business day</column-comment>
    </metadata>)",
                   {{"day", "2026-11-20"}});
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  CHECK(mariadb_query("SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"
                      + db + "' AND TABLE_NAME = 'orders'")
        == "orders of 2026-11-20");
  CHECK(mariadb_query("SELECT CONCAT_WS('|', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, "
                      "IFNULL(COLUMN_DEFAULT, '-'), EXTRA, COLUMN_COMMENT) FROM "
                      "information_schema.COLUMNS WHERE TABLE_SCHEMA = '"
                      + db + "' AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION")
        == "id|int(11)|NO|-|auto_increment|\n"
           "day|date|NO|'2026-01-01'||the business day\n"
           "note|varchar(20)|YES|'n/a'||old note");
  // The record, as the API shows it with the attempt.
  auto record = nlohmann::json::parse(out.result.result);
  CHECK(record["table_comment"] == "orders of 2026-11-20");
  CHECK(record["columns"][1]["comment"] == "the business day");
  CHECK(record["columns"][1]["type"] == "date");
  auto missing = r.run(R"(<metadata table="orders" db-link="dw"><column-comment name="nope">x</column-comment></metadata>)");
  CHECK(missing.exit_code == 1);
  CHECK(missing.result.error == "column 'nope' is not in table orders");
}

TEST_CASE("metadata on PostgreSQL and a SQLite link refused at load") {
  auto& pg = shared_postgres();
  auto jdbc = pg.create_database("metatest", "mpw");
  action_runner r("<db-links>" + link_xml("pg", "POSTGRESQL", jdbc, "metatest", "mpw")
                  + link_xml("local", "SQLITE", "jdbc:sqlite:x.db") + "</db-links>");
  REQUIRE(r.run(R"(<sql db-link="pg">CREATE TABLE orders (id INT, day DATE)</sql>)").exit_code == 0);
  auto out = r.run(R"(<metadata table="orders" db-link="pg">
      <table-comment>all orders</table-comment>
      <column-comment name="id">order number</column-comment>
    </metadata>)");
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  CHECK(trim(pg.query("SELECT obj_description('orders'::regclass, 'pg_class') || '|' || "
                      "col_description('orders'::regclass, 1)",
                      "metatest"))
        == "all orders|order number");
  CHECK(r.load_errors(R"(<metadata table="t" db-link="local"><table-comment>x</table-comment></metadata>)")
          .find("<metadata> needs a db link of type MYSQL or POSTGRESQL or ORACLE or HIVE; 'local' "
                "is SQLITE")
        != std::string::npos);
}

TEST_CASE("metadata on Oracle and Hive links loads and fails at run time naming the missing driver") {
  // akkaflow set comments on Oracle and Hive too. No Oracle or Hive ODBC
  // driver is in Debian: the run shows the attempt an operator sees on a
  // worker without one (the statements are in metadata_sql_test.cpp).
  action_runner r(R"(<db-links><link name="ora" type="ORACLE" jdbc-url="jdbc:oracle:thin:@db1:1521:ORCL" username="etl" password="p"/><link name="hv" type="HIVE" jdbc-url="jdbc:hive2://hs2:10000/dw" username="hive" password="p"/></db-links>)");
  r.site.odbc_oracle_driver = "Oracle 21 ODBC driver";
  r.site.odbc_hive_driver = "Cloudera ODBC Driver for Apache Hive 64-bit";
  for (const auto& [link, key] : {std::pair{"ora", "[odbc] oracle_driver"}, std::pair{"hv", "[odbc] hive_driver"}}) {
    auto body = std::string(R"(<metadata table="test.cc" db-link=")") + link
                + R"(" from="test.bbb"><column-comment name="other">x</column-comment><table-comment>t</table-comment></metadata>)";
    auto loaded = r.load_errors(body);
    CAPTURE(loaded);
    CHECK(loaded.find("error") == std::string::npos);
    auto out = r.run(body);
    CAPTURE(out.log);
    CHECK(out.exit_code == 1);
    CHECK(out.result.error.find("is not installed on this worker") != std::string::npos);
    CHECK(out.result.error.find(key) != std::string::npos);
  }
}

TEST_SUITE_END();
