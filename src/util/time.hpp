// Wall-clock helpers. Times travel and are stored as milliseconds since the
// Unix epoch (UTC); they are formatted only at the edges (API, CLI, logs).
#pragma once

#include <cstdint>
#include <string>

namespace cafflow {

/// Milliseconds since the Unix epoch.
using timestamp = std::int64_t;

/// The current wall-clock time.
timestamp now_ms();

/// ISO 8601 in UTC with milliseconds, e.g. "2026-11-21T18:25:03.120Z";
/// an empty string for 0 (not set).
std::string to_iso8601(timestamp ms);

/// Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM|+HHMM|+HH]"
/// (or with a space for the 'T'); without a zone it is UTC. The fraction is
/// a decimal fraction of a second (".5" = 500 ms; digits beyond milliseconds
/// are dropped). False when the text is not such a time (also 2026-02-31).
bool parse_utc_time(const std::string& text, timestamp& out);

} // namespace cafflow
