#include "engine/change_feed.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE("engine/change_feed") {

TEST_CASE("a follower sees the changes of its instance after the number it holds") {
  change_feed feed;
  CHECK(feed.seq() == 1); // never 0: 0 asks for the current state
  CHECK(feed.changed_since("a", 0)); // a first look always reads
  auto s1 = feed.record({"a", "b"});
  CHECK(s1 == 2);
  CHECK(feed.changed_since("a", 0));
  CHECK_FALSE(feed.changed_since("a", s1));
  auto s2 = feed.record({"b"});
  CHECK(s2 == 3);
  CHECK_FALSE(feed.changed_since("a", s1)); // b's change is not a's
  CHECK(feed.changed_since("b", s1));
  CHECK_FALSE(feed.changed_since("b", s2));
  CHECK_FALSE(feed.changed_since("never", s2));
}

TEST_CASE("a number from another master (larger than any here) reads again") {
  change_feed feed;
  feed.record({"a"});
  CHECK(feed.changed_since("a", 99));
}

TEST_CASE("forgotten instances count as changed, remembered ones stay exact") {
  change_feed feed(4);
  for (int i = 0; i < 10; ++i)
    feed.record({"i" + std::to_string(i)});
  CHECK(feed.size() <= 5);
  // i0 was forgotten: a follower that last saw its change reads it again.
  CHECK(feed.changed_since("i0", 2));
  // i9 is remembered: no change after its own number.
  CHECK_FALSE(feed.changed_since("i9", feed.seq()));
  CHECK(feed.changed_since("i9", feed.seq() - 1));
}

}
