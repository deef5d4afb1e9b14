#include "engine/selection.hpp"

#include <algorithm>

namespace cafflow {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string result;
  for (const auto& n : names)
    result += (result.empty() ? "" : ",") + n;
  return result;
}

/// The index of every name, or an error naming the ones that are not nodes
/// (or, with `actions_only`, not actions) of `wf`.
expected<std::vector<std::size_t>> indices_of(const workflow& wf,
                                              const std::vector<std::string>& names,
                                              const char* option, bool actions_only) {
  std::vector<std::size_t> result;
  std::vector<std::string> unknown;
  for (const auto& name : names) {
    auto i = wf.index_of(name);
    if (i == workflow::npos) {
      unknown.push_back(name);
      continue;
    }
    if (actions_only && wf.nodes[i].kind != node_kind::action)
      return make_error(ec::invalid_argument, std::string(option) + ": '" + name
                                                + "' is not an action of workflow '" + wf.name
                                                + "' (only actions run or are skipped)");
    result.push_back(i);
  }
  if (!unknown.empty())
    return make_error(ec::invalid_argument, std::string(option) + ": workflow '" + wf.name
                                              + "' has no node" + (unknown.size() > 1 ? "s " : " ")
                                              + "'" + joined(unknown) + "'");
  return result;
}

/// For every node: whether a path leads from it to `to` (reverse search).
std::vector<bool> reaching(const workflow& wf, std::size_t to) {
  std::vector<std::vector<std::size_t>> incoming(wf.nodes.size());
  for (std::size_t i = 0; i < wf.nodes.size(); ++i)
    for (const auto& e : wf.nodes[i].out)
      incoming[e.target].push_back(i);
  std::vector<bool> seen(wf.nodes.size(), false);
  std::vector<std::size_t> stack{to};
  while (!stack.empty()) {
    auto i = stack.back();
    stack.pop_back();
    for (auto pred : incoming[i])
      if (!seen[pred]) {
        seen[pred] = true;
        stack.push_back(pred);
      }
  }
  return seen;
}

} // namespace

expected<std::vector<node_choice>> choose_nodes(const workflow& wf, const std::string& rerun_mode,
                                                const run_options& options) {
  std::vector<node_choice> choice(wf.nodes.size(), node_choice::run);
  if (options.empty())
    return choice;
  if ((options.upstream || options.downstream) && options.nodes.empty())
    return make_error(ec::invalid_argument, "--upstream and --downstream need --nodes");
  if (!options.nodes.empty() && !options.from_node.empty())
    return make_error(ec::invalid_argument,
                      "--nodes and --from-node do not go together (--from-node A is --nodes A "
                      "--downstream)");
  bool selects = !options.nodes.empty() || !options.from_node.empty();
  if (selects && !rerun_mode.empty() && rerun_mode != "nodes")
    return make_error(ec::invalid_argument, "a rerun of " + rerun_mode
                                              + " nodes takes no --nodes or --from-node");
  if (selects) {
    std::vector<std::size_t> roots;
    bool downstream = options.downstream;
    if (!options.from_node.empty()) {
      auto from = indices_of(wf, {options.from_node}, "--from-node", false);
      if (!from)
        return from.error();
      roots = *from;
      downstream = true;
    } else {
      auto named = indices_of(wf, options.nodes, "--nodes", true);
      if (!named)
        return named.error();
      roots = *named;
    }
    std::vector<bool> selected(wf.nodes.size(), false);
    for (auto r : roots) {
      selected[r] = true;
      if (downstream) {
        auto after = reachable_from(wf, r);
        for (std::size_t i = 0; i < after.size(); ++i)
          selected[i] = selected[i] || after[i];
      }
      if (options.upstream) {
        auto before = reaching(wf, r);
        for (std::size_t i = 0; i < before.size(); ++i)
          selected[i] = selected[i] || before[i];
      }
    }
    for (std::size_t i = 0; i < choice.size(); ++i)
      if (!selected[i])
        choice[i] = node_choice::not_selected;
  }
  auto skipped = indices_of(wf, options.skip, "--skip", true);
  if (!skipped)
    return skipped.error();
  for (auto i : *skipped)
    choice[i] = node_choice::skip;
  bool any = false;
  for (std::size_t i = 0; i < choice.size() && !any; ++i)
    any = wf.nodes[i].kind == node_kind::action && choice[i] == node_choice::run;
  if (!any)
    return make_error(ec::invalid_argument,
                      "nothing to run: " + describe(options) + " leaves no action of workflow '"
                        + wf.name + "' to run");
  return choice;
}

std::string describe(const run_options& options) {
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : " ") + part; };
  if (!options.nodes.empty())
    add("--nodes " + joined(options.nodes));
  if (options.upstream)
    add("--upstream");
  if (options.downstream)
    add("--downstream");
  if (!options.from_node.empty())
    add("--from-node " + options.from_node);
  if (!options.skip.empty())
    add("--skip " + joined(options.skip));
  return text;
}

} // namespace cafflow
