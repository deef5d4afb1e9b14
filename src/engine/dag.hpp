// A workflow's graph as people and the API see it: its nodes and labelled
// transitions (from the links of the parsed definition), the step of every
// node from the start, and a text drawing for `cafflow workflow show`.
#pragma once

#include <string>
#include <vector>

#include "model/scheduling.hpp"
#include "model/workflow.hpp"

namespace cafflow {

/// The nodes (definition order) and transitions of a workflow.
struct workflow_graph {
  std::vector<dag_node> nodes;
  std::vector<dag_edge> edges;
};

/// The graph of a linked workflow: per node its transitions in the order
/// they are written (an action's ok before its error, a decision's cases in
/// order, then its default).
workflow_graph make_graph(const workflow& wf);

/// The step of every node (by index of `nodes`): 1 for the start node
/// (without one: for every node nothing leads to), otherwise one more than
/// the largest step of the nodes leading to it, so that a join comes after
/// every path into it. Loops (allowed through an error transition) do not
/// count: an edge back to a node on the way from the start is ignored. 0 for
/// a node the start does not reach.
std::vector<int> dag_steps(const std::vector<dag_node>& nodes, const std::vector<dag_edge>& edges);

/// The graph as table rows for people, header first: STEP, NODE, KIND, NEXT;
/// ordered by step, then definition order. NEXT reads "-> a" (start, join),
/// "ok -> a, error -> b", "-> a | b | c (in parallel)" (fork), "if COND -> a,
/// else -> b" (decision); a join adds "(waits for x, y)", a transition back
/// to an earlier step "(loop)".
std::vector<std::vector<std::string>> dag_rows(const std::vector<dag_node>& nodes,
                                               const std::vector<dag_edge>& edges);

} // namespace cafflow
