#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cafflow {

namespace {

/// The length of the valid UTF-8 sequence at `i`, 0 when there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0;
  };
  auto cont = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
  auto c = byte(i);
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    auto c1 = byte(i + 1);
    bool ok = cont(i + 1) && cont(i + 2) && !(c == 0xE0 && c1 < 0xA0)
              && !(c == 0xED && c1 > 0x9F); // no overlongs, no surrogates
    return ok ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    auto c1 = byte(i + 1);
    bool ok = cont(i + 1) && cont(i + 2) && cont(i + 3) && !(c == 0xF0 && c1 < 0x90)
              && !(c == 0xF4 && c1 > 0x8F);
    return ok ? 4 : 0;
  }
  return 0;
}

/// `text` with each byte outside valid UTF-8 replaced by `replace(byte)`.
template <class F>
std::string repair_utf8(std::string_view text, F replace) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto len = utf8_sequence(text, i);
    if (len == 0) {
      out += replace(static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    out.append(text, i, len);
    i += len;
  }
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

} // namespace

std::string trim(std::string_view text) {
  auto first = text.begin();
  auto last = text.end();
  while (first != last && is_space(*first))
    ++first;
  while (last != first && is_space(*(last - 1)))
    --last;
  return std::string(first, last);
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> result;
  std::size_t pos = 0;
  for (;;) {
    auto next = text.find(sep, pos);
    if (next == std::string_view::npos) {
      result.emplace_back(text.substr(pos));
      return result;
    }
    result.emplace_back(text.substr(pos, next - pos));
    pos = next + 1;
  }
}

std::vector<std::string> split_lines(std::string_view text) {
  auto lines = split(text, '\n');
  for (auto& line : lines)
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
  return lines;
}

std::vector<std::string> split_list(std::string_view text, char sep) {
  std::vector<std::string> result;
  for (auto& item : split(text, sep))
    if (auto trimmed = trim(item); !trimmed.empty())
      result.push_back(std::move(trimmed));
  return result;
}

std::string to_lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

std::string to_upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return result;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string result;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      result += sep;
    result += items[i];
  }
  return result;
}

bool parse_int(std::string_view text, long long& out) {
  if (text.empty())
    return false;
  if (text.front() == '+')
    text.remove_prefix(1);
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  return err == std::errc{} && ptr == text.data() + text.size();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and
  // swaps of two neighbours each count 1 ("ned" -> "end" is one typo).
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  auto best_distance = std::string_view::npos;
  for (const auto& candidate : candidates) {
    auto d = edit_distance(to_lower(word), to_lower(candidate));
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  // A suggestion helps only when the word is a plausible typo of it: a few
  // edits, and fewer than it has characters ("x" is no typo of "s").
  auto limit = std::max<std::size_t>(1, std::min(word.size(), best.size()) / 3);
  return best_distance <= limit && best_distance < word.size() ? best : std::string{};
}

line_col offset_to_line_col(std::string_view text, std::size_t offset) {
  line_col result;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++result.line;
      result.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      // Count code points, not bytes, so columns match what editors show.
      ++result.column;
    }
  }
  return result;
}

std::size_t invalid_utf8_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto len = utf8_sequence(text, i);
    if (len == 0)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view text) {
  return invalid_utf8_at(text) == std::string_view::npos;
}

std::string valid_utf8(std::string_view text) {
  if (is_valid_utf8(text))
    return std::string(text);
  return repair_utf8(text, [](unsigned char) { return std::string("\xEF\xBF\xBD"); });
}

std::string quoted_excerpt(std::string_view text, std::size_t max) {
  auto cut = text.substr(0, max);
  std::string result = "'";
  for (auto c : escape_invalid_utf8(cut)) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      result += std::string{'\\', 'x', hex[byte >> 4], hex[byte & 15]};
    } else {
      result += c;
    }
  }
  return result + (text.size() > max ? "...'" : "'");
}

std::string escape_invalid_utf8(std::string_view text) {
  if (is_valid_utf8(text))
    return std::string(text);
  return repair_utf8(text, [](unsigned char c) {
    static constexpr char hex[] = "0123456789abcdef";
    return std::string{'\\', 'x', hex[c >> 4], hex[c & 15]};
  });
}

} // namespace cafflow
