// A workflow's DAG laid out by Graphviz (dot) and drawn as SVG, on the
// server: the page only colours it (docs/DESIGN.md, "The web page").
#pragma once

#include <string>
#include <vector>

#include "expected.hpp"
#include "model/scheduling.hpp"

namespace cafflow {

/// The graph of `nodes` and `edges` as an SVG document laid out top-down by
/// dot. Each node is a <g id="wfnode-NAME" class="node kind-KIND">, each
/// edge a <g class="edge edge-LABEL">, so that a page can style them by
/// state. Thread-safe (Graphviz is not: calls are serialised).
expected<std::string> layout_svg(const std::vector<dag_node>& nodes,
                                 const std::vector<dag_edge>& edges);

} // namespace cafflow
