// The xmlconfig watcher against a hostile tree (issue 13): symlink loops and
// links to an ancestor, files and directories the master cannot read, files
// above master.max_xml_bytes. Each is a diagnostic in GET /api/v1/xmlconfig;
// the rest of the tree loads, and nothing that cannot be read is unloaded.
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace fs = std::filesystem;

namespace {

std::string workflow_xml(const std::string& name, const std::string& padding = {}) {
  return "<work-flow name=\"" + name + "\"><start name=\"s\" to=\"a\"/><action name=\"a\"><shell>"
         "<command>true</command></shell><ok to=\"e\"/></action><end name=\"e\"/>"
         + (padding.empty() ? std::string() : "<!-- " + padding + " -->") + "</work-flow>";
}

/// The first diagnostic message of the file (or directory) whose path ends with `suffix`.
std::string first_message(cluster& c, const std::string& suffix) {
  auto f = file_status(c, suffix);
  if (!f.is_object() || f["diagnostics"].empty())
    return {};
  return f["diagnostics"][0]["message"].get<std::string>();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The resident memory of a process in KiB (VmRSS).
long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

/// The status of workflow `name` in GET /api/v1/workflows?status=all.
std::string known_status(cluster& c, const std::string& name) {
  auto list = c.get("/api/v1/workflows?status=all");
  for (const auto& w : list["workflows"])
    if (w["name"] == name)
      return w["status"].get<std::string>();
  return {};
}

} // namespace

TEST_SUITE_BEGIN("watcher_hardening");

TEST_CASE("symlink loops and links to an ancestor are reported and the rest of the tree loads") {
  cluster c(cluster_options(1));
  c.add_workflow("top.xml", workflow_xml("top"));
  c.add_workflow("sub/inner.xml", workflow_xml("inner"));
  // Two links to '.' made the scan grow without bound; one made it fail.
  fs::create_directory_symlink(".", c.dir("xmlconfig/loop"));
  fs::create_directory_symlink(".", c.dir("xmlconfig/loop2"));
  fs::create_directory_symlink("..", c.dir("xmlconfig/sub/up"));
  // A link to a sibling: walked once, under its own path.
  fs::create_directory_symlink("sub", c.dir("xmlconfig/again"));
  c.start();
  INFO(c.logs());
  REQUIRE(wait_until([&] { return version_of(c, "top") == 1 && version_of(c, "inner") == 1; }));
  for (const auto& link : {"/loop", "/loop2", "/sub/up"}) {
    CAPTURE(link);
    auto f = file_status(c, link);
    REQUIRE(f.is_object());
    CHECK(f["status"] == "error");
    CHECK(f["kind"] == "directory");
    CHECK(contains(first_message(c, link), "a directory above it: following it would loop"));
  }
  CHECK(contains(first_message(c, "/again"), "scanned under that path already"));
  // Each file once: no conflict between paths through the links.
  CHECK(file_status(c, "/sub/inner.xml")["status"] == "loaded");
  int listed = 0;
  auto listing = c.get("/api/v1/xmlconfig");
  for (const auto& f : listing["files"])
    listed += contains(f["path"].get<std::string>(), ".xml") ? 1 : 0;
  CHECK(listed == 2);
  // A new file next to the loops still loads.
  c.add_workflow("later.xml", workflow_xml("later"));
  REQUIRE(wait_until([&] { return version_of(c, "later") == 1; }));
  MESSAGE("master RSS with two links to '.': " << rss_kib(c.master()->pid()) << " KiB");
}

TEST_CASE("a file or directory the master cannot read is an error and its workflows stay loaded") {
  // Root reads everything: the master runs as nobody here, so that mode 000
  // really keeps it out.
  cluster_options o(1);
  o.master_wrapper = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  cluster c(o);
  fs::permissions(c.dir(""), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec
                                | fs::perms::others_read | fs::perms::others_exec);
  for (const auto& dir : {"logs", "data"}) {
    fs::create_directories(c.dir(dir));
    REQUIRE(::chown(c.dir(dir).c_str(), 65534, 65534) == 0);
  }
  c.add_workflow("a.xml", workflow_xml("a"));
  c.add_workflow("sub/b.xml", workflow_xml("b"));
  // The master first: the store file must be its (the http role, as root,
  // would otherwise create it when it opens the store).
  c.start_master();
  REQUIRE(wait_until([&] { return fs::exists(c.dir("data/cafflow.db")); }));
  c.start_worker(0);
  c.start_http();
  REQUIRE(wait_until([&] { return c.workers_registered(); }));
  INFO(c.logs());
  REQUIRE(wait_until([&] { return version_of(c, "a") == 1 && version_of(c, "b") == 1; }));

  fs::permissions(c.dir("xmlconfig/a.xml"), fs::perms::none);
  REQUIRE(wait_until([&] { return file_status(c, "/a.xml")["status"] == "error"; }));
  CHECK(contains(first_message(c, "/a.xml"), "Permission denied"));
  CHECK(contains(first_message(c, "/a.xml"), "the version last read from it stays active"));
  CHECK(file_status(c, "/a.xml")["active_version"] == 1);
  CHECK(version_of(c, "a") == 1);

  fs::permissions(c.dir("xmlconfig/sub"), fs::perms::none);
  REQUIRE(wait_until([&] { return file_status(c, "/sub")["status"] == "error"; }));
  CHECK(file_status(c, "/sub")["kind"] == "directory");
  CHECK(contains(first_message(c, "/sub"), "cannot read the directory: Permission denied"));
  CHECK(file_status(c, "/sub/b.xml")["status"] == "error");
  CHECK(contains(first_message(c, "/sub/b.xml"), "cannot read its directory"));
  CHECK(version_of(c, "b") == 1);
  // Nothing was unloaded, in memory or in the store.
  CHECK(known_status(c, "a") == "active");
  CHECK(known_status(c, "b") == "active");

  fs::permissions(c.dir("xmlconfig/sub"), fs::perms::owner_all | fs::perms::others_read
                                            | fs::perms::others_exec);
  fs::permissions(c.dir("xmlconfig/a.xml"), fs::perms::owner_read | fs::perms::owner_write
                                              | fs::perms::others_read);
  REQUIRE(wait_until([&] {
    return file_status(c, "/a.xml")["status"] == "loaded"
           && file_status(c, "/sub/b.xml")["status"] == "loaded";
  }));
  CHECK(file_status(c, "/sub").is_null());
  // The same content: the same version, not a new one.
  CHECK(version_of(c, "a") == 1);
  CHECK(version_of(c, "b") == 1);
}

TEST_CASE("a file above master.max_xml_bytes is refused unread and not stored") {
  cluster_options o(1);
  o.extra_ini = "[master]\nmax_xml_bytes = 100000\n";
  cluster c(o);
  c.add_workflow("big.xml", workflow_xml("big", std::string(200000, 'x')));
  c.add_workflow("grows.xml", workflow_xml("grows"));
  c.start();
  INFO(c.logs());
  REQUIRE(wait_until([&] { return version_of(c, "grows") == 1; }));
  REQUIRE(wait_until([&] { return file_status(c, "/big.xml")["status"] == "error"; }));
  auto message = first_message(c, "/big.xml");
  CHECK(contains(message, "larger than the limit of 100000"));
  CHECK(contains(message, "master.max_xml_bytes"));
  CHECK(version_of(c, "big") == 0);
  CHECK(known_status(c, "big").empty()); // never stored
  // A loaded file that grows past the limit keeps its last version.
  c.add_workflow("grows.xml", workflow_xml("grows", std::string(200000, 'y')));
  REQUIRE(wait_until([&] { return file_status(c, "/grows.xml")["status"] == "error"; }));
  CHECK(contains(first_message(c, "/grows.xml"), "the version last read from it stays active"));
  CHECK(version_of(c, "grows") == 1);
  // Below the limit again: loaded as a new version.
  c.add_workflow("grows.xml", workflow_xml("grows", "smaller"));
  REQUIRE(wait_until([&] { return version_of(c, "grows") == 2; }));
}

TEST_SUITE_END();
