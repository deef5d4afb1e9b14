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

TEST_SUITE_END();
