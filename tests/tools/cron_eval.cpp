// cron_eval: evaluates cron expressions for scripted tests (an oracle
// comparison in tests/schedule/cron_differential_test.py).
//
// Reads lines "EXPR<TAB>FROM<TAB>ZONE<TAB>COUNT[<TAB>DIRECTION]" from stdin:
//   FROM       "YYYY-MM-DD HH:MM:SS", a wall-clock time in ZONE (parse_local_time:
//              a skipped time moves forward, a repeated one is the first), or
//              "@SECONDS", an instant in Unix seconds (to start in a second occurrence);
//   DIRECTION  "next" (default) or "prev".
// Prints one line per input line: the COUNT next (or previous) fire times as
// local "YYYY-MM-DD HH:MM:SS", tab-separated, then "NONE" if the sequence ended
// early; or "ERROR<TAB>message". With --offsets every time is followed by its
// UTC offset ("2026-11-01 01:30:00-04:00"), which tells the two occurrences of
// a repeated local time apart.
#include "schedule/cron.hpp"
#include "util/strings.hpp"
#include "util/tz.hpp"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace cafflow;

namespace {

std::string format(timestamp t, const date::time_zone& zone, bool offsets) {
  auto text = format_local_time(t, zone);
  if (!offsets)
    return text;
  auto local = to_local(t, zone).time_since_epoch();
  auto minutes =
      std::chrono::duration_cast<std::chrono::minutes>(local - std::chrono::milliseconds{t})
          .count();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                static_cast<int>((minutes < 0 ? -minutes : minutes) / 60),
                static_cast<int>((minutes < 0 ? -minutes : minutes) % 60));
  return text + buf;
}

std::string evaluate(const std::string& line, bool offsets) {
  auto cols = split(line, '\t');
  if (cols.size() != 4 && cols.size() != 5)
    return "ERROR\texpected EXPR<TAB>FROM<TAB>ZONE<TAB>COUNT[<TAB>next|prev]";
  auto zone = find_time_zone(cols[2]);
  if (!zone)
    return "ERROR\t" + zone.error().message;
  timestamp from = 0;
  long long n = 0;
  if (starts_with(cols[1], "@")) {
    if (!parse_int(cols[1].substr(1), n))
      return "ERROR\tbad instant '" + cols[1] + "'";
    from = n * 1000;
  } else {
    auto parsed = parse_local_time(cols[1], **zone);
    if (!parsed)
      return "ERROR\t" + parsed.error().message;
    from = *parsed;
  }
  long long count = 0;
  if (!parse_int(cols[3], count) || count < 0)
    return "ERROR\tbad count '" + cols[3] + "'";
  bool forward = cols.size() == 4 || cols[4] == "next";
  if (!forward && cols[4] != "prev")
    return "ERROR\tbad direction '" + cols[4] + "'";
  auto expr = cron_expr::parse(cols[0]);
  if (!expr)
    return "ERROR\t" + expr.error().message;
  std::vector<std::string> out;
  auto t = from;
  for (long long i = 0; i < count; ++i) {
    auto fire = forward ? expr->next(t, **zone) : expr->previous(t, **zone);
    if (!fire) {
      out.emplace_back("NONE");
      break;
    }
    out.push_back(format(*fire, **zone, offsets));
    t = *fire;
  }
  return join(out, "\t");
}

} // namespace

int main(int argc, char** argv) {
  bool offsets = argc > 1 && std::string(argv[1]) == "--offsets";
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    std::cout << evaluate(line, offsets) << '\n';
  }
  return 0;
}
