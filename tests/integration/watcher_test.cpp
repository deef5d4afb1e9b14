// The xmlconfig watcher in a running cluster: with the periodic rescan an
// hour away, only inotify can explain that new, changed and deleted files
// (also in subdirectories created later) are live.
#include <filesystem>

#include <doctest/doctest.h>

#include "cluster.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace fs = std::filesystem;

namespace {

constexpr auto deadline = std::chrono::seconds(10);
constexpr auto poll_every = std::chrono::milliseconds(50);

/// A cluster whose master rescans xmlconfig only once an hour. The fixture
/// already sets master.rescan_interval_s (a key may appear only once), so
/// its value is replaced in the config file before anything starts.
void rescan_hourly(cluster& c) {
  auto ini = read_file(c.conf());
  const std::string key = "rescan_interval_s = ";
  auto at = ini.find(key);
  REQUIRE(at != std::string::npos);
  auto end = ini.find('\n', at);
  ini.replace(at, end - at, key + "3600");
  write_file(c.conf(), ini);
}

std::string workflow_xml(const std::string& name, int n) {
  return "<work-flow name=\"" + name + "\"><start name=\"s\" to=\"a\"/><action name=\"a\"><shell>"
         "<command>echo v" + std::to_string(n)
         + "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

bool eventually(const std::function<bool()>& condition) {
  return wait_until(condition, deadline, poll_every);
}

} // namespace

TEST_SUITE_BEGIN("watcher");

TEST_CASE("watcher: new and changed and invalid and deleted files are live without a rescan") {
  cluster c;
  rescan_hourly(c);
  c.start();
  INFO(c.logs());
  auto file = c.dir("xmlconfig/fresh.xml");

  c.add_workflow("fresh.xml", workflow_xml("fresh", 1));
  REQUIRE(eventually([&] { return version_of(c, "fresh") == 1; }));

  c.add_workflow("fresh.xml", workflow_xml("fresh", 2));
  REQUIRE(eventually([&] { return version_of(c, "fresh") == 2; }));

  // A broken edit is reported with its diagnostics and version 2 stays active.
  c.add_workflow("fresh.xml", "<work-flow name=\"fresh\">\n  <start name=\"s\" to=\"nowhere\"/>\n"
                              "  <end name=\"e\"/>\n</work-flow>\n");
  REQUIRE(eventually([&] { return file_status(c, "/fresh.xml")["status"] == "invalid"; }));
  auto broken = file_status(c, "/fresh.xml");
  REQUIRE(!broken["diagnostics"].empty());
  CHECK(broken["diagnostics"][0]["line"] == 2);
  CHECK(broken["diagnostics"][0]["message"] == "'s' continues to unknown node 'nowhere'");
  CHECK(broken["active_version"] == 2);
  CHECK(version_of(c, "fresh") == 2);

  fs::remove(file);
  REQUIRE(eventually([&] { return version_of(c, "fresh") == 0; }));
  CHECK(file_status(c, "/fresh.xml").is_null());
  // The watcher's thread does not hold the master up: every role exits 0.
  CHECK(c.stop());
}

TEST_CASE("watcher: files in subdirectories created after the start are live without a rescan") {
  cluster c;
  rescan_hourly(c);
  c.start();
  INFO(c.logs());

  // Two new levels at once, the file written right after the directories.
  c.add_workflow("team/nightly/deep.xml", workflow_xml("deep", 1));
  REQUIRE(eventually([&] { return version_of(c, "deep") == 1; }));

  // An editor's save: a temp file renamed over the real one.
  auto dir = c.dir("xmlconfig/team/nightly/");
  write_file(dir + "deep.xml.tmp", workflow_xml("deep", 2));
  fs::rename(dir + "deep.xml.tmp", dir + "deep.xml");
  REQUIRE(eventually([&] { return version_of(c, "deep") == 2; }));

  // A directory prepared elsewhere and moved in, then removed again.
  write_file(c.dir("staging/more/one.xml"), workflow_xml("one", 1));
  write_file(c.dir("staging/more/inner/two.xml"), workflow_xml("two", 1));
  fs::rename(c.dir("staging/more"), c.dir("xmlconfig/more"));
  REQUIRE(eventually([&] { return version_of(c, "one") == 1 && version_of(c, "two") == 1; }));
  write_file(c.dir("xmlconfig/more/inner/two.xml"), workflow_xml("two", 2));
  REQUIRE(eventually([&] { return version_of(c, "two") == 2; }));
  fs::remove_all(c.dir("xmlconfig/more"));
  REQUIRE(eventually([&] { return version_of(c, "one") == 0 && version_of(c, "two") == 0; }));
  CHECK(version_of(c, "deep") == 2);
}
