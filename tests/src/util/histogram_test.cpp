#include "util/histogram.hpp"

#include <cmath>
#include <limits>

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("histogram");

TEST_CASE("bounds are sorted and deduplicated and only finite ones are kept") {
  histogram h{{5, 1, std::numeric_limits<double>::infinity(), 1, std::nan(""), 2}};
  CHECK(h.bounds() == std::vector<double>{1, 2, 5});
  CHECK(h.cumulative() == std::vector<std::uint64_t>{0, 0, 0, 0});
  CHECK(h.count() == 0);
  CHECK(h.sum() == 0);
}

TEST_CASE("an observation counts in the first bucket whose bound it does not exceed") {
  histogram h{{1, 2, 5}};
  h.observe(0.5);
  h.observe(1); // on the bound: le is inclusive
  h.observe(1.5);
  h.observe(5);
  h.observe(7); // above every bound: +Inf only
  CHECK(h.cumulative() == std::vector<std::uint64_t>{2, 3, 4, 5});
  CHECK(h.count() == 5);
  CHECK(h.sum() == doctest::Approx(15));
}

TEST_CASE("negative values land in the first bucket and NaN is ignored") {
  histogram h{{0.001, 0.01}};
  h.observe(-1);
  h.observe(std::nan(""));
  CHECK(h.cumulative() == std::vector<std::uint64_t>{1, 1, 1});
  CHECK(h.count() == 1);
  CHECK(h.sum() == -1);
}

TEST_CASE("the cumulative counts never decrease and end with the count") {
  auto h = histogram::latency_seconds();
  for (int i = 0; i < 200; ++i)
    h.observe(i * 0.07);
  auto c = h.cumulative();
  REQUIRE(c.size() == h.bounds().size() + 1);
  for (std::size_t i = 1; i < c.size(); ++i)
    CHECK(c[i - 1] <= c[i]);
  CHECK(c.back() == 200);
  CHECK(c[0] == 1); // only 0 is <= 1 ms
}

TEST_CASE("latency buckets go from 1 ms to 10 s") {
  auto h = histogram::latency_seconds();
  REQUIRE(!h.bounds().empty());
  CHECK(h.bounds().front() == 0.001);
  CHECK(h.bounds().back() == 10);
}

TEST_CASE("a snapshot holds bounds and cumulative counts and sum and count") {
  histogram h{{1, 10}};
  h.observe(3);
  h.observe(30);
  auto s = h.snapshot();
  CHECK(s.bounds == std::vector<double>{1, 10});
  CHECK(s.cumulative == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(s.sum == 33);
  CHECK(s.count == 2);
}

TEST_CASE("a histogram without bounds has the +Inf bucket only") {
  histogram h{std::vector<double>{}};
  h.observe(4);
  CHECK(h.cumulative() == std::vector<std::uint64_t>{1});
}
