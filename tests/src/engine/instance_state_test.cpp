#include "engine/instance_state.hpp"

#include <algorithm>
#include <set>

#include <doctest/doctest.h>

#include "xml/workflow_parser.hpp"

using namespace cafflow;

namespace {

std::shared_ptr<const workflow> load(const std::string& body, const std::string& name = "w") {
  auto r = parse_definition("<work-flow name=\"" + name + "\">" + body + "</work-flow>", "t.xml");
  if (!r.wf) {
    for (const auto& d : r.diagnostics)
      MESSAGE(d.to_string());
    FAIL("test workflow does not parse");
  }
  return std::make_shared<const workflow>(std::move(*r.wf));
}

std::string action(const std::string& name, const std::string& ok,
                   const std::string& error = "", const std::string& attrs = "") {
  return "<action name=\"" + name + "\" " + attrs + "><shell><command>x</command></shell><ok to=\""
         + ok + "\"/>" + (error.empty() ? "" : "<error to=\"" + error + "\"/>") + "</action>";
}

/// Names of the actions an effect list starts.
std::vector<std::string> runs(const instance_state& st, const std::vector<effect>& effects) {
  std::vector<std::string> result;
  for (const auto& e : effects)
    if (e.what == effect::kind::run_action)
      result.push_back(st.definition().nodes[e.node].name);
  std::sort(result.begin(), result.end());
  return result;
}

bool finishes(const std::vector<effect>& effects, instance_status status) {
  return std::any_of(effects.begin(), effects.end(), [&](const effect& e) {
    return e.what == effect::kind::finish && e.status == status;
  });
}

std::size_t idx(const instance_state& st, const std::string& name) {
  return st.definition().index_of(name);
}

node_status status_of(const instance_state& st, const std::string& name) {
  return st.node(idx(st, name)).status;
}

std::vector<effect> succeed(instance_state& st, const std::string& name) {
  auto i = idx(st, name);
  return st.attempt_finished(i, st.node(i).attempts, attempt_outcome::succeeded, "", 1);
}

std::vector<effect> fail(instance_state& st, const std::string& name,
                         attempt_outcome how = attempt_outcome::failed) {
  auto i = idx(st, name);
  return st.attempt_finished(i, st.node(i).attempts, how, "exit code 3", 1);
}

/// What the store keeps of an instance: its node states.
std::vector<node_state> snapshot(const instance_state& st) {
  std::vector<node_state> nodes;
  for (std::size_t i = 0; i < st.definition().nodes.size(); ++i)
    nodes.push_back(st.node(i));
  return nodes;
}

/// "kind node attempt" of every effect, in order.
std::vector<std::string> describe(const instance_state& st, const std::vector<effect>& effects) {
  std::vector<std::string> result;
  for (const auto& e : effects) {
    auto name = st.definition().nodes[e.node].name;
    switch (e.what) {
      case effect::kind::run_action: result.push_back("run " + name + " " + std::to_string(e.attempt)); break;
      case effect::kind::adopt_action: result.push_back("adopt " + name + " " + std::to_string(e.attempt)); break;
      case effect::kind::schedule_retry: result.push_back("retry " + name + " " + std::to_string(e.attempt)); break;
      case effect::kind::cancel_action: result.push_back("cancel " + name); break;
      case effect::kind::finish: result.push_back(std::string("finish ") + to_string(e.status)); break;
    }
  }
  return result;
}

/// A chain s -> a -> b -> c -> e whose b failed (the instance failed, c never ran).
std::shared_ptr<const workflow> chain() {
  return load("<start name='s' to='a'/>" + action("a", "b") + action("b", "c") + action("c", "e")
              + "<end name='e'/>");
}

std::vector<node_state> failed_at_b(const std::shared_ptr<const workflow>& wf) {
  instance_state st(wf);
  st.start(1);
  succeed(st, "a");
  fail(st, "b");
  REQUIRE(st.status() == instance_status::failed);
  return snapshot(st);
}

/// A fork s -> f(b, c) -> j -> d -> e.
std::shared_ptr<const workflow> fork_join() {
  return load("<start name='s' to='f'/><fork name='f'><path to='b'/><path to='c'/></fork>"
              + action("b", "j") + action("c", "j") + "<join name='j' to='d'/>" + action("d", "e")
              + "<end name='e'/>");
}

/// Run options naming `nodes` (and, with `downstream`, what follows them).
run_options selecting(std::vector<std::string> nodes, bool downstream = false) {
  run_options o;
  o.nodes = std::move(nodes);
  o.downstream = downstream;
  return o;
}

std::vector<std::size_t> indices(const instance_state& st, const std::vector<std::string>& names) {
  std::vector<std::size_t> result;
  for (const auto& n : names)
    result.push_back(idx(st, n));
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace

TEST_SUITE_BEGIN("instance_state");

TEST_CASE("a chain runs one action after the other and succeeds") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "b") + action("b", "e")
                         + "<end name='e'/>"));
  CHECK(runs(st, st.start(1)) == std::vector<std::string>{"a"});
  CHECK(st.status() == instance_status::running);
  CHECK(status_of(st, "s") == node_status::succeeded);
  CHECK(runs(st, succeed(st, "a")) == std::vector<std::string>{"b"});
  auto last = succeed(st, "b");
  CHECK(finishes(last, instance_status::succeeded));
  CHECK(st.status() == instance_status::succeeded);
  CHECK(status_of(st, "e") == node_status::succeeded);
}

TEST_CASE("a fork runs its paths in parallel and the join waits for all of them") {
  instance_state st(load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/>"
                         "<path to='c'/></fork>"
                         + action("a", "j") + action("b", "j") + action("c", "j")
                         + "<join name='j' to='d'/>" + action("d", "e") + "<end name='e'/>"));
  CHECK(runs(st, st.start(1)) == std::vector<std::string>{"a", "b", "c"});
  CHECK(runs(st, succeed(st, "b")).empty());
  CHECK(status_of(st, "j") == node_status::waiting);
  CHECK(runs(st, succeed(st, "a")).empty());
  CHECK(runs(st, succeed(st, "c")) == std::vector<std::string>{"d"});
  CHECK(status_of(st, "j") == node_status::succeeded);
  CHECK(finishes(succeed(st, "d"), instance_status::succeeded));
}

TEST_CASE("a failed action follows its error transition") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "e", "cleanup")
                         + action("cleanup", "k") + "<kill name='k'><message>gave up</message>"
                         "</kill><end name='e'/>"));
  st.start(1);
  CHECK(runs(st, fail(st, "a")) == std::vector<std::string>{"cleanup"});
  CHECK(status_of(st, "a") == node_status::failed);
  auto last = succeed(st, "cleanup");
  CHECK(finishes(last, instance_status::killed));
  CHECK(st.message() == "gave up");
}

TEST_CASE("a failure without an error transition fails the instance and cancels the rest") {
  instance_state st(load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/>"
                         "</fork>"
                         + action("a", "j") + action("b", "j") + "<join name='j' to='e'/>"
                         + "<end name='e'/>"));
  st.start(1);
  auto effects = fail(st, "a");
  CHECK(finishes(effects, instance_status::failed));
  CHECK(st.message() == "node 'a' failed: exit code 3");
  auto cancelled = std::count_if(effects.begin(), effects.end(), [&](const effect& e) {
    return e.what == effect::kind::cancel_action && e.node == idx(st, "b");
  });
  CHECK(cancelled == 1);
  CHECK(status_of(st, "b") == node_status::killed);
  // A late report of the cancelled action changes nothing.
  CHECK(succeed(st, "b").empty());
  CHECK(st.status() == instance_status::failed);
}

TEST_CASE("reaching end kills branches that still run") {
  instance_state st(load("<start name='s' to='f'/><fork name='f'><path to='fast'/>"
                         "<path to='slow'/></fork>"
                         + action("fast", "e") + action("slow", "e") + "<end name='e'/>"));
  st.start(1);
  auto effects = succeed(st, "fast");
  CHECK(finishes(effects, instance_status::succeeded));
  CHECK(status_of(st, "slow") == node_status::killed);
}

TEST_CASE("a join does not wait for a branch that left through another path") {
  instance_state st(load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/>"
                         "</fork>"
                         + action("a", "j") + action("b", "j", "x") + action("x", "e2")
                         + "<join name='j' to='d'/>" + action("d", "e") + "<end name='e'/>"
                         + "<end name='e2'/>"));
  st.start(1);
  CHECK(runs(st, succeed(st, "a")).empty());
  // b fails and goes to x, which can never reach the join: the join fires.
  CHECK(runs(st, fail(st, "b")) == std::vector<std::string>{"d", "x"});
  CHECK(status_of(st, "j") == node_status::succeeded);
}

TEST_CASE("retries: a failed attempt is retried after the interval, then succeeds") {
  instance_state st(load("<start name='s' to='a'/>"
                         + action("a", "e", "", "retry-times='2' interval='7'")
                         + "<end name='e'/>"));
  st.start(1);
  auto effects = fail(st, "a");
  REQUIRE(effects.size() == 1);
  CHECK(effects[0].what == effect::kind::schedule_retry);
  CHECK(effects[0].delay_s == 7);
  CHECK(status_of(st, "a") == node_status::retrying);
  auto retry = st.retry_due(idx(st, "a"), 2);
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].what == effect::kind::run_action);
  CHECK(retry[0].attempt == 2);
  CHECK(fail(st, "a")[0].what == effect::kind::schedule_retry);
  st.retry_due(idx(st, "a"), 3);
  CHECK(st.node(idx(st, "a")).attempts == 3);
  CHECK(finishes(fail(st, "a"), instance_status::failed)); // 1 + 2 retries used up
}

TEST_CASE("a join waits for a branch whose action is retrying") {
  instance_state st(load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/>"
                         "</fork>"
                         + action("a", "j", "", "retry-times='1'") + action("b", "j")
                         + "<join name='j' to='e'/><end name='e'/>"));
  st.start(1);
  fail(st, "a");
  CHECK(succeed(st, "b").empty());
  CHECK(status_of(st, "j") == node_status::waiting);
  st.retry_due(idx(st, "a"), 2);
  CHECK(finishes(succeed(st, "a"), instance_status::succeeded));
}

TEST_CASE("is-ignore skips an action and follows ok") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "b", "", "is-ignore='true'")
                         + action("b", "e") + "<end name='e'/>"));
  CHECK(runs(st, st.start(1)) == std::vector<std::string>{"b"});
  CHECK(status_of(st, "a") == node_status::skipped);
}

TEST_CASE("a timeout with timeout-action kill-instance kills the instance") {
  instance_state st(load("<start name='s' to='a'/>"
                         + action("a", "e", "", "timeout='1' timeout-action='kill-instance' "
                                                "retry-times='3'")
                         + "<end name='e'/>"));
  st.start(1);
  CHECK(finishes(fail(st, "a", attempt_outcome::timed_out), instance_status::killed));
}

TEST_CASE("a lost attempt counts as a failed one") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "e", "", "retry-times='1'")
                         + "<end name='e'/>"));
  st.start(1);
  CHECK(fail(st, "a", attempt_outcome::lost)[0].what == effect::kind::schedule_retry);
}

TEST_CASE("kill ends the instance and cancels every running action") {
  instance_state st(load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/>"
                         "</fork>"
                         + action("a", "j") + action("b", "j") + "<join name='j' to='e'/>"
                         + "<end name='e'/>"));
  st.start(1);
  auto effects = st.kill("by operator", 2);
  CHECK(finishes(effects, instance_status::killed));
  auto cancels = std::count_if(effects.begin(), effects.end(),
                               [](const effect& e) { return e.what == effect::kind::cancel_action; });
  CHECK(cancels == 2);
  CHECK(st.kill("again", 3).empty());
}

TEST_CASE("stale reports are ignored") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "e", "", "retry-times='1'")
                         + "<end name='e'/>"));
  st.start(1);
  fail(st, "a");
  st.retry_due(idx(st, "a"), 2);
  // A report for attempt 1 arriving now must not end attempt 2.
  CHECK(st.attempt_finished(idx(st, "a"), 1, attempt_outcome::succeeded, "", 3).empty());
  CHECK(status_of(st, "a") == node_status::running);
}

TEST_CASE("waiting for a worker shows in the node, and changes nothing else") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "e") + "<end name='e'/>"));
  st.start(1);
  auto a = idx(st, "a");
  st.attempt_waiting(a, 1, "waiting for a worker on host 'h9'", 2);
  CHECK(status_of(st, "a") == node_status::waiting);
  CHECK(st.node(a).message == "waiting for a worker on host 'h9'");
  st.attempt_waiting(a, 7, "stale", 2); // another attempt: ignored
  CHECK(st.node(a).message == "waiting for a worker on host 'h9'");
  st.attempt_running(a, 1, 3);
  CHECK(status_of(st, "a") == node_status::running);
  CHECK(finishes(succeed(st, "a"), instance_status::succeeded));
}

TEST_CASE("killing an instance cancels an attempt that still waits for a worker") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "e") + "<end name='e'/>"));
  st.start(1);
  st.attempt_waiting(idx(st, "a"), 1, "busy", 2);
  auto effects = st.kill("stop", 3);
  CHECK(std::count_if(effects.begin(), effects.end(), [](const effect& e) {
          return e.what == effect::kind::cancel_action;
        }) == 1);
  CHECK(status_of(st, "a") == node_status::killed);
}

TEST_CASE("changed nodes are reported once") {
  instance_state st(load("<start name='s' to='a'/>" + action("a", "e") + "<end name='e'/>"));
  st.start(1);
  auto changed = st.take_changed();
  CHECK(changed.size() == 2); // s and a
  CHECK(st.take_changed().empty());
}

TEST_CASE("a decision follows the first case that holds, else the default") {
  // The evaluator is a stand-in here: it holds for the conditions listed.
  auto wf = load("<start name='s' to='d'/><decision name='d'><case to='x'>a == 1</case>"
                 "<case to='y'>b == 1</case><default to='z'/></decision>"
                 + action("x", "e") + action("y", "e") + action("z", "e") + "<end name='e'/>");
  auto holds = [](std::set<std::string> true_ones) {
    return [true_ones](const std::string& c) -> expected<bool> { return true_ones.count(c) > 0; };
  };
  instance_state first(wf, holds({"a == 1", "b == 1"}));
  CHECK(runs(first, first.start(1)) == std::vector<std::string>{"x"});
  CHECK(first.node(idx(first, "d")).message == "case 1 holds: x");
  instance_state second(wf, holds({"b == 1"}));
  CHECK(runs(second, second.start(1)) == std::vector<std::string>{"y"});
  instance_state neither(wf, holds({}));
  CHECK(runs(neither, neither.start(1)) == std::vector<std::string>{"z"});
  CHECK(neither.node(idx(neither, "d")).message == "no case holds: z");
}

TEST_CASE("a condition that cannot be evaluated fails the instance, naming the case") {
  auto wf = load("<start name='s' to='d'/><decision name='d'><case to='x'>${param:n} &lt; 3</case>"
                 "<default to='x'/></decision>" + action("x", "e") + "<end name='e'/>");
  instance_state st(wf, [](const std::string&) -> expected<bool> {
    return make_error(ec::invalid_argument, "'abc' < 3: not a number");
  });
  CHECK(finishes(st.start(1), instance_status::failed));
  CHECK(st.message() == "node 'd' failed: case 1: 'abc' < 3: not a number");
}

TEST_CASE("a large fan-out settles without quadratic work per event") {
  std::string body = "<start name='s' to='f'/><fork name='f'>";
  std::string actions;
  for (int i = 0; i < 1000; ++i) {
    body += "<path to='t" + std::to_string(i) + "'/>";
    actions += action("t" + std::to_string(i), "j");
  }
  body += "</fork>" + actions + "<join name='j' to='e'/><end name='e'/>";
  instance_state st(load(body));
  CHECK(runs(st, st.start(1)).size() == 1000);
  for (int i = 0; i < 999; ++i)
    succeed(st, "t" + std::to_string(i));
  CHECK(status_of(st, "j") == node_status::waiting);
  CHECK(finishes(succeed(st, "t999"), instance_status::succeeded));
}

TEST_CASE("restore: a chain resumes at the action that was running, and ends as before") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "b") + action("b", "e") + "<end name='e'/>");
  instance_state before(wf);
  before.start(1);
  succeed(before, "a");
  instance_state after(wf);
  auto effects = after.restore(snapshot(before), 5);
  REQUIRE(effects);
  CHECK(describe(after, *effects) == std::vector<std::string>{"adopt b 1"});
  CHECK(after.status() == instance_status::running);
  CHECK(status_of(after, "a") == node_status::succeeded);
  CHECK(finishes(succeed(after, "b"), instance_status::succeeded));
}

TEST_CASE("restore: a join keeps the tokens that arrived and waits for the running branch") {
  auto wf = load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/></fork>"
                 + action("a", "j") + action("b", "j") + "<join name='j' to='d'/>"
                 + action("d", "e") + "<end name='e'/>");
  instance_state before(wf);
  before.start(1);
  succeed(before, "a");
  instance_state after(wf);
  auto effects = after.restore(snapshot(before), 5);
  REQUIRE(effects);
  CHECK(describe(after, *effects) == std::vector<std::string>{"adopt b 1"});
  CHECK(status_of(after, "j") == node_status::waiting);
  CHECK(runs(after, succeed(after, "b")) == std::vector<std::string>{"d"});
  CHECK(finishes(succeed(after, "d"), instance_status::succeeded));
}

TEST_CASE("restore: an action waiting for its retry is retried, with its attempts counted") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "e", "", "retry-times='2' interval='60'")
                 + "<end name='e'/>");
  instance_state before(wf);
  before.start(1);
  fail(before, "a");
  instance_state after(wf);
  auto effects = after.restore(snapshot(before), 5);
  REQUIRE(effects);
  CHECK(describe(after, *effects) == std::vector<std::string>{"retry a 2"});
  CHECK(describe(after, after.retry_due(idx(after, "a"), 6)) == std::vector<std::string>{"run a 2"});
  fail(after, "a");
  after.retry_due(idx(after, "a"), 7);
  CHECK(finishes(fail(after, "a"), instance_status::failed)); // 3 attempts in all
}

TEST_CASE("restore: an action that waited for a worker is adopted, a waiting join with no token left fires") {
  auto wf = load("<start name='s' to='f'/><fork name='f'><path to='a'/><path to='b'/></fork>"
                 + action("a", "j") + action("b", "j") + "<join name='j' to='e'/><end name='e'/>");
  instance_state before(wf);
  before.start(1);
  before.attempt_waiting(idx(before, "b"), 1, "waiting for a free slot", 2);
  auto nodes = snapshot(before);
  instance_state after(wf);
  auto effects = after.restore(nodes, 5);
  REQUIRE(effects);
  CHECK(describe(after, *effects) == std::vector<std::string>{"adopt a 1", "adopt b 1"});
  // A state stored half-way (never written so by cafflow): the join waits but
  // nothing can reach it any more — restoring settles it.
  nodes[idx(before, "a")].status = node_status::succeeded;
  nodes[idx(before, "b")].status = node_status::succeeded;
  nodes[idx(before, "j")].status = node_status::waiting;
  instance_state repaired(wf);
  auto settled = repaired.restore(nodes, 5);
  REQUIRE(settled);
  CHECK(describe(repaired, *settled) == std::vector<std::string>{"finish succeeded"});
}

TEST_CASE("restore refuses nodes that do not fit the definition, and a started state") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "e") + "<end name='e'/>");
  instance_state st(wf);
  auto wrong = st.restore(std::vector<node_state>(2), 5);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message == "the stored instance has 2 nodes, its workflow version 3");
  instance_state started(wf);
  started.start(1);
  CHECK_FALSE(started.restore(snapshot(started), 5));
}

TEST_CASE("rerun modes have names and parse back, a bad one is named") {
  for (auto mode : {rerun_mode::all, rerun_mode::failed, rerun_mode::nodes}) {
    auto parsed = parse_rerun_mode(to_string(mode));
    REQUIRE(parsed);
    CHECK(*parsed == mode);
  }
  CHECK(std::string(to_string(rerun_mode::failed)) == "failed");
  auto bad = parse_rerun_mode("Failed");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ec::invalid_argument);
  CHECK(bad.error().message.find("'Failed'") != std::string::npos);
}

TEST_CASE("rerun failed: a chain reruns the failed node and what follows, the rest stays") {
  auto wf = chain();
  auto stored = failed_at_b(wf);
  instance_state st(wf);
  auto effects = st.rerun(stored, rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run b 2"});
  CHECK(st.status() == instance_status::running);
  const auto& a = st.node(idx(st, "a"));
  CHECK(a.status == node_status::succeeded);
  CHECK(a.attempts == 1);
  CHECK(a.started == stored[idx(st, "a")].started);
  CHECK(a.finished == stored[idx(st, "a")].finished);
  const auto& b = st.node(idx(st, "b"));
  CHECK(b.status == node_status::running);
  CHECK(b.message.empty()); // was "exit code 3"
  CHECK(b.started == 10);
  CHECK(b.finished == 0);
  CHECK(b.attempt_base == 1);
  CHECK(status_of(st, "c") == node_status::pending);
  // Every reset row is reported, so the runner stores it; a and s are not.
  CHECK(st.take_changed() == indices(st, {"b", "c", "e"}));
  CHECK(describe(st, succeed(st, "b")) == std::vector<std::string>{"run c 1"});
  CHECK(finishes(succeed(st, "c"), instance_status::succeeded));
  CHECK(st.node(idx(st, "a")).attempts == 1);
}

TEST_CASE("rerun all: a chain runs again from the start, attempt numbers continue") {
  auto wf = chain();
  instance_state st(wf);
  auto effects = st.rerun(failed_at_b(wf), rerun_mode::all, {}, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run a 2"});
  CHECK(status_of(st, "s") == node_status::succeeded);
  CHECK(st.node(idx(st, "s")).started == 10);
  CHECK(status_of(st, "b") == node_status::pending);
  CHECK(st.node(idx(st, "b")).attempts == 1); // kept: its next attempt is 2
  CHECK(describe(st, succeed(st, "a")) == std::vector<std::string>{"run b 2"});
  CHECK(describe(st, succeed(st, "b")) == std::vector<std::string>{"run c 1"});
  CHECK(finishes(succeed(st, "c"), instance_status::succeeded));
}

TEST_CASE("rerun nodes: a chain runs the named node and what follows, earlier nodes stay") {
  auto wf = chain();
  instance_state st(wf);
  auto effects = st.rerun(failed_at_b(wf), rerun_mode::nodes, selecting({"c"}, true), 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run c 1"});
  CHECK(status_of(st, "b") == node_status::failed);
  CHECK(status_of(st, "a") == node_status::succeeded);
  CHECK(finishes(succeed(st, "c"), instance_status::succeeded));
}

TEST_CASE("rerun nodes of a succeeded instance: a named node after another named one waits for the flow") {
  auto wf = chain();
  instance_state before(wf);
  before.start(1);
  succeed(before, "a");
  succeed(before, "b");
  REQUIRE(finishes(succeed(before, "c"), instance_status::succeeded));
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::nodes, selecting({"c", "b"}, true), 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run b 2"});
  CHECK(status_of(st, "a") == node_status::succeeded);
  CHECK(status_of(st, "c") == node_status::pending);
  CHECK(status_of(st, "e") == node_status::pending);
  CHECK(describe(st, succeed(st, "b")) == std::vector<std::string>{"run c 2"});
  CHECK(finishes(succeed(st, "c"), instance_status::succeeded));
}

TEST_CASE("rerun failed: a join does not wait for the branch that succeeded") {
  auto wf = fork_join();
  instance_state before(wf);
  before.start(1);
  succeed(before, "c");
  fail(before, "b"); // the instance fails, the waiting join is killed
  REQUIRE(status_of(before, "j") == node_status::killed);
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run b 2"});
  CHECK(status_of(st, "c") == node_status::succeeded);
  CHECK(st.node(idx(st, "c")).attempts == 1);
  // c's token counts as arrived (stored so: a restore rebuilds it).
  CHECK(status_of(st, "j") == node_status::waiting);
  CHECK(describe(st, succeed(st, "b")) == std::vector<std::string>{"run d 1"});
  CHECK(status_of(st, "c") == node_status::succeeded);
  CHECK(finishes(succeed(st, "d"), instance_status::succeeded));
}

TEST_CASE("rerun failed: both killed branches run again and the join waits for both") {
  auto wf = fork_join();
  instance_state before(wf);
  before.start(1);
  before.kill("by operator", 2);
  REQUIRE(status_of(before, "b") == node_status::killed);
  REQUIRE(status_of(before, "c") == node_status::killed);
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run b 2", "run c 2"});
  CHECK(status_of(st, "j") == node_status::pending);
  CHECK(runs(st, succeed(st, "b")).empty());
  CHECK(status_of(st, "j") == node_status::waiting);
  CHECK(describe(st, succeed(st, "c")) == std::vector<std::string>{"run d 1"});
  CHECK(finishes(succeed(st, "d"), instance_status::succeeded));
}

TEST_CASE("rerun: the token a kept branch passed to a join goes on when the rerun branch leaves another way") {
  // b fails to h, the join goes on with c's token to d; then h fails and
  // kills d: the instance fails.
  auto wf = load("<start name='s' to='f'/><fork name='f'><path to='b'/><path to='c'/></fork>"
                 + action("b", "j", "h") + action("c", "j") + action("h", "e2")
                 + "<join name='j' to='d'/>" + action("d", "e")
                 + "<end name='e'/><end name='e2'/>");
  instance_state before(wf);
  before.start(1);
  succeed(before, "c");
  CHECK(runs(before, fail(before, "b")) == std::vector<std::string>{"d", "h"});
  REQUIRE(finishes(fail(before, "h"), instance_status::failed));
  REQUIRE(status_of(before, "d") == node_status::killed);
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  // h and d lie after b: the flow decides whether they run.
  CHECK(describe(st, *effects) == std::vector<std::string>{"run b 2"});
  CHECK(status_of(st, "h") == node_status::pending);
  CHECK(status_of(st, "d") == node_status::pending);
  CHECK(runs(st, fail(st, "b")) == std::vector<std::string>{"d", "h"});
  CHECK(st.node(idx(st, "h")).attempts == 2);
}

TEST_CASE("rerun failed: an action that failed to its error transition runs again and can take ok") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "b", "k") + action("b", "e")
                 + "<kill name='k'><message>gave up</message></kill><end name='e'/>");
  instance_state before(wf);
  before.start(1);
  REQUIRE(finishes(fail(before, "a"), instance_status::killed));
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run a 2"});
  CHECK(status_of(st, "k") == node_status::pending);
  CHECK(describe(st, succeed(st, "a")) == std::vector<std::string>{"run b 1"});
  CHECK(finishes(succeed(st, "b"), instance_status::succeeded));
  // The kill node the first run took is not reached this time.
  CHECK(status_of(st, "k") == node_status::skipped);
}

TEST_CASE("rerun: a decision is decided again") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "d")
                 + "<decision name='d'><case to='x'>go == 1</case><default to='y'/></decision>"
                 + action("x", "e") + action("y", "e") + "<end name='e'/>");
  instance_state before(wf, [](const std::string&) -> expected<bool> {
    return make_error(ec::invalid_argument, "no parameter 'go'");
  });
  before.start(1);
  REQUIRE(finishes(succeed(before, "a"), instance_status::failed));
  REQUIRE(status_of(before, "d") == node_status::failed);
  auto holds = [](const std::string& c) -> expected<bool> { return c == "go == 1"; };
  instance_state failed(wf, holds);
  auto effects = failed.rerun(snapshot(before), rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  CHECK(describe(failed, *effects) == std::vector<std::string>{"run x 1"});
  CHECK(failed.node(idx(failed, "d")).message == "case 1 holds: x");
  CHECK(status_of(failed, "a") == node_status::succeeded);
  instance_state from_a(wf, holds);
  effects = from_a.rerun(snapshot(before), rerun_mode::nodes, selecting({"a"}, true), 10);
  REQUIRE(effects);
  CHECK(describe(from_a, *effects) == std::vector<std::string>{"run a 2"});
  CHECK(describe(from_a, succeed(from_a, "a")) == std::vector<std::string>{"run x 1"});
}

TEST_CASE("rerun: the retry budget is fresh, and a restore keeps counting from the rerun's base") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "e", "", "retry-times='2' interval='5'")
                 + "<end name='e'/>");
  instance_state before(wf);
  before.start(1);
  fail(before, "a");
  before.retry_due(idx(before, "a"), 2);
  fail(before, "a");
  before.retry_due(idx(before, "a"), 3);
  REQUIRE(finishes(fail(before, "a"), instance_status::failed));
  REQUIRE(before.node(idx(before, "a")).attempts == 3);
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::failed, {}, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run a 4"});
  CHECK(st.node(idx(st, "a")).attempt_base == 3);
  CHECK(describe(st, fail(st, "a")) == std::vector<std::string>{"retry a 5"});
  // The master restarts while a waits for its retry.
  instance_state after(wf);
  auto restored = after.restore(snapshot(st), 11);
  REQUIRE(restored);
  CHECK(describe(after, *restored) == std::vector<std::string>{"retry a 5"});
  CHECK(describe(after, after.retry_due(idx(after, "a"), 12))
        == std::vector<std::string>{"run a 5"});
  CHECK(describe(after, fail(after, "a")) == std::vector<std::string>{"retry a 6"});
  after.retry_due(idx(after, "a"), 13);
  CHECK(finishes(fail(after, "a"), instance_status::failed)); // attempts 4, 5 and 6
  CHECK(after.node(idx(after, "a")).attempts == 6);
}

TEST_CASE("rerun refuses unknown and missing nodes, an instance without failures, a misfit and a started state") {
  auto wf = chain();
  auto stored = failed_at_b(wf);
  instance_state unknown(wf);
  auto r = unknown.rerun(stored, rerun_mode::nodes, selecting({"b", "nope"}), 10);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ec::invalid_argument);
  CHECK(r.error().message.find("'nope'") != std::string::npos);
  CHECK(unknown.status() == instance_status::queued);
  instance_state none(wf);
  r = none.rerun(stored, rerun_mode::nodes, {}, 10);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ec::invalid_argument);
  instance_state ok(wf);
  ok.start(1);
  succeed(ok, "a");
  succeed(ok, "b");
  succeed(ok, "c");
  instance_state nothing(wf);
  r = nothing.rerun(snapshot(ok), rerun_mode::failed, {}, 10);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ec::conflict);
  CHECK(r.error().message == "nothing to rerun: no node failed or was killed");
  instance_state misfit(wf);
  r = misfit.rerun(std::vector<node_state>(2), rerun_mode::all, {}, 10);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ec::invalid_argument);
  CHECK(r.error().message == "the stored instance has 2 nodes, its workflow version 5");
  instance_state started(wf);
  started.start(1);
  CHECK_FALSE(started.rerun(stored, rerun_mode::all, {}, 10));
}

// -- run options, failure policy, mark (docs/SCHEDULING.md "Run options") ------

namespace {

/// The choices of `options` for a first run; the test fails when they are refused.
std::vector<node_choice> choices(const std::shared_ptr<const workflow>& wf,
                                 const run_options& options) {
  auto c = choose_nodes(*wf, "", options);
  if (!c)
    FAIL(c.error().message);
  return *c;
}

/// s -> a -> b -> c -> d -> e (a longer chain).
std::shared_ptr<const workflow> chain4() {
  return load("<start name='s' to='a'/>" + action("a", "b") + action("b", "c") + action("c", "d")
              + action("d", "e") + "<end name='e'/>");
}

} // namespace

TEST_CASE("run --nodes: only the named action runs, the others are skipped and the flow passes them") {
  auto wf = chain4();
  instance_state st(wf);
  auto effects = st.start(1, choices(wf, selecting({"c"})));
  CHECK(describe(st, effects) == std::vector<std::string>{"run c 1"});
  CHECK(status_of(st, "a") == node_status::skipped);
  CHECK(st.node(idx(st, "a")).message == "not selected for this run");
  CHECK(status_of(st, "b") == node_status::skipped);
  auto end = succeed(st, "c");
  CHECK(finishes(end, instance_status::succeeded));
  CHECK(status_of(st, "d") == node_status::skipped);
}

TEST_CASE("run --nodes with --upstream and --downstream, and --from-node") {
  auto wf = chain4();
  run_options up = selecting({"b"});
  up.upstream = true;
  instance_state with_up(wf);
  CHECK(describe(with_up, with_up.start(1, choices(wf, up))) == std::vector<std::string>{"run a 1"});
  CHECK(describe(with_up, succeed(with_up, "a")) == std::vector<std::string>{"run b 1"});
  auto end = succeed(with_up, "b");
  CHECK(finishes(end, instance_status::succeeded));
  CHECK(status_of(with_up, "c") == node_status::skipped);

  instance_state with_down(wf);
  CHECK(describe(with_down, with_down.start(1, choices(wf, selecting({"c"}, true))))
        == std::vector<std::string>{"run c 1"});
  CHECK(describe(with_down, succeed(with_down, "c")) == std::vector<std::string>{"run d 1"});

  run_options from;
  from.from_node = "b";
  instance_state from_b(wf);
  CHECK(describe(from_b, from_b.start(1, choices(wf, from))) == std::vector<std::string>{"run b 1"});
  CHECK(status_of(from_b, "a") == node_status::skipped);
  CHECK(describe(from_b, succeed(from_b, "b")) == std::vector<std::string>{"run c 1"});
}

TEST_CASE("run --skip: the skipped actions do not run, the flow follows their ok") {
  auto wf = fork_join();
  run_options o;
  o.skip = {"b"};
  instance_state st(wf);
  CHECK(describe(st, st.start(1, choices(wf, o))) == std::vector<std::string>{"run c 1"});
  CHECK(status_of(st, "b") == node_status::skipped);
  CHECK(st.node(idx(st, "b")).message == "skipped on request (--skip)");
  CHECK(describe(st, succeed(st, "c")) == std::vector<std::string>{"run d 1"});
}

TEST_CASE("run options are checked: unknown nodes, control nodes, bad combinations, nothing left") {
  auto wf = fork_join();
  auto refused = [&](const run_options& o, const std::string& mode = "") {
    auto c = choose_nodes(*wf, mode, o);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == ec::invalid_argument);
    return c.error().message;
  };
  CHECK(refused(selecting({"b", "zz", "yy"})).find("has no nodes 'zz,yy'") != std::string::npos);
  CHECK(refused(selecting({"f"})).find("'f' is not an action") != std::string::npos);
  run_options skip_fork;
  skip_fork.skip = {"j"};
  CHECK(refused(skip_fork).find("--skip: 'j' is not an action") != std::string::npos);
  run_options down_alone;
  down_alone.downstream = true;
  CHECK(refused(down_alone) == "--upstream and --downstream need --nodes");
  run_options both = selecting({"b"});
  both.from_node = "c";
  CHECK(refused(both).find("do not go together") != std::string::npos);
  run_options all_skipped;
  all_skipped.skip = {"b", "c", "d"};
  CHECK(refused(all_skipped).find("nothing to run") != std::string::npos);
  CHECK(refused(selecting({"b"}), "failed").find("takes no --nodes") != std::string::npos);
  run_options unknown_from;
  unknown_from.from_node = "nope";
  CHECK(refused(unknown_from).find("--from-node: workflow 'w' has no node 'nope'")
        != std::string::npos);
}

TEST_CASE("run options round-trip through JSON with the rerun mode") {
  run_options o = selecting({"a", "b"}, true);
  o.skip = {"c"};
  auto text = run_options_to_json("nodes", o);
  auto back = run_options_from_json(text);
  REQUIRE(back);
  CHECK(back->first == "nodes");
  CHECK(back->second.nodes == o.nodes);
  CHECK(back->second.downstream);
  CHECK_FALSE(back->second.upstream);
  CHECK(back->second.skip == o.skip);
  CHECK(run_options_to_json("", {}) == "{}");
  CHECK(run_options_from_json("{}")->second.empty());
  CHECK(run_options_from_json("")->first.empty());
  CHECK_FALSE(run_options_from_json("[1]"));
  CHECK_FALSE(run_options_from_json("{\"nodes\": 3}"));
  CHECK(describe(o) == "--nodes a,b --downstream --skip c");
}

TEST_CASE("rerun --nodes without --downstream runs only the named node, the flow passes what succeeded") {
  auto wf = chain();
  instance_state before(wf);
  before.start(1);
  succeed(before, "a");
  succeed(before, "b");
  REQUIRE(finishes(succeed(before, "c"), instance_status::succeeded));
  instance_state st(wf);
  auto effects = st.rerun(snapshot(before), rerun_mode::nodes, selecting({"b"}), 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run b 2"});
  auto end = succeed(st, "b");
  CHECK(runs(st, end).empty()); // c is not run again
  CHECK(finishes(end, instance_status::succeeded));
  CHECK(status_of(st, "c") == node_status::succeeded);
  CHECK(st.node(idx(st, "c")).attempts == 1);
}

TEST_CASE("rerun failed with --skip: the skipped failed node is passed") {
  auto wf = chain();
  run_options o;
  o.skip = {"b"};
  instance_state st(wf);
  auto effects = st.rerun(failed_at_b(wf), rerun_mode::failed, o, 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run c 1"});
  CHECK(status_of(st, "b") == node_status::skipped);
}

TEST_CASE("untaken decision branches and nodes after the end are skipped") {
  auto wf = load("<start name='s' to='d'/>"
                 "<decision name='d'><case to='x'>1 == 1</case><default to='y'/></decision>"
                 + action("x", "e") + action("y", "e") + "<end name='e'/>");
  instance_state st(wf, [](const std::string&) -> expected<bool> { return true; });
  CHECK(describe(st, st.start(1)) == std::vector<std::string>{"run x 1"});
  CHECK(status_of(st, "y") == node_status::pending);
  CHECK(finishes(succeed(st, "x"), instance_status::succeeded));
  CHECK(status_of(st, "y") == node_status::skipped);
  CHECK(st.node(idx(st, "y")).message == "not reached");
  // A failed chain: the nodes after the failure were never reached.
  auto stored = failed_at_b(chain());
  CHECK(stored[chain()->index_of("c")].status == node_status::skipped);
}

TEST_CASE("on-failure continue: the other branch runs to its end, what follows the failure does not, the instance fails") {
  auto fj = parse_definition(
    "<work-flow name='w' on-failure='continue'><start name='s' to='f'/>"
    "<fork name='f'><path to='b'/><path to='c'/></fork>"
    + action("b", "b2") + action("b2", "j") + action("c", "c2") + action("c2", "j")
    + "<join name='j' to='d'/>" + action("d", "e") + "<end name='e'/></work-flow>",
    "t.xml");
  REQUIRE(fj.wf);
  auto cont = std::make_shared<const workflow>(std::move(*fj.wf));
  CHECK(cont->continue_on_failure);
  instance_state st(cont);
  CHECK(runs(st, st.start(1)) == std::vector<std::string>{"b", "c"});
  auto effects = fail(st, "b");
  CHECK(effects.empty()); // c goes on, nothing is cancelled
  CHECK(st.status() == instance_status::running);
  CHECK(describe(st, succeed(st, "c")) == std::vector<std::string>{"run c2 1"});
  effects = succeed(st, "c2");
  CHECK(runs(st, effects).empty()); // the join follows the failure: d does not run
  CHECK(finishes(effects, instance_status::failed));
  CHECK(st.message() == "node 'b' failed: exit code 3");
  CHECK(status_of(st, "b2") == node_status::skipped);
  CHECK(status_of(st, "d") == node_status::skipped);
  CHECK(status_of(st, "c2") == node_status::succeeded);
  // The default ends at once and cancels the other branch.
  instance_state ends(fork_join());
  ends.start(1);
  CHECK(describe(ends, fail(ends, "b")) == std::vector<std::string>{"cancel c", "finish failed"});
}

TEST_CASE("on-failure is checked at load") {
  auto r = parse_definition("<work-flow name='w' on-failure='carry-on'><start name='s' to='e'/>"
                            "<end name='e'/></work-flow>",
                            "t.xml");
  CHECK_FALSE(r.wf);
  REQUIRE_FALSE(r.diagnostics.empty());
  CHECK(r.diagnostics.front().to_string().find("'on-failure' expects end, continue; got "
                                               "'carry-on'")
        != std::string::npos);
}

TEST_CASE("mark a running node succeeded: its attempt is cancelled and the flow goes on") {
  auto wf = chain();
  instance_state st(wf);
  st.start(1);
  auto effects = st.mark(idx(st, "a"), true, "marked succeeded by ann: fixed by hand", 5);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"cancel a", "run b 1"});
  CHECK(status_of(st, "a") == node_status::succeeded);
  CHECK(st.node(idx(st, "a")).message == "marked succeeded by ann: fixed by hand");
  // The cancelled attempt's report comes later and changes nothing.
  CHECK(st.attempt_finished(idx(st, "a"), 1, attempt_outcome::killed, "", 6).empty());
  CHECK(status_of(st, "a") == node_status::succeeded);
}

TEST_CASE("mark a retrying node failed: no retry, its error transition or the instance fails") {
  auto wf = load("<start name='s' to='a'/>" + action("a", "e", "", "retry-times='3'")
                 + "<end name='e'/>");
  instance_state st(wf);
  st.start(1);
  fail(st, "a");
  REQUIRE(status_of(st, "a") == node_status::retrying);
  auto effects = st.mark(idx(st, "a"), false, "marked failed", 5);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"finish failed"});
  CHECK(st.retry_due(idx(st, "a"), 6).empty());
  auto with_error = load("<start name='s' to='a'/>" + action("a", "e", "h") + action("h", "e")
                         + "<end name='e'/>");
  instance_state handled(with_error);
  handled.start(1);
  auto marked = handled.mark(idx(handled, "a"), false, "marked failed", 5);
  REQUIRE(marked);
  CHECK(describe(handled, *marked) == std::vector<std::string>{"cancel a", "run h 1"});
}

TEST_CASE("mark refuses pending, ended and control nodes") {
  auto wf = chain();
  instance_state st(wf);
  st.start(1);
  auto r = st.mark(idx(st, "b"), true, "x", 5);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ec::conflict);
  CHECK(r.error().message.find("node 'b' is pending") != std::string::npos);
  CHECK_FALSE(st.mark(idx(st, "s"), true, "x", 5));
  succeed(st, "a");
  CHECK_FALSE(st.mark(idx(st, "a"), true, "x", 5));
}

TEST_CASE("resume_marked: a failed node marked succeeded continues the ended instance") {
  auto wf = chain();
  instance_state st(wf);
  auto effects = st.resume_marked(failed_at_b(wf), idx(st, "b"), true, "marked succeeded", 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run c 1"});
  CHECK(status_of(st, "b") == node_status::succeeded);
  CHECK(st.node(idx(st, "b")).attempts == 1);
  CHECK(finishes(succeed(st, "c"), instance_status::succeeded));
  // Marked failed without an error transition: the instance ends failed again.
  instance_state again(wf);
  auto failed = again.resume_marked(failed_at_b(wf), idx(again, "b"), false, "marked failed", 10);
  REQUIRE(failed);
  CHECK(describe(again, *failed) == std::vector<std::string>{"finish failed"});
  // Only a failed or killed node of an ended instance.
  instance_state wrong(wf);
  auto r = wrong.resume_marked(failed_at_b(wf), idx(wrong, "a"), true, "x", 10);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ec::conflict);
}

TEST_CASE("resume_marked: the killed sibling branch runs again, the join waits for it") {
  auto wf = fork_join();
  instance_state before(wf);
  before.start(1);
  REQUIRE(finishes(fail(before, "b"), instance_status::failed));
  REQUIRE(status_of(before, "c") == node_status::killed);
  instance_state st(wf);
  auto effects = st.resume_marked(snapshot(before), idx(st, "b"), true, "marked succeeded", 10);
  REQUIRE(effects);
  CHECK(describe(st, *effects) == std::vector<std::string>{"run c 2"});
  CHECK(describe(st, succeed(st, "c")) == std::vector<std::string>{"run d 1"});
}

TEST_SUITE_END();
