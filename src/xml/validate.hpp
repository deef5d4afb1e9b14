// The rules of a workflow's graph, checked once its elements are parsed.
#pragma once

#include <string>
#include <vector>

#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

/// Checks (and links) the graph of `wf`: exactly one start, at least one end
/// or kill, transitions to existing nodes, every node reachable from start,
/// from every node a path to an end or kill, no cycle that avoids every error
/// transition (akkaflow's retry loops pass through one), and forks whose
/// branches meet at their joins (warnings). Appends to `diags`. Without
/// `deep`, only the rules about start, exits and targets are checked.
void validate_graph(workflow& wf, const std::string& file, std::vector<diagnostic>& diags,
                    bool deep = true);

} // namespace cafflow
