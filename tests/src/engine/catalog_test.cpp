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

TEST_SUITE_END();
