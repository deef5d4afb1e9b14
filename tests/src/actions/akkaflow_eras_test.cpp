// Action bodies of older akkaflow releases, run as a worker runs them:
// <script><content> (<= 2.5.3), <file-watcher> (<= 2.8.1), connections
// written into the action (2.5.3 ... 2.8.2), type="LFS" files, a FILE
// target's <pre>/<after> and <transfer><script>TEXT (2.9+), the word with a
// '/' of a file-executor's command, data-monitor's is-exceed-error.
#include <filesystem>

#include "action_harness.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// The text of every .eml written under the runner's mail folder.
std::string mails(action_runner& r) {
  std::string all;
  std::error_code err;
  for (const auto& entry : std::filesystem::directory_iterator(r.dir / "mail", err))
    all += read_file(entry.path().string()) + "\n";
  return all;
}

} // namespace

TEST_SUITE_BEGIN("akkaflow_eras");

TEST_CASE("script content runs trimmed and with perl when its first line names perl") {
  action_runner r;
  auto shell = r.run(R"(<script><location>/nonexistent/akkaflow/x.sh</location><content>
        echo "day ${param:day}"

            echo indented
    </content></script>)",
                     {{"day", "2026-09-21"}});
  CAPTURE(shell.log);
  CHECK(shell.exit_code == 0);
  CHECK(shell.log.find("day 2026-09-21") != std::string::npos);
  CHECK(shell.log.find("indented") != std::string::npos);
  auto perl = r.run(R"(<script><content><![CDATA[
        # a perl step
        my $sum = 40 + 2; print "perl says $sum\n";
    ]]></content></script>)");
  CAPTURE(perl.log);
  CHECK(perl.exit_code == 0);
  CHECK(perl.log.find("perl says 42") != std::string::npos);
  auto failing = r.run("<script><content>exit 3</content></script>");
  CHECK(failing.exit_code == 3);
}

TEST_CASE("file-executor runs the word with a slash through the command's interpreter") {
  action_runner r;
  // Not executable: akkaflow ran it with the command's sh, and so does cafflow.
  write_file(r.dir / "bin/job.sh", "echo \"job $1 $2 from $0\"\n");
  auto via_sh = r.run(R"(<file-executor><command>sh bin/job.sh ${param:day} full</command></file-executor>)",
                      {{"day", "2026-09-21"}});
  CAPTURE(via_sh.log);
  CHECK(via_sh.exit_code == 0);
  CHECK(via_sh.log.find("job 2026-09-21 full from ./job.sh") != std::string::npos);
  // The first word when it has the '/' (cafflow's reading, and akkaflow's).
  write_file(r.dir / "bin/run.sh", "#!/bin/sh\necho \"run $1\"\n");
  std::filesystem::permissions(r.dir / "bin/run.sh", std::filesystem::perms::owner_all);
  auto direct = r.run(R"(<file-executor><command>bin/run.sh one</command></file-executor>)");
  CAPTURE(direct.log);
  CHECK(direct.exit_code == 0);
  CHECK(direct.log.find("run one") != std::string::npos);
  // Two paths, the first word none: akkaflow could not tell which to run.
  auto ambiguous = r.load_errors(
    R"(<file-executor><command>sh bin/job.sh /data/in</command></file-executor>)");
  CHECK(ambiguous.find("error: <command>: the command names no script") != std::string::npos);
  CHECK(ambiguous.find("bin/job.sh, /data/in") != std::string::npos);
}

TEST_CASE("file-watcher counts a directory's names as akkaflow did and mails small files") {
  action_runner r;
  r.workflow_attrs = "mail-receivers=\"ops@example.com\"";
  write_file(r.dir / "in/orders_1.csv", std::string(3000, 'x'));
  write_file(r.dir / "in/orders_2.csv", "tiny");
  write_file(r.dir / "in/orders_3.csvx", std::string(3000, 'x')); // not the whole name
  write_file(r.dir / "in/ordersX1.csv", std::string(3000, 'x'));  // no '_'
  auto watch = [&](const std::string& threshold, const std::string& enable) {
    return r.run("<file-watcher><file dir=\"in\" num-threshold=\"" + threshold
                 + "\">orders_*.csv</file><size-warn-message enable=\"" + enable
                 + "\" size-threshold=\"2KB\">orders look small</size-warn-message></file-watcher>");
  };
  auto warned = watch("2", "true");
  CAPTURE(warned.log);
  CHECK(warned.exit_code == 0);
  CHECK(warned.result.result.find("\"files\":2") != std::string::npos);
  CHECK(warned.log.find("WARN " + (r.dir / "in/orders_2.csv") + " has 4 bytes") != std::string::npos);
  auto mail = mails(r);
  CHECK(mail.find("To: <ops@example.com>") != std::string::npos);
  CHECK(mail.find("orders look small") != std::string::npos);
  CHECK(mail.find("orders_2.csv has 4 bytes") != std::string::npos);
  std::filesystem::remove_all(r.dir / "mail");
  auto quiet = watch("2", "false");
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.log.find("WARN") == std::string::npos);
  CHECK(mails(r).empty());
  auto too_few = watch("3", "true");
  CHECK(too_few.exit_code == 1);
  CHECK(too_few.result.error.find("2 files match") != std::string::npos);
  auto no_dir = r.run(R"(<file-watcher><file dir="missing">a*</file></file-watcher>)");
  CHECK(no_dir.exit_code == 1);
  CHECK(no_dir.result.error.find("the directory " + (r.dir / "missing") + " does not exist")
        != std::string::npos);
}

TEST_CASE("inline jdbc sql and transfers and LFS files that are appended to") {
  action_runner r;
  auto sql = r.run(R"(<sql jdbc-url="jdbc:sqlite:inline.db" username="" password="">
      CREATE TABLE items (id INTEGER, name TEXT);
      INSERT INTO items VALUES (1, 'a'), (2, 'b');
    </sql>)");
  CAPTURE(sql.log);
  REQUIRE(sql.exit_code == 0);
  CHECK(sql.log.find("connected to jdbc:sqlite:inline.db (SQLITE, written in the action)")
        != std::string::npos);
  CHECK(sqlite_value(r.dir / "inline.db", "SELECT COUNT(*) FROM items") == "2");
  // akkaflow 2.8's LFS target appends unless is-pre-del="true".
  auto dump = [&](const std::string& target_attrs) {
    return r.run(R"(<transfer><source type="DB" jdbc-url="jdbc:sqlite:inline.db">SELECT id, name FROM items ORDER BY id</source>
        <target type="LFS" path="out/items.txt" delimited="|" )" + target_attrs + "/></transfer>");
  };
  auto first = dump("");
  CAPTURE(first.log);
  REQUIRE(first.exit_code == 0);
  CHECK(read_file(r.dir / "out/items.txt") == "1|a\n2|b\n");
  CHECK(dump("").exit_code == 0);
  CHECK(read_file(r.dir / "out/items.txt") == "1|a\n2|b\n1|a\n2|b\n");
  CHECK(dump("is-pre-del=\"true\"").exit_code == 0);
  CHECK(read_file(r.dir / "out/items.txt") == "1|a\n2|b\n");
  // An LFS source names its file with 'path'; <pre-sql> runs in the load.
  auto load = r.run(R"(<transfer><source type="LFS" path="out/items.txt" delimited="|"/>
      <target type="DB" jdbc-url="jdbc:sqlite:inline.db" table="copy">
        <pre-sql>CREATE TABLE copy (c1 TEXT, c2 TEXT); INSERT INTO copy VALUES ('0', 'pre')</pre-sql>
      </target></transfer>)");
  CAPTURE(load.log);
  CHECK(load.exit_code == 0);
  CHECK(sqlite_value(r.dir / "inline.db", "SELECT group_concat(c2, ',') FROM copy") == "pre,a,b");
  // What this build cannot connect to is refused where it is written.
  auto oracle = r.load_errors(
    R"(<sql type="ORACLE" jdbc-url="jdbc:oracle:thin:@db:1521:orcl" username="u" password="p">select 1 from dual</sql>)");
  CAPTURE(oracle);
  CHECK(oracle.find("t.xml:2:") != std::string::npos);
  CHECK(oracle.find("error: attribute 'jdbc-url': 'jdbc:oracle:thin:@db:1521:orcl' is a "
                    "jdbc:oracle url")
        != std::string::npos);
}

TEST_CASE("inline jdbc reaches MariaDB through a jdbc:mariadb url") {
  action_runner r;
  auto jdbc = fresh_mariadb_jdbc();
  auto url = "jdbc:mariadb:" + jdbc.substr(std::string("jdbc:mysql:").size());
  auto db = jdbc.substr(jdbc.rfind('/') + 1);
  auto created = r.run("<sql type=\"MYSQL\" jdbc-url=\"" + url
                       + "\" username=\"cafflow\" password=\"cafflow\">CREATE TABLE t (n INT); "
                         "INSERT INTO t VALUES (7)</sql>");
  CAPTURE(created.log);
  CHECK(created.exit_code == 0);
  CHECK(mariadb_query("SELECT n FROM `" + db + "`.t") == "7");
  // data-monitor of akkaflow 2.6: the bound of type MYSQL is read on the source's connection.
  auto monitor = r.run("<data-monitor><source type=\"MYSQL\" jdbc-url=\"" + url
                       + "\" username=\"cafflow\" password=\"cafflow\">SELECT n FROM t</source>"
                         "<max-threshold type=\"MYSQL\">SELECT n + 1 FROM t</max-threshold>"
                         "</data-monitor>");
  CAPTURE(monitor.log);
  CHECK(monitor.exit_code == 0);
  CHECK(monitor.result.result.find("\"max\":8.0") != std::string::npos);
}

TEST_CASE("a FILE target runs its pre and after scripts and a transfer script runs as text") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:t.db"/></db-links>)");
  write_file(r.dir / "in.csv", "1,a\n2,b\n");
  auto hooked_xml = std::string(R"(<transfer><source type="FILE" delimited="," file-link="local">in.csv</source>
      <target type="FILE" path="out/copy.csv" delimited=";" is-pre-del="true" task-num="2">
        <pre>echo pre-ran > HOME/pre.txt; exit 3</pre>
        <after><![CDATA[
            wc -l < HOME/out/copy.csv > HOME/after.txt
        ]]></after>
      </target></transfer>)");
  for (auto at = hooked_xml.find("HOME"); at != std::string::npos; at = hooked_xml.find("HOME"))
    hooked_xml.replace(at, 4, r.dir.path());
  auto hooked = r.run(hooked_xml);
  CAPTURE(hooked.log);
  CHECK(hooked.exit_code == 0); // a failing <pre> is logged, as akkaflow went on
  CHECK(hooked.log.find("WARN pre: the script exited with status 3") != std::string::npos);
  CHECK(read_file(r.dir / "pre.txt") == "pre-ran\n");
  CHECK(read_file(r.dir / "out/copy.csv") == "1;a\n2;b\n");
  CHECK(trim(read_file(r.dir / "after.txt")) == "2");
  auto scripted = r.run(R"(<transfer><script>
        echo "copied ${param:day}"
            exit 0
      </script></transfer>)",
                        {{"day", "2026-09-21"}});
  CAPTURE(scripted.log);
  CHECK(scripted.exit_code == 0);
  CHECK(scripted.log.find("copied 2026-09-21") != std::string::npos);
}

TEST_CASE("data-monitor with is-exceed-error false mails the warning and succeeds") {
  action_runner r;
  r.workflow_attrs = "mail-receivers=\"dba@example.com\"";
  auto warned = r.run(R"(<data-monitor recheck-interval="0" is-exceed-error="false">
      <source type="NUM">5</source><max-threshold type="NUM">3</max-threshold>
      <warn-msg>too many rows</warn-msg></data-monitor>)");
  CAPTURE(warned.log);
  CHECK(warned.exit_code == 0);
  CHECK(warned.result.result.find("\"warning\":\"value 5 is above the maximum 3\"")
        != std::string::npos);
  auto mail = mails(r);
  CHECK(mail.find("To: <dba@example.com>") != std::string::npos);
  CHECK(mail.find("too many rows") != std::string::npos);
  auto failed = r.run(R"(<data-monitor recheck-interval="0">
      <source type="NUM">5</source><max-threshold type="NUM">3</max-threshold></data-monitor>)");
  CHECK(failed.exit_code == 1);
}

TEST_SUITE_END();
