// Small string helpers shared by the parsers and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cafflow {

/// Removes leading and trailing white space.
std::string trim(std::string_view text);

/// Splits at every `sep`, keeping empty items ("a,,b" -> {"a", "", "b"}).
std::vector<std::string> split(std::string_view text, char sep);

/// The lines of `text` without their line ends ("\n" or "\r\n").
std::vector<std::string> split_lines(std::string_view text);

/// Splits at `sep`; trims every item and drops empty ones.
std::vector<std::string> split_list(std::string_view text, char sep = ',');

/// ASCII lower case.
std::string to_lower(std::string_view text);

/// ASCII upper case.
std::string to_upper(std::string_view text);

/// True for a space or a tab.
inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// True when `text` starts with `prefix`.
bool starts_with(std::string_view text, std::string_view prefix);

/// True when `text` ends with `suffix`.
bool ends_with(std::string_view text, std::string_view suffix);

/// Joins items with `sep`.
std::string join(const std::vector<std::string>& items, std::string_view sep);

/// Parses a whole decimal integer (optional sign); false on anything else.
bool parse_int(std::string_view text, long long& out);

/// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a likely
/// typo, otherwise an empty string.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// Line and column (both 1-based) of a byte offset in `text`.
struct line_col {
  int line = 1;
  int column = 1;
};
line_col offset_to_line_col(std::string_view text, std::size_t offset);

/// The byte offset of the first byte of `text` that is not part of valid
/// UTF-8 (no overlong forms, no surrogates), or npos when it is all valid.
std::size_t invalid_utf8_at(std::string_view text);

/// True when `text` is valid UTF-8.
bool is_valid_utf8(std::string_view text);

/// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

/// Text from a client or a file, quoted for a message: at most `max` bytes
/// ("..." after a cut), control characters and bytes that are not UTF-8 as
/// "\\xNN": "'GET /a\\x00b'".
std::string quoted_excerpt(std::string_view text, std::size_t max = 80);

/// `text` with every byte that is not part of valid UTF-8 written as the
/// four characters "\xNN" (as bash's `$'...'` shows it): a name that is not
/// UTF-8 (a file name, a workflow name) stays recognisable in JSON and logs.
std::string escape_invalid_utf8(std::string_view text);

} // namespace cafflow
