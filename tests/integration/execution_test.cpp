// Execution control with real processes (docs/SCHEDULING.md "Run options"):
// run just some nodes, skip others, keep going after a failure, mark a node
// succeeded in a running and in an ended instance; through the API and the
// CLI. What ran is read from a log the tasks append to, not from the API.
#include <doctest/doctest.h>

#include "cluster.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> result;
  for (auto& line : split(read_file(path), '\n'))
    if (!line.empty())
      result.push_back(line);
  return result;
}

/// POSTs `body` and returns the instance id of the 201.
std::string start(cluster& c, const std::string& path, const std::string& body) {
  auto r = c.api("POST", path, body);
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return json::parse(r.body)["instance_id"].get<std::string>();
}

} // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("run only some nodes, skip others, rerun one node alone") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("chain.xml", chain_xml("chain", {"a", "b", "c", "d"}, log));
  c.start();

  auto only_b = start(c, "/api/v1/workflows/chain/run", R"({"nodes": ["b"]})");
  auto inst = c.wait_for(only_b);
  CHECK(inst["status"] == "succeeded");
  CHECK(lines_of(log) == std::vector<std::string>{"b"});
  CHECK(node_of(inst, "a")["status"] == "skipped");
  CHECK(node_of(inst, "a")["message"] == "not selected for this run");
  CHECK(node_of(inst, "d")["status"] == "skipped");
  CHECK(inst["run_options"] == json{{"nodes", {"b"}}});

  write_file(log, "");
  auto from_c = c.cli({"workflow", "run", "chain", "--from-node", "c"});
  REQUIRE_MESSAGE(from_c.exit_code == 0, from_c.output);
  CHECK(c.wait_for(trim(from_c.output))["status"] == "succeeded");
  CHECK(lines_of(log) == std::vector<std::string>{"c", "d"});

  write_file(log, "");
  auto skip = c.cli({"workflow", "run", "chain", "--skip", "b,c"});
  REQUIRE_MESSAGE(skip.exit_code == 0, skip.output);
  auto skipped = c.wait_for(trim(skip.output));
  CHECK(lines_of(log) == std::vector<std::string>{"a", "d"});
  CHECK(node_of(skipped, "b")["message"] == "skipped on request (--skip)");

  // A rerun of b alone runs b, not what follows it.
  write_file(log, "");
  auto r = c.cli({"instance", "rerun", trim(skip.output), "--nodes", "b"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  auto again = c.wait_for(trim(skip.output));
  CHECK(again["status"] == "succeeded");
  CHECK(lines_of(log) == std::vector<std::string>{"b"});
  CHECK(again["run_options"] == json{{"mode", "nodes"}, {"nodes", {"b"}}});

  // Bad options are refused with the node named, nothing runs.
  auto unknown = c.api("POST", "/api/v1/workflows/chain/run", R"({"nodes": ["zz"]})");
  CHECK(unknown.status == 400);
  CHECK(unknown.body.find("has no node 'zz'") != std::string::npos);
  auto cli_unknown = c.cli({"workflow", "run", "chain", "--skip", "a,b,c,d"});
  CHECK(cli_unknown.exit_code != 0);
  CHECK(cli_unknown.output.find("nothing to run") != std::string::npos);
  CHECK(c.cli({"workflow", "run", "chain", "--upstream"}).exit_code != 0);
}

TEST_CASE("on-failure continue runs the other branch to its end, then fails") {
  cluster c;
  auto log = c.dir("runs");
  auto act = [&](const std::string& name, const std::string& to, const std::string& more = "") {
    return "<action name=\"" + name + "\"><shell><command>echo " + name + " >> " + log + more
           + "</command></shell><ok to=\"" + to + "\"/></action>";
  };
  c.add_workflow("cont.xml", "<work-flow name=\"cont\" on-failure=\"continue\">"
                             "<start name=\"s\" to=\"f\"/><fork name=\"f\"><path to=\"b\"/>"
                             "<path to=\"c\"/></fork>"
                               + act("b", "j", "; exit 4") + act("c", "c2", "; sleep 1")
                               + act("c2", "j") + "<join name=\"j\" to=\"d\"/>" + act("d", "e")
                               + "<end name=\"e\"/></work-flow>");
  c.start();
  auto inst = c.wait_for(c.run("cont"));
  CHECK(inst["status"] == "failed");
  CHECK(inst["message"].get<std::string>().find("node 'b' failed") == 0);
  auto ran = lines_of(log);
  std::sort(ran.begin(), ran.end());
  CHECK(ran == std::vector<std::string>{"b", "c", "c2"});
  CHECK(node_of(inst, "c2")["status"] == "succeeded");
  CHECK(node_of(inst, "d")["status"] == "skipped");
}

TEST_CASE("mark a running node succeeded, and a failed node of an ended instance") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("slow.xml", chain_xml("slow", {"a", "b"}, log, {{"a", "sleep 60"}}));
  c.add_workflow("broken.xml", chain_xml("broken", {"a", "b", "c"}, log, {{"b", "exit 3"}}));
  c.start();

  auto id = c.run("slow");
  REQUIRE(wait_until([&] { return node_status_is(c, id, "a", "running"); },
                     std::chrono::seconds(20)));
  // A pending node cannot be marked.
  auto pending = c.api("POST", "/api/v1/instances/" + id + "/nodes/b/mark",
                       R"({"status": "succeeded"})");
  CHECK(pending.status == 409);
  auto marked = c.cli({"instance", "mark", id, "a", "succeeded", "--reason", "done by hand"});
  REQUIRE_MESSAGE(marked.exit_code == 0, marked.output);
  auto inst = c.wait_for(id, std::chrono::seconds(20));
  CHECK(inst["status"] == "succeeded");
  auto a = node_of(inst, "a");
  CHECK(a["status"] == "succeeded");
  CHECK(a["message"].get<std::string>().find("marked succeeded") == 0);
  CHECK(a["message"].get<std::string>().find(": done by hand") != std::string::npos);
  CHECK(node_of(inst, "b")["status"] == "succeeded");

  write_file(log, "");
  auto broken = c.run("broken");
  CHECK(c.wait_for(broken)["status"] == "failed");
  CHECK(lines_of(log) == std::vector<std::string>{"a", "b"});
  auto r = c.api("POST", "/api/v1/instances/" + broken + "/nodes/b/mark",
                 R"({"status": "succeeded", "reason": "fixed upstream", "by": "ann"})");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto resumed = c.wait_for(broken);
  CHECK(resumed["status"] == "succeeded");
  CHECK(resumed["trigger"] == "rerun");
  CHECK(lines_of(log) == std::vector<std::string>{"a", "b", "c"});
  CHECK(node_of(resumed, "b")["message"] == "marked succeeded by ann: fixed upstream");
  CHECK(node_of(resumed, "b")["attempts"].size() == 1);
  // Now it succeeded: b is no longer failed, nothing to mark.
  CHECK(c.api("POST", "/api/v1/instances/" + broken + "/nodes/b/mark",
              R"({"status": "succeeded"})")
          .status
        == 409);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("execution");

TEST_CASE("a pool and max-parallel never let more than their size run at once") {
  cluster_options opts;
  opts.slots = 6;
  opts.extra_ini = "[pools]\nnarrow = 2\n";
  cluster c(opts);
  auto running = c.dir("running");
  auto counts = c.dir("counts");
  // Each task notes how many tasks of its group run while it starts.
  auto branch = [&](const std::string& wf, const std::string& name, const std::string& attrs) {
    return "<action name=\"" + name + "\" " + attrs + "><shell><command>mkdir -p " + running
           + "/" + wf + " && touch " + running + "/" + wf + "/" + name + " && ls " + running + "/"
           + wf + " | wc -l >> " + counts + "." + wf + " && sleep 2 && rm " + running + "/" + wf
           + "/" + name + "</command></shell><ok to=\"j\"/></action>";
  };
  auto fan = [&](const std::string& wf, const std::string& root_attrs,
                 const std::string& action_attrs) {
    std::string xml = "<work-flow name=\"" + wf + "\" " + root_attrs
                      + "><start name=\"s\" to=\"f\"/><fork name=\"f\">";
    for (int i = 0; i < 5; ++i)
      xml += "<path to=\"t" + std::to_string(i) + "\"/>";
    xml += "</fork>";
    for (int i = 0; i < 5; ++i)
      xml += branch(wf, "t" + std::to_string(i), action_attrs);
    return xml + "<join name=\"j\" to=\"e\"/><end name=\"e\"/></work-flow>";
  };
  c.add_workflow("pooled.xml", fan("pooled", "", "pool=\"narrow\""));
  c.add_workflow("capped.xml", fan("capped", "max-parallel=\"1\"", ""));
  c.add_workflow("free.xml", fan("free", "", ""));
  c.add_workflow("typo.xml", fan("typo", "", "pool=\"narow\""));
  c.start();
  auto pooled = c.run("pooled");
  auto capped = c.run("capped");
  auto free_run = c.run("free");
  CHECK(c.wait_for(pooled, std::chrono::seconds(60))["status"] == "succeeded");
  CHECK(c.wait_for(capped, std::chrono::seconds(60))["status"] == "succeeded");
  CHECK(c.wait_for(free_run, std::chrono::seconds(60))["status"] == "succeeded");
  auto most = [&](const std::string& wf) {
    int top = 0;
    auto lines = lines_of(counts + "." + wf);
    CHECK(lines.size() == 5);
    for (const auto& l : lines)
      top = std::max(top, std::stoi(trim(l)));
    return top;
  };
  CHECK(most("pooled") <= 2);
  CHECK(most("capped") == 1);
  // Without a limit they do run side by side (the test can tell).
  CHECK(most("free") >= 3);
  // The pool's slots are in /metrics; an unknown pool is refused at load.
  auto metrics = c.api("GET", "/metrics");
  CHECK(metrics.body.find("cafflow_pool_slots{pool=\"narrow\"} 2") != std::string::npos);
  CHECK(c.get("/api/v1/cluster")["pools"] == json{{"narrow", {{"slots", 2}, {"in_use", 0}}}});
  auto status = c.cli({"cluster", "status"});
  CHECK(status.output.find("pools      narrow 0 of 2 in use") != std::string::npos);
  auto typo = file_status(c, "typo.xml");
  CHECK(typo["status"] == "invalid");
  CHECK(typo.dump().find("unknown pool 'narow' (did you mean 'narrow'?)") != std::string::npos);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("execution");

TEST_CASE("submit and remove a workflow through the API and the CLI") {
  cluster c;
  auto log = c.dir("runs");
  c.start();
  // Through the API: an invalid file is refused with its diagnostics, a valid
  // one is written into xmlconfig and loaded.
  auto bad = c.api("POST", "/api/v1/workflows", "<work-flow name=\"x\"><start name=\"s\" to=\"nowhere\"/></work-flow>");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("the definition has errors: line 1") != std::string::npos);
  auto added = c.api("POST", "/api/v1/workflows?dir=etl", chain_xml("sub", {"a"}, log));
  REQUIRE_MESSAGE(added.status == 201, added.body);
  auto body = json::parse(added.body);
  CHECK(body["loaded"] == true);
  CHECK(body["file"] == c.dir("xmlconfig/etl/sub.xml"));
  CHECK(c.wait_for(c.run("sub"))["status"] == "succeeded");
  CHECK(c.api("POST", "/api/v1/workflows?dir=../out", chain_xml("sub2", {"a"}, log)).status
        == 400);
  // Through the CLI: submit replaces it in its file, remove deletes the file.
  write_file(c.dir("sub.xml"), chain_xml("sub", {"a", "b"}, log));
  auto submit = c.cli({"workflow", "submit", c.dir("sub.xml")});
  REQUIRE_MESSAGE(submit.exit_code == 0, submit.output);
  CHECK(submit.output.find("replaced workflow 'sub'") != std::string::npos);
  CHECK(version_of(c, "sub") == 2);
  auto remove = c.cli({"workflow", "remove", "sub"});
  REQUIRE_MESSAGE(remove.exit_code == 0, remove.output);
  CHECK_FALSE(std::filesystem::exists(c.dir("xmlconfig/etl/sub.xml")));
  CHECK(version_of(c, "sub") == 0);
  CHECK(c.cli({"workflow", "remove", "sub"}).exit_code == 1);
  CHECK(c.cli({"workflow", "submit", c.dir("missing.xml")}).exit_code == 64);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("execution");

TEST_CASE("every execution keeps its own node lists: a failed run and two reruns") {
  cluster c;
  auto log = c.dir("runs");
  auto marker = c.dir("fixed");
  c.add_workflow("flaky.xml",
                 chain_xml("flaky", {"a", "b", "c"}, log, {{"b", "test -e " + marker}}));
  c.start();
  auto id = c.run("flaky");
  CHECK(c.wait_for(id)["status"] == "failed");
  REQUIRE(c.cli({"instance", "rerun", id}).exit_code == 0);
  CHECK(c.wait_for(id)["status"] == "failed");
  write_file(marker, "");
  REQUIRE(c.api("POST", "/api/v1/instances/" + id + "/rerun", R"({"mode": "failed", "by": "ann"})")
            .status
          == 200);
  auto inst = c.wait_for(id);
  CHECK(inst["status"] == "succeeded");
  CHECK(inst["execution"] == 3);
  auto body = c.get("/api/v1/instances/" + id + "/executions");
  const auto& list = body["executions"];
  REQUIRE(list.size() == 3);
  CHECK(list[0]["number"] == 1);
  CHECK(list[0]["trigger"] == "manual");
  CHECK(list[0]["status"] == "failed");
  CHECK(list[0]["nodes"]["failed"] == json{"b"});
  CHECK(list[0]["nodes"]["succeeded"] == json{"a"});
  CHECK(list[0]["nodes"]["skipped"] == json{"c"});
  CHECK(list[1]["trigger"] == "rerun");
  CHECK(list[1]["status"] == "failed");
  CHECK(list[1]["run_options"] == json{{"mode", "failed"}});
  CHECK(list[2]["status"] == "succeeded");
  CHECK(list[2]["requested_by"] == "ann");
  CHECK(list[2]["nodes"]["succeeded"] == json{"a", "b", "c"});
  CHECK(list[2]["nodes"]["failed"].empty());
  // b's attempts carry the execution they belong to.
  auto b = node_of(inst, "b");
  REQUIRE(b["attempts"].size() == 3);
  for (int i = 0; i < 3; ++i)
    CHECK(b["attempts"][i]["execution"] == i + 1);
  CHECK(node_of(inst, "a")["attempts"][0]["execution"] == 1);
  auto cli = c.cli({"instance", "executions", id});
  REQUIRE_MESSAGE(cli.exit_code == 0, cli.output);
  CHECK(cli.output.find("failed: b; skipped: c; succeeded: a") != std::string::npos);
  CHECK(c.api("GET", "/api/v1/instances/nope/executions").status == 404);
}

TEST_SUITE_END();
