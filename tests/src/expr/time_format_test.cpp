#include "expr/time_format.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

using ms = std::chrono::milliseconds;

/// A wall-clock time from its fields.
date::local_time<ms> wall(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0,
                          int milli = 0) {
  return date::local_days{date::year{y} / date::month{mo} / date::day{d}} + std::chrono::hours{h}
         + std::chrono::minutes{mi} + std::chrono::seconds{s} + ms{milli};
}

std::string format(date::local_time<ms> t, std::string_view pattern) {
  auto result = format_java(t, pattern);
  REQUIRE_MESSAGE(result.has_value(), pattern);
  return *result;
}

struct format_case {
  const char* pattern;
  const char* expected;
};

} // namespace

TEST_SUITE_BEGIN("expr_time_format");

// Expected values computed with Java 17 SimpleDateFormat(pattern, Locale.US).
TEST_CASE("every letter with Java's count semantics") {
  auto t = wall(2024, 3, 5, 14, 7, 9, 45); // a Tuesday
  const format_case cases[] = {
      {"yyyy", "2024"},  {"yy", "24"},     {"y", "2024"},       {"yyy", "2024"},
      {"yyyyy", "02024"}, {"MM", "03"},    {"M", "3"},          {"MMM", "Mar"},
      {"MMMM", "March"}, {"dd", "05"},     {"d", "5"},          {"HH", "14"},
      {"H", "14"},       {"hh", "02"},     {"h", "2"},          {"a", "PM"},
      {"mm", "07"},      {"m", "7"},       {"ss", "09"},        {"s", "9"},
      {"SSS", "045"},    {"S", "45"},      {"SS", "45"},        {"SSSS", "0045"},
      {"E", "Tue"},      {"EE", "Tue"},    {"EEE", "Tue"},      {"EEEE", "Tuesday"},
      {"D", "65"},       {"DDD", "065"},   {"u", "2"},          {"uu", "02"},
      {"w", "10"},       {"ww", "10"},     {"yyyyMMdd", "20240305"},
      {"EEE, d MMM yyyy", "Tue, 5 Mar 2024"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.pattern);
    CHECK(format(t, c.pattern) == c.expected);
  }
}

TEST_CASE("quotes and non-letters") {
  auto t = wall(2024, 3, 5, 14, 7, 9, 45);
  const format_case cases[] = {
      {"yyyy-MM-dd'T'HH:mm:ss", "2024-03-05T14:07:09"},
      {"'o''clock' h a", "o'clock 2 PM"},
      {"''", "'"},
      {"'it''s' HH'h'", "it's 14h"},
      {"'yyyy'", "yyyy"},
      {"yyyy/MM/dd", "2024/03/05"},
      {"yyyy年MM月dd日", "2024年03月05日"},
      {"[HH:mm] #1 ~ %", "[14:07] #1 ~ %"},
      {"", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.pattern);
    CHECK(format(t, c.pattern) == c.expected);
  }
}

TEST_CASE("midnight and noon on the 12-hour clock") {
  CHECK(format(wall(2024, 3, 10, 0, 0), "hh:mm a") == "12:00 AM");
  CHECK(format(wall(2024, 3, 10, 12, 30), "h:mm a") == "12:30 PM");
  CHECK(format(wall(2024, 3, 10, 23, 59, 59, 999), "h a HH SSS") == "11 PM 23 999");
  CHECK(format(wall(2024, 3, 10, 1, 0), "h a") == "1 AM");
}

TEST_CASE("year, day of year, weekday and week of year across the calendar") {
  struct {
    date::local_time<ms> t;
    const char* expected;
  } cases[] = {
      // pattern "yy yyyy M d E EEEE u D w"
      {wall(2024, 3, 10), "24 2024 3 10 Sun Sunday 7 70 11"},
      {wall(2009, 1, 2, 23, 59, 59, 999), "09 2009 1 2 Fri Friday 5 2 1"},
      {wall(2024, 12, 31, 8), "24 2024 12 31 Tue Tuesday 2 366 1"},
      {wall(2023, 1, 1, 8), "23 2023 1 1 Sun Sunday 7 1 1"},
      {wall(2027, 1, 1, 1), "27 2027 1 1 Fri Friday 5 1 1"},
      {wall(2022, 12, 31), "22 2022 12 31 Sat Saturday 6 365 53"},
      {wall(2022, 12, 25), "22 2022 12 25 Sun Sunday 7 359 53"},
      {wall(2026, 12, 27), "26 2026 12 27 Sun Sunday 7 361 1"},
      {wall(2021, 1, 2), "21 2021 1 2 Sat Saturday 6 2 1"},
      {wall(2021, 1, 3), "21 2021 1 3 Sun Sunday 7 3 2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.expected);
    CHECK(format(c.t, "yy yyyy M d E EEEE u D w") == c.expected);
  }
  CHECK(format(wall(999, 6, 15), "yyyy yy y") == "0999 99 999");
}

TEST_CASE("every month name") {
  const char* names[] = {"January", "February", "March",     "April",   "May",      "June",
                         "July",    "August",   "September", "October", "November", "December"};
  for (unsigned m = 1; m <= 12; ++m) {
    auto t = wall(2025, m, 1);
    CHECK(format(t, "MMMM") == names[m - 1]);
    CHECK(format(t, "MMM") == std::string(names[m - 1], 3));
  }
}

TEST_CASE("unsupported letters and unterminated quotes are errors naming them") {
  auto t = wall(2024, 3, 5);
  for (const char* letter : {"G", "z", "Z", "X", "k", "K", "Y", "W", "F", "L", "Q", "x", "b"}) {
    std::string pattern = std::string("yyyy-") + letter;
    auto result = format_java(t, pattern);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ec::invalid_argument);
    CHECK(result.error().message.find(std::string("'") + letter + "'") != std::string::npos);
    CHECK(result.error().message.find(pattern) != std::string::npos);
    CHECK_FALSE(check_java_format(pattern).has_value());
  }
  for (const char* pattern : {"'T", "yyyy'-", "''' "}) {
    auto result = format_java(t, pattern);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message.find("unterminated quote") != std::string::npos);
    CHECK_FALSE(check_java_format(pattern).has_value());
  }
  CHECK(check_java_format("yyyy-MM-dd'T'HH:mm:ss.SSS").has_value());
}

TEST_SUITE_END();
