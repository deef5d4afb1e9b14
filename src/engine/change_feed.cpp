#include "engine/change_feed.hpp"

#include <algorithm>

namespace cafflow {

std::uint64_t change_feed::record(const std::vector<std::string>& ids) {
  ++seq_;
  for (const auto& id : ids)
    last_[id] = seq_;
  if (last_.size() > capacity_) {
    // Keep the newer half: one pass now and then instead of an LRU list.
    std::vector<std::uint64_t> seqs;
    seqs.reserve(last_.size());
    for (const auto& entry : last_)
      seqs.push_back(entry.second);
    auto middle = seqs.begin() + static_cast<long>(seqs.size() / 2);
    std::nth_element(seqs.begin(), middle, seqs.end());
    auto cut = *middle;
    for (auto it = last_.begin(); it != last_.end();)
      it = it->second < cut ? last_.erase(it) : std::next(it);
    forgotten_up_to_ = std::max(forgotten_up_to_, cut - 1);
  }
  return seq_;
}

bool change_feed::changed_since(const std::string& id, std::uint64_t after) const {
  if (after == 0 || after > seq_)
    return true; // a first look, or a number from an earlier master
  auto it = last_.find(id);
  if (it != last_.end())
    return it->second > after;
  return after < forgotten_up_to_;
}

} // namespace cafflow
