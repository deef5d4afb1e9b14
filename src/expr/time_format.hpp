// Java SimpleDateFormat patterns, as akkaflow's time expressions use them
// (${time.today|yyyyMMdd}), applied to a wall-clock time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <date/date.h>

#include "expected.hpp"

namespace cafflow {

/// Formats a wall-clock time with Java SimpleDateFormat letters: y M d H h a
/// m s S E D u w (English names for MMM, MMMM, E, EEEE, a). The number of
/// letters is the minimum number of digits, except `yy` (two-digit year) and
/// M/E with 3+ letters (names). Text in single quotes is literal and `''` is a
/// quote; other non-letters pass through. The error names an unsupported
/// letter or an unterminated quote.
expected<std::string> format_java(date::local_time<std::chrono::milliseconds> t,
                                  std::string_view pattern);

/// The syntax check of format_java without a time: the same errors.
expected<void> check_java_format(std::string_view pattern);

} // namespace cafflow
