// A workflow's DAG laid out by Graphviz (dot) and drawn as SVG, on the
// server: the page only colours it (docs/DESIGN.md, "The web page").
#pragma once

#include <string>
#include <vector>

#include "expected.hpp"
#include "model/scheduling.hpp"

namespace cafflow {

/// How a graph is drawn: its name, the prefix of its nodes' and edges' ids
/// (two graphs on one page must not share ids) and the direction of its ranks.
struct graph_style {
  std::string name = "workflow";
  std::string node_prefix = "wfnode-";
  std::string edge_prefix = "wfedge-";
  /// "TB" (top-down) or "LR" (left to right).
  std::string rankdir = "TB";
};

/// The graph of `nodes` and `edges` as an SVG document laid out by dot. Each
/// node is a <g id="PREFIXNAME" class="node kind-KIND">, each edge a <g
/// class="edge edge-LABEL">, so that a page can style them by state. Node
/// kinds: a workflow's (start, end, kill, fork, join, decision, action) and
/// a lineage's (self, upstream, downstream: boxes). Thread-safe (Graphviz is
/// not: calls are serialised).
expected<std::string> layout_svg(const std::vector<dag_node>& nodes,
                                 const std::vector<dag_edge>& edges,
                                 const graph_style& style = {});

} // namespace cafflow
