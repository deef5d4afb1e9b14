#include "db/sql_split.hpp"

#include <cctype>

#include "util/strings.hpp"

namespace cafflow {

namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_'
         || static_cast<unsigned char>(c) >= 0x80;
}

/// The dollar-quote tag starting at `at` ("$$" or "$name$"), or "".
std::string dollar_tag(const std::string& text, std::size_t at) {
  if (text[at] != '$' || (at > 0 && ident_char(text[at - 1])))
    return {};
  auto end = at + 1;
  if (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end])))
    return {}; // $1: a parameter
  while (end < text.size() && ident_char(text[end]) && text[end] != '$')
    ++end;
  if (end < text.size() && text[end] == '$')
    return text.substr(at, end - at + 1);
  return {};
}

} // namespace

std::vector<sql_statement> split_statements(const std::string& text, sql_dialect dialect,
                                            bool strip_comments) {
  std::vector<sql_statement> result;
  std::string current;
  bool has_code = false; // anything but comments and white space
  int line = 1;
  int start_line = 1;
  auto flush = [&] {
    auto statement = trim(current);
    if (has_code && !statement.empty())
      result.push_back(sql_statement{statement, start_line});
    current.clear();
    has_code = false;
  };
  auto add = [&](std::size_t from, std::size_t to, bool code) {
    for (auto i = from; i < to; ++i)
      if (text[i] == '\n')
        ++line;
    if (!code && strip_comments)
      return;
    current.append(text, from, to - from);
  };
  const bool mysql = dialect == sql_dialect::mysql;
  const bool pg = dialect == sql_dialect::postgresql;
  std::size_t i = 0;
  // A statement starts on the line of its first code (not of a comment before it).
  auto mark_code = [&] {
    if (!has_code)
      start_line = line;
    has_code = true;
  };
  while (i < text.size()) {
    char c = text[i];
    // Comments.
    if ((c == '-' && i + 1 < text.size() && text[i + 1] == '-') || (mysql && c == '#')) {
      auto end = text.find('\n', i);
      end = end == std::string::npos ? text.size() : end;
      add(i, end, false);
      i = end;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      int depth = 1;
      auto j = i + 2;
      while (j < text.size() && depth > 0) {
        if (text[j] == '*' && j + 1 < text.size() && text[j + 1] == '/') {
          --depth;
          j += 2;
        } else if (pg && text[j] == '/' && j + 1 < text.size() && text[j + 1] == '*') {
          ++depth;
          j += 2;
        } else {
          ++j;
        }
      }
      add(i, j, false);
      if (strip_comments)
        current += ' ';
      i = j;
      continue;
    }
    // Quotes: strings and quoted identifiers.
    if (c == '\'' || c == '"' || (mysql && c == '`')) {
      mark_code();
      auto j = i + 1;
      while (j < text.size()) {
        if (mysql && c != '`' && text[j] == '\\' && j + 1 < text.size()) {
          j += 2;
          continue;
        }
        if (text[j] == c) {
          if (j + 1 < text.size() && text[j + 1] == c) { // doubled: part of the text
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        ++j;
      }
      add(i, j, true);
      i = j;
      continue;
    }
    if (pg && c == '$') {
      auto tag = dollar_tag(text, i);
      if (!tag.empty()) {
        mark_code();
        auto end = text.find(tag, i + tag.size());
        end = end == std::string::npos ? text.size() : end + tag.size();
        add(i, end, true);
        i = end;
        continue;
      }
    }
    if (c == ';') {
      flush();
      ++i;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c)))
      mark_code();
    add(i, i + 1, true);
    ++i;
  }
  flush();
  return result;
}

} // namespace cafflow
