#include <map>

#include "store/store.hpp"

namespace cafflow {

namespace {

bool same_diagnostics(const std::vector<diagnostic_record>& a,
                      const std::vector<diagnostic_record>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].level != b[i].level || a[i].line != b[i].line || a[i].column != b[i].column
        || a[i].message != b[i].message)
      return false;
  return true;
}

bool same_state(const xml_file_record& a, const xml_file_record& b) {
  return a.kind == b.kind && a.name == b.name && a.status == b.status && a.hash == b.hash
         && a.active_version == b.active_version && same_diagnostics(a.diagnostics, b.diagnostics);
}

} // namespace

std::vector<store_write> xml_file_changes(const std::vector<xml_file_record>& before,
                                          const std::vector<xml_file_record>& after) {
  std::map<std::string, const xml_file_record*> old;
  for (const auto& f : before)
    old.emplace(f.path, &f);
  std::vector<store_write> writes;
  for (const auto& f : after) {
    auto it = old.find(f.path);
    if (it == old.end() || !same_state(*it->second, f))
      writes.emplace_back(xml_file_put{f});
    if (it != old.end())
      old.erase(it);
  }
  for (const auto& [path, f] : old)
    writes.emplace_back(xml_file_delete{path});
  return writes;
}

} // namespace cafflow
