// The sql kind against real databases: SQLite files, the suite's MariaDB, a
// throwaway PostgreSQL, and ODBC through Debian's SQLite ODBC driver.
#include <csignal>

#include "action_harness.hpp"
#include "mariadb.hpp"
#include "postgres.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// Waits until `query` shows up running on the server, then SIGTERMs the
/// attempt's process group (as a kill or a timeout does).
std::function<void(int)> kill_when(const std::function<bool()>& running) {
  return [running](int pid) {
    REQUIRE(wait_until(running, std::chrono::seconds(30)));
    ::kill(-pid, SIGTERM);
  };
}

} // namespace

TEST_SUITE_BEGIN("sql");

TEST_CASE("sql on SQLite runs its statements in one transaction and logs each") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:data/t.db"/></db-links>)");
  auto out = r.run(R"(<sql db-link="local">
      CREATE TABLE orders (id INTEGER, note TEXT);
      -- a comment; with a semicolon
      INSERT INTO orders VALUES (1, 'a;b'), (2, '${param:day}');
      /* another; one */ UPDATE orders SET note = note || '!' WHERE id = 2;
    </sql>)",
                   {{"day", "2026-11-20"}});
  CAPTURE(out.log);
  CHECK(out.exit_code == 0);
  CHECK(sqlite_value(r.dir / "data/t.db", "SELECT group_concat(note, '|') FROM orders")
        == "a;b|2026-11-20!");
  CHECK(out.log.find("statement 2/3 (line 3): 2 rows") != std::string::npos);
  CHECK(out.log.find("committed") != std::string::npos);
  CHECK(out.result.result == R"({"rows":3,"statements":3})");
}

TEST_CASE("a syntax error in statement 3 of 5 rolls the first two back") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:t.db"/></db-links>)");
  REQUIRE(r.run(R"(<sql db-link="local">CREATE TABLE t (x INTEGER)</sql>)").exit_code == 0);
  auto out = r.run(R"(<sql db-link="local">INSERT INTO t VALUES (1);
INSERT INTO t VALUES (2);
SELEC broken FROM t;
INSERT INTO t VALUES (4);
INSERT INTO t VALUES (5)</sql>)");
  CAPTURE(out.log);
  CHECK(out.exit_code == 1);
  CHECK(out.result.error.find("statement 3 of 5 (line 3: SELEC broken FROM t) failed")
        != std::string::npos);
  CHECK(out.log.find("rolled back") != std::string::npos);
  CHECK(sqlite_value(r.dir / "t.db", "SELECT COUNT(*) FROM t") == "0");
}

TEST_CASE("an unknown db-link or a link type this build cannot use is refused at load") {
  action_runner r(R"(<db-links><link name="ora" type="ORACLE" jdbc-url="jdbc:oracle:thin:@h:1521:x"/><link name="db2" type="DB2" jdbc-url="jdbc:db2://h:50000/x"/></db-links>)");
  CHECK(r.load_errors(R"(<sql db-link="locl">SELECT 1</sql>)").find("unknown db-link 'locl'")
        != std::string::npos);
  CHECK(r.load_errors(R"(<sql db-link="db2">SELECT 1</sql>)")
          .find("db link 'db2' has type DB2, which this build cannot connect to")
        != std::string::npos);
  // ORACLE goes through ODBC: it loads, with a warning naming the driver's key.
  auto ora = r.load_errors(R"(<sql db-link="ora">SELECT 1</sql>)");
  CHECK(ora.find("error") == std::string::npos);
  CHECK(ora.find("warning: db link 'ora' (ORACLE) connects through ODBC: the worker that runs it "
                 "needs the ODBC driver named by odbc.oracle_driver in cafflow.ini")
        != std::string::npos);
}

TEST_CASE("sql on MariaDB: a wrong password and an unreachable server fail naming the link") {
  auto jdbc = fresh_mariadb_jdbc();
  auto closed = "jdbc:mysql://127.0.0.1:" + std::to_string(free_port()) + "/x";
  action_runner r("<db-links>" + link_xml("wrong", "MYSQL", jdbc, "cafflow", "Sekret-wrong-42")
                  + link_xml("gone", "MYSQL", closed, "cafflow", "cafflow") + "</db-links>");
  auto wrong = r.run(R"(<sql db-link="wrong">SELECT 1</sql>)");
  CAPTURE(wrong.log);
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.result.error.find("cannot connect to db link 'wrong'") != std::string::npos);
  CHECK(wrong.result.error.find("Access denied") != std::string::npos);
  CHECK(wrong.log.find("Sekret-wrong-42") == std::string::npos);
  CHECK(wrong.result.error.find("Sekret-wrong-42") == std::string::npos);
  auto gone = r.run(R"(<sql db-link="gone">SELECT 1</sql>)");
  CHECK(gone.exit_code == 1);
  CHECK(gone.result.error.find("cannot connect to db link 'gone'") != std::string::npos);
}

TEST_CASE("sql on MariaDB commits and rolls back and a kill cancels SELECT SLEEP(60) on the server") {
  auto jdbc = fresh_mariadb_jdbc();
  action_runner r("<db-links>" + link_xml("dw", "MYSQL", jdbc, "cafflow", "cafflow")
                  + "</db-links>");
  REQUIRE(r.run(R"(<sql db-link="dw">CREATE TABLE t (x INT, s VARCHAR(20)) ENGINE=InnoDB</sql>)")
            .exit_code
          == 0);
  auto ok = r.run(R"(<sql db-link="dw">INSERT INTO t VALUES (1, 'it''s'), (2, 'back\\slash; x');
    # a MySQL comment; here
    UPDATE t SET x = x + 10</sql>)");
  CAPTURE(ok.log);
  CHECK(ok.exit_code == 0);
  auto db = jdbc.substr(jdbc.rfind('/') + 1);
  CHECK(mariadb_query("SELECT GROUP_CONCAT(x ORDER BY x) FROM " + db + ".t") == "11,12");
  auto bad = r.run(R"(<sql db-link="dw">INSERT INTO t VALUES (3, 'c'); INSERT INTO nowhere VALUES (1)</sql>)");
  CHECK(bad.exit_code == 1);
  CHECK(bad.result.error.find("statement 2 of 2") != std::string::npos);
  CHECK(mariadb_query("SELECT COUNT(*) FROM " + db + ".t") == "2");
  // SIGTERM (kill, timeout): the statement is cancelled on the server.
  auto running = [] {
    return mariadb_query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = "
                         "'SELECT SLEEP(60)'")
           == "1";
  };
  auto killed = r.run(R"(<sql db-link="dw">SELECT SLEEP(60)</sql>)", {}, kill_when(running));
  CAPTURE(killed.log);
  CHECK(killed.exit_code == 143);
  CHECK(killed.result.error.find("cancelled") != std::string::npos);
  CHECK(wait_until([&] { return !running(); }, std::chrono::seconds(20)));
}

TEST_CASE("sql on PostgreSQL: dollar quoting and rollback and a wrong password and pg_sleep cancelled") {
  auto& pg = shared_postgres();
  auto jdbc = pg.create_database("sqltest", "pw-Secret-9");
  action_runner r("<db-links>" + link_xml("pg", "POSTGRESQL", jdbc, "sqltest", "pw-Secret-9")
                  + link_xml("pgwrong", "POSTGRESQL", jdbc, "sqltest", "not-the-pw")
                  + "</db-links>");
  auto ok = r.run(R"(<sql db-link="pg">
    CREATE TABLE t (x INT, s TEXT);
    CREATE FUNCTION add_one(i INT) RETURNS INT AS $body$ SELECT i + 1; $body$ LANGUAGE sql;
    INSERT INTO t VALUES (add_one(1), $$semi; colon$$);
  </sql>)");
  CAPTURE(ok.log);
  CHECK(ok.exit_code == 0);
  CHECK(trim(pg.query("SELECT x || ':' || s FROM t", "sqltest")) == "2:semi; colon");
  auto bad = r.run(R"(<sql db-link="pg">INSERT INTO t VALUES (5, 'x'); SELECT * FROM nowhere</sql>)");
  CHECK(bad.exit_code == 1);
  CHECK(trim(pg.query("SELECT count(*) FROM t", "sqltest")) == "1");
  auto wrong = r.run(R"(<sql db-link="pgwrong">SELECT 1</sql>)");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.result.error.find("cannot connect to db link 'pgwrong'") != std::string::npos);
  CHECK(wrong.result.error.find("not-the-pw") == std::string::npos);
  auto running = [&] {
    return trim(pg.query("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                         "query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()"))
           == "1";
  };
  auto killed = r.run(R"(<sql db-link="pg">SELECT 1 FROM pg_sleep(60)</sql>)", {},
                      kill_when(running));
  CAPTURE(killed.log);
  CHECK(killed.exit_code == 143);
  CHECK(wait_until([&] { return !running(); }, std::chrono::seconds(20)));
}

TEST_CASE("sql through ODBC (Debian's SQLite ODBC driver)") {
  action_runner r;
  write_file(r.site.db_links, "<db-links>" + link_xml("odbc", "ODBC", "jdbc:odbc:Driver=SQLite3;Database=" + (r.dir / "o.db")) + "</db-links>");
  auto out = r.run(R"(<sql db-link="odbc">CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7), (8)</sql>)");
  CAPTURE(out.log);
  CHECK(out.exit_code == 0);
  CHECK(sqlite_value(r.dir / "o.db", "SELECT SUM(x) FROM t") == "15");
}

TEST_SUITE_END();
