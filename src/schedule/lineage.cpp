#include "schedule/lineage.hpp"

#include <algorithm>
#include <deque>

#include "model/workflow.hpp"

namespace cafflow {

upstream_map
upstreams_of(const std::map<std::string, std::shared_ptr<const workflow>>& workflows,
             const std::map<std::string, std::shared_ptr<const standalone_coordinator>>& coordinators) {
  upstream_map result;
  auto add = [&](const std::string& target, const std::vector<std::string>& ups) {
    auto& list = result[target];
    for (const auto& up : ups)
      if (std::find(list.begin(), list.end(), up) == list.end())
        list.push_back(up);
  };
  for (const auto& [name, wf] : workflows)
    if (wf && wf->coordinator)
      add(name, dependency_workflows(wf->coordinator->depends));
  for (const auto& [name, c] : coordinators) {
    if (auto it = workflows.find(name);
        it != workflows.end() && it->second && it->second->coordinator)
      continue; // not scheduled: the workflow of that name has the coordinator
    auto ups = dependency_workflows(c->spec.depends);
    for (const auto& target : c->trigger_list)
      add(target, ups);
  }
  return result;
}

std::set<std::string> downstream_of(const std::string& root, const upstream_map& upstreams,
                                    bool all_levels) {
  std::map<std::string, std::vector<std::string>> downstreams;
  for (const auto& [wf, ups] : upstreams)
    for (const auto& up : ups)
      downstreams[up].push_back(wf);
  std::set<std::string> members{root};
  std::deque<std::string> queue{root};
  while (!queue.empty()) {
    auto wf = queue.front();
    queue.pop_front();
    for (const auto& down : downstreams[wf])
      if (members.insert(down).second && all_levels)
        queue.push_back(down);
  }
  members.erase(root);
  return members;
}

lineage_plan::lineage_plan(const std::string& root, const upstream_map& upstreams) {
  auto members = downstream_of(root, upstreams, true);
  members.insert(root);
  for (const auto& wf : members) {
    auto& waits = pending_[wf];
    if (wf == root)
      continue; // the root runs first, whatever it depends on
    if (auto it = upstreams.find(wf); it != upstreams.end())
      for (const auto& up : it->second)
        if (members.count(up) > 0)
          waits.insert(up);
  }
  // Kahn's algorithm; ties by name, so the order is stable.
  auto remaining = pending_;
  std::set<std::string> ready{root};
  remaining.erase(root);
  while (!ready.empty()) {
    auto wf = *ready.begin();
    ready.erase(ready.begin());
    order_.push_back(wf);
    for (auto it = remaining.begin(); it != remaining.end();) {
      it->second.erase(wf);
      if (it->second.empty()) {
        ready.insert(it->first);
        it = remaining.erase(it);
      } else {
        ++it;
      }
    }
  }
}

std::vector<std::string> lineage_plan::start() {
  auto root = order_.front();
  pending_.erase(root);
  running_.insert(root);
  return {root};
}

std::vector<std::string> lineage_plan::finished(const std::string& workflow, bool succeeded) {
  std::vector<std::string> next;
  if (running_.erase(workflow) == 0)
    return next;
  if (!succeeded) {
    // Everything that (transitively) waits for it is abandoned.
    std::set<std::string> lost{workflow};
    for (const auto& wf : order_) {
      auto it = pending_.find(wf);
      if (it == pending_.end())
        continue;
      if (std::any_of(it->second.begin(), it->second.end(),
                      [&](const std::string& up) { return lost.count(up) > 0; })) {
        lost.insert(wf);
        abandoned_.insert(wf);
        pending_.erase(it);
      }
    }
    return next;
  }
  for (const auto& wf : order_) {
    auto it = pending_.find(wf);
    if (it == pending_.end())
      continue;
    it->second.erase(workflow);
    if (it->second.empty()) {
      next.push_back(wf);
      running_.insert(wf);
      pending_.erase(it);
    }
  }
  return next;
}

bool lineage_plan::done() const {
  return pending_.empty() && running_.empty();
}

} // namespace cafflow
