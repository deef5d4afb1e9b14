// The sub-workflow kind's rules without actors: what a node asks the master
// for, the depth limit, how a child's end decides the node, and what the
// loader accepts and refuses.
#include "actions/sub_workflow.hpp"

#include <doctest/doctest.h>

#include "engine/params.hpp"
#include "util/tz.hpp"
#include "xml/workflow_parser.hpp"

using namespace cafflow;

namespace {

/// A workflow `name` whose node "a" is `action_xml`.
parse_result parse_action(const std::string& action_xml, const std::string& name = "parent",
                          const std::string& attrs = "") {
  return parse_definition("<work-flow name=\"" + name
                            + "\"><start name=\"s\" to=\"a\"/>\n<action name=\"a\"" + attrs + ">"
                            + action_xml + "<ok to=\"e\"/></action>\n<end name=\"e\"/></work-flow>",
                          "p.xml");
}

std::string diagnostics(const parse_result& r) {
  std::string out;
  for (const auto& d : r.diagnostics)
    out += d.to_string() + "\n";
  return out;
}

/// The child call of node "a" of `xml`'s workflow, run by an instance at
/// `depth` with `params` in zone `zone`.
expected<child_request> call_of(const std::string& action_xml, const param_map& params,
                                const std::string& zone = "Asia/Shanghai", int depth = 0) {
  auto parsed = parse_action(action_xml);
  REQUIRE_MESSAGE(parsed.wf, diagnostics(parsed));
  const auto& wf = *parsed.wf;
  instance_record instance;
  instance.id = "0042";
  instance.workflow = wf.name;
  instance.params = params;
  instance.logical_time = 1790000000000; // 2026-09-21 14:13:20 UTC, 22:13 in Shanghai
  instance.depth = depth;
  instance.execution = 2;
  param_scope scope;
  scope.params = params;
  scope.logical_time = instance.logical_time;
  scope.zone = *find_time_zone(zone);
  attempt_context ctx;
  ctx.wf = &wf;
  ctx.node = wf.index_of("a");
  ctx.attempt = 3;
  ctx.instance = &instance;
  ctx.scope = &scope;
  return make_child_request(ctx);
}

} // namespace

TEST_SUITE_BEGIN("sub_workflow");

TEST_CASE("the child call carries the parent's logical time and zone and the expanded params") {
  auto req = call_of(R"(<sub-workflow name="load_${param:region}">
      <param name="day" value="${time.today|yyyy-MM-dd}"/>
      <param name="region" value="${param:region}"/>
      <param name="plain" value="x"/>
    </sub-workflow>)",
                     {{"region", "eu"}});
  REQUIRE_MESSAGE(req, req.error().message);
  CHECK(req->workflow == "load_eu");
  // The day in the parent's zone: 22:13 in Shanghai is still 2026-09-21.
  CHECK(req->params == param_map{{"day", "2026-09-21"}, {"region", "eu"}, {"plain", "x"}});
  CHECK(req->logical_time == 1790000000000);
  CHECK(req->timezone == "Asia/Shanghai");
  CHECK(req->parent_id == "0042");
  CHECK(req->parent_workflow == "parent");
  CHECK(req->node == "a");
  CHECK(req->attempt == 3);
  CHECK(req->execution == 2);
  CHECK(req->depth == 1);
  CHECK(req->child_id.empty());
  // The zone decides the day: at 14:13 UTC it is already the next day in
  // Auckland.
  auto auckland = call_of(R"(<sub-workflow name="c">
      <param name="day" value="${time.today|yyyy-MM-dd}"/></sub-workflow>)",
                          {}, "Pacific/Auckland");
  REQUIRE(auckland);
  CHECK(auckland->params.at("day") == "2026-09-22");
  CHECK(auckland->timezone == "Pacific/Auckland");
}

TEST_CASE("a child is one level deeper than its parent") {
  auto req = call_of(R"(<sub-workflow name="c"/>)", {}, "UTC", 4);
  REQUIRE(req);
  CHECK(req->depth == 5);
}

TEST_CASE("a param that cannot be expanded fails the call naming it") {
  auto parsed = parse_action(
    R"(<sub-workflow name="c"><param name="day" value="${param:nope}"/></sub-workflow>)");
  REQUIRE(parsed.wf);
  instance_record instance;
  instance.id = "1";
  param_scope scope;
  scope.zone = *find_time_zone("UTC");
  attempt_context ctx;
  ctx.wf = &*parsed.wf;
  ctx.node = parsed.wf->index_of("a");
  ctx.instance = &instance;
  ctx.scope = &scope;
  auto failed = make_child_request(ctx);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("param 'day' of the sub-workflow") == 0);
  CHECK(failed.error().message.find("nope") != std::string::npos);
}

TEST_CASE("a name that expands to nothing fails the call") {
  auto req = call_of(R"(<sub-workflow name="${param:target}"/>)", {{"target", " "}});
  REQUIRE_FALSE(req);
  CHECK(req.error().message.find("expands to nothing") != std::string::npos);
}

TEST_CASE("the depth limit lets children nest up to it and names the setting beyond") {
  child_request req;
  req.workflow = "again";
  req.depth = 8;
  CHECK(depth_refusal(req, 8).empty());
  req.depth = 9;
  auto why = depth_refusal(req, 8);
  CHECK(why.find("sub-workflow 'again' is not started") == 0);
  CHECK(why.find("9 levels deep") != std::string::npos);
  CHECK(why.find("master.max_sub_workflow_depth (8)") != std::string::npos);
}

TEST_CASE("a succeeded child succeeds the node and a failed or killed one fails it") {
  instance_record child;
  child.id = "0100";
  child.workflow = "load";
  child.status = "running";
  CHECK(verdict_of(child).outcome.empty());
  child.status = "queued";
  CHECK(verdict_of(child).outcome.empty());

  child.status = "succeeded";
  auto ok = verdict_of(child);
  CHECK(ok.outcome == "succeeded");
  CHECK(ok.message == "child instance 0100 (workflow load) succeeded");

  child.status = "failed";
  child.message = "node 'b' failed: exit code 3\nthe log's tail";
  node_record a;
  a.name = "b";
  a.kind = "action";
  a.status = "failed";
  child.nodes = {a};
  auto failed = verdict_of(child);
  CHECK(failed.outcome == "failed");
  CHECK(failed.message
        == "child instance 0100 (workflow load) failed: node 'b' failed: exit code 3");

  // Failed nodes its message does not name are listed.
  node_record c = a;
  c.name = "c";
  child.nodes.push_back(c);
  CHECK(verdict_of(child).message
        == "child instance 0100 (workflow load) failed: node 'b' failed: exit code 3; failed "
           "nodes: c");

  child.status = "killed";
  child.message = "killed on request";
  child.nodes.clear();
  auto killed = verdict_of(child);
  CHECK(killed.outcome == "failed");
  CHECK(killed.message == "child instance 0100 (workflow load) was killed: killed on request");

  // Known only by its status (its record cannot be read).
  instance_record bare;
  bare.id = "0101";
  bare.workflow = "load";
  bare.status = "failed";
  CHECK(verdict_of(bare).message == "child instance 0101 (workflow load) failed");
}

TEST_CASE("a sub-workflow that runs its own workflow is refused at load naming file and line") {
  auto self_call = parse_action(R"(<sub-workflow name="parent"/>)");
  CHECK_FALSE(self_call.wf);
  auto text = diagnostics(self_call);
  CHECK(text.find("p.xml:2:") == 0);
  CHECK(text.find("error: <sub-workflow> runs workflow 'parent', the workflow it is part of")
        != std::string::npos);
  // Another workflow, loaded or not yet, is fine; so is a name that is an
  // expression (a recursion through it stops at the depth limit).
  CHECK(parse_action(R"(<sub-workflow name="other"/>)").wf);
  CHECK(parse_action(R"(<sub-workflow name="${param:next}"/>)").wf);
}

TEST_CASE("a sub-workflow node takes a timeout but no worker placement") {
  auto timed = parse_action(R"(<sub-workflow name="other"/>)", "parent",
                            R"( timeout="30" timeout-action="warn" retry-times="1")");
  REQUIRE_MESSAGE(timed.wf, diagnostics(timed));
  const auto& spec = timed.wf->nodes[timed.wf->index_of("a")].action;
  CHECK(spec.timeout_s == 30);
  CHECK(spec.on_timeout == timeout_action::warn);
  auto placed = parse_action(R"(<sub-workflow name="other"/>)", "parent",
                             R"( worker-group="etl" host="h1")");
  CHECK_FALSE(placed.wf);
  auto text = diagnostics(placed);
  CHECK(text.find("attribute 'worker-group' does not apply to <sub-workflow>")
        != std::string::npos);
  CHECK(text.find("attribute 'host' does not apply to <sub-workflow>") != std::string::npos);
  // A param of the call with an unknown expression is refused as anywhere.
  auto bad = parse_action(
    R"(<sub-workflow name="other"><param name="d" value="${time.nope}"/></sub-workflow>)");
  CHECK_FALSE(bad.wf);
}

TEST_SUITE_END();
