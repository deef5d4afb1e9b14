// tz_eval: cafflow's time zone conversions for scripted tests (an oracle
// comparison with Python's zoneinfo in tests/schedule/tz_differential_test.py).
//
// Reads lines from stdin and prints one line per line:
//   "ZONE<TAB>@SECONDS"              -> the local time of that instant with its UTC
//                                      offset: "YYYY-MM-DD HH:MM:SS+HH:MM" (to_local)
//   "ZONE<TAB>YYYY-MM-DD HH:MM:SS"   -> the instant of that wall-clock time in Unix
//                                      seconds (parse_local_time: a skipped time is
//                                      read with the offset before the gap, a
//                                      repeated one is the earlier)
// or "ERROR<TAB>message".
#include "util/strings.hpp"
#include "util/tz.hpp"

#include <cstdio>
#include <iostream>
#include <string>

using namespace cafflow;

namespace {

std::string evaluate(const std::string& line) {
  auto cols = split(line, '\t');
  if (cols.size() != 2)
    return "ERROR\texpected ZONE<TAB>@SECONDS or ZONE<TAB>YYYY-MM-DD HH:MM:SS";
  auto zone = find_time_zone(cols[0]);
  if (!zone)
    return "ERROR\t" + zone.error().message;
  if (!cols[1].empty() && cols[1][0] == '@') {
    long long seconds = 0;
    if (!parse_int(cols[1].substr(1), seconds))
      return "ERROR\tbad instant " + cols[1];
    auto t = static_cast<timestamp>(seconds) * 1000;
    auto minutes = utc_offset(t, **zone).count() / 60;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                  static_cast<int>((minutes < 0 ? -minutes : minutes) / 60),
                  static_cast<int>((minutes < 0 ? -minutes : minutes) % 60));
    return format_local_time(t, **zone) + buf;
  }
  auto t = parse_local_time(cols[1], **zone);
  if (!t)
    return "ERROR\t" + t.error().message;
  return std::to_string(*t / 1000);
}

} // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line))
    std::cout << evaluate(line) << '\n';
  return 0;
}
