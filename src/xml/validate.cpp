#include "xml/validate.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "util/strings.hpp"

namespace cafflow {

namespace {

using severity = diagnostic::severity;

/// Nodes reachable from `from` (including it), following `follow` edges.
std::vector<bool> reachable(const workflow& wf, std::size_t from,
                            const std::function<bool(const edge&)>& follow) {
  auto seen = reachable_from(wf, from, follow);
  seen[from] = true;
  return seen;
}

/// Strongly connected components over the edges `follow` accepts (Tarjan).
std::vector<std::vector<std::size_t>> cycles(const workflow& wf,
                                             const std::function<bool(const edge&)>& follow) {
  auto n = wf.nodes.size();
  std::vector<int> index(n, -1), low(n, 0);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  std::vector<std::vector<std::size_t>> result;
  int counter = 0;
  std::function<void(std::size_t)> visit = [&](std::size_t v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = true;
    for (const auto& e : wf.nodes[v].out) {
      if (!follow(e))
        continue;
      auto w = e.target;
      if (index[w] < 0) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] != index[v])
      return;
    std::vector<std::size_t> component;
    std::size_t w;
    do {
      w = stack.back();
      stack.pop_back();
      on_stack[w] = false;
      component.push_back(w);
    } while (w != v);
    bool self_loop = std::any_of(wf.nodes[v].out.begin(), wf.nodes[v].out.end(),
                                 [&](const edge& e) { return follow(e) && e.target == v; });
    if (component.size() > 1 || self_loop) {
      std::sort(component.begin(), component.end());
      result.push_back(std::move(component));
    }
  };
  for (std::size_t v = 0; v < n; ++v)
    if (index[v] < 0)
      visit(v);
  return result;
}

} // namespace

void validate_graph(workflow& wf, const std::string& file, std::vector<diagnostic>& diags,
                    bool deep) {
  auto error = [&](source_pos pos, std::string msg) {
    diags.push_back(diagnostic{severity::error, file, pos, std::move(msg)});
  };
  auto warning = [&](source_pos pos, std::string msg) {
    diags.push_back(diagnostic{severity::warning, file, pos, std::move(msg)});
  };
  std::size_t starts = 0;
  bool has_exit = false;
  for (const auto& n : wf.nodes) {
    if (n.kind == node_kind::start && ++starts == 2)
      error(n.pos, "more than one <start> node ('" + n.name + "')");
    has_exit = has_exit || n.kind == node_kind::end || n.kind == node_kind::kill;
  }
  if (starts == 0)
    error(wf.pos, "the workflow has no <start> node");
  if (!has_exit)
    error(wf.pos, "the workflow has no <end> or <kill> node");
  // Every transition must name an existing node.
  std::vector<std::string> names;
  for (const auto& n : wf.nodes)
    names.push_back(n.name);
  std::set<std::string> known(names.begin(), names.end());
  bool dangling = false;
  for (const auto& n : wf.nodes) {
    auto check = [&](const std::string& target, const char* what, source_pos pos) {
      if (target.empty() || known.count(target) != 0)
        return;
      dangling = true;
      auto hint = did_you_mean(target, names);
      error(pos, "'" + n.name + "' " + what + " unknown node '" + target + "'"
                   + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    };
    auto at = [&](source_pos pos) { return pos.line > 0 ? pos : n.pos; };
    check(n.to, "continues to", at(n.to_pos));
    check(n.ok_to, "continues (ok) to", at(n.ok_pos));
    check(n.error_to, "continues (error) to", at(n.error_pos));
    for (std::size_t i = 0; i < n.paths.size(); ++i)
      check(n.paths[i], "forks to", at(i < n.path_pos.size() ? n.path_pos[i] : source_pos{}));
    for (const auto& c : n.cases)
      check(c.to, "decides for", c.pos);
    check(n.default_to, "decides by default for", at(n.default_pos));
  }
  if (starts == 0 || dangling || !has_exit || !deep)
    return; // the graph rules need a complete graph
  link(wf);
  auto any_edge = [](const edge&) { return true; };
  auto from_start = reachable(wf, wf.start, any_edge);
  for (std::size_t i = 0; i < wf.nodes.size(); ++i)
    if (!from_start[i] && wf.nodes[i].kind != node_kind::start) // a second start is reported
      error(wf.nodes[i].pos, "node '" + wf.nodes[i].name + "' is unreachable from <start>");
  // From every reachable node some <end> or <kill> must be reachable.
  std::vector<bool> reaches_exit(wf.nodes.size(), false);
  {
    std::vector<std::vector<std::size_t>> incoming(wf.nodes.size());
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < wf.nodes.size(); ++i) {
      for (const auto& e : wf.nodes[i].out)
        incoming[e.target].push_back(i);
      if (wf.nodes[i].kind == node_kind::end || wf.nodes[i].kind == node_kind::kill) {
        reaches_exit[i] = true;
        stack.push_back(i);
      }
    }
    while (!stack.empty()) {
      auto i = stack.back();
      stack.pop_back();
      for (auto pred : incoming[i])
        if (!reaches_exit[pred]) {
          reaches_exit[pred] = true;
          stack.push_back(pred);
        }
    }
  }
  for (std::size_t i = 0; i < wf.nodes.size(); ++i)
    if (from_start[i] && !reaches_exit[i])
      error(wf.nodes[i].pos, "from node '" + wf.nodes[i].name
                               + "' no path leads to an <end> or <kill>");
  // Loops are allowed only through an <error> transition (akkaflow's retry loops).
  for (const auto& component : cycles(wf, [](const edge& e) { return e.kind != edge::label::error; })) {
    std::vector<std::string> members;
    for (auto i : component)
      members.push_back(wf.nodes[i].name);
    error(wf.nodes[component.front()].pos,
          "cycle through " + join(members, ", ")
            + "; a loop must pass through an <error> transition");
  }
  // Forks and joins: every branch of a fork should reach its join.
  std::vector<std::size_t> joins, forks;
  for (std::size_t i = 0; i < wf.nodes.size(); ++i) {
    if (wf.nodes[i].kind == node_kind::join)
      joins.push_back(i);
    if (wf.nodes[i].kind == node_kind::fork && from_start[i])
      forks.push_back(i);
  }
  // For each fork and branch: the joins that branch can reach.
  std::map<std::size_t, std::vector<std::set<std::size_t>>> branch_joins;
  std::map<std::size_t, std::set<std::size_t>> common; // joins every branch reaches
  for (auto f : forks) {
    auto& branches = branch_joins[f];
    for (const auto& e : wf.nodes[f].out) {
      auto seen = reachable(wf, e.target, any_edge);
      std::set<std::size_t> found;
      for (auto j : joins)
        if (seen[j])
          found.insert(j);
      branches.push_back(std::move(found));
    }
    std::set<std::size_t> all = branches.empty() ? std::set<std::size_t>{} : branches.front();
    for (const auto& b : branches) {
      std::set<std::size_t> keep;
      std::set_intersection(all.begin(), all.end(), b.begin(), b.end(),
                            std::inserter(keep, keep.begin()));
      all = std::move(keep);
    }
    common[f] = std::move(all);
  }
  for (auto f : forks) {
    const auto& fork_node = wf.nodes[f];
    const auto& branches = branch_joins[f];
    if (branches.size() < 2)
      continue;
    std::set<std::size_t> any;
    for (const auto& b : branches)
      any.insert(b.begin(), b.end());
    if (any.empty()) {
      warning(fork_node.pos, "the branches of fork '" + fork_node.name + "' never meet at a join");
      continue;
    }
    auto reach_from_fork = reachable(wf, f, any_edge);
    for (auto j : any) {
      if (common[f].count(j) != 0)
        continue;
      // A join that belongs to a fork nested inside this one is fine.
      bool nested = std::any_of(forks.begin(), forks.end(), [&](std::size_t g) {
        return g != f && reach_from_fork[g] && common[g].count(j) != 0;
      });
      if (nested)
        continue;
      for (std::size_t b = 0; b < branches.size(); ++b)
        if (branches[b].count(j) == 0)
          warning(fork_node.pos, "join '" + wf.nodes[j].name + "' cannot be reached from path '"
                                   + fork_node.paths[b] + "' of fork '" + fork_node.name
                                   + "'; the join continues without it");
    }
  }
}

} // namespace cafflow
