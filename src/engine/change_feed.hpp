// Which instances changed, for clients that follow one live (GET
// /api/v1/instances/{id}/events, `cafflow instance wait`): the store writer
// tells the master the instances of every commit, the master numbers the
// commits here and answers a waiting client as soon as its instance is in
// one. Pure: the master owns one and the waiting requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace cafflow {

class change_feed {
public:
  /// Remembers at most about `capacity` instances (the ones changed last).
  explicit change_feed(std::size_t capacity = 10000) : capacity_(capacity) {}

  /// The instances `ids` changed (their rows were committed): returns the
  /// sequence number of this change. Numbers only grow; the first is 2.
  std::uint64_t record(const std::vector<std::string>& ids);

  /// The sequence number of the last change (1 before the first: never 0,
  /// which asks for the current state).
  std::uint64_t seq() const { return seq_; }

  /// Whether `id` changed after sequence number `after`. `after` = 0 asks
  /// for the current state: always true. An instance forgotten for lack of
  /// room counts as changed, so that a follower reads it again rather than
  /// miss a change.
  bool changed_since(const std::string& id, std::uint64_t after) const;

  /// Instances remembered now (for tests and status).
  std::size_t size() const { return last_.size(); }

private:
  std::size_t capacity_;
  std::uint64_t seq_ = 1;
  /// Sequence numbers up to this one may have been forgotten.
  std::uint64_t forgotten_up_to_ = 0;
  std::unordered_map<std::string, std::uint64_t> last_;
};

} // namespace cafflow
