#include "exec/outbox.hpp"

#include <filesystem>

#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;

namespace {

attempt_report report(const std::string& node, const std::string& outcome) {
  attempt_report r;
  r.instance_id = "0001";
  r.node = node;
  r.attempt = 2;
  r.worker = "127.0.0.1:2851";
  r.outcome = outcome;
  r.exit_code = outcome == "succeeded" ? 0 : 3;
  r.pid = 4242;
  r.log_path = "/logs/tasks/0001/" + node + ".2.log";
  r.started = 1000;
  r.finished = 4000;
  r.message = outcome == "succeeded" ? "" : "exit code 3\n\"quoted\" ünïcode";
  return r;
}

} // namespace

TEST_SUITE_BEGIN("outbox");

TEST_CASE("saved results come back once, field for field, and the file is gone") {
  temp_dir dir;
  auto path = dir / "work/w/outbox.json";
  REQUIRE(save_outbox(path, {report("a", "succeeded"), report("b", "failed")}));
  CHECK(std::filesystem::exists(path));
  auto back = take_outbox(path);
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  const auto& b = (*back)[1];
  auto want = report("b", "failed");
  CHECK(b.instance_id == want.instance_id);
  CHECK(b.node == "b");
  CHECK(b.attempt == 2);
  CHECK(b.worker == want.worker);
  CHECK(b.outcome == "failed");
  CHECK(b.exit_code == 3);
  CHECK(b.pid == 4242);
  CHECK(b.log_path == want.log_path);
  CHECK(b.started == 1000);
  CHECK(b.finished == 4000);
  CHECK(b.message == want.message);
  CHECK((*back)[0].outcome == "succeeded");
  CHECK_FALSE(std::filesystem::exists(path));
  auto again = take_outbox(path);
  REQUIRE(again);
  CHECK(again->empty());
}

TEST_CASE("an empty outbox leaves no file") {
  temp_dir dir;
  auto path = dir / "outbox.json";
  REQUIRE(save_outbox(path, {report("a", "killed")}));
  REQUIRE(save_outbox(path, {}));
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a damaged outbox file is an error naming it, and is kept") {
  temp_dir dir;
  auto path = dir / "outbox.json";
  cafflow::test::write_file(path, "[{\"node\": ");
  auto back = take_outbox(path);
  REQUIRE_FALSE(back);
  CHECK(back.error().message.find(path) != std::string::npos);
  CHECK(std::filesystem::exists(path));
}

TEST_SUITE_END();
