// Sub-workflows with real processes (docs/WORKFLOWS.md "sub-workflow"): a
// node runs another workflow as a child instance with the parent's logical
// time, zone and the params it passes, and ends as the child does; a kill,
// a timeout or a mark of the parent's node kills the child; a master
// restart re-attaches the waiting node to its child; the API and the CLI
// show the links both ways. What ran is read from logs the tasks write.
#include <csignal>
#include <filesystem>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A workflow `name` whose only node "run" is a sub-workflow of `target`
/// with `params` (the XML of its <param>s) and the node's `attrs`.
std::string parent_xml(const std::string& name, const std::string& target,
                       const std::string& params = "", const std::string& attrs = "",
                       const std::string& root_attrs = "") {
  return "<work-flow name=\"" + name + "\" " + root_attrs
         + "><start name=\"s\" to=\"run\"/><action name=\"run\" " + attrs
         + "><sub-workflow name=\"" + target + "\">" + params
         + "</sub-workflow><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// POSTs `body` to run `workflow`; returns the instance id.
std::string start(cluster& c, const std::string& workflow, const json& body) {
  auto r = c.api("POST", "/api/v1/workflows/" + workflow + "/run", body.dump());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return json::parse(r.body)["instance_id"].get<std::string>();
}

/// The child id node `node` of instance `id` shows once it has one ("" until then).
std::string child_of(cluster& c, const std::string& id, const std::string& node = "run") {
  auto r = c.api("GET", "/api/v1/instances/" + id);
  if (r.status != 200)
    return {};
  auto n = node_of(json::parse(r.body), node);
  return n.is_null() || n["child_id"].is_null() ? std::string() : n["child_id"].get<std::string>();
}

/// Every log of the cluster's processes, whole.
std::string whole_logs(cluster& c) {
  std::string all;
  std::error_code err;
  for (const auto& entry : std::filesystem::directory_iterator(c.dir("logs"), err))
    if (entry.is_regular_file())
      all += read_file(entry.path().string());
  return all;
}

/// The instances started as sub-workflow children.
json children(cluster& c) {
  return c.get("/api/v1/instances?trigger=sub-workflow&limit=100")["instances"];
}

} // namespace

TEST_SUITE_BEGIN("sub_workflow");

TEST_CASE("a parent waits for its child which runs with the parent's logical time zone and params") {
  cluster c;
  auto log = c.dir("runs");
  auto seen = c.dir("seen");
  // The child writes what it was given; it runs in the parent's zone
  // (Shanghai) although it names none: 20:00 UTC is the next day there.
  c.add_workflow("load.xml",
                 "<work-flow name=\"load\"><start name=\"s\" to=\"x\"/><action name=\"x\">"
                 "<shell><command><![CDATA[echo load >> "
                   + log + "; echo '${param:day}|${param:who}|${time.today|yyyy-MM-dd}' > " + seen
                   + "]]></command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>");
  c.add_workflow("daily.xml",
                 "<work-flow name=\"daily\" timezone=\"Asia/Shanghai\"><start name=\"s\" to=\"a\"/>"
                 "<action name=\"a\"><shell><command>echo a >> "
                   + log
                   + "</command></shell><ok to=\"run\"/></action>"
                     "<action name=\"run\"><sub-workflow name=\"load\">"
                     "<param name=\"day\" value=\"${time.today|yyyy-MM-dd}\"/>"
                     "<param name=\"who\" value=\"${param:who}\"/></sub-workflow>"
                     "<ok to=\"b\"/></action>"
                     "<action name=\"b\"><shell><command>echo b >> "
                   + log
                   + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>");
  c.start();
  auto id = start(c, "daily",
                  json{{"params", {{"who", "ann"}}}, {"logical_time", "2026-03-10 20:00:00"}});
  auto parent = c.wait_for(id);
  REQUIRE_MESSAGE(parent["status"] == "succeeded", parent.dump());
  // The child ran between a and b, once.
  CHECK(read_file(log) == "a\nload\nb\n");
  CHECK(trim(read_file(seen)) == "2026-03-11|ann|2026-03-11");

  // The links, both ways.
  auto run = node_of(parent, "run");
  CHECK(run["status"] == "succeeded");
  REQUIRE(run["child_id"].is_string());
  auto child_id = run["child_id"].get<std::string>();
  REQUIRE(run["attempts"].size() == 1);
  CHECK(run["attempts"][0]["child_id"] == child_id);
  CHECK(run["attempts"][0]["status"] == "succeeded");
  CHECK(run["attempts"][0]["message"]
        == "child instance " + child_id + " (workflow load) succeeded");
  CHECK(run["attempts"][0]["worker"] == "");
  auto child = c.get("/api/v1/instances/" + child_id);
  CHECK(child["status"] == "succeeded");
  CHECK(child["workflow"] == "load");
  CHECK(child["trigger"] == "sub-workflow");
  CHECK(child["parent_id"] == id);
  CHECK(child["parent_node"] == "run");
  CHECK(child["depth"] == 1);
  CHECK(child["timezone"] == "Asia/Shanghai");
  CHECK(child["logical_time"] == parent["logical_time"]);
  CHECK(child["params"]["day"] == "2026-03-11");
  CHECK(child["params"]["who"] == "ann");
  CHECK(parent["parent_id"].is_null());
  CHECK(parent["depth"] == 0);
  REQUIRE(children(c).size() == 1);
  CHECK(children(c)[0]["id"] == child_id);

  // The CLI shows them too.
  auto shown = c.cli({"instance", "show", id});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.output);
  CHECK(shown.output.find("child      " + child_id + " (node run)") != std::string::npos);
  auto shown_child = c.cli({"instance", "show", child_id});
  REQUIRE_MESSAGE(shown_child.exit_code == 0, shown_child.output);
  CHECK(shown_child.output.find("parent     " + id + " (node run)") != std::string::npos);
  CHECK(shown_child.output.find("trigger    sub-workflow") != std::string::npos);

  // A rerun of the parent's node starts a new child.
  auto rerun = c.cli({"instance", "rerun", id, "--nodes", "run"});
  REQUIRE_MESSAGE(rerun.exit_code == 0, rerun.output);
  auto again = c.wait_for(id);
  CHECK(again["status"] == "succeeded");
  auto second = node_of(again, "run");
  REQUIRE(second["attempts"].size() == 2);
  CHECK(second["child_id"] != child_id);
  CHECK(second["attempts"][1]["child_id"] == second["child_id"]);
  CHECK(children(c).size() == 2);
  CHECK(read_file(log) == "a\nload\nb\nload\n");
}

TEST_CASE("a failed child fails the parent node naming the child and its failed node") {
  cluster c;
  c.add_workflow("broken.xml", chain_xml("broken", {"ok", "boom"}, c.dir("runs"),
                                         {{"boom", "exit 3"}}));
  c.add_workflow("caller.xml", parent_xml("caller", "broken"));
  c.add_workflow("lost.xml", parent_xml("lost", "nowhere"));
  c.start();

  auto id = c.run("caller");
  auto parent = c.wait_for(id);
  CHECK(parent["status"] == "failed");
  auto run = node_of(parent, "run");
  CHECK(run["status"] == "failed");
  REQUIRE(run["child_id"].is_string());
  auto child_id = run["child_id"].get<std::string>();
  auto message = run["message"].get<std::string>();
  CHECK(message.find("child instance " + child_id + " (workflow broken) failed: node 'boom' failed")
        == 0);
  CHECK(parent["message"].get<std::string>().find("node 'run' failed: child instance " + child_id)
        == 0);
  auto child = c.get("/api/v1/instances/" + child_id);
  CHECK(child["status"] == "failed");
  CHECK(node_of(child, "boom")["status"] == "failed");

  // A workflow that is not loaded fails the node at run time, naming it.
  auto lost = c.wait_for(c.run("lost"));
  CHECK(lost["status"] == "failed");
  auto lost_run = node_of(lost, "run");
  CHECK(lost_run["message"].get<std::string>().find("sub-workflow 'nowhere' cannot start")
        == 0);
  CHECK(lost_run["child_id"].is_null());
  // Loading it is a warning, not an error: it may come later.
  auto file = file_status(c, "lost.xml");
  CHECK(file["status"] == "loaded");
  CHECK(file.dump().find("runs workflow 'nowhere', which is not loaded") != std::string::npos);
}

TEST_CASE("killing the parent kills its running child and a timeout of the node does too") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("slow.xml", chain_xml("slow", {"wait"}, log, {{"wait", "sleep 60"}}));
  c.add_workflow("boss.xml", parent_xml("boss", "slow"));
  c.add_workflow("hurry.xml", parent_xml("hurry", "slow", "", "timeout=\"2\""));
  c.start();

  auto id = c.run("boss");
  std::string child_id;
  REQUIRE(wait_until([&] { return !(child_id = child_of(c, id)).empty(); },
                     std::chrono::seconds(20)));
  REQUIRE(wait_until([&] { return node_status_is(c, child_id, "wait", "running"); },
                     std::chrono::seconds(20)));
  auto killed = c.api("POST", "/api/v1/instances/" + id + "/kill");
  REQUIRE_MESSAGE(killed.status == 200, killed.body);
  CHECK(c.wait_for(id)["status"] == "killed");
  auto child = c.wait_for(child_id, std::chrono::seconds(20));
  CHECK(child["status"] == "killed");
  CHECK(child["message"].get<std::string>().find("its parent instance " + id) != std::string::npos);
  CHECK(node_of(child, "wait")["status"] == "killed");
  auto run = node_of(c.get("/api/v1/instances/" + id), "run");
  CHECK(run["status"] == "killed");
  CHECK(run["attempts"][0]["child_id"] == child_id);

  // The node's timeout: the node times out and fails, its child is killed.
  auto hurried = c.run("hurry");
  auto parent = c.wait_for(hurried, std::chrono::seconds(30));
  CHECK(parent["status"] == "failed");
  auto timed = node_of(parent, "run");
  REQUIRE(timed["child_id"].is_string());
  auto timed_child = timed["child_id"].get<std::string>();
  CHECK(timed["attempts"][0]["status"] == "timed_out");
  CHECK(timed["message"].get<std::string>().find("timed out after 2 s; child instance "
                                                 + timed_child + " killed")
        == 0);
  auto late = c.wait_for(timed_child, std::chrono::seconds(20));
  CHECK(late["status"] == "killed");
  CHECK(late["message"].get<std::string>().find("timed out after 2 s") != std::string::npos);
}

TEST_CASE("marking the waiting node succeeded kills its child and the parent goes on") {
  cluster c;
  auto log = c.dir("runs");
  c.add_workflow("slow.xml", chain_xml("slow", {"wait"}, log, {{"wait", "sleep 60"}}));
  c.add_workflow("boss.xml", parent_xml("boss", "slow"));
  c.start();
  auto id = c.run("boss");
  std::string child_id;
  REQUIRE(wait_until([&] { return !(child_id = child_of(c, id)).empty(); },
                     std::chrono::seconds(20)));
  auto marked = c.cli({"instance", "mark", id, "run", "succeeded", "--reason", "done by hand"});
  REQUIRE_MESSAGE(marked.exit_code == 0, marked.output);
  CHECK(c.wait_for(id)["status"] == "succeeded");
  auto child = c.wait_for(child_id, std::chrono::seconds(20));
  CHECK(child["status"] == "killed");
  CHECK(child["message"].get<std::string>().find("node 'run' of its parent instance " + id
                                                 + " was marked succeeded")
        != std::string::npos);
}

TEST_CASE("a master restarted while a child runs re-attaches the node to that child") {
  cluster c;
  auto log = c.dir("runs");
  auto gate = c.dir("gate");
  c.add_workflow("gated.xml",
                 chain_xml("gated", {"wait"}, log,
                           {{"wait", "while [ ! -e " + gate + " ]; do sleep 0.05; done"}}));
  c.add_workflow("boss.xml", parent_xml("boss", "gated"));
  c.start();
  auto id = c.run("boss");
  std::string child_id;
  REQUIRE(wait_until([&] { return !(child_id = child_of(c, id)).empty(); },
                     std::chrono::seconds(20)));
  REQUIRE(wait_until([&] { return read_file(log) == "wait\n"; }, std::chrono::seconds(20)));
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
  c.start_master();
  // The child's node ends only now, on the new master.
  write_file(gate, "go");
  auto parent = c.wait_for(id, std::chrono::seconds(60));
  CHECK(parent["status"] == "succeeded");
  auto run = node_of(parent, "run");
  CHECK(run["child_id"] == child_id);
  CHECK(run["attempts"].size() == 1);
  // One child, whose node ran once.
  REQUIRE(children(c).size() == 1);
  CHECK(c.get("/api/v1/instances/" + child_id)["status"] == "succeeded");
  CHECK(read_file(log) == "wait\n");
  // The new master said so (its log is whole once it stopped).
  CHECK(c.stop());
  CHECK(whole_logs(c).find("waits again for child instance " + child_id) != std::string::npos);
}

TEST_CASE("a recursion through a name that is an expression stops at the depth limit") {
  cluster_options opts;
  opts.master_overrides = {"master.max_sub_workflow_depth=3"};
  cluster c(opts);
  auto call_itself = "<param name=\"target\" value=\"${param:target}\"/>";
  c.add_workflow("again.xml", parent_xml("again", "${param:target}", call_itself, "",
                                         "instance-limit=\"10\""));
  // With its instance-limit of 1 the child would wait for its own parent.
  c.add_workflow("stuck.xml", parent_xml("stuck", "${param:target}", call_itself));
  c.start();
  auto id = start(c, "again", json{{"params", {{"target", "again"}}}});
  auto top = c.wait_for(id, std::chrono::seconds(60));
  CHECK(top["status"] == "failed");
  // Three levels of children ran; the fourth was refused at the deepest.
  auto kids = children(c);
  CHECK(kids.size() == 3);
  std::string deepest;
  for (const auto& k : kids)
    if (k["depth"] == 3)
      deepest = k["id"].get<std::string>();
  REQUIRE_FALSE(deepest.empty());
  auto last = c.wait_for(deepest);
  CHECK(last["status"] == "failed");
  auto refused = node_of(last, "run")["message"].get<std::string>();
  CHECK(refused.find("sub-workflow 'again' is not started: it would be nested 4 levels deep, "
                     "more than master.max_sub_workflow_depth (3)")
        == 0);
  CHECK(node_of(last, "run")["child_id"].is_null());
  // Every level above fails naming the child below.
  CHECK(node_of(top, "run")["message"].get<std::string>().find("child instance ") == 0);

  auto stuck = c.wait_for(start(c, "stuck", json{{"params", {{"target", "stuck"}}}}));
  CHECK(stuck["status"] == "failed");
  CHECK(node_of(stuck, "run")["message"].get<std::string>().find(
          "sub-workflow 'stuck' cannot start: its instance-limit (1) is taken by an ancestor")
        == 0);
  CHECK(children(c).size() == 3);
}

TEST_SUITE_END();
