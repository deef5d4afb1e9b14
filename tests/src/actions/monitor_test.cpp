// file-monitor and data-monitor, run by cafflow-exec as a worker runs them.
#include <filesystem>

#include "action_harness.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

TEST_SUITE_BEGIN("monitors");

TEST_CASE("file-monitor counts and sizes the files of a pattern with time expressions") {
  action_runner r;
  write_file(r.dir / "in/orders_2026-09-21_a.csv", std::string(2048, 'x'));
  write_file(r.dir / "in/orders_2026-09-21_b.csv", std::string(1500, 'y'));
  write_file(r.dir / "in/orders_2026-09-20_a.csv", "old");
  auto ok = r.run(R"(<file-monitor recheck-interval="0">
      <file min-num="2" min-each-size="1KB">in/orders_${time.today|yyyy-MM-dd}_*.csv</file>
    </file-monitor>)");
  CAPTURE(ok.log);
  CHECK(ok.exit_code == 0);
  CHECK(ok.log.find("matched " + (r.dir / "in/orders_2026-09-21_a.csv") + " (2048 bytes)")
        != std::string::npos);
  CHECK(ok.log.find("2026-09-20") == std::string::npos);
  CHECK(ok.result.result.find("\"files\":2") != std::string::npos);
  auto few = r.run(R"(<file-monitor recheck-interval="0"><file min-num="3">in/orders_*.csv</file>
      <warn-msg>the orders are late</warn-msg></file-monitor>)");
  CHECK(few.exit_code == 0); // three files match in all
  auto small = r.run(R"(<file-monitor recheck-interval="0"><file min-each-size="1KB">in/orders_*.csv</file>
      <warn-msg>the orders are late</warn-msg></file-monitor>)");
  CHECK(small.exit_code == 1);
  CHECK(small.result.error == r.dir / "in/orders_2026-09-20_a.csv"
                                + " has 3 bytes, min-each-size is 1024: the orders are late");
  auto none = r.run(R"(<file-monitor recheck-interval="0"><file>in/nothing_*.csv</file></file-monitor>)");
  CHECK(none.exit_code == 1);
  CHECK(none.result.error.find("0 files match") != std::string::npos);
}

TEST_CASE("file-monitor with a recheck fails while the files still change") {
  action_runner r;
  write_file(r.dir / "grow.csv", "1\n");
  // The file grows while the monitor waits: it must notice.
  auto out = r.run(R"(<file-monitor recheck-interval="1"><file>grow.csv</file></file-monitor>)", {},
                   [&](int) {
                     REQUIRE(wait_until([&] {
                       return read_file(r.dir / "logs/i1/a.1.log").find("checking again")
                              != std::string::npos;
                     }));
                     write_file(r.dir / "grow.csv", "1\n2\n");
                   });
  CHECK(out.exit_code == 1);
  CHECK(out.result.error.find("changed within the recheck-interval") != std::string::npos);
}

TEST_CASE("data-monitor checks a query's value against bounds and keeps it") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:m.db"/></db-links>)");
  REQUIRE(r.run(R"(<sql db-link="local">CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)</sql>)")
            .exit_code
          == 0);
  auto ok = r.run(R"(<data-monitor recheck-interval="0">
      <source type="SQL" db-link="local">SELECT COUNT(*) FROM t</source>
      <min>${param:low}</min><max type="COMMAND">echo 10</max>
    </data-monitor>)",
                  {{"low", "2"}});
  CAPTURE(ok.log);
  CHECK(ok.exit_code == 0);
  CHECK(ok.result.result == R"({"max":10.0,"min":2.0,"value":3.0})");
  auto low = r.run(R"(<data-monitor recheck-interval="0">
      <source type="SQL" db-link="local">SELECT COUNT(*) FROM t</source>
      <min-threshold>5</min-threshold><warn-msg>too few rows</warn-msg>
    </data-monitor>)");
  CHECK(low.exit_code == 1);
  CHECK(low.result.error == "value 3 is below the minimum 5: too few rows");
  CHECK(low.result.result.find("\"value\":3.0") != std::string::npos);
  auto bad = r.run(R"(<data-monitor recheck-interval="0"><source type="COMMAND">echo many</source>
      <max>1</max></data-monitor>)");
  CHECK(bad.exit_code == 1);
  CHECK(bad.result.error == "source (command) gave 'many', which is not a number");
  auto sqlbad = r.run(R"(<data-monitor recheck-interval="0"><source type="SQL" db-link="local">SELECT nope FROM t</source><max>1</max></data-monitor>)");
  CHECK(sqlbad.exit_code == 1);
  CHECK(sqlbad.result.error.find("source: the query failed") != std::string::npos);
}

TEST_CASE("data-monitor bounds with a jdbc-url are read on the source's connection") {
  action_runner r;
  REQUIRE(r.run(R"(<sql jdbc-url="jdbc:sqlite:m.db">CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)</sql>)")
            .exit_code
          == 0);
  // akkaflow read every bound on the source's connection: here m.db, not
  // the other.db written on the bound.
  auto out = r.run(R"(<data-monitor recheck-interval="0">
      <source type="SQL" jdbc-url="jdbc:sqlite:m.db">SELECT COUNT(*) FROM t</source>
      <min type="SQL" jdbc-url="jdbc:sqlite:other.db">SELECT MIN(x) FROM t</min>
      <max type="SQL" jdbc-url="jdbc:sqlite:other.db">SELECT SUM(x) FROM t</max>
    </data-monitor>)");
  CAPTURE(out.log);
  CHECK(out.exit_code == 0);
  CHECK(out.result.result == R"({"max":6.0,"min":1.0,"value":3.0})");
  CHECK_FALSE(std::filesystem::exists(r.dir / "other.db"));
}

TEST_CASE("data-monitor keeps akkaflow's labels with the value in the result") {
  action_runner r;
  auto out = r.run(R"(<data-monitor recheck-interval="0" category="orders" name="rows" source-name="db1" time-mark="${param:day}">
      <source type="NUM">3</source><max>5</max></data-monitor>)",
                   {{"day", "2026-09-21"}});
  CAPTURE(out.log);
  CHECK(out.exit_code == 0);
  CHECK(out.result.result
        == R"({"category":"orders","max":5.0,"name":"rows","source_name":"db1","time_mark":"2026-09-21","value":3.0})");
}

TEST_CASE("data-monitor commands: the number on stdout and stderr in the task log") {
  action_runner r;
  auto noisy = r.run(R"(<data-monitor recheck-interval="0">
      <source type="COMMAND">echo 'a warning' >&2; echo 7</source><max>10</max></data-monitor>)");
  CAPTURE(noisy.log);
  CHECK(noisy.exit_code == 0);
  CHECK(noisy.result.result == R"({"max":10.0,"value":7.0})");
  CHECK(noisy.log.find("a warning\n") != std::string::npos);
  auto failing = r.run(R"(<data-monitor recheck-interval="0">
      <source type="COMMAND">echo 5; exit 3</source><max>10</max></data-monitor>)");
  CHECK(failing.exit_code == 1);
  CHECK(failing.result.error == "source: the command failed (exit code 3): echo 5; exit 3");
}

TEST_CASE("data-monitor with a recheck fails when the value changes") {
  action_runner r;
  write_file(r.dir / "n", "0");
  // Each reading counts up: the second differs from the first.
  auto n = r.dir / "n";
  auto out = r.run(R"(<data-monitor recheck-interval="1">
      <source type="COMMAND">n=$(cat )" + n + "); echo $((n+1)) > " + n
                     + R"(; echo $((n+1))</source><max>100</max>
    </data-monitor>)");
  CAPTURE(out.log);
  CHECK(out.exit_code == 1);
  CHECK(out.result.error == "value changed from 1 to 2 within the recheck-interval of 1 s");
}

TEST_SUITE_END();
