// Time zones (IANA, from the system's tz database) and local wall-clock times.
// A zone is named by date::time_zone (the names and the machine's zone come
// from date-tz); conversions go through Google's cctz (libcctz), which reads
// each zone file's POSIX rule for the times after its last listed transition
// — date-tz does not, which put America/New_York an hour off in summer 2040.
#pragma once

#include <string>
#include <string_view>

#include <date/tz.h>

#include "expected.hpp"
#include "util/time.hpp"

namespace cafflow {

/// The zone named `name` ("UTC", "Europe/Berlin"); an empty name is the
/// machine's own zone. The error names the zone.
expected<const date::time_zone*> find_time_zone(std::string_view name);

/// Parses "YYYY-MM-DD HH:MM:SS" (or "YYYY-MM-DD", midnight) as a wall-clock
/// time in `zone`. A time that does not exist (DST gap) moves forward by the
/// length of the gap; one that exists twice (DST overlap) is the earlier.
expected<timestamp> parse_local_time(std::string_view text, const date::time_zone& zone);

/// "YYYY-MM-DD HH:MM:SS" in `zone`.
std::string format_local_time(timestamp t, const date::time_zone& zone);

/// The wall-clock time of `t` in `zone`, in milliseconds.
date::local_time<std::chrono::milliseconds> to_local(timestamp t, const date::time_zone& zone);

/// The instant of a wall-clock time in `zone`, with the same gap and
/// overlap rules as parse_local_time.
timestamp from_local(date::local_time<std::chrono::milliseconds> t, const date::time_zone& zone);

/// What a wall-clock time is in `zone`, as date::time_zone::get_info would
/// say — unique, nonexistent (in a gap: `first` ends and `second` begins at
/// the transition) or ambiguous (repeated: likewise) — but right also after
/// 2037. Only `result`, the offsets and the transition instants (`first.end`,
/// `second.begin`) are filled in, and `first.begin`/`second.end` of a unique
/// time.
date::local_info local_info(date::local_seconds t, const date::time_zone& zone);

/// The UTC offset of `zone` at instant `t`.
std::chrono::seconds utc_offset(timestamp t, const date::time_zone& zone);

} // namespace cafflow
