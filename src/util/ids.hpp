// Instance ids: 16 hex digits that sort by creation time and never repeat,
// also across master restarts (the generator resumes after the last stored id).
#pragma once

#include <cstdint>
#include <string>

#include "util/time.hpp"

namespace cafflow {

class id_generator {
public:
  /// Continues after `last` (an id produced earlier, or "").
  explicit id_generator(const std::string& last = {});

  /// The next id: max(now_ms << 12, previous + 1), as 16 hex digits.
  std::string next(timestamp now);

private:
  std::uint64_t last_ = 0;
};

} // namespace cafflow
