#include "exec/retention.hpp"

#include <chrono>
#include <filesystem>

#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace cafflow;
using namespace cafflow::test;
namespace fs = std::filesystem;

namespace {

constexpr timestamp day_ms = 24 * 3600 * 1000;

/// Sets the modification time of `path` to `days` days ago.
void age(const std::string& path, int days) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(24 * days));
}

} // namespace

TEST_SUITE("exec/retention") {

TEST_CASE("the cutoff is now minus the days - 0 days keeps everything") {
  CHECK(retention_cutoff(100 * day_ms, 7) == 93 * day_ms);
  CHECK(retention_cutoff(100 * day_ms, 0) == 0);
}

TEST_CASE("instance folders nobody wrote to for longer than the days go, oldest first") {
  temp_dir dir;
  // old: every file 30 days old; older: 40; fresh: one file written now;
  // running: old, but an instance with a running task.
  for (auto name : {"old", "older", "fresh", "running"}) {
    write_file(dir / (std::string(name) + "/node.1.log"), "x");
    write_file(dir / (std::string(name) + "/sub/node.2.log"), "y");
  }
  for (auto name : {"old", "running"}) {
    age(dir / (std::string(name) + "/node.1.log"), 30);
    age(dir / (std::string(name) + "/sub/node.2.log"), 30);
    age(dir / (std::string(name) + "/sub"), 30);
    age(dir / name, 30);
  }
  age(dir / "older/node.1.log", 40);
  age(dir / "older/sub/node.2.log", 40);
  age(dir / "older/sub", 40);
  age(dir / "older", 40);
  age(dir / "fresh/node.1.log", 40);
  age(dir / "fresh/sub", 40);
  age(dir / "fresh", 40); // only fresh/sub/node.2.log is new
  write_file(dir / "a_file.log", "not a folder");
  age(dir / "a_file.log", 40);

  auto cutoff = retention_cutoff(now_ms(), 7);
  auto stale = stale_instance_dirs(dir.path(), cutoff, 10, {"running"});
  REQUIRE(stale.size() == 2);
  CHECK(stale[0] == dir / "older");
  CHECK(stale[1] == dir / "old");
  // Small batches: the oldest first.
  CHECK(stale_instance_dirs(dir.path(), cutoff, 1, {"running"})
        == std::vector<std::string>{dir / "older"});
  // Keep forever: nothing.
  CHECK(stale_instance_dirs(dir.path(), retention_cutoff(now_ms(), 0), 10, {}).empty());

  std::vector<std::string> problems;
  CHECK(remove_dirs(stale, problems) == 2);
  CHECK(problems.empty());
  CHECK_FALSE(fs::exists(dir / "old"));
  CHECK_FALSE(fs::exists(dir / "older"));
  CHECK(fs::exists(dir / "fresh/sub/node.2.log"));
  CHECK(fs::exists(dir / "running/node.1.log"));
  CHECK(fs::exists(dir / "a_file.log"));
  CHECK(stale_instance_dirs(dir / "missing", cutoff, 10, {}).empty());
}

}
