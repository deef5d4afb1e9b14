#include "store/migrations.hpp"

#include <algorithm>
#include <cstdlib>

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
  std::string current;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      current += c;
      if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      while (i < text.size() && text[i] != '\n')
        ++i;
      current += '\n';
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      auto end = text.find("*/", i + 2);
      i = end == std::string::npos ? text.size() : end + 1;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`')
      quote = c;
    if (c == ';') {
      auto statement = trim(current);
      if (!statement.empty())
        result.push_back(statement);
      current.clear();
      continue;
    }
    current += c;
  }
  auto statement = trim(current);
  if (!statement.empty())
    result.push_back(statement);
  return result;
}

} // namespace cafflow
