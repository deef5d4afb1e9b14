#include "util/dir_scan.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;
using cafflow::test::write_file;

namespace fs = std::filesystem;

namespace {

/// The paths of `scan` relative to `root`.
std::vector<std::string> relative(const std::vector<std::string>& paths, const std::string& root) {
  std::vector<std::string> result;
  for (const auto& p : paths)
    result.push_back(p.substr(root.size() + 1));
  return result;
}

const dir_scan::problem* problem_at(const dir_scan& scan, const std::string& path) {
  auto it = std::find_if(scan.problems.begin(), scan.problems.end(),
                         [&](const dir_scan::problem& p) { return p.path == path; });
  return it == scan.problems.end() ? nullptr : &*it;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE_BEGIN("dir_scan");

TEST_CASE("files with the suffix, in name order, through real and linked directories") {
  temp_dir dir;
  write_file(dir / "b.xml", "");
  write_file(dir / "a.xml", "");
  write_file(dir / "notes.txt", "");
  write_file(dir / "sub/c.xml", "");
  write_file(dir / "elsewhere/d.xml", "");
  fs::create_directories(dir / "tree");
  fs::create_directory_symlink(dir / "elsewhere", dir / "tree/link");
  fs::create_symlink(dir / "a.xml", dir / "tree/alias.xml");
  fs::create_symlink(dir / "gone.xml", dir / "dangling.xml");
  auto scan = scan_directory(dir.path(), ".xml");
  CHECK(scan.root_readable);
  CHECK(relative(scan.files, dir.path())
        == std::vector<std::string>{"a.xml", "b.xml", "elsewhere/d.xml", "sub/c.xml",
                                    "tree/alias.xml"});
  // tree/link leads to elsewhere, walked under its own path already.
  REQUIRE(scan.problems.size() == 1);
  CHECK(scan.problems[0].path == dir / "tree/link");
  CHECK(contains(scan.problems[0].message, "scanned under that path already"));
}

TEST_CASE("every file comes with its stat, which changes when the file is written") {
  temp_dir dir;
  write_file(dir / "a.xml", "one");
  write_file(dir / "b.xml", "two!");
  auto first = scan_directory(dir.path(), ".xml");
  REQUIRE(first.files.size() == 2);
  REQUIRE(first.stamps.size() == 2);
  CHECK(first.stamps[0].size == 3);
  CHECK(first.stamps[1].size == 4);
  CHECK(first.stamps[0].ino != first.stamps[1].ino);
  CHECK(first.stamps[0].ctime_ns > 0);
  auto again = scan_directory(dir.path(), ".xml");
  CHECK(again.stamps == first.stamps);
  // Rewritten with the same size: a new ctime (or a new inode) at least
  // once the file system's clock moved on.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_file(dir / "a.xml", "ONE");
  auto after = scan_directory(dir.path(), ".xml");
  CHECK(after.stamps[0] != first.stamps[0]);
  CHECK(after.stamps[1] == first.stamps[1]);
}

TEST_CASE("links to an ancestor are reported, not followed, and the walk is finite") {
  temp_dir dir;
  write_file(dir / "top.xml", "");
  write_file(dir / "sub/inner.xml", "");
  fs::create_directory_symlink(".", dir / "loop");
  fs::create_directory_symlink(".", dir / "loop2");
  fs::create_directory_symlink("..", dir / "sub/up");
  fs::create_directory_symlink(dir.path(), dir / "sub/absolute");
  auto scan = scan_directory(dir.path(), ".xml");
  CHECK(relative(scan.files, dir.path()) == std::vector<std::string>{"top.xml", "sub/inner.xml"});
  for (const auto& link : {"loop", "loop2", "sub/up", "sub/absolute"}) {
    CAPTURE(link);
    auto* p = problem_at(scan, dir / link);
    REQUIRE(p != nullptr);
    CHECK(p->directory);
    CHECK(contains(p->message, "a directory above it: following it would loop forever"));
  }
}

TEST_CASE("a link chain that loops on itself is reported when it looks like a file") {
  temp_dir dir;
  fs::create_symlink(dir / "b.xml", dir / "a.xml");
  fs::create_symlink(dir / "a.xml", dir / "b.xml");
  auto scan = scan_directory(dir.path(), ".xml");
  CHECK(scan.files.empty());
  REQUIRE(scan.problems.size() == 2);
  CHECK(contains(scan.problems[0].message, "cannot follow the symbolic link"));
}

TEST_CASE("a root that is missing or not a directory is not readable") {
  temp_dir dir;
  auto missing = scan_directory(dir / "none", ".xml");
  CHECK_FALSE(missing.root_readable);
  REQUIRE(missing.problems.size() == 1);
  CHECK(contains(missing.problems[0].message, "No such file or directory"));
  write_file(dir / "file", "");
  auto file = scan_directory(dir / "file", ".xml");
  CHECK_FALSE(file.root_readable);
  CHECK(contains(file.problems[0].message, "it is not a directory"));
}

TEST_SUITE_END();
