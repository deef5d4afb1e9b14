#include "util/ids.hpp"

#include <doctest/doctest.h>

#include "util/hash.hpp"
#include "util/time.hpp"

using namespace cafflow;

TEST_SUITE_BEGIN("ids");

TEST_CASE("ids increase, also within one millisecond, and sort as strings") {
  id_generator gen;
  auto a = gen.next(1000);
  auto b = gen.next(1000);
  auto c = gen.next(999); // a clock step back never repeats an id
  CHECK(a.size() == 16);
  CHECK(a < b);
  CHECK(b < c);
}

TEST_CASE("a generator resumes after the last stored id") {
  id_generator first;
  auto last = first.next(now_ms() + 100000); // an id "from the future"
  id_generator second{last};
  CHECK(second.next(now_ms()) > last);
}

TEST_CASE("content hashes are SHA-1 hex") {
  CHECK(content_hash("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("ISO 8601 times round-trip") {
  timestamp t = 0;
  REQUIRE(parse_utc_time("2026-11-21T18:25:03.120Z", t));
  CHECK(to_iso8601(t) == "2026-11-21T18:25:03.120Z");
  REQUIRE(parse_utc_time("2026-02-28 00:00:00", t));
  CHECK(to_iso8601(t) == "2026-02-28T00:00:00.000Z");
  CHECK_FALSE(parse_utc_time("2026-02-30 00:00:00", t));
  CHECK_FALSE(parse_utc_time("yesterday", t));
  CHECK(to_iso8601(0).empty());
}

TEST_SUITE_END();
