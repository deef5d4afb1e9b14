#include "util/files.hpp"

#include <algorithm>
#include <filesystem>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "fixtures.hpp"

using namespace cafflow;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("files");

namespace {

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// The names in `dir`, to see that no temporary file is left.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

TEST_CASE("replace_file: writes a new file private whatever the umask and creates its dirs") {
  test::temp_dir dir;
  fs::path root = dir.path();
  auto path = root / "sub" / "links.xml";
  auto old_mask = ::umask(0);
  auto written = replace_file(path.string(), "<a/>\n");
  ::umask(old_mask);
  REQUIRE(written);
  CHECK(*read_file(path.string()) == "<a/>\n");
  CHECK(mode_of(path) == 0600);
  CHECK(names_in(path.parent_path()) == std::vector<std::string>{"links.xml"});
}

TEST_CASE("replace_file: an existing file keeps its mode unless told otherwise") {
  test::temp_dir dir;
  fs::path root = dir.path();
  auto path = root / "f.xml";
  test::write_file(path.string(), "old");
  fs::permissions(path, fs::perms(0640));
  REQUIRE(replace_file(path.string(), "new"));
  CHECK(*read_file(path.string()) == "new");
  CHECK(mode_of(path) == 0640);
  REQUIRE(replace_file(path.string(), "newer", replace_mode{0644, false}));
  CHECK(*read_file(path.string()) == "newer");
  CHECK(mode_of(path) == 0644);
  // An empty content is a file of 0 bytes, not a failure.
  REQUIRE(replace_file(path.string(), ""));
  CHECK(fs::file_size(path) == 0);
}

TEST_CASE("replace_file: a failure names the file and leaves nothing behind") {
  test::temp_dir dir;
  fs::path root = dir.path();
  // The target is a non-empty directory: the rename fails.
  auto target = root / "taken";
  fs::create_directories(target / "x");
  auto failed = replace_file(target.string(), "text");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("cannot move the new file over '" + target.string() + "'")
        == 0);
  CHECK(names_in(root) == std::vector<std::string>{"taken"});
  // A parent that is a file cannot be created.
  test::write_file((root / "plain").string(), "x");
  auto no_dir = replace_file((root / "plain" / "f.xml").string(), "text");
  REQUIRE_FALSE(no_dir);
  CHECK(no_dir.error().message.find("cannot create '" + (root / "plain").string() + "'")
        == 0);
  CHECK(*read_file((root / "plain").string()) == "x");
}

TEST_SUITE_END();
