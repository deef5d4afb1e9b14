#include "util/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

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
  int y, mo, d, h, mi, s;
  char sep;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s,
                  &consumed) != 7
      || (sep != ' ' && sep != 'T'))
    return false;
  int millis = 0;
  auto rest = text.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest[0] == '.') {
    int n = 0;
    if (std::sscanf(rest.c_str(), ".%3d%n", &millis, &n) != 1)
      return false;
    rest = rest.substr(static_cast<std::size_t>(n));
  }
  if (!rest.empty() && rest != "Z")
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  auto secs = timegm(&tm);
  if (tm.tm_mday != d) // 2026-02-31 normalises to March
    return false;
  out = static_cast<timestamp>(secs) * 1000 + millis;
  return true;
}

} // namespace cafflow
