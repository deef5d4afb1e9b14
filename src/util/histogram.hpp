// A fixed-bucket histogram for metrics (Prometheus style): observations are
// counted in the first bucket whose upper bound they do not exceed; the
// snapshot has cumulative counts, the sum and the count.
#pragma once

#include <cstdint>
#include <vector>

namespace cafflow {

/// What a histogram holds at one moment, as it crosses processes and is
/// rendered: `cumulative[i]` observations were <= `bounds[i]`; the last
/// entry of `cumulative` (one more than `bounds`) is the +Inf bucket and
/// equals `count`.
struct histogram_data {
  std::vector<double> bounds;
  std::vector<std::uint64_t> cumulative;
  double sum = 0;
  std::uint64_t count = 0;
};

class histogram {
public:
  /// Buckets with these upper bounds. They are sorted, deduplicated, and
  /// bounds that are not finite numbers are dropped (+Inf is always there).
  explicit histogram(std::vector<double> bounds);

  /// Latencies in seconds: 1 ms, 2.5 ms, 5 ms ... 10 s.
  static histogram latency_seconds();

  /// Lags in seconds, longer ones too: 10 ms, 25 ms ... 10 s, 20 s, 30 s,
  /// 1 min ... 10 min.
  static histogram lag_seconds();

  /// Counts `value`; a NaN is ignored.
  void observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

  /// Cumulative counts, one per bound and the +Inf bucket last.
  std::vector<std::uint64_t> cumulative() const;

  histogram_data snapshot() const;

private:
  std::vector<double> bounds_;
  /// Per bucket (not cumulative); the last one is above every bound.
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

} // namespace cafflow
