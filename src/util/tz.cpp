#include "util/tz.hpp"

#include <cstdio>

namespace cafflow {

using ms = std::chrono::milliseconds;

expected<const date::time_zone*> find_time_zone(std::string_view name) {
  if (name.empty()) {
    // A machine without /etc/localtime runs on UTC.
    try {
      return date::current_zone();
    } catch (const std::exception&) {
      return date::locate_zone("UTC");
    }
  }
  try {
    return date::locate_zone(std::string(name));
  } catch (const std::exception&) {
    return make_error(ec::invalid_argument, "unknown time zone '" + std::string(name)
                                              + "' (expected an IANA name such as UTC or "
                                                "Europe/Berlin)");
  }
}

date::local_time<ms> to_local(timestamp t, const date::time_zone& zone) {
  return zone.to_local(date::sys_time<ms>{ms{t}});
}

timestamp from_local(date::local_time<ms> t, const date::time_zone& zone) {
  auto info = zone.get_info(t);
  switch (info.result) {
    case date::local_info::unique:
      return (t - info.first.offset).time_since_epoch().count();
    case date::local_info::ambiguous:
      // The earlier of the two instants: the offset before the transition.
      return (t - info.first.offset).time_since_epoch().count();
    case date::local_info::nonexistent:
    default: {
      // Move forward by the gap: interpret with the offset before the gap.
      return (t - info.first.offset).time_since_epoch().count();
    }
  }
}

expected<timestamp> parse_local_time(std::string_view text, const date::time_zone& zone) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  int consumed = 0;
  std::string copy(text);
  auto fields = std::sscanf(copy.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                            &consumed);
  if (fields != 6 || static_cast<std::size_t>(consumed) != copy.size()) {
    h = mi = s = 0;
    consumed = 0;
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3
        || static_cast<std::size_t>(consumed) != copy.size())
      return make_error(ec::invalid_argument, "invalid time '" + copy
                                                + "' (expected YYYY-MM-DD HH:MM:SS)");
  }
  auto ymd = date::year{y} / date::month{static_cast<unsigned>(mo)} / date::day{static_cast<unsigned>(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0)
    return make_error(ec::invalid_argument, "invalid time '" + copy + "'");
  auto local = date::local_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi}
               + std::chrono::seconds{s};
  return from_local(date::local_time<ms>{local}, zone);
}

std::string format_local_time(timestamp t, const date::time_zone& zone) {
  auto local = date::floor<std::chrono::seconds>(to_local(t, zone));
  return date::format("%Y-%m-%d %H:%M:%S", local);
}

} // namespace cafflow
