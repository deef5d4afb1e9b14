#include "engine/recovery.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

recovery_book::claim claim_of(const std::string& worker, const std::string& instance,
                              const std::string& node, int attempt, const std::string& outcome) {
  recovery_book::claim c;
  c.worker = worker;
  c.report.instance_id = instance;
  c.report.node = node;
  c.report.attempt = attempt;
  c.report.worker = worker;
  c.report.outcome = outcome;
  return c;
}

} // namespace

TEST_SUITE_BEGIN("recovery");

TEST_CASE("with nothing to recover the book is closed and holds nothing back") {
  recovery_book book;
  CHECK_FALSE(book.open());
  CHECK_FALSE(book.covers("i1/a#1"));
  auto p = book.dispatched("i1/a#1");
  CHECK_FALSE(p.hold);
  CHECK_FALSE(p.claimed);
  CHECK(book.close().lost.empty());
}

TEST_CASE("an expected attempt is claimed by its worker, before or after its instance attaches") {
  recovery_book book({"i1"}, {{"i1/a#1", "w1"}, {"i1/b#2", ""}}, {"w1", "w2"});
  CHECK(book.open());
  CHECK(book.covers("i1/a#1"));
  CHECK_FALSE(book.covers("i2/a#1"));
  // w1 registers first and claims a#1: parked until the instance attaches.
  book.park(claim_of("w1", "i1", "a", 1, "running"));
  book.registered("w1");
  auto a = book.attach("i1/a#1");
  REQUIRE(a);
  CHECK(a->worker == "w1");
  // b#2 attaches first; w2 claims it later (the dispatcher settles it).
  CHECK_FALSE(book.attach("i1/b#2"));
  CHECK_FALSE(book.complete()); // w2 is not back
  book.registered("w2");
  book.settled("i1/b#2");
  CHECK(book.complete());
  auto left = book.close();
  CHECK(left.lost.empty());
  CHECK_FALSE(book.open());
}

TEST_CASE("the book waits for the workers the store names, and for every instance to attach") {
  recovery_book book({"i1"}, {{"i1/a#1", "w9"}}, {"w1"});
  book.registered("w1");
  CHECK_FALSE(book.complete()); // w9 ran a#1
  book.registered("w9");
  CHECK_FALSE(book.complete()); // i1 has not attached
  book.attach("i1/a#1");
  CHECK(book.complete());
  // Nobody claimed a#1: lost.
  CHECK(book.close().lost == std::vector<std::string>{"i1/a#1"});
}

TEST_CASE("a result the store is behind on is given to the instance that dispatches it again") {
  recovery_book book({"i1"}, {{"i1/a#1", "w1"}}, {"w1"});
  // w1's outbox: a#1 ended, and b#1 — dispatched before the store knew — ended too.
  book.park(claim_of("w1", "i1", "b", 1, "succeeded"));
  auto a = book.attach("i1/a#1");
  CHECK_FALSE(a);
  book.settled("i1/a#1"); // the dispatcher had a's result directly
  auto b = book.dispatched("i1/b#1");
  REQUIRE(b.claimed);
  CHECK(b.claimed->report.outcome == "succeeded");
  CHECK_FALSE(b.hold);
}

TEST_CASE("an attempt dispatched anew waits until the book closes, unless a worker has it") {
  recovery_book book({"i1"}, {}, {"w1", "w2"});
  auto held = book.dispatched("i1/c#1");
  CHECK(held.hold);
  CHECK_FALSE(book.dispatched("i2/c#1").hold); // not a recovered instance
  book.park(claim_of("w2", "i1", "d", 1, "running"));
  auto d = book.dispatched("i1/d#1");
  REQUIRE(d.claimed);
  CHECK(d.claimed->worker == "w2");
  auto left = book.close();
  CHECK(left.released == std::vector<std::string>{"i1/c#1"});
}

TEST_CASE("claims nobody took outlive the closing, then expire, a result beats a running claim") {
  recovery_book book({"i1"}, {}, {"w1"});
  book.park(claim_of("w1", "i1", "x", 1, "running"));
  book.park(claim_of("w1", "i1", "y", 1, "running"));
  book.park(claim_of("w1", "i1", "y", 1, "failed")); // y ended while being recovered
  book.park(claim_of("w1", "i1", "y", 1, "running")); // a stale running claim changes nothing
  book.park(claim_of("w1", "i1", "z", 1, "succeeded"));
  book.close();
  CHECK(book.has_claims());
  // The instance, behind the workers, dispatches z only now: it gets the result.
  auto z = book.dispatched("i1/z#1");
  REQUIRE(z.claimed);
  CHECK(z.claimed->report.outcome == "succeeded");
  CHECK_FALSE(book.dispatched("i1/w#1").hold); // closed: nothing is held any more
  auto left = book.expire();
  REQUIRE(left.unwanted_running.size() == 1);
  CHECK(left.unwanted_running[0].report.node == "x");
  REQUIRE(left.unwanted_results.size() == 1);
  CHECK(left.unwanted_results[0].report.outcome == "failed");
  CHECK_FALSE(book.has_claims());
}

TEST_CASE("instance_of_key") {
  CHECK(instance_of_key("001a/node#3") == "001a");
}

TEST_SUITE_END();
