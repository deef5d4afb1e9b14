#include "util/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace cafflow {

histogram::histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  bounds_.erase(
      std::remove_if(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); }),
      bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_.assign(bounds_.size() + 1, 0);
}

histogram histogram::latency_seconds() {
  return histogram{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
}

histogram histogram::lag_seconds() {
  return histogram{{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600}};
}

void histogram::observe(double value) {
  if (std::isnan(value))
    return;
  // The first bound >= value: "le" is inclusive.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += value;
  ++count_;
}

std::vector<std::uint64_t> histogram::cumulative() const {
  std::vector<std::uint64_t> result(counts_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    result[i] = running += counts_[i];
  return result;
}

histogram_data histogram::snapshot() const {
  return histogram_data{bounds_, cumulative(), sum_, count_};
}

} // namespace cafflow
