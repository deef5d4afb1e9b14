#include "engine/catalog.hpp"

#include <doctest/doctest.h>

#include "xml/workflow_parser.hpp"

using namespace cafflow;

namespace {

scanned_file scanned(const std::string& path, const std::string& name, const std::string& hash) {
  auto xml = "<work-flow name=\"" + name +
             "\" dir=\"/d\"><start name=\"s\" to=\"e\"/>"
             "<end name=\"e\"/></work-flow>";
  auto parsed = parse_definition(xml, path);
  REQUIRE(parsed.wf);
  scanned_file f;
  f.path = path;
  f.hash = hash;
  f.xml = xml;
  f.kind = "workflow";
  f.declared_name = name;
  f.wf = std::make_shared<const workflow>(std::move(*parsed.wf));
  return f;
}

} // namespace

TEST_SUITE_BEGIN("catalog");

TEST_CASE("known workflows: the active ones and those whose file is gone") {
  workflow_record stored{"gone_before", "/d", "", "", "/x/gone.xml", "h0", 3, 5, 1, "active"};
  catalog c({stored});
  c.apply({scanned("/x/a.xml", "a", "h1"), scanned("/x/b.xml", "b", "h2")}, 10);
  c.apply({scanned("/x/a.xml", "a", "h1")}, 20);
  auto known = c.known_workflows();
  REQUIRE(known.size() == 3);
  CHECK(known[0].name == "a");
  CHECK(known[0].status == "active");
  CHECK(known[1].name == "b");
  CHECK(known[1].status == "removed");
  CHECK(known[1].file == "/x/b.xml");
  // Stored as active by an earlier master, its file deleted while none ran.
  CHECK(known[2].name == "gone_before");
  CHECK(known[2].status == "removed");
  CHECK(known[2].version == 3);
  REQUIRE(c.workflows().size() == 1);
  CHECK(c.workflows()[0].name == "a");
}

TEST_CASE("a file in the error state keeps its workflow, and shows why") {
  catalog c;
  c.apply({scanned("/x/a.xml", "a", "h1")}, 10);
  // The watcher could not read it: the definition last read, status error.
  auto unreadable = scanned("/x/a.xml", "a", "h1");
  unreadable.status = "error";
  unreadable.diagnostics.push_back(
    diagnostic{diagnostic::severity::error, "/x/a.xml", {1, 1}, "cannot read '/x/a.xml'"});
  auto changes = c.apply({unreadable}, 20);
  CHECK(changes.stored.empty());
  REQUIRE(c.find("a") != nullptr);
  CHECK(c.find("a")->record.version == 1);
  auto files = c.files();
  REQUIRE(files.size() == 1);
  CHECK(files[0].status == "error");
  CHECK(files[0].active_version == 1);
  CHECK(files[0].diagnostics[0].message == "cannot read '/x/a.xml'");
  // Read again, unchanged: loaded at the same version.
  changes = c.apply({scanned("/x/a.xml", "a", "h1")}, 30);
  CHECK(changes.stored.empty());
  CHECK(c.files()[0].status == "loaded");
  CHECK(c.find("a")->record.version == 1);
  // A directory entry in the error state loads and unloads nothing.
  scanned_file loop;
  loop.path = "/x/loop";
  loop.kind = "directory";
  loop.status = "error";
  c.apply({scanned("/x/a.xml", "a", "h1"), loop}, 40);
  CHECK(c.workflows().size() == 1);
  CHECK(c.files().size() == 2);
}

TEST_SUITE_END();
