#include "util/time.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

/// The instant of an ISO 8601 text, or -1 when it is refused.
timestamp iso(const std::string& text) {
  timestamp t = 0;
  return parse_utc_time(text, t) ? t : -1;
}

} // namespace

TEST_SUITE("util/time") {

TEST_CASE("ISO 8601 fractions are fractions of a second") {
  auto whole = iso("2026-11-21T18:25:03Z");
  REQUIRE(whole > 0);
  CHECK(iso("2026-11-21T18:25:03.5Z") == whole + 500);
  CHECK(iso("2026-11-21T18:25:03.05Z") == whole + 50);
  CHECK(iso("2026-11-21T18:25:03.120Z") == whole + 120);
  // Beyond milliseconds: dropped, not misread.
  CHECK(iso("2026-11-21T18:25:03.123456789Z") == whole + 123);
  CHECK(to_iso8601(iso("2026-11-21T18:25:03.5Z")) == "2026-11-21T18:25:03.500Z");
}

TEST_CASE("ISO 8601 offsets") {
  auto utc = iso("2026-11-21T18:25:03Z");
  CHECK(iso("2026-11-21T19:25:03+01:00") == utc);
  CHECK(iso("2026-11-21T19:25:03+0100") == utc);
  CHECK(iso("2026-11-21T19:25:03+01") == utc);
  CHECK(iso("2026-11-21T13:55:03-04:30") == utc);
  CHECK(iso("2026-11-21T19:25:03.5+01:00") == utc + 500);
  // No zone: UTC; a space for the T.
  CHECK(iso("2026-11-21T18:25:03") == utc);
  CHECK(iso("2026-11-21 18:25:03") == utc);
}

TEST_CASE("what is not an ISO 8601 time is refused") {
  for (const char* bad : {"yesterday", "2026-02-30T00:00:00Z", "2026-11-21T18:25:03+25:00",
                          "2026-11-21T18:25:03+1:00", "2026-11-21T18:25:03Zjunk",
                          "2026-11-21T18:25:03 +01:00", "2026-11-21X18:25:03Z",
                          "2026-13-01T00:00:00Z", "2026-11-21T24:00:01Z"}) {
    CAPTURE(bad);
    CHECK(iso(bad) == -1);
  }
}

}
