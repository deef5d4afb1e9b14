#include "engine/placement.hpp"

#include <algorithm>

namespace cafflow {

bool eligible(const worker_load& w, const placement_request& req) {
  if (!req.host.empty() && req.host != w.host && req.host != w.id)
    return false;
  if (!req.worker_group.empty()
      && std::find(w.groups.begin(), w.groups.end(), req.worker_group) == w.groups.end())
    return false;
  return true;
}

std::size_t pick_worker(const std::vector<worker_load>& workers, const placement_request& req) {
  auto best = no_worker;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& w = workers[i];
    if (w.running >= w.slots || !eligible(w, req))
      continue;
    if (best == no_worker) {
      best = i;
      continue;
    }
    const auto& b = workers[best];
    // Compare running/slots without division: a.r * b.s < b.r * a.s.
    auto lhs = static_cast<long long>(w.running) * b.slots;
    auto rhs = static_cast<long long>(b.running) * w.slots;
    if (lhs < rhs || (lhs == rhs && (w.running < b.running || (w.running == b.running && w.id < b.id))))
      best = i;
  }
  return best;
}

std::string waiting_reason(const std::vector<worker_load>& workers, const placement_request& req) {
  int eligible_workers = 0, slots = 0;
  for (const auto& w : workers)
    if (eligible(w, req)) {
      ++eligible_workers;
      slots += w.slots;
    }
  if (eligible_workers == 0) {
    std::string what;
    if (!req.host.empty())
      what = "on host '" + req.host + "'";
    if (!req.worker_group.empty())
      what += std::string(what.empty() ? "" : " ") + "in group '" + req.worker_group + "'";
    return workers.empty() ? "waiting for a worker to register"
                           : "waiting for a worker " + (what.empty() ? std::string("at all") : what);
  }
  return "waiting for a free slot (" + std::to_string(eligible_workers) + " matching workers, "
         + std::to_string(slots) + " slots, all busy)";
}

std::string limit_reason(const std::string& workflow, int max_parallel, const std::string& pool,
                         const std::map<std::string, int>& pools, const limit_use& use) {
  auto used = [](const std::map<std::string, int>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  };
  if (max_parallel > 0 && used(use.workflows, workflow) >= max_parallel)
    return "waits for its workflow's max-parallel (" + std::to_string(used(use.workflows, workflow))
           + " of " + std::to_string(max_parallel) + " running)";
  if (pool.empty())
    return {};
  auto size = pools.find(pool);
  if (size == pools.end())
    return "waits for pool '" + pool + "', which the config's [pools] does not define";
  if (used(use.pools, pool) >= size->second)
    return "waits for pool '" + pool + "' (" + std::to_string(used(use.pools, pool)) + " of "
           + std::to_string(size->second) + " slots in use)";
  return {};
}
int priority_class(const std::string& trigger) { return trigger == "backfill" ? 1 : 0; }

} // namespace cafflow
