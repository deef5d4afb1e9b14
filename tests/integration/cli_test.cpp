// The cafflow command line against a real cluster: tables for people, --json
// for scripts, and the exit codes docs/CLI.md promises.
#include <csignal>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

std::string shell_workflow(const std::string& name, const std::string& command) {
  return "<work-flow name=\"" + name + "\" dir=\"/cli\"><start name=\"s\" to=\"a\"/>"
         "<action name=\"a\"><shell><command>" + command
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// The last line of a command's output, trimmed (an instance id, say).
std::string last_line(const std::string& output) {
  auto lines = split(trim(output), '\n');
  return lines.empty() ? std::string{} : trim(lines.back());
}

} // namespace

TEST_SUITE_BEGIN("cli");

TEST_CASE("cli: tables for people and JSON for scripts") {
  cluster c;
  c.add_workflow("ok.xml", shell_workflow("ok", "echo fine"));
  c.start();
  auto table = c.cli({"workflow", "list"});
  REQUIRE_MESSAGE(table.exit_code == 0, table.output);
  CHECK(table.output.find("NAME") != std::string::npos);
  CHECK(table.output.find("ok") != std::string::npos);
  auto listed = c.cli({"--json", "workflow", "list"});
  REQUIRE(listed.exit_code == 0);
  auto parsed = json::parse(listed.output, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  REQUIRE(parsed["workflows"].size() == 1);
  CHECK(parsed["workflows"][0]["name"] == "ok");

  auto run = c.cli({"workflow", "run", "ok"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  auto id = last_line(run.output);
  auto wait = c.cli({"instance", "wait", id, "--timeout", "30"});
  CHECK_MESSAGE(wait.exit_code == 0, wait.output);
  auto show = c.cli({"instance", "show", id});
  CHECK(show.exit_code == 0);
  CHECK(show.output.find("succeeded") != std::string::npos);
  auto shown = json::parse(c.cli({"--json", "instance", "show", id}).output, nullptr, false);
  REQUIRE_FALSE(shown.is_discarded());
  CHECK(shown["id"] == id);
  CHECK(shown["trigger"] == "manual");
  auto list = c.cli({"instance", "list", "--workflow", "ok", "--trigger", "manual"});
  CHECK(list.exit_code == 0);
  CHECK(list.output.find(id) != std::string::npos);
}

TEST_CASE("cli: exit codes") {
  cluster c;
  c.add_workflow("bad.xml", shell_workflow("bad", "exit 3"));
  c.add_workflow("slow.xml", shell_workflow("slow", "sleep 5"));
  c.start();
  // 1: the instance failed; an API error names what is wrong.
  auto bad = last_line(c.cli({"workflow", "run", "bad"}).output);
  CHECK(c.cli({"instance", "wait", bad, "--timeout", "30"}).exit_code == 1);
  auto unknown = c.cli({"workflow", "run", "nope"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.output.find("nope") != std::string::npos);
  CHECK(c.cli({"instance", "kill", bad}).exit_code == 1); // it has ended
  // 2: waiting timed out.
  auto slow = last_line(c.cli({"workflow", "run", "slow"}).output);
  CHECK(c.cli({"instance", "wait", slow, "--timeout", "1"}).exit_code == 2);
  CHECK(c.cli({"instance", "rerun", slow}).exit_code == 1); // still running
  CHECK(c.cli({"instance", "kill", slow}).exit_code == 0);
  // 64: a bad command line.
  CHECK(c.cli({"instance", "frobnicate"}).exit_code == 64);
  CHECK(c.cli({"instance", "rerun", bad, "--all", "--nodes", "a"}).exit_code == 64);
  // 78: a bad configuration.
  auto conf = run_command({CAFFLOW_CLI_BIN, "--conf", c.dir("missing.ini"), "workflow", "list"});
  CHECK(conf.exit_code == 78);
  // 69: no cluster to talk to.
  c.http()->signal(SIGTERM);
  c.http()->wait();
  auto gone = c.cli({"workflow", "list"});
  CHECK(gone.exit_code == 69);
}

TEST_SUITE_END();
