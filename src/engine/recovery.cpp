#include "engine/recovery.hpp"

namespace cafflow {

std::string instance_of_key(const std::string& key) {
  return key.substr(0, key.find('/'));
}

recovery_book::recovery_book(std::set<std::string> instances,
                             std::map<std::string, std::string> expected,
                             std::set<std::string> workers)
  : open_(!instances.empty()), instances_(std::move(instances)), waiting_for_(std::move(workers)) {
  for (const auto& [key, worker] : expected) {
    expected_.insert(key);
    unattached_.insert(key);
    if (!worker.empty())
      waiting_for_.insert(worker);
  }
}

bool recovery_book::covers(const std::string& key) const {
  return open_ && instances_.count(instance_of_key(key)) > 0;
}

void recovery_book::park(claim c) {
  auto key = attempt_key(c.report.instance_id, c.report.node, c.report.attempt);
  auto it = parked_.find(key);
  // A result beats a running claim of the same attempt: it ended meanwhile.
  if (it == parked_.end() || is_final_outcome(c.report.outcome))
    parked_[key] = std::move(c);
}

std::optional<recovery_book::claim> recovery_book::attach(const std::string& key) {
  unattached_.erase(key);
  auto it = parked_.find(key);
  if (it == parked_.end())
    return std::nullopt;
  auto c = std::move(it->second);
  parked_.erase(it);
  expected_.erase(key);
  return c;
}

void recovery_book::settled(const std::string& key) {
  expected_.erase(key);
}

recovery_book::placement recovery_book::dispatched(const std::string& key) {
  placement p;
  // Also after closing: a claim may wait for exactly this dispatch.
  if (auto it = parked_.find(key); it != parked_.end()) {
    p.claimed = std::move(it->second);
    parked_.erase(it);
    return p;
  }
  if (covers(key)) {
    held_.push_back(key);
    p.hold = true;
  }
  return p;
}

void recovery_book::registered(const std::string& worker) {
  waiting_for_.erase(worker);
}

bool recovery_book::complete() const {
  return open_ && waiting_for_.empty() && unattached_.empty();
}

recovery_book::closing recovery_book::close() {
  closing result;
  if (!open_)
    return result;
  open_ = false;
  // Only attached instances can be told; one that never attached is gone.
  for (const auto& key : expected_)
    if (unattached_.count(key) == 0)
      result.lost.push_back(key);
  result.released = std::move(held_);
  expected_.clear();
  unattached_.clear();
  held_.clear();
  waiting_for_.clear();
  return result;
}

recovery_book::leftovers recovery_book::expire() {
  leftovers result;
  for (auto& [key, c] : parked_) {
    if (is_final_outcome(c.report.outcome))
      result.unwanted_results.push_back(std::move(c));
    else
      result.unwanted_running.push_back(std::move(c));
  }
  parked_.clear();
  return result;
}

} // namespace cafflow
