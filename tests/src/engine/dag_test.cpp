#include "engine/dag.hpp"

#include <doctest/doctest.h>

#include "xml/workflow_parser.hpp"

using namespace cafflow;

namespace {

workflow load(const std::string& body) {
  auto r = parse_definition("<work-flow name=\"w\">" + body + "</work-flow>", "t.xml");
  if (!r.wf) {
    for (const auto& d : r.diagnostics)
      MESSAGE(d.to_string());
    FAIL("test workflow does not parse");
  }
  return std::move(*r.wf);
}

std::string action(const std::string& name, const std::string& ok, const std::string& error = "",
                   const std::string& attrs = "") {
  return "<action name=\"" + name + "\" " + attrs +
         "><shell><command>x</command></shell><ok to=\"" + ok + "\"/>" +
         (error.empty() ? "" : "<error to=\"" + error + "\"/>") + "</action>";
}

/// "from -label-> to" of every edge, in order.
std::vector<std::string> describe(const std::vector<dag_edge>& edges) {
  std::vector<std::string> out;
  for (const auto& e : edges)
    out.push_back(e.from + " -" + e.label + "-> " + e.to +
                  (e.condition.empty() ? "" : " [" + e.condition + "]"));
  return out;
}

/// The step of the node called `name`.
int step_of(const workflow_graph& g, const std::string& name) {
  auto steps = dag_steps(g.nodes, g.edges);
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name)
      return steps[i];
  FAIL("no node " << name);
  return -1;
}

/// The row of `name` in dag_rows(), or an empty row.
std::vector<std::string> row_of(const std::vector<std::vector<std::string>>& rows,
                                const std::string& name) {
  for (const auto& r : rows)
    if (r.size() == 4 && r[1] == name)
      return r;
  return {};
}

} // namespace

TEST_SUITE_BEGIN("dag");

TEST_CASE("nodes keep definition order with kind and action type and desc") {
  auto wf = load("<start name=\"s\" to=\"a\"/>" + action("a", "e", "", "desc=\"load it\"") +
                 "<end name=\"e\"/>");
  auto g = make_graph(wf);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].name == "s");
  CHECK(g.nodes[0].kind == "start");
  CHECK(g.nodes[0].action_type.empty());
  CHECK(g.nodes[1].name == "a");
  CHECK(g.nodes[1].kind == "action");
  CHECK(g.nodes[1].action_type == "shell");
  CHECK(g.nodes[1].desc == "load it");
  CHECK(g.nodes[2].kind == "end");
  CHECK(describe(g.edges) == std::vector<std::string>{"s -next-> a", "a -ok-> e"});
}

TEST_CASE("edges carry every label: ok and error and fork paths and join and decision cases and default") {
  auto wf = load(
      "<start name=\"s\" to=\"prep\"/>" + action("prep", "split", "k") +
      "<fork name=\"split\"><path to=\"a\"/><path to=\"b\"/></fork>" + action("a", "merge") +
      action("b", "merge") + "<join name=\"merge\" to=\"choose\"/>" +
      "<decision name=\"choose\"><case to=\"full\">${param:mode} == 'full'</case>"
      "<default to=\"e\"/></decision>" +
      action("full", "e") + "<kill name=\"k\"><message>bad</message></kill>" + "<end name=\"e\"/>");
  auto g = make_graph(wf);
  CHECK(describe(g.edges) ==
        std::vector<std::string>{"s -next-> prep", "prep -ok-> split", "prep -error-> k",
                                 "split -path-> a", "split -path-> b", "a -ok-> merge",
                                 "b -ok-> merge", "merge -next-> choose",
                                 "choose -case-> full [${param:mode} == 'full']",
                                 "choose -default-> e", "full -ok-> e"});
}

TEST_CASE("a decision whose default goes where a case goes keeps both edges apart") {
  auto wf = load("<start name=\"s\" to=\"d\"/><decision name=\"d\"><case to=\"a\">1 &gt; 0</case>"
                 "<case to=\"b\">2 &gt; 1</case><default to=\"a\"/></decision>" +
                 action("a", "e") + action("b", "e") + "<end name=\"e\"/>");
  auto g = make_graph(wf);
  CHECK(describe(g.edges) == std::vector<std::string>{"s -next-> d", "d -case-> a [1 > 0]",
                                                      "d -case-> b [2 > 1]", "d -default-> a",
                                                      "a -ok-> e", "b -ok-> e"});
}

TEST_CASE("steps: a join comes after its longest path and loops through error do not count") {
  auto wf = load("<start name=\"s\" to=\"split\"/>"
                 "<fork name=\"split\"><path to=\"short\"/><path to=\"long1\"/></fork>" +
                 action("short", "merge") + action("long1", "long2") + action("long2", "merge") +
                 "<join name=\"merge\" to=\"retry\"/>" + action("retry", "e", "split") +
                 "<end name=\"e\"/>");
  auto g = make_graph(wf);
  CHECK(step_of(g, "s") == 1);
  CHECK(step_of(g, "split") == 2);
  CHECK(step_of(g, "short") == 3);
  CHECK(step_of(g, "long1") == 3);
  CHECK(step_of(g, "long2") == 4);
  CHECK(step_of(g, "merge") == 5);
  CHECK(step_of(g, "retry") == 6);
  CHECK(step_of(g, "e") == 7);
}

TEST_CASE("steps of a graph without a start node begin at the nodes nothing leads to") {
  std::vector<dag_node> nodes{{"a", "action", "shell", ""},
                              {"b", "action", "shell", ""},
                              {"c", "join", "", ""},
                              {"lost", "action", "shell", ""}};
  std::vector<dag_edge> edges{{"a", "c", "ok", ""},
                              {"b", "c", "ok", ""},
                              {"lost", "lost", "error", ""},
                              {"a", "ghost", "ok", ""}};
  CHECK(dag_steps(nodes, edges) == std::vector<int>{1, 1, 2, 0});
}

TEST_CASE("a long chain is layered without exhausting the stack") {
  std::vector<dag_node> nodes{{"start", "start", "", ""}};
  std::vector<dag_edge> edges;
  for (int i = 0; i < 200000; ++i) {
    nodes.push_back({"n" + std::to_string(i), "action", "shell", ""});
    edges.push_back({nodes[nodes.size() - 2].name, nodes.back().name, "ok", ""});
  }
  auto steps = dag_steps(nodes, edges);
  CHECK(steps.back() == 200001);
}

TEST_CASE("rows for people: ordered by step with forks and joins and decisions and loops readable") {
  auto wf =
      load("<start name=\"s\" to=\"prep\"/>" + action("prep", "split", "fail") +
           "<fork name=\"split\"><path to=\"a\"/><path to=\"b\"/></fork>" + action("a", "merge") +
           action("b", "merge") + "<join name=\"merge\" to=\"choose\"/>" +
           "<decision name=\"choose\"><case to=\"again\">${param:n} &lt; 3</case>"
           "<default to=\"e\"/></decision>" +
           action("again", "e", "prep") + "<kill name=\"fail\"><message>x</message></kill>" +
           "<end name=\"e\"/>");
  auto g = make_graph(wf);
  auto rows = dag_rows(g.nodes, g.edges);
  REQUIRE(rows.size() == g.nodes.size() + 1);
  CHECK(rows[0] == std::vector<std::string>{"STEP", "NODE", "KIND", "NEXT"});
  CHECK(rows[1] == std::vector<std::string>{"1", "s", "start", "-> prep"});
  CHECK(rows[2] ==
        std::vector<std::string>{"2", "prep", "action:shell", "ok -> split, error -> fail"});
  // Step 3: the fork and the kill, in definition order.
  CHECK(rows[3] == std::vector<std::string>{"3", "split", "fork", "-> a | b (in parallel)"});
  CHECK(rows[4][1] == "fail");
  CHECK(rows[4][3].empty());
  CHECK(row_of(rows, "merge") ==
        std::vector<std::string>{"5", "merge", "join", "-> choose (waits for a, b)"});
  CHECK(
      row_of(rows, "choose") ==
      std::vector<std::string>{"6", "choose", "decision", "if ${param:n} < 3 -> again, else -> e"});
  CHECK(row_of(rows, "again") ==
        std::vector<std::string>{"7", "again", "action:shell", "ok -> e, error -> prep (loop)"});
  CHECK(rows.back() == std::vector<std::string>{"8", "e", "end", ""});
}

TEST_SUITE_END();
