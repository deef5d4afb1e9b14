// The ETL action kinds through a real cluster: master, worker (its
// cafflow-exec child) and http as processes, results in the store and the API.
#include <filesystem>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "mariadb.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

std::string one_action(const std::string& name, const std::string& body,
                       const std::string& attrs = "") {
  return "<work-flow name=\"" + name + "\"><start name=\"s\" to=\"a\"/><action name=\"a\" " + attrs
         + ">" + body + "<ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

} // namespace

TEST_SUITE_BEGIN("actions");

TEST_CASE("a timed-out sql action is cancelled on MariaDB and a data-monitor's value reaches the API") {
  auto url = fresh_mariadb_url();
  auto jdbc = "jdbc:mysql://" + url.substr(url.find('@') + 1);
  cluster c;
  write_file(c.dir("conf/db_links.xml"),
             "<db-links><link name=\"dw\" type=\"MYSQL\" jdbc-url=\"" + jdbc
               + "\" username=\"cafflow\" password=\"cafflow\"/></db-links>");
  c.add_workflow("slow.xml", one_action("slow", "<sql db-link=\"dw\">SELECT SLEEP(60)</sql>",
                                        "timeout=\"2\""));
  c.add_workflow("count.xml",
                 one_action("count", "<data-monitor recheck-interval=\"0\"><source type=\"SQL\" "
                                     "db-link=\"dw\">SELECT 40 + ${param:n}</source><max>100</max>"
                                     "</data-monitor>"));
  c.start();
  auto sleeping = [&] {
    auto r = run_command({"mariadb", "--no-defaults", "--protocol=tcp", "-h127.0.0.1",
                          "-P" + std::to_string(shared_mariadb().port()), "-uroot", "-N", "-B",
                          "-e",
                          "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = "
                          "'SELECT SLEEP(60)'"});
    return trim(r.output) == "1";
  };
  auto slow = c.wait_for(c.run("slow"));
  CAPTURE(c.logs());
  CHECK(slow["status"] == "failed");
  auto a = node_of(slow, "a");
  CHECK(a["attempts"][0]["status"] == "timed_out");
  CHECK(wait_until([&] { return !sleeping(); }, std::chrono::seconds(20)));
  auto count = c.wait_for(c.run("count", json{{"n", "2"}}));
  CHECK(count["status"] == "succeeded");
  CHECK(node_of(count, "a")["attempts"][0]["result"]["value"] == 42.0);
  // The CLI shows it too.
  auto shown = c.cli({"instance", "show", count["id"].get<std::string>()});
  CAPTURE(shown.output);
  CHECK(shown.output.find("{\"max\":100.0,\"value\":42.0}") != std::string::npos);
}

TEST_CASE("a file-monitor on an HDFS file link lists on that link again when it is rerun") {
  // The rerun runs the version the master parses again from the store,
  // without file_links.xml: the worker resolves the link, so it stays on HDFS.
  temp_dir bin;
  write_file(bin / "hdfs", "#!/bin/sh\n"
                           "echo \"user=${HADOOP_USER_NAME:-} $*\" >> '" + (bin / "calls") + "'\n"
                           "echo '-rw-r--r--   3 etl supergroup 5 2026-09-21 10:00 /in/a.csv'\n");
  std::filesystem::permissions(bin / "hdfs", std::filesystem::perms::owner_all);
  cluster_options opts;
  opts.extra_ini = "[hdfs]\ncommand = " + (bin / "hdfs") + "\n";
  cluster c(opts);
  write_file(c.dir("conf/file_links.xml"),
             "<file-links><link name=\"hadoop\" type=\"HDFS\" host=\"nn1\" port=\"8020\" "
             "username=\"etl\"/></file-links>");
  c.add_workflow("landed.xml", one_action("landed", "<file-monitor recheck-interval=\"0\"><file "
                                                    "file-link=\"hadoop\">/in/*.csv</file>"
                                                    "</file-monitor>"));
  c.start();
  REQUIRE_MESSAGE(wait_until([&] { return version_of(c, "landed") > 0; }), c.logs());
  auto id = c.run("landed");
  auto first = c.wait_for(id);
  CAPTURE(c.logs());
  REQUIRE(first["status"] == "succeeded");
  auto again = c.api("POST", "/api/v1/instances/" + id + "/rerun", R"({"mode":"all"})");
  REQUIRE(again.status == 200);
  auto rerun = c.wait_for(id);
  CHECK(rerun["status"] == "succeeded");
  CHECK(rerun["trigger"] == "rerun");
  REQUIRE(node_of(rerun, "a")["attempts"].size() == 2);
  CHECK(node_of(rerun, "a")["attempts"][1]["result"]["files"] == 1);
  const std::string listed = "user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -ls /in/*.csv\n";
  CHECK(read_file(bin / "calls") == listed + listed);
}

TEST_SUITE_END();
