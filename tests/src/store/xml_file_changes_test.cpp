#include "store/store.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

xml_file_record file(const std::string& path, const std::string& status, const std::string& hash,
                     timestamp checked = 1) {
  xml_file_record f;
  f.path = path;
  f.kind = "workflow";
  f.name = path;
  f.status = status;
  f.hash = hash;
  f.checked_at = checked;
  return f;
}

std::vector<std::string> describe(const std::vector<store_write>& writes) {
  std::vector<std::string> out;
  for (const auto& w : writes) {
    if (auto* p = std::get_if<xml_file_put>(&w))
      out.push_back("put " + p->record.path + " " + p->record.status);
    else if (auto* d = std::get_if<xml_file_delete>(&w))
      out.push_back("delete " + d->path);
  }
  return out;
}

} // namespace

TEST_CASE("xml file states: new and changed files are written, vanished ones deleted") {
  std::vector<xml_file_record> before{file("a.xml", "loaded", "h1"), file("b.xml", "loaded", "h2"),
                                      file("c.xml", "invalid", "h3")};
  auto checked_again = file("a.xml", "loaded", "h1", 99); // only checked_at differs
  auto edited = file("b.xml", "loaded", "h2b");
  auto fixed = file("c.xml", "invalid", "h3");
  fixed.diagnostics.push_back(diagnostic_record{"error", 3, 4, "another error"});
  std::vector<xml_file_record> after{checked_again, edited, fixed, file("d.xml", "conflict", "h4")};
  CHECK(describe(xml_file_changes(before, after))
        == std::vector<std::string>{"put b.xml loaded", "put c.xml invalid", "put d.xml conflict"});
  CHECK(describe(xml_file_changes(after, {checked_again}))
        == std::vector<std::string>{"delete b.xml", "delete c.xml", "delete d.xml"});
  CHECK(xml_file_changes(after, after).empty());
}
