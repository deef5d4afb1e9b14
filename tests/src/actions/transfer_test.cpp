// transfer: FILE->DB, DB->FILE, DB->DB on SQLite, MariaDB and PostgreSQL;
// bad input; and a 1 000 000-row transfer in bounded memory.
#include "action_harness.hpp"
#include "mariadb.hpp"
#include "postgres.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

const char* sample_csv = "id,name,amount\n"
                         "1,\"Müller, Anna\",10.5\n"
                         "2,\"say \"\"hi\"\"\",\n"
                         "3,plain,7\n";

} // namespace

TEST_SUITE_BEGIN("transfer");

TEST_CASE("CSV file -> new SQLite table -> CSV file with header and RFC 4180 quoting") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:t.db"/></db-links>)");
  write_file(r.dir / "in/orders.csv", sample_csv);
  auto load = r.run(R"(<transfer>
      <source type="FILE" delimited="," header="true">in/orders.csv</source>
      <target type="DB" db-link="local" table="orders"/>
    </transfer>)");
  CAPTURE(load.log);
  REQUIRE(load.exit_code == 0);
  CHECK(load.log.find("creating CREATE TABLE orders (\"id\" TEXT, \"name\" TEXT, \"amount\" TEXT)")
        != std::string::npos);
  CHECK(load.result.result.find("\"rows\":3") != std::string::npos);
  CHECK(sqlite_value(r.dir / "t.db", "SELECT name FROM orders WHERE id = '2'") == "say \"hi\"");
  CHECK(sqlite_value(r.dir / "t.db", "SELECT COUNT(*) FROM orders WHERE amount IS NULL") == "1");
  auto dump = r.run(R"(<transfer>
      <source type="DB" db-link="local">SELECT id, name, amount FROM orders ORDER BY id</source>
      <target type="FILE" path="out/${param:day}.csv" delimited="," header="true"/>
    </transfer>)",
                    {{"day", "2026-09-21"}});
  CAPTURE(dump.log);
  REQUIRE(dump.exit_code == 0);
  CHECK(read_file(r.dir / "out/2026-09-21.csv") == sample_csv);
  // Loading again with is-pre-truncate replaces the rows; <pre>/<after> run in the load.
  auto again = r.run(R"(<transfer>
      <source type="FILE" delimited="," header="true">in/orders.csv</source>
      <target type="DB" db-link="local" table="orders" is-pre-truncate="true">
        <pre>CREATE TABLE IF NOT EXISTS loads (n INTEGER)</pre>
        <after>INSERT INTO loads SELECT COUNT(*) FROM orders</after>
      </target>
    </transfer>)");
  CAPTURE(again.log);
  CHECK(again.exit_code == 0);
  CHECK(again.log.find("emptying orders: DELETE FROM orders\n") != std::string::npos);
  CHECK(sqlite_value(r.dir / "t.db", "SELECT COUNT(*) FROM orders") == "3");
  CHECK(sqlite_value(r.dir / "t.db", "SELECT n FROM loads") == "3");
}

TEST_CASE("a ragged CSV row names the file and line and a missing file names the file") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:t.db"/></db-links>)");
  write_file(r.dir / "bad.csv", "a,b\n1,2\n3\n4,5\n");
  auto bad = r.run(R"(<transfer><source type="FILE" delimited=",">bad.csv</source>
      <target type="DB" db-link="local" table="t"/></transfer>)");
  CHECK(bad.exit_code == 1);
  CHECK(bad.result.error == r.dir / "bad.csv" + ":3: the row has 1 fields, the first row has 2");
  CHECK(bad.log.find("nothing of it is kept") != std::string::npos);
  CHECK(sqlite_value(r.dir / "t.db", "SELECT COUNT(*) FROM sqlite_master WHERE name = 't'") == "0");
  auto missing = r.run(R"(<transfer><source type="FILE">nowhere.csv</source>
      <target type="DB" db-link="local" table="t"/></transfer>)");
  CHECK(missing.exit_code == 1);
  CHECK(missing.result.error.find("cannot read the source file " + r.dir / "nowhere.csv")
        != std::string::npos);
}

TEST_CASE("DB -> DB: a SQLite table into MariaDB and a CSV into PostgreSQL") {
  auto maria = fresh_mariadb_jdbc();
  auto& pg = shared_postgres();
  auto pg_url = pg.create_database("transfertest", "tpw");
  action_runner r("<db-links>" + link_xml("local", "SQLITE", "jdbc:sqlite:s.db")
                  + link_xml("dw", "MYSQL", maria, "cafflow", "cafflow")
                  + link_xml("pg", "POSTGRESQL", pg_url, "transfertest", "tpw") + "</db-links>");
  REQUIRE(r.run(R"(<sql db-link="local">CREATE TABLE src (id INTEGER, name TEXT, price REAL);
      INSERT INTO src VALUES (1, 'a''b', 1.5), (2, NULL, 2.25), (3, 'back\slash', 3)</sql>)")
            .exit_code
          == 0);
  auto out = r.run(R"(<transfer><source type="DB" db-link="local">src</source>
      <target type="DB" db-link="dw" table="dst"/></transfer>)");
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  auto db = maria.substr(maria.rfind('/') + 1);
  CHECK(mariadb_query("SELECT CONCAT_WS('|', id, IFNULL(name, 'NULL'), price) FROM " + db
                      + ".dst ORDER BY id")
        == "1|a'b|1.5\n2|NULL|2.25\n3|back\\\\slash|3");
  CHECK(mariadb_query("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '"
                      + db + "' AND TABLE_NAME = 'dst' ORDER BY ORDINAL_POSITION")
        == "bigint\ntext\ndouble");
  write_file(r.dir / "in.tsv", "1\tx\n2\ty\n");
  auto tsv = r.run(R"(<transfer><source type="FILE">in.tsv</source>
      <target type="DB" db-link="pg" table="loaded"/></transfer>)");
  CAPTURE(tsv.log);
  REQUIRE(tsv.exit_code == 0);
  CHECK(trim(pg.query("SELECT string_agg(c1 || c2, ',' ORDER BY c1) FROM loaded", "transfertest"))
        == "1x,2y");
  auto back = r.run(R"(<transfer><source type="DB" db-link="pg">SELECT c1, c2 FROM loaded ORDER BY c1</source>
      <target type="FILE" path="pg.csv" delimited=";"/></transfer>)");
  CAPTURE(back.log);
  CHECK(back.exit_code == 0);
  CHECK(read_file(r.dir / "pg.csv") == "1;x\n2;y\n");
}

TEST_CASE("1 000 000 rows from MariaDB to a CSV file in bounded memory") {
  auto maria = fresh_mariadb_jdbc();
  auto db = maria.substr(maria.rfind('/') + 1);
  mariadb_query("CREATE TABLE " + db + ".big (id BIGINT PRIMARY KEY, name VARCHAR(40), amount "
                "DOUBLE) ENGINE=InnoDB");
  mariadb_query("INSERT INTO " + db + ".big SELECT seq, CONCAT('customer ', seq), seq / 100 "
                "FROM " + db + ".seq_1_to_1000000");
  action_runner r("<db-links>" + link_xml("dw", "MYSQL", maria, "cafflow", "cafflow")
                  + "</db-links>");
  auto out = r.run(R"(<transfer><source type="DB" db-link="dw">big</source>
      <target type="FILE" path="big.csv" delimited=","/></transfer>)");
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  CHECK(out.result.result.find("\"rows\":1000000") != std::string::npos);
  auto lines = run_command({"wc", "-l", r.dir / "big.csv"});
  CHECK(lines.output.substr(0, lines.output.find(' ')) == "1000000");
  MESSAGE("peak RSS of cafflow-exec: " << out.max_rss_kb / 1024 << " MB");
  CHECK(out.max_rss_kb < 100 * 1024);
}

TEST_SUITE_END();
