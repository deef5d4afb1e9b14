// A small INI reader that keeps where every value came from, so that config
// errors can name the file and line.
#pragma once

#include <string>
#include <vector>

#include "expected.hpp"

namespace cafflow {

/// One `key = value` line of an INI file.
struct ini_entry {
  std::string section;
  std::string key;
  std::string value;
  /// "FILE:LINE", for messages.
  std::string origin;
};

/// Parses INI text: `[section]` headers, `key = value` lines, comments that
/// start with `;` or `#` (at the start of a line, or after white space), and
/// values optionally enclosed in double quotes (to keep `;` or `#`).
/// `file` is used only to name the origin of every entry.
expected<std::vector<ini_entry>> parse_ini(const std::string& text, const std::string& file);

} // namespace cafflow
