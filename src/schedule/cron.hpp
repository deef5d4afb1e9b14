// Cron expressions (docs/WORKFLOWS.md, docs/CRON.md): parsing and the
// search for the next or previous fire time in a time zone.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <date/tz.h>

#include "expected.hpp"
#include "util/time.hpp"

namespace cafflow {

namespace detail {
struct cron_search;
} // namespace detail

/// A cron expression (docs/WORKFLOWS.md), evaluated in a time zone on
/// local wall-clock time. Immutable once parsed; cheap to copy.
///
/// Day rule (Vixie cron): when the day-of-month and day-of-week fields both
/// start with something other than `*` (or `?`), a day matches when EITHER
/// matches; otherwise a day must match both (so a plain `*` leaves the other
/// field alone, and `*/2` still restricts its own field).
///
/// DST: a matching local time skipped by a spring-forward gap fires once, at
/// the first instant after the gap; a matching local time that occurs twice in
/// a fall-back overlap fires once, at its first occurrence.
class cron_expr {
public:
  /// Parses "min hour dom mon dow" (5 fields), "@seconds sec min hour dom mon
  /// dow" (cafflow's form with seconds), or a macro: @yearly @annually
  /// @monthly @weekly @daily @midnight @hourly. Six plain fields mean what
  /// akkaflow meant: the first five, the sixth ignored (note() says so). Text
  /// containing "every" is one of akkaflow's English phrases, read as its cron
  /// library read it (src/schedule/cron_phrase.hpp), or refused with the cron
  /// it stands for. Errors use ec::invalid_argument and name the field and the
  /// bad token, e.g. "cron '0 25 * * *': field 'hour': 25 is out of range
  /// 0-23". @reboot is refused.
  static expected<cron_expr> parse(std::string_view text);

  /// The first fire time strictly after `after`, or nullopt when there is none
  /// within 400 years (one whole Gregorian cycle, so nullopt means "never", as
  /// for "0 0 30 2 *") or before year 10000.
  std::optional<timestamp> next(timestamp after, const date::time_zone& zone) const;

  /// The last fire time strictly before `before`, or nullopt when there is none
  /// within 400 years or after year 1.
  std::optional<timestamp> previous(timestamp before, const date::time_zone& zone) const;

  /// True when the local wall-clock time (whole seconds; the fraction is
  /// ignored) matches every field, before any DST adjustment.
  bool matches(date::local_seconds local) const;

  /// The expression as written (trimmed).
  const std::string& text() const { return text_; }

  /// True for the "@seconds" form (a seconds field).
  bool has_seconds() const { return has_seconds_; }

  /// Why the expression may not mean what its reader expects, for a warning:
  /// six akkaflow fields (the sixth ignored), an English phrase (and the cron
  /// it stands for), or both day fields restricted (akkaflow used the
  /// day-of-week alone); empty otherwise.
  const std::string& note() const { return note_; }

  /// True when the text is read as akkaflow read it and cafflow's own reading
  /// would differ or not exist: six plain fields, an English phrase.
  bool akkaflow_reading() const { return akkaflow_reading_; }

  /// True when a day must match day-of-month OR day-of-week (both fields are
  /// restricted, i.e. neither starts with `*` or `?`).
  bool day_or() const { return !dom_star_ && !dow_star_; }

private:
  friend struct detail::cron_search;

  cron_expr() = default;

  /// Bit `d` (1-31) set when day `d` of a month whose first day has weekday
  /// `first_weekday` (0 = Sunday) matches the day rule.
  std::uint32_t day_mask(unsigned first_weekday, unsigned days_in_month) const;

  std::string text_;
  std::string note_;
  bool akkaflow_reading_ = false;
  bool has_seconds_ = false;
  std::uint64_t seconds_ = 0; ///< bits 0-59
  std::uint64_t minutes_ = 0; ///< bits 0-59
  std::uint64_t hours_ = 0;   ///< bits 0-23
  std::uint64_t doms_ = 0;    ///< bits 1-31
  std::uint64_t months_ = 0;  ///< bits 1-12
  std::uint64_t dows_ = 0;    ///< bits 0-6, 0 = Sunday (7 is folded into 0)
  bool dom_star_ = false;     ///< the day-of-month text starts with '*' or '?'
  bool dow_star_ = false;     ///< the day-of-week text starts with '*' or '?'
  /// For each weekday of the 1st of a month: the days 1-31 whose weekday is in dows_.
  std::array<std::uint32_t, 7> dow_days_{};
};

} // namespace cafflow
