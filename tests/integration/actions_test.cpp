// The ETL action kinds through a real cluster: master, worker (its
// cafflow-exec child) and http as processes, results in the store and the API.
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

TEST_SUITE_END();
