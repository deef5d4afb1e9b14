#include "util/ids.hpp"

#include <cstdio>
#include <cstdlib>

namespace cafflow {

id_generator::id_generator(const std::string& last) {
  if (!last.empty())
    last_ = std::strtoull(last.c_str(), nullptr, 16);
}

std::string id_generator::next(timestamp now) {
  auto candidate = static_cast<std::uint64_t>(now) << 12;
  last_ = candidate > last_ ? candidate : last_ + 1;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(last_));
  return buf;
}

} // namespace cafflow
