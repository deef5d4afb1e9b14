// akkaflow's English cron phrases ("Every day at midnight"): akkaflow handed
// any cron text containing "every" (any case, anywhere) to its cron library,
// cronish 0.1.x, whose phrase grammar turns it into a seven-field Quartz-like
// cron (second minute hour day-of-month month day-of-week year). This reads
// the same grammar, word for word and case for case, so that a phrase means
// here exactly what it meant there (docs/CRON.md "akkaflow's English phrases").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cafflow {

/// The seven fields a phrase stands for, as cronish computed them.
struct cron_phrase_fields {
  std::string second = "0";
  std::string minute = "*";
  std::string hour = "*";
  std::string day_of_month = "*";
  std::string month = "*";
  std::string day_of_week = "*";
  std::string year = "*";
};

/// The fields of an English phrase as akkaflow's cron library read it, or
/// nullopt when the library refused the phrase (akkaflow then refused the
/// file). `case_insensitive` reads names and keywords in any case (only to
/// suggest what a refused phrase was probably meant to be).
std::optional<cron_phrase_fields> read_cron_phrase(std::string_view phrase,
                                                   bool case_insensitive = false);

} // namespace cafflow
