#include "store/migrations.hpp"

#include <algorithm>
#include <cstdlib>

#include "db/sql_split.hpp"
#include "util/strings.hpp"

namespace cafflow {

std::vector<migration> migrations_for(const std::string& dialect) {
  std::vector<migration> result;
  auto prefix = dialect + "/";
  for (const auto& file : detail::embedded_sql_files()) {
    if (!starts_with(file.path, prefix))
      continue;
    auto name = file.path.substr(prefix.size());
    migration m;
    m.version = std::atoi(name.c_str());
    m.name = name;
    m.statements = split_sql(file.content);
    if (m.version > 0)
      result.push_back(std::move(m));
  }
  std::sort(result.begin(), result.end(),
            [](const migration& a, const migration& b) { return a.version < b.version; });
  return result;
}

std::vector<std::string> split_sql(const std::string& text) {
  std::vector<std::string> result;
  for (auto& statement : split_statements(text, sql_dialect::generic, true))
    result.push_back(std::move(statement.text));
  return result;
}

} // namespace cafflow
