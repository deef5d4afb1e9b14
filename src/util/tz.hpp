// Time zones (IANA, from the system's tz database) and local wall-clock times.
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

} // namespace cafflow
