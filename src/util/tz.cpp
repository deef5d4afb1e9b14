#include "util/tz.hpp"

#include <cstdio>
#include <map>
#include <mutex>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

namespace cafflow {

using ms = std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// The cctz zone of a date-tz zone (loaded once per name; cctz zones are
/// cheap handles onto a shared, immutable zone).
const cctz::time_zone& cctz_zone(const date::time_zone& zone) {
  static std::mutex mutex;
  static std::map<std::string, cctz::time_zone> zones;
  std::lock_guard<std::mutex> guard(mutex);
  auto name = std::string(zone.name());
  auto it = zones.find(name);
  if (it == zones.end()) {
    cctz::time_zone loaded;
    // A name date-tz knows and cctz cannot load (never seen on Debian): UTC,
    // which cctz also falls back to.
    cctz::load_time_zone(name, &loaded);
    it = zones.emplace(name, loaded).first;
  }
  return it->second;
}

using cctz_seconds = cctz::time_point<cctz::seconds>;

date::sys_seconds from_cctz(cctz_seconds t) {
  return date::sys_seconds{seconds{t.time_since_epoch().count()}};
}

cctz::civil_second to_civil(date::local_seconds t) {
  auto days = date::floor<date::days>(t);
  date::year_month_day ymd{days};
  auto time = t - days;
  auto h = std::chrono::duration_cast<std::chrono::hours>(time);
  auto m = std::chrono::duration_cast<std::chrono::minutes>(time - h);
  auto s = time - h - m;
  return cctz::civil_second(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                            static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                            static_cast<int>(m.count()), static_cast<int>(s.count()));
}

/// The period (offset, abbreviation, bounds) that holds instant `t`.
date::sys_info period_at(const cctz::time_zone& tz, cctz_seconds t) {
  auto found = tz.lookup(t);
  date::sys_info info;
  info.offset = seconds{found.offset};
  info.save = std::chrono::minutes{found.is_dst ? 60 : 0};
  info.abbrev = found.abbr;
  cctz::time_zone::civil_transition transition;
  info.begin = date::sys_seconds::min();
  info.end = date::sys_seconds::max();
  // prev_transition(t) is the last one strictly before t; t itself may be one.
  if (tz.prev_transition(t + cctz::seconds{1}, &transition))
    info.begin = from_cctz(tz.lookup(transition.to).trans);
  if (tz.next_transition(t, &transition))
    info.end = from_cctz(tz.lookup(transition.to).trans);
  return info;
}

} // namespace

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

std::chrono::seconds utc_offset(timestamp t, const date::time_zone& zone) {
  auto instant = cctz_seconds{cctz::seconds{date::floor<seconds>(ms{t}).count()}};
  return seconds{cctz_zone(zone).lookup(instant).offset};
}

date::local_time<ms> to_local(timestamp t, const date::time_zone& zone) {
  return date::local_time<ms>{ms{t} + utc_offset(t, zone)};
}

date::local_info local_info(date::local_seconds t, const date::time_zone& zone) {
  const auto& tz = cctz_zone(zone);
  auto found = tz.lookup(to_civil(t));
  date::local_info info;
  if (found.kind == cctz::time_zone::civil_lookup::UNIQUE) {
    info.result = date::local_info::unique;
    info.first = period_at(tz, found.pre);
    return info;
  }
  info.result = found.kind == cctz::time_zone::civil_lookup::SKIPPED
                  ? date::local_info::nonexistent
                  : date::local_info::ambiguous;
  info.first = period_at(tz, found.trans - cctz::seconds{1});
  info.second = period_at(tz, found.trans);
  info.first.end = from_cctz(found.trans);
  info.second.begin = from_cctz(found.trans);
  return info;
}

timestamp from_local(date::local_time<ms> t, const date::time_zone& zone) {
  // Unique: its only instant; repeated: the earlier one; skipped: read with
  // the offset before the gap (it moves forward by the gap's length). cctz's
  // `pre` is exactly that in all three cases.
  auto whole = date::floor<seconds>(t);
  auto found = cctz_zone(zone).lookup(to_civil(whole));
  auto fraction = t - whole;
  return (std::chrono::duration_cast<ms>(seconds{found.pre.time_since_epoch().count()})
          + fraction)
    .count();
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
