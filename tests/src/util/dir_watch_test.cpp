#include "util/dir_watch.hpp"

#include <filesystem>
#include <thread>

#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace cafflow;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

/// Generous: a change is normally seen within milliseconds, but tests assert
/// no speed.
constexpr auto deadline = std::chrono::milliseconds(5000);

dir_watch open_watch(const std::string& root, const std::string& suffix = {}) {
  auto watch = dir_watch::open(root, suffix);
  REQUIRE_MESSAGE(watch, to_string(watch.error()));
  return std::move(*watch);
}

/// Waits (at most `deadline`) for the next wake-up.
dir_watch::wake next(dir_watch& watch) {
  auto woke = watch.wait(deadline);
  REQUIRE_MESSAGE(woke, to_string(woke.error()));
  return *woke;
}

/// Consumes the events already queued (the kernel queues them before the
/// call that caused them returns), so that the next wait sees only what follows.
void settle(dir_watch& watch) {
  for (int i = 0; i < 1000; ++i) {
    auto woke = watch.wait(0ms);
    REQUIRE(woke);
    if (*woke != dir_watch::wake::changed)
      return;
  }
  FAIL("the watch keeps reporting changes");
}

} // namespace

TEST_SUITE_BEGIN("dir_watch");

TEST_CASE("dir_watch: a file written in the root is noticed") {
  test::temp_dir dir;
  auto watch = open_watch(dir.path());
  CHECK(watch.watching());
  CHECK(watch.directories() == 1);
  CHECK(watch.take_problems().empty());
  test::write_file(dir / "a.xml", "<a/>");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  test::write_file(dir / "a.xml", "<a>2</a>"); // an edit of an existing file
  CHECK(next(watch) == dir_watch::wake::changed);
}

TEST_CASE("dir_watch: existing and new subdirectories are watched") {
  test::temp_dir dir;
  fs::create_directories(dir / "old/nested");
  auto watch = open_watch(dir.path());
  CHECK(watch.directories() == 3);
  test::write_file(dir / "old/nested/a.xml", "<a/>");
  CHECK(next(watch) == dir_watch::wake::changed);

  // Created after watching began, two levels at once.
  fs::create_directories(dir / "new/deeper");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  CHECK(watch.directories() == 5);
  test::write_file(dir / "new/deeper/b.xml", "<b/>");
  CHECK(next(watch) == dir_watch::wake::changed);
}

TEST_CASE("dir_watch: a deleted file and a deleted directory are noticed") {
  test::temp_dir dir;
  test::write_file(dir / "a.xml", "<a/>");
  test::write_file(dir / "sub/b.xml", "<b/>");
  auto watch = open_watch(dir.path());
  fs::remove(dir / "a.xml");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  fs::remove_all(dir / "sub");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  CHECK(watch.directories() == 1);
}

TEST_CASE("dir_watch: a file and a directory renamed into the tree are noticed") {
  test::temp_dir outside;
  test::temp_dir dir;
  auto watch = open_watch(dir.path());
  // An editor's save: a temp file renamed over the real one.
  test::write_file(outside / "c.xml.tmp", "<c/>");
  fs::rename(outside / "c.xml.tmp", dir / "c.xml");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  test::write_file(outside / "moved/inner/d.xml", "<d/>");
  fs::rename(outside / "moved", dir / "moved");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  CHECK(watch.directories() == 3);
  test::write_file(dir / "moved/inner/d.xml", "<d>2</d>");
  CHECK(next(watch) == dir_watch::wake::changed);
  // Moved out again: no longer watched.
  settle(watch);
  fs::rename(dir / "moved", outside / "back");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  CHECK(watch.directories() == 1);
}

TEST_CASE("dir_watch: with a suffix other files are ignored") {
  test::temp_dir dir;
  auto watch = open_watch(dir.path(), ".xml");
  test::write_file(dir / ".a.xml.swp", "swap");
  // The events are queued before write_file returns: a wait that does not
  // block sees them, and they do not count.
  auto woke = watch.wait(0ms);
  REQUIRE(woke);
  CHECK(*woke == dir_watch::wake::timeout);
  test::write_file(dir / "a.xml", "<a/>");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  fs::create_directories(dir / "sub"); // directories always count
  CHECK(next(watch) == dir_watch::wake::changed);
}

TEST_CASE("dir_watch: stop unblocks a wait in another thread and every later one") {
  test::temp_dir dir;
  auto watch = open_watch(dir.path());
  std::optional<expected<dir_watch::wake>> woke;
  std::thread waiter([&] { woke = watch.wait(); }); // no timeout
  watch.stop();
  waiter.join();
  REQUIRE(woke);
  REQUIRE(*woke);
  CHECK(**woke == dir_watch::wake::stopped);
  auto again = watch.wait();
  REQUIRE(again);
  CHECK(*again == dir_watch::wake::stopped);
}

TEST_CASE("dir_watch: a root that does not exist yet is reported and watched once it appears") {
  test::temp_dir dir;
  auto root = dir / "later";
  auto watch = open_watch(root);
  CHECK_FALSE(watch.watching());
  auto problems = watch.take_problems();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("cannot watch " + root + ": ") == 0);
  fs::create_directories(root);
  CHECK(next(watch) == dir_watch::wake::changed);
  CHECK(watch.watching());
  settle(watch);
  test::write_file(root + "/a.xml", "<a/>");
  CHECK(next(watch) == dir_watch::wake::changed);
  // Removed and created again.
  fs::remove_all(root);
  CHECK(next(watch) == dir_watch::wake::changed);
  fs::create_directories(root);
  CHECK(test::wait_until([&] { return next(watch) == dir_watch::wake::changed && watch.watching(); },
                         deadline));
  settle(watch);
  test::write_file(root + "/b.xml", "<b/>");
  CHECK(next(watch) == dir_watch::wake::changed);
}

TEST_CASE("dir_watch: a root symlink swapped to another directory follows the new target") {
  test::temp_dir dir;
  fs::create_directories(dir / "release1");
  fs::create_directories(dir / "release2/sub");
  fs::create_directory_symlink(dir / "release1", dir / "current");
  auto watch = open_watch(dir / "current");
  CHECK(watch.watching());
  // The atomic deploy: a new symlink renamed over the old one.
  fs::create_directory_symlink(dir / "release2", dir / "next");
  fs::rename(dir / "next", dir / "current");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  CHECK(watch.directories() == 2);
  test::write_file(dir / "release2/sub/a.xml", "<a/>");
  CHECK(next(watch) == dir_watch::wake::changed);
  settle(watch);
  test::write_file(dir / "release1/old.xml", "<old/>"); // no longer watched
  auto woke = watch.wait(0ms);
  REQUIRE(woke);
  CHECK(*woke == dir_watch::wake::timeout);
}

TEST_CASE("dir_watch: a moved watch keeps working") {
  test::temp_dir dir;
  auto first = open_watch(dir.path());
  dir_watch second = std::move(first);
  test::write_file(dir / "a.xml", "<a/>");
  CHECK(next(second) == dir_watch::wake::changed);
}
