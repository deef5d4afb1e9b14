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

/// What GET /api/v1/workflows listed before the catalog paged: the whole
/// list (active or every known one), filtered.
std::vector<workflow_record> filter_list(const catalog& c, const workflow_filter& filter) {
  auto list = filter.status == "active" ? c.workflows() : c.known_workflows();
  std::vector<workflow_record> result;
  workflow_matcher matches{filter};
  for (const auto& w : list)
    if (matches(w))
      result.push_back(w);
  return result;
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
  CHECK(c.find("a")->record->version == 1);
  auto files = c.files();
  REQUIRE(files.size() == 1);
  CHECK(files[0].status == "error");
  CHECK(files[0].active_version == 1);
  CHECK(files[0].diagnostics[0].message == "cannot read '/x/a.xml'");
  // Read again, unchanged: loaded at the same version.
  changes = c.apply({scanned("/x/a.xml", "a", "h1")}, 30);
  CHECK(changes.stored.empty());
  CHECK(c.files()[0].status == "loaded");
  CHECK(c.find("a")->record->version == 1);
  // A directory entry in the error state loads and unloads nothing.
  scanned_file loop;
  loop.path = "/x/loop";
  loop.kind = "directory";
  loop.status = "error";
  c.apply({scanned("/x/a.xml", "a", "h1"), loop}, 40);
  CHECK(c.workflows().size() == 1);
  CHECK(c.files().size() == 2);
}

TEST_CASE("a large scan: every file gets its own status and active version") {
  // The status of each file is found by path (it was a walk of every
  // workflow per file): thousands of files, each with its version.
  catalog c;
  std::vector<scanned_file> scan;
  for (int i = 0; i < 3000; ++i) {
    auto name = "w" + std::to_string(100000 + i);
    scan.push_back(scanned("/x/" + name + ".xml", name, "h" + std::to_string(i)));
  }
  // Two files with one name: both conflict, neither is loaded.
  scan.push_back(scanned("/x/z1.xml", "dup", "hd1"));
  scan.push_back(scanned("/x/z2.xml", "dup", "hd2"));
  auto changes = c.apply(scan, 10);
  CHECK(changes.stored.size() == 3000);
  CHECK(c.workflow_count() == 3000);
  CHECK(c.file_count() == 3002);
  CHECK(c.files_loaded() == 3000);
  auto files = c.files();
  REQUIRE(files.size() == 3002);
  for (std::size_t i = 0; i < 3000; ++i) {
    CAPTURE(files[i].path);
    CHECK(files[i].status == "loaded");
    CHECK(files[i].active_version == 1);
    CHECK(files[i].name == "w" + std::to_string(100000 + i));
  }
  CHECK(files[3000].status == "conflict");
  CHECK(files[3000].active_version == 0);
  CHECK(files[3001].status == "conflict");
  // One changed, one gone: version 2 for the one, the other unloaded.
  scan[7].hash = "changed";
  scan.erase(scan.begin() + 8);
  auto next = c.apply(scan, 20);
  CHECK(next.stored.size() == 2);
  CHECK(c.workflow_count() == 2999);
  CHECK(c.files_loaded() == 2999);
  const auto* seven = c.find("w100007");
  REQUIRE(seven != nullptr);
  CHECK(seven->record->version == 2);
  CHECK(c.find("w100008") == nullptr);
  auto after = c.files();
  CHECK(after[7].active_version == 2);
  CHECK(after[8].name == "w100009");
  CHECK(after[8].active_version == 1);
}

TEST_CASE("a workflow is listed once as it is loaded, removed and loaded again") {
  workflow_record stored{"b", "/d", "", "", "/x/b.xml", "hb", 3, 5, 1, "active"};
  catalog c({stored});
  auto names = [&] {
    std::string out;
    for (const auto& w : c.known_workflows())
      out += w.name + ":" + w.status + ":" + std::to_string(w.version) + " ";
    return out;
  };
  // Known from the store, loaded again unchanged: its version stays.
  c.apply({scanned("/x/a.xml", "a", "ha"), scanned("/x/b.xml", "b", "hb"),
           scanned("/x/c.xml", "c", "hc")},
          10);
  CHECK(names() == "a:active:1 b:active:3 c:active:1 ");
  c.apply({scanned("/x/a.xml", "a", "ha"), scanned("/x/c.xml", "c", "hc")}, 20);
  CHECK(names() == "a:active:1 b:removed:3 c:active:1 ");
  // Back with another content: the next version, listed once.
  auto changes = c.apply({scanned("/x/a.xml", "a", "ha"), scanned("/x/b2.xml", "b", "hb2"),
                          scanned("/x/c.xml", "c", "hc")},
                         30);
  CHECK(names() == "a:active:1 b:active:4 c:active:1 ");
  REQUIRE(changes.stored.size() == 1);
  CHECK(changes.stored[0].first.version == 4);
  CHECK_FALSE(changes.stored[0].second.empty()); // a new version comes with its XML
  CHECK(c.find("b")->record->file == "/x/b2.xml");
  workflow_filter all;
  all.status = "all";
  CHECK(c.page(all, 0, 0).total == 3);
}

TEST_CASE("a page of the workflows is the page of the filtered whole list") {
  workflow_record stored{"gone_before", "/etl", "", "", "/x/gone.xml", "h0", 3, 5, 1, "active"};
  catalog c({stored});
  std::vector<scanned_file> scan;
  for (int i = 0; i < 30; ++i) {
    auto name = std::string(i % 3 == 0 ? "Etl_" : "job_") + std::to_string(10 + i);
    scan.push_back(scanned("/x/" + name + ".xml", name, "h" + std::to_string(i)));
  }
  c.apply(scan, 10);
  scan.resize(25); // five removed
  c.apply(scan, 20);
  for (const char* status : {"active", "removed", "all"})
    for (const char* name : {"", "etl", "JOB_1", "nothing"})
      for (const char* dir : {"", "/d", "/etl"}) {
        workflow_filter filter;
        filter.status = status;
        filter.name = name;
        filter.dir = dir;
        auto whole = filter_list(c, filter);
        for (std::uint64_t offset : {0, 1, 7, 24, 40})
          for (std::uint64_t limit : {0, 1, 5, 100}) {
            CAPTURE(status);
            CAPTURE(name);
            CAPTURE(dir);
            CAPTURE(offset);
            CAPTURE(limit);
            auto page = c.page(filter, offset, limit);
            auto expected = page_of(whole, offset, limit);
            CHECK(page.total == expected.total);
            REQUIRE(page.workflows.size() == expected.workflows.size());
            for (std::size_t i = 0; i < page.workflows.size(); ++i) {
              CHECK(page.workflows[i].name == expected.workflows[i].name);
              CHECK(page.workflows[i].status == expected.workflows[i].status);
              CHECK(page.workflows[i].version == expected.workflows[i].version);
            }
          }
      }
  workflow_filter removed;
  removed.status = "removed";
  CHECK(c.page(removed, 0, 0).total == 6); // five files gone, one gone before
}

TEST_SUITE_END();
