#include "engine/placement.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("placement");

TEST_CASE("the least loaded worker with a free slot wins") {
  std::vector<worker_load> ws{{"w1", "h1", {}, 4, 3}, {"w2", "h2", {}, 2, 1}, {"w3", "h3", {}, 4, 1}};
  CHECK(pick_worker(ws, {}) == 2); // 1/4 < 1/2 < 3/4
  ws[2].running = 4;
  CHECK(pick_worker(ws, {}) == 1);
}

TEST_CASE("a full cluster has no worker") {
  std::vector<worker_load> ws{{"w1", "h", {}, 1, 1}, {"w2", "h", {}, 2, 2}};
  CHECK(pick_worker(ws, {}) == no_worker);
  CHECK(pick_worker({}, {}) == no_worker);
}

TEST_CASE("ties go to fewer running, then the smaller id") {
  std::vector<worker_load> ws{{"b", "h", {}, 2, 1}, {"a", "h", {}, 4, 2}, {"c", "h", {}, 2, 1}};
  CHECK(pick_worker(ws, {}) == 0);
  std::vector<worker_load> idle{{"b", "h", {}, 2, 0}, {"a", "h", {}, 2, 0}};
  CHECK(pick_worker(idle, {}) == 1);
}

TEST_CASE("host pinning and worker groups are honoured") {
  std::vector<worker_load> ws{{"w1", "h1", {"etl"}, 4, 0}, {"w2", "h2", {"gpu", "etl"}, 4, 3}};
  CHECK(pick_worker(ws, {"h2", ""}) == 1);
  CHECK(pick_worker(ws, {"w1", ""}) == 0); // the worker id works as a host too
  CHECK(pick_worker(ws, {"", "gpu"}) == 1);
  CHECK(pick_worker(ws, {"h1", "gpu"}) == no_worker);
  CHECK(pick_worker(ws, {"elsewhere", ""}) == no_worker);
}

TEST_CASE("the reason an attempt waits") {
  std::vector<worker_load> ws{{"w1", "h1", {"etl"}, 2, 2}};
  CHECK(waiting_reason(ws, {}) == "waiting for a free slot (1 matching workers, 2 slots, all busy)");
  CHECK(waiting_reason(ws, {"h9", ""}) == "waiting for a worker on host 'h9'");
  CHECK(waiting_reason(ws, {"h9", "gpu"}) == "waiting for a worker on host 'h9' in group 'gpu'");
  CHECK(waiting_reason({}, {}) == "waiting for a worker to register");
}

TEST_CASE("backfills are the lower priority class, every other trigger the live one") {
  for (const auto* live : {"cron", "dependency", "trigger", "manual", "rerun", "lineage"}) {
    CAPTURE(live);
    CHECK(priority_class(live) == 0);
  }
  CHECK(priority_class("backfill") == 1);
}

TEST_SUITE_END();

TEST_CASE("limits: max-parallel of the workflow, then the pool: both free is no reason") {
  std::map<std::string, int> pools{{"db", 2}};
  limit_use use;
  CHECK(limit_reason("w", 0, "", pools, use).empty());
  CHECK(limit_reason("w", 1, "db", pools, use).empty());
  use.workflows["w"] = 1;
  CHECK(limit_reason("w", 1, "db", pools, use)
        == "waits for its workflow's max-parallel (1 of 1 running)");
  CHECK(limit_reason("w", 2, "db", pools, use).empty());
  CHECK(limit_reason("other", 1, "", pools, use).empty());
  use.pools["db"] = 2;
  CHECK(limit_reason("w", 2, "db", pools, use) == "waits for pool 'db' (2 of 2 slots in use)");
  CHECK(limit_reason("w", 2, "", pools, use).empty());
  CHECK(limit_reason("w", 0, "gone", pools, use)
        == "waits for pool 'gone', which the config's [pools] does not define");
}
