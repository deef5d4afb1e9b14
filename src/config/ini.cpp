#include "config/ini.hpp"

#include "util/strings.hpp"

namespace cafflow {

namespace {

/// Cuts a trailing comment: `;` or `#` at the start or after white space,
/// outside double quotes.
std::string strip_comment(const std::string& line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"')
      quoted = !quoted;
    else if (!quoted && (c == ';' || c == '#')
             && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
      return line.substr(0, i);
  }
  return line;
}

} // namespace

expected<std::vector<ini_entry>> parse_ini(const std::string& text, const std::string& file) {
  std::vector<ini_entry> result;
  std::string section;
  int line_no = 0;
  for (const auto& raw : split_lines(text)) {
    ++line_no;
    auto origin = file + ":" + std::to_string(line_no);
    auto line = trim(strip_comment(raw));
    if (line.empty())
      continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3)
        return make_error(ec::invalid_config, origin + ": malformed section header '" + line + "'");
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos)
      return make_error(ec::invalid_config,
                        origin + ": expected 'key = value', got '" + line + "'");
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (key.empty())
      return make_error(ec::invalid_config, origin + ": missing key before '='");
    if (section.empty())
      return make_error(ec::invalid_config,
                        origin + ": key '" + key + "' appears before any [section]");
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    else if (value.find('"') != std::string::npos)
      return make_error(ec::invalid_config,
                        origin + ": unbalanced double quote in the value of '" + key + "'");
    result.push_back(ini_entry{section, key, value, origin});
  }
  return result;
}

} // namespace cafflow
