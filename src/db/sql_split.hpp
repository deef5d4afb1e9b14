// Splitting SQL text into statements as a database's own client does: at `;`
// outside quotes, quoted identifiers, comments and (PostgreSQL) dollar quotes.
#pragma once

#include <string>
#include <vector>

namespace cafflow {

/// Whose quoting rules apply.
enum class sql_dialect {
  /// '...' and "..." with doubled quotes, -- and /* */ comments.
  generic,
  sqlite,
  /// Also backslash escapes in strings, `identifiers` and # comments.
  mysql,
  /// Also $tag$...$tag$ dollar quotes and nested /* */ comments.
  postgresql,
};

/// One statement of a text.
struct sql_statement {
  /// Trimmed, without the closing `;`.
  std::string text;
  /// The line of the text it starts on (1-based).
  int line = 1;
};

/// The statements of `text`; ones holding nothing but comments and white
/// space are left out. With `strip_comments`, comments are removed from the
/// statements' text (a line comment keeps its line end).
std::vector<sql_statement> split_statements(const std::string& text, sql_dialect dialect,
                                            bool strip_comments = false);

} // namespace cafflow
