// The workflow language in a running cluster: loading and reloading files,
// their diagnostics in the API, parameters, time expressions and decisions.
#include <filesystem>

#include <doctest/doctest.h>

#include "cluster.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

std::string version_xml(const std::string& out, int n) {
  return "<work-flow name=\"reload\"><start name=\"s\" to=\"a\"/><action name=\"a\"><shell>"
         "<command>echo v" + std::to_string(n) + " &gt;&gt; " + out
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

} // namespace

TEST_SUITE_BEGIN("workflow_language");

TEST_CASE("an invalid file is reported with its diagnostics and the last good version keeps running") {
  cluster c;
  auto out = c.dir("out.txt");
  c.add_workflow("reload.xml", version_xml(out, 1));
  c.add_workflow("broken.xml", "<work-flow name=\"broken\">\n  <start name=\"s\" to=\"nowhere\"/>\n"
                               "  <end name=\"e\"/>\n</work-flow>\n");
  c.add_workflow("legacy/nightly.xml", R"(<coordinator name="nightly" start-time="2026-01-01 00:00:00">
  <depend-list cron="0 2 * * *"/>
  <trigger-list><workflow name="reload"/></trigger-list>
  <param-list><param name="stadate" value="${time.yestoday}"/></param-list>
</coordinator>)");
  c.start();
  auto legacy = file_status(c, "legacy/nightly.xml");
  CHECK(legacy["kind"] == "coordinator");
  CHECK(legacy["name"] == "nightly");
  CHECK(legacy["status"] == "loaded");
  CHECK(legacy["diagnostics"].empty());
  auto broken = file_status(c, "broken.xml");
  CHECK(broken["status"] == "invalid");
  CHECK(broken["diagnostics"][0]["line"] == 2);
  CHECK(broken["diagnostics"][0]["message"] == "'s' continues to unknown node 'nowhere'");
  CHECK(c.api("POST", "/api/v1/workflows/broken/run", "{}").status == 404);
  CHECK(file_status(c, "reload.xml")["status"] == "loaded");
  CHECK(file_status(c, "reload.xml")["active_version"] == 1);

  // A broken edit: reported, and version 1 still runs.
  c.add_workflow("reload.xml", "<work-flow name=\"reload\"><start name=\"s\" to=\"a\"/></work-flow>");
  REQUIRE(wait_until([&] { return file_status(c, "reload.xml")["status"] == "invalid"; }));
  CHECK(file_status(c, "reload.xml")["active_version"] == 1);
  CHECK(c.wait_for(c.run("reload"))["status"] == "succeeded");
  CHECK(read_file(out) == "v1\n");

  // A valid edit loads as version 2; the broken file, once fixed, loads too.
  c.add_workflow("reload.xml", version_xml(out, 2));
  REQUIRE(wait_until([&] { return file_status(c, "reload.xml")["active_version"] == 2; }));
  CHECK(c.wait_for(c.run("reload"))["version"] == 2);
  CHECK(read_file(out) == "v1\nv2\n");
  c.add_workflow("broken.xml", version_xml(out, 3).replace(17, 6, "broken"));
  REQUIRE(wait_until([&] { return file_status(c, "broken.xml")["status"] == "loaded"; }));

  // A deleted file unloads its workflow.
  std::filesystem::remove(c.dir("xmlconfig/broken.xml"));
  CHECK(wait_until([&] { return c.api("POST", "/api/v1/workflows/broken/run", "{}").status == 404; }));
}

TEST_CASE("two files defining one workflow are both reported and neither replaces the other") {
  cluster c;
  auto out = c.dir("out.txt");
  c.add_workflow("a.xml", version_xml(out, 1));
  c.start();
  c.add_workflow("b.xml", version_xml(out, 2));
  REQUIRE(wait_until([&] { return file_status(c, "b.xml")["status"] == "conflict"; }));
  CHECK(file_status(c, "a.xml")["status"] == "conflict");
  CHECK(file_status(c, "a.xml")["active_version"] == 1);
  CHECK(c.wait_for(c.run("reload"))["status"] == "succeeded");
  CHECK(read_file(out) == "v1\n"); // still the first file's version
}

TEST_CASE("params, time expressions and decisions run against the instance's values") {
  cluster c;
  auto out = c.dir("out.txt");
  c.add_workflow("params.xml", R"(<work-flow name="params" timezone="Asia/Shanghai">
  <coordinator is-enabled="false">
    <param-list>
      <param name="mode" value="full"/>
      <param name="label" value="run-${param:mode}"/>
    </param-list>
  </coordinator>
  <start name="s" to="choose"/>
  <decision name="choose">
    <case to="full">${param:mode} == 'full'</case>
    <default to="part"/>
  </decision>
  <action name="full">
    <script><code><![CDATA[
      echo "full ${param:label} $CAFFLOW_PARAM_label ${time.today|yyyy} ${HOME:+shell-untouched}" >> )"
                                     + out + R"(
    ]]></code></script>
    <ok to="e"/>
  </action>
  <action name="part">
    <shell><command>echo "part ${param:label}" >> )" + out + R"(</command></shell>
    <ok to="e"/>
  </action>
  <end name="e"/>
</work-flow>)");
  c.start();
  auto first = c.wait_for(c.run("params"));
  CHECK(first["status"] == "succeeded");
  CHECK(first["params"]["label"] == "run-full");
  auto second = c.wait_for(c.run("params", {{"mode", "quick"}}));
  CHECK(second["params"]["label"] == "run-quick"); // later params see the caller's
  auto lines = read_file(out);
  auto year = first["logical_time"].get<std::string>().substr(0, 4);
  CHECK(lines.find("full run-full run-full ") == 0);
  CHECK(lines.find("shell-untouched") != std::string::npos);
  CHECK(lines.find("part run-quick\n") != std::string::npos);
  for (const auto& n : second["nodes"])
    if (n["name"] == "choose")
      CHECK(n["message"] == "no case holds: part");
}

TEST_CASE("a run that leaves a parameter undefined is refused, naming it") {
  cluster c;
  c.add_workflow("needs.xml", R"(<work-flow name="needs"><start name="s" to="a"/>
    <action name="a"><shell><command>echo ${param:day}</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)");
  c.start();
  auto refused = c.api("POST", "/api/v1/workflows/needs/run", "{}");
  CHECK(refused.status == 400);
  CHECK(refused.body.find("node 'a': unknown parameter 'day'") != std::string::npos);
  CHECK(c.get("/api/v1/instances?workflow=needs")["instances"].empty());
  CHECK(c.wait_for(c.run("needs", {{"day", "2026-11-20"}}))["status"] == "succeeded");
}

TEST_CASE("the offline tools: workflow check, cron next, expr eval") {
  temp_dir dir;
  write_file(dir / "ok.xml", R"(<workflow name="ok"><start name="s" to="e"/><end name="e"/></workflow>)");
  write_file(dir / "bad.xml", "<workflow name=\"bad\">\n<start name=\"s\" to=\"x\"/>\n<end name=\"e\"/>\n</workflow>\n");
  // No config at all: the offline tools work with the defaults.
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), CAFFLOW_CLI_BIN);
    return run_command(args, {"CAFFLOW_CONF="});
  };
  auto good = cli({"workflow", "check", dir / "ok.xml"});
  CHECK(good.exit_code == 0);
  CHECK(good.output.empty());
  auto bad = cli({"workflow", "check", dir.path()});
  CHECK(bad.exit_code == 1);
  // Reported at the transition's `to`, not at the start of <start>.
  CHECK(bad.output == dir / "bad.xml" + ":2:17: error: 's' continues to unknown node 'x'\n");
  auto cron = cli({"cron", "next", "30 2 * * *", "--from", "2026-03-07 12:00:00", "--tz",
                   "America/New_York", "--count", "2"});
  CHECK(cron.exit_code == 0);
  CHECK(cron.output == "2026-03-08 03:00:00\n2026-03-09 02:30:00\n");
  auto bad_cron = cli({"cron", "next", "61 * * * *"});
  CHECK(bad_cron.exit_code == 1);
  CHECK(bad_cron.output.find("field 'minute': 61 is out of range 0-59") != std::string::npos);
  auto expr = cli({"expr", "eval", "${time.today|yyyy-MM-dd|+1 month} ${param:x}",
                   "--logical-time", "2024-01-31 10:00:00", "--tz", "UTC", "-p", "x=y"});
  CHECK(expr.exit_code == 0);
  CHECK(expr.output == "2024-02-29 y\n");
}

TEST_SUITE_END();
