#include "schedule/lineage.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

using names = std::vector<std::string>;

// a -> b -> d, a -> c -> d, c -> e; x is unrelated; y is upstream of a.
const upstream_map graph{{"b", {"a"}}, {"c", {"a"}}, {"d", {"b", "c"}},
                         {"e", {"c"}}, {"x", {"y"}}, {"a", {"y"}}};

} // namespace

TEST_CASE("lineage: the root, then every downstream workflow once, after its upstreams") {
  lineage_plan plan("a", graph);
  CHECK(plan.order() == names{"a", "b", "c", "d", "e"});
  CHECK(plan.start() == names{"a"});
  CHECK_FALSE(plan.done());
  CHECK(plan.finished("a", true) == names{"b", "c"});
  CHECK(plan.finished("b", true).empty()); // d still waits for c
  CHECK(plan.finished("c", true) == names{"d", "e"});
  CHECK(plan.finished("c", true).empty()); // not running any more
  CHECK(plan.finished("e", true).empty());
  CHECK_FALSE(plan.done());
  CHECK(plan.finished("d", true).empty());
  CHECK(plan.done());
  CHECK(plan.abandoned().empty());
}

TEST_CASE("lineage: a failure abandons what depends on it") {
  lineage_plan plan("a", graph);
  plan.start();
  plan.finished("a", true);
  CHECK(plan.finished("c", false).empty());
  CHECK(plan.abandoned() == std::set<std::string>{"d", "e"});
  CHECK_FALSE(plan.done()); // b still runs
  CHECK(plan.finished("b", true).empty());
  CHECK(plan.done());
}

TEST_CASE("lineage: a workflow nothing depends on runs alone") {
  lineage_plan plan("e", graph);
  CHECK(plan.order() == names{"e"});
  CHECK(plan.start() == names{"e"});
  CHECK(plan.finished("e", false).empty());
  CHECK(plan.done());
}
