#include "expr/time_format.hpp"

#include <array>

namespace cafflow {

namespace {

using ms = std::chrono::milliseconds;

constexpr std::array<const char*, 12> month_names{"January", "February", "March",     "April",
                                                  "May",     "June",     "July",      "August",
                                                  "September", "October", "November", "December"};
constexpr std::array<const char*, 7> weekday_names{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// `value` with at least `count` digits (Java's zeroPaddingNumber).
void append_number(std::string& out, long long value, std::size_t count) {
  if (value < 0) {
    out += '-';
    value = -value;
  }
  auto digits = std::to_string(value);
  if (digits.size() < count)
    out.append(count - digits.size(), '0');
  out += digits;
}

/// The calendar fields a pattern can ask for.
struct fields {
  int year = 0;
  unsigned month = 1; // 1..12
  unsigned day = 1;
  int day_of_year = 1;
  unsigned weekday = 0; // 0 = Sunday
  int week_of_year = 1;
  long long hour = 0;
  long long minute = 0;
  long long second = 0;
  long long millis = 0;
};

/// Java's WEEK_OF_YEAR with the US/zh_CN rules (weeks start on Sunday, week 1
/// holds January 1st) — what akkaflow's JVM produced with its default locale.
int us_week_of_year(date::sys_days day) {
  auto sunday = day - (date::weekday{day} - date::Sunday);
  auto next_year = date::year_month_day{day}.year() + date::years{1};
  if (sunday + date::days{6} >= date::sys_days{next_year / date::January / 1})
    return 1;
  auto jan1 = date::sys_days{date::year_month_day{day}.year() / date::January / 1};
  auto first_sunday = jan1 - (date::weekday{jan1} - date::Sunday);
  return static_cast<int>((sunday - first_sunday).count() / 7) + 1;
}

fields split_time(date::local_time<ms> t) {
  fields f;
  auto local_day = date::floor<date::days>(t);
  auto day = date::sys_days{local_day.time_since_epoch()};
  date::year_month_day ymd{day};
  f.year = static_cast<int>(ymd.year());
  f.month = static_cast<unsigned>(ymd.month());
  f.day = static_cast<unsigned>(ymd.day());
  f.day_of_year =
      static_cast<int>((day - date::sys_days{ymd.year() / date::January / 1}).count()) + 1;
  f.weekday = date::weekday{day}.c_encoding();
  f.week_of_year = us_week_of_year(day);
  auto in_day = (t - local_day).count();
  f.hour = in_day / 3'600'000;
  f.minute = in_day / 60'000 % 60;
  f.second = in_day / 1000 % 60;
  f.millis = in_day % 1000;
  return f;
}

std::string describe(std::string_view pattern) {
  return "date format '" + std::string(pattern) + "'";
}

/// Appends one run of `count` equal letters; false for an unsupported letter.
bool append_field(std::string& out, char letter, std::size_t count, const fields& f) {
  switch (letter) {
    case 'y':
      if (count == 2)
        append_number(out, ((f.year % 100) + 100) % 100, 2);
      else
        append_number(out, f.year, count);
      return true;
    case 'M':
      if (count >= 4)
        out += month_names[f.month - 1];
      else if (count == 3)
        out.append(month_names[f.month - 1], 3);
      else
        append_number(out, f.month, count);
      return true;
    case 'd': append_number(out, f.day, count); return true;
    case 'D': append_number(out, f.day_of_year, count); return true;
    case 'H': append_number(out, f.hour, count); return true;
    case 'h': append_number(out, f.hour % 12 == 0 ? 12 : f.hour % 12, count); return true;
    case 'a': out += f.hour < 12 ? "AM" : "PM"; return true;
    case 'm': append_number(out, f.minute, count); return true;
    case 's': append_number(out, f.second, count); return true;
    case 'S': append_number(out, f.millis, count); return true;
    case 'E':
      if (count >= 4)
        out += weekday_names[f.weekday];
      else
        out.append(weekday_names[f.weekday], 3);
      return true;
    case 'u': append_number(out, f.weekday == 0 ? 7 : f.weekday, count); return true;
    case 'w': append_number(out, f.week_of_year, count); return true;
    default: return false;
  }
}

/// Walks `pattern`; with `f` null it only checks the syntax.
expected<std::string> run(std::string_view pattern, const fields* f) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') { // '' is a quote
        out += '\'';
        i += 2;
        continue;
      }
      ++i;
      for (;;) {
        if (i >= pattern.size())
          return make_error(ec::invalid_argument, "unterminated quote in " + describe(pattern));
        if (pattern[i] == '\'') {
          if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
            out += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        out += pattern[i++];
      }
      continue;
    }
    if (!is_letter(c)) {
      out += c;
      ++i;
      continue;
    }
    std::size_t count = 1;
    while (i + count < pattern.size() && pattern[i + count] == c)
      ++count;
    static const fields probe;
    if (!append_field(out, c, count, f ? *f : probe))
      return make_error(ec::invalid_argument, "unsupported letter '" + std::string(1, c) + "' in "
                                                + describe(pattern)
                                                + " (use y M d H h a m s S E D u w; quote "
                                                  "literal text as in 'T')");
    i += count;
  }
  return out;
}

} // namespace

expected<std::string> format_java(date::local_time<ms> t, std::string_view pattern) {
  auto f = split_time(t);
  return run(pattern, &f);
}

expected<void> check_java_format(std::string_view pattern) {
  auto result = run(pattern, nullptr);
  if (!result)
    return result.error();
  return {};
}

} // namespace cafflow
