// date::parse instantiates code (date.h's from_stream, through <chrono>) that
// GCC 12 wrongly thinks may read an uninitialised value; the warning is
// reported at the template's location, so it is off for this whole file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "util/time.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include <date/date.h>

namespace cafflow {

timestamp now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string to_iso8601(timestamp ms) {
  if (ms == 0)
    return {};
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

bool parse_utc_time(const std::string& text, timestamp& out) {
  // The date and time by date::parse (fractions to milliseconds: ".5" is
  // 500 ms); what follows by hand: more digits of the fraction (dropped),
  // then nothing or "Z" (UTC), or an offset "+HH:MM", "+HHMM" or "+HH".
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' '))
    return false;
  auto normal = text;
  normal[10] = 'T';
  std::istringstream in(normal);
  date::sys_time<std::chrono::milliseconds> tp;
  in >> date::parse("%FT%T", tp);
  if (in.fail())
    return false;
  std::string rest;
  std::getline(in, rest);
  std::size_t i = 0;
  while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
    ++i;
  if (i > 0 && normal.find('.') == std::string::npos)
    return false; // digits right after the seconds, without a '.'
  rest = rest.substr(i);
  std::chrono::minutes offset{0};
  if (rest == "Z" || rest == "z" || rest.empty()) {
  } else if (rest[0] == '+' || rest[0] == '-') {
    auto digits = rest.substr(1);
    if (digits.size() == 5 && digits[2] == ':')
      digits.erase(2, 1);
    if ((digits.size() != 2 && digits.size() != 4)
        || !std::all_of(digits.begin(), digits.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return false;
    int hours = std::stoi(digits.substr(0, 2));
    int minutes = digits.size() == 4 ? std::stoi(digits.substr(2)) : 0;
    if (hours > 23 || minutes > 59)
      return false;
    offset = std::chrono::minutes(hours * 60 + minutes);
    if (rest[0] == '-')
      offset = -offset;
  } else {
    return false;
  }
  out = (tp - offset).time_since_epoch().count();
  return true;
}

} // namespace cafflow
