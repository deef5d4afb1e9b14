#include "schedule/cron.hpp"

#include "schedule/cron_phrase.hpp"
#include "util/strings.hpp"
#include "util/tz.hpp"

#include <algorithm>
#include <vector>

namespace cafflow {

namespace {

using std::chrono::seconds;
using ms = std::chrono::milliseconds;

/// One field of the expression: its name for messages, the values it
/// accepts, and the names it accepts instead of numbers (if any).
struct field_spec {
  const char* name;
  int min;
  int max;
  const std::vector<std::string>* names = nullptr; ///< names[i] stands for min + i
  const char* kind = "a number";                   ///< for "'x' is not <kind>"
};

const std::vector<std::string> month_abbrevs{"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
const std::vector<std::string> weekday_abbrevs{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const field_spec second_field{"second", 0, 59};
const field_spec minute_field{"minute", 0, 59};
const field_spec hour_field{"hour", 0, 23};
const field_spec dom_field{"day-of-month", 1, 31};
const field_spec month_field{"month", 1, 12, &month_abbrevs, "a month (1-12 or JAN-DEC)"};
// 7 is Sunday too; it is folded into 0 once the field is parsed.
const field_spec dow_field{"day-of-week", 0, 7, &weekday_abbrevs, "a weekday (0-7 or SUN-SAT)"};

struct macro {
  const char* name;
  const char* expansion;
};

const macro macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string range_text(const field_spec& f) {
  return std::to_string(f.min) + "-" + std::to_string(f.max);
}

/// Parses one field into a bit set; on failure, `error` says why (without the
/// "cron '…': field '…': " prefix, which the caller adds).
class field_parser {
public:
  explicit field_parser(const field_spec& spec) : f_(spec) {}

  bool parse(std::string_view text, std::uint64_t& bits) {
    bits = 0;
    if (text == "?") {
      if (&f_ != &dom_field && &f_ != &dow_field)
        return fail("'?' is only allowed in day-of-month and day-of-week");
      return add(f_.min, f_.max, 1, bits);
    }
    if (text.find('?') != std::string_view::npos)
      return fail("'?' must stand alone (it means the same as '*'), not in '" + std::string(text) +
                  "'");
    for (auto& item : split(text, ',')) {
      if (item.empty())
        return fail("empty item in list '" + std::string(text) + "'");
      if (!parse_item(item, bits))
        return false;
    }
    return true;
  }

  const std::string& error() const { return error_; }

private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool parse_value(std::string_view token, std::string_view item, int& out) {
    if (token.empty())
      return fail("missing value in '" + std::string(item) + "'");
    if (all_digits(token)) {
      long long n = 0;
      if (token.size() > 6 || !parse_int(token, n) || n < f_.min || n > f_.max)
        return fail(std::string(token) + " is out of range " + range_text(f_));
      out = static_cast<int>(n);
      return true;
    }
    if (token == "*")
      return fail("'*' cannot be part of a range in '" + std::string(item) +
                  "' (use '*' alone or '*/n')");
    if (f_.names) {
      auto lower = to_lower(token);
      auto& names = *f_.names;
      auto i = std::find(names.begin(), names.end(), lower);
      if (i != names.end()) {
        out = f_.min + static_cast<int>(i - names.begin());
        return true;
      }
      auto hint = did_you_mean(lower, names);
      return fail("'" + std::string(token) + "' is not " + f_.kind +
                  (hint.empty() ? std::string() : " (did you mean " + to_upper(hint) + "?)"));
    }
    if (token.front() == '-')
      return fail("negative value '" + std::string(token) + "' is out of range " + range_text(f_));
    return fail("'" + std::string(token) + "' is not " + f_.kind);
  }

  static std::string to_upper(std::string text) {
    for (auto& c : text)
      if (c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 'a' + 'A');
    return text;
  }

  bool parse_item(std::string_view item, std::uint64_t& bits) {
    auto base = item;
    int step = 1;
    bool has_step = false;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      auto step_text = item.substr(slash + 1);
      auto span = f_.max - f_.min + 1;
      long long n = 0;
      if (!all_digits(step_text))
        return fail("step '" + std::string(step_text) + "' in '" + std::string(item) +
                    "' is not a number");
      if (step_text.size() > 6 || !parse_int(step_text, n) || n < 1 || n > span)
        return fail("step " + std::string(step_text) + " in '" + std::string(item) +
                    "' is out of range 1-" + std::to_string(span));
      step = static_cast<int>(n);
      has_step = true;
    }
    int lo = 0;
    int hi = 0;
    if (base == "*") {
      lo = f_.min;
      hi = f_.max;
    } else if (auto dash = base.find('-', 1); dash != std::string_view::npos) {
      if (!parse_value(base.substr(0, dash), item, lo) ||
          !parse_value(base.substr(dash + 1), item, hi))
        return false;
      // "FRI-SUN", "5-0": a range ending on Sunday ends on its other number, 7.
      if (&f_ == &dow_field && hi == 0 && lo > 0)
        hi = 7;
      if (lo > hi)
        return fail("range '" + std::string(base) + "' is reversed (" + std::to_string(lo) + " > " +
                    std::to_string(hi) + ")");
    } else {
      if (!parse_value(base, item, lo))
        return false;
      // "a/n" runs from a to the end of the field.
      hi = has_step ? f_.max : lo;
    }
    return add(lo, hi, step, bits);
  }

  bool add(int lo, int hi, int step, std::uint64_t& bits) {
    for (int v = lo; v <= hi; v += step)
      bits |= std::uint64_t{1} << v;
    return true;
  }

  const field_spec& f_;
  std::string error_;
};

/// A suggestion for akkaflow's English phrases ("every 5 minutes").
std::string cron_for_phrase(const std::string& lower) {
  auto words = split_list(lower, ' ');
  long long n = 1;
  std::string unit;
  if (words.size() == 2) {
    unit = words[1];
  } else if (words.size() == 3 && parse_int(words[1], n) && n >= 1) {
    unit = words[2];
  }
  if (!unit.empty() && unit.back() == 's')
    unit.pop_back();
  auto every = [&](long long limit) {
    return n == 1 ? std::string("*") : "*/" + std::to_string(n > limit ? limit : n);
  };
  if (unit == "second")
    return every(59) + " * * * * *";
  if (unit == "minute")
    return every(59) + " * * * *";
  if (unit == "hour")
    return "0 " + every(23) + " * * *";
  if (unit == "day")
    return "0 0 " + every(31) + " * *";
  if (unit == "week")
    return "0 0 * * 0";
  if (unit == "month")
    return "0 0 1 " + every(12) + " *";
  return "*/5 * * * *";
}

struct civil {
  int y = 1970;
  int mo = 1; // 1-12 when valid; the searches step past either end
  int d = 1;  // 1-31 when valid
  int h = 0;
  int mi = 0;
  int s = 0;
};

civil civil_of(date::local_seconds t) {
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<seconds> hms{t - day};
  return civil{static_cast<int>(ymd.year()),
               static_cast<int>(unsigned(ymd.month())),
               static_cast<int>(unsigned(ymd.day())),
               static_cast<int>(hms.hours().count()),
               static_cast<int>(hms.minutes().count()),
               static_cast<int>(hms.seconds().count())};
}

date::local_seconds to_local_seconds(const civil& c) {
  auto day = date::local_days{date::year{c.y} / date::month{static_cast<unsigned>(c.mo)} /
                              date::day{static_cast<unsigned>(c.d)}};
  return day + std::chrono::hours{c.h} + std::chrono::minutes{c.mi} + seconds{c.s};
}

/// The smallest set bit at or above `from`, or -1.
int next_bit(std::uint64_t bits, int from) {
  if (from > 63)
    return -1;
  auto m = bits & (~std::uint64_t{0} << std::max(from, 0));
  return m ? __builtin_ctzll(m) : -1;
}

/// The largest set bit at or below `upto`, or -1.
int prev_bit(std::uint64_t bits, int upto) {
  if (upto < 0)
    return -1;
  auto m = upto >= 63 ? bits : bits & ((std::uint64_t{2} << upto) - 1);
  return m ? 63 - __builtin_clzll(m) : -1;
}

struct month_info {
  unsigned days;
  unsigned first_weekday; // 0 = Sunday
};

month_info info_of(int y, int mo) {
  auto ym = date::year{y} / date::month{static_cast<unsigned>(mo)};
  return {unsigned((ym / date::last).day()), date::weekday{date::sys_days{ym / 1}}.c_encoding()};
}

constexpr int max_year = 9999;
constexpr int min_year = 1;
constexpr int horizon_years = 400; // the Gregorian calendar repeats every 400 years

ms as_ms(timestamp t) {
  return ms{t};
}

/// Instants outside years 1-9999 (UTC) are not searched from: the calendar
/// arithmetic would overflow long before the int64 milliseconds do.
bool searchable(timestamp t) {
  constexpr timestamp first = -62'135'596'800'000; // 0001-01-01T00:00:00Z
  constexpr timestamp end = 253'402'300'800'000;   // 10000-01-01T00:00:00Z
  return t >= first && t < end;
}

} // namespace

namespace {

/// "a,b" of a cronish field, or why cafflow cannot express it.
std::optional<std::string> phrase_field_problem(const char* name, const std::string& value) {
  if (value.find('L') != std::string::npos || value.find('#') != std::string::npos)
    return std::string("its ") + name + " is '" + value
           + "' (a last day or an nth weekday), which cafflow's cron cannot express";
  if (std::string(name) == "day-of-week" && value.find('/') != std::string::npos)
    return std::string("its day-of-week is '") + value
           + "' (every other weekday of a month, in cronish's own reckoning), which cafflow's "
             "cron cannot express";
  return std::nullopt;
}

/// The cron text (5 fields, or "@seconds" and 6) an English phrase stands for
/// in akkaflow, or why it cannot be used.
expected<std::string> phrase_to_cron(const std::string& text, const std::string& prefix) {
  auto fields = read_cron_phrase(text);
  if (!fields) {
    auto guess = read_cron_phrase(text, true);
    std::string hint;
    if (guess) {
      auto dow = guess->day_of_week;
      auto dom = dow != "*" ? std::string("*") : guess->day_of_month;
      auto five = guess->minute + " " + guess->hour + " " + dom + " " + guess->month + " " + dow;
      hint = guess->second == "0" ? five : "@seconds " + guess->second + " " + five;
      return make_error(ec::invalid_argument,
                        prefix + "akkaflow's cron library did not accept this phrase (it reads "
                                 "weekday and month names capitalised and its other words in "
                                 "lower case, as in 'Every Monday at 9:30'), so akkaflow refused the file; the cron it "
                                 "was probably meant to be is '" + hint + "'");
    }
    return make_error(ec::invalid_argument,
                      prefix + "not a phrase akkaflow's cron library accepted (e.g. 'Every day "
                               "at midnight', 'Every 5 minutes', 'Every Monday at 9:30'); use "
                               "a cron expression such as '" + cron_for_phrase(to_lower(text))
                               + "'");
  }
  if (fields->year != "*")
    return make_error(ec::invalid_argument,
                      prefix + "it names the year(s) '" + fields->year
                               + "', which cafflow's cron cannot express; bound the coordinator "
                                 "with start-time and end-time instead");
  const std::pair<const char*, const std::string*> checks[] = {
    {"second", &fields->second},          {"minute", &fields->minute},
    {"hour", &fields->hour},              {"day-of-month", &fields->day_of_month},
    {"month", &fields->month},            {"day-of-week", &fields->day_of_week}};
  for (const auto& [name, value] : checks)
    if (auto problem = phrase_field_problem(name, *value))
      return make_error(ec::invalid_argument, prefix + "akkaflow read it as the Quartz cron '"
                                                + fields->second + " " + fields->minute + " "
                                                + fields->hour + " " + fields->day_of_month + " "
                                                + fields->month + " " + fields->day_of_week
                                                + "', but " + *problem);
  // cronish looks at the day-of-week alone once it is set.
  auto dom = fields->day_of_week != "*" ? std::string("*") : fields->day_of_month;
  auto five = fields->minute + " " + fields->hour + " " + dom + " " + fields->month + " "
              + fields->day_of_week;
  return fields->second == "0" ? five : "@seconds " + fields->second + " " + five;
}

} // namespace

expected<cron_expr> cron_expr::parse(std::string_view input) {
  auto text = trim(input);
  auto prefix = "cron '" + text + "': ";
  auto lower = to_lower(text);
  if (text.empty())
    return make_error(ec::invalid_argument, "cron '': empty expression (expected 5 fields "
                                            "'min hour dom mon dow', '@seconds' and 6 fields "
                                            "'sec min hour dom mon dow', or a macro such as "
                                            "@daily)");
  // akkaflow handed any text containing "every" to its cron library's phrase
  // grammar (docs/CRON.md).
  if (lower.find("every") != std::string::npos) {
    auto translated = phrase_to_cron(text, prefix);
    if (!translated)
      return translated.error();
    auto result = parse(*translated);
    if (!result)
      return make_error(ec::invalid_argument,
                        prefix + "akkaflow read it as '" + *translated + "', which is invalid: "
                                 + result.error().message);
    result->note_ = prefix + "akkaflow's English phrase, read as its cron library read it: '"
                    + *translated + "'; write that instead to say so";
    result->akkaflow_reading_ = true;
    result->text_ = text;
    return result;
  }
  std::string fields_text = text;
  bool seconds_form = false;
  if (starts_with(lower, "@seconds")
      && (lower.size() == 8 || lower[8] == ' ' || lower[8] == '\t')) {
    seconds_form = true;
    fields_text = trim(text.substr(8));
  } else if (text.front() == '@') {
    if (lower == "@reboot")
      return make_error(ec::invalid_argument,
                        prefix + "@reboot is not supported (a scheduler has no reboot to run "
                                 "at); use a time-based expression");
    const char* expansion = nullptr;
    std::vector<std::string> names;
    for (auto& m : macros) {
      names.emplace_back(m.name);
      if (lower == m.name)
        expansion = m.expansion;
    }
    names.emplace_back("@seconds");
    if (!expansion) {
      auto hint = did_you_mean(lower, names);
      return make_error(ec::invalid_argument,
                        prefix + "unknown macro (expected one of " + join(names, " ") + ")" +
                            (hint.empty() ? std::string() : "; did you mean " + hint + "?"));
    }
    fields_text = expansion;
  }
  std::string spaced = fields_text;
  std::replace(spaced.begin(), spaced.end(), '\t', ' ');
  auto fields = split_list(spaced, ' ');
  if (seconds_form && fields.size() != 6)
    return make_error(ec::invalid_argument,
                      prefix + "'@seconds' takes 6 fields 'sec min hour dom mon dow', got "
                               + std::to_string(fields.size()));
  if (fields.size() != 5 && fields.size() != 6)
    return make_error(ec::invalid_argument,
                      prefix +
                          "expected 5 fields 'min hour dom mon dow', or '@seconds' and 6 fields "
                          "'sec min hour dom mon dow', got " +
                          std::to_string(fields.size()));
  std::string note;
  if (!seconds_form && fields.size() == 6) {
    // akkaflow read the first five fields and ignored the sixth.
    auto five = join(std::vector<std::string>(fields.begin(), fields.begin() + 5), " ");
    note = prefix + "6 fields: read as akkaflow read them, the first five ('" + five
           + "': min hour dom mon dow) with the sixth ('" + fields[5]
           + "') ignored; write '" + five + "' to say so, or '@seconds " + text
           + "' for seconds first (what cafflow read before)";
    fields.pop_back();
  }
  cron_expr result;
  result.text_ = text;
  result.note_ = std::move(note);
  result.has_seconds_ = seconds_form;
  if (!result.has_seconds_)
    fields.insert(fields.begin(), "0");
  const field_spec* specs[] = {&second_field, &minute_field, &hour_field,
                               &dom_field,    &month_field,  &dow_field};
  std::uint64_t* targets[] = {&result.seconds_, &result.minutes_, &result.hours_,
                              &result.doms_,    &result.months_,  &result.dows_};
  for (std::size_t i = 0; i < 6; ++i) {
    field_parser parser{*specs[i]};
    if (!parser.parse(fields[i], *targets[i]))
      return make_error(ec::invalid_argument,
                        prefix + "field '" + specs[i]->name + "': " + parser.error());
  }
  if (result.dows_ & (std::uint64_t{1} << 7))
    result.dows_ = (result.dows_ | 1) & ~(std::uint64_t{1} << 7);
  // Vixie cron: a day field whose text starts with '*' does not take part in
  // the OR of the day rule.
  result.dom_star_ = fields[3][0] == '*' || fields[3][0] == '?';
  result.dow_star_ = fields[5][0] == '*' || fields[5][0] == '?';
  result.akkaflow_reading_ = !result.note_.empty();
  if (result.day_or() && !seconds_form)
    result.note_ += (result.note_.empty() ? prefix : std::string("; "))
                    + "day-of-month and day-of-week are both restricted: cafflow fires on a day "
                      "that matches either (Vixie cron), akkaflow fired on the day-of-week alone; "
                      "write the day-of-month as '*' for the weekdays alone";
  for (unsigned first = 0; first < 7; ++first) {
    std::uint32_t days = 0;
    for (unsigned d = 1; d <= 31; ++d)
      if (result.dows_ & (std::uint64_t{1} << ((first + d - 1) % 7)))
        days |= std::uint32_t{1} << d;
    result.dow_days_[first] = days;
  }
  return result;
}

std::uint32_t cron_expr::day_mask(unsigned first_weekday, unsigned days_in_month) const {
  auto valid = ((std::uint32_t{2} << days_in_month) - 1) & ~std::uint32_t{1};
  auto doms = static_cast<std::uint32_t>(doms_);
  auto dows = dow_days_[first_weekday];
  return (day_or() ? (doms | dows) : (doms & dows)) & valid;
}

bool cron_expr::matches(date::local_seconds local) const {
  auto c = civil_of(local);
  auto m = info_of(c.y, c.mo);
  return (seconds_ >> c.s & 1) && (minutes_ >> c.mi & 1) && (hours_ >> c.h & 1) &&
         (months_ >> c.mo & 1) && (day_mask(m.first_weekday, m.days) >> c.d & 1);
}

/// The searches over local wall-clock times, with access to the bit sets.
struct detail::cron_search {
  /// The first local time at or after `c` that matches `e`'s fields, jumping
  /// field by field (month, day, hour, minute, second); nullopt past `last_year`.
  static std::optional<civil> next_match(const cron_expr& e, civil c, int last_year);
  /// The last local time at or before `c` that matches; nullopt before `first_year`.
  static std::optional<civil> previous_match(const cron_expr& e, civil c, int first_year);
};

std::optional<civil> detail::cron_search::next_match(const cron_expr& e, civil c, int last_year) {
  for (;;) {
    if (c.y > last_year)
      return std::nullopt;
    auto mo = next_bit(e.months_, c.mo);
    if (mo < 0) {
      c = civil{c.y + 1, 1, 1, 0, 0, 0};
      continue;
    }
    if (mo != c.mo)
      c = civil{c.y, mo, 1, 0, 0, 0};
    auto m = info_of(c.y, c.mo);
    auto d = next_bit(e.day_mask(m.first_weekday, m.days), c.d);
    if (d < 0) {
      c = civil{c.y, c.mo + 1, 1, 0, 0, 0};
      continue;
    }
    if (d != c.d)
      c = civil{c.y, c.mo, d, 0, 0, 0};
    auto h = next_bit(e.hours_, c.h);
    if (h < 0) {
      c = civil{c.y, c.mo, c.d + 1, 0, 0, 0};
      continue;
    }
    if (h != c.h)
      c = civil{c.y, c.mo, c.d, h, 0, 0};
    auto mi = next_bit(e.minutes_, c.mi);
    if (mi < 0) {
      c = civil{c.y, c.mo, c.d, c.h + 1, 0, 0};
      continue;
    }
    if (mi != c.mi)
      c = civil{c.y, c.mo, c.d, c.h, mi, 0};
    auto s = next_bit(e.seconds_, c.s);
    if (s < 0) {
      c = civil{c.y, c.mo, c.d, c.h, c.mi + 1, 0};
      continue;
    }
    c.s = s;
    return c;
  }
}

std::optional<civil> detail::cron_search::previous_match(const cron_expr& e, civil c,
                                                         int first_year) {
  for (;;) {
    if (c.y < first_year)
      return std::nullopt;
    auto mo = prev_bit(e.months_, c.mo);
    if (mo < 0) {
      c = civil{c.y - 1, 12, 31, 23, 59, 59};
      continue;
    }
    if (mo != c.mo)
      c = civil{c.y, mo, 31, 23, 59, 59};
    auto m = info_of(c.y, c.mo);
    auto d = prev_bit(e.day_mask(m.first_weekday, m.days), std::min(c.d, static_cast<int>(m.days)));
    if (d < 0) {
      c = civil{c.y, c.mo - 1, 31, 23, 59, 59};
      continue;
    }
    if (d != c.d)
      c = civil{c.y, c.mo, d, 23, 59, 59};
    auto h = prev_bit(e.hours_, c.h);
    if (h < 0) {
      c = civil{c.y, c.mo, c.d - 1, 23, 59, 59};
      continue;
    }
    if (h != c.h)
      c = civil{c.y, c.mo, c.d, h, 59, 59};
    auto mi = prev_bit(e.minutes_, c.mi);
    if (mi < 0) {
      c = civil{c.y, c.mo, c.d, c.h - 1, 59, 59};
      continue;
    }
    if (mi != c.mi)
      c = civil{c.y, c.mo, c.d, c.h, mi, 59};
    auto s = prev_bit(e.seconds_, c.s);
    if (s < 0) {
      c = civil{c.y, c.mo, c.d, c.h, c.mi - 1, 59};
      continue;
    }
    c.s = s;
    return c;
  }
}

namespace {

/// When a matching local time fires: a skipped one (DST gap) at the end of the
/// gap, a repeated one (DST overlap) at its first occurrence.
timestamp fire_time(date::local_seconds local, const date::local_info& info,
                    const date::time_zone& zone) {
  if (info.result == date::local_info::nonexistent)
    return date::floor<ms>(info.second.begin).time_since_epoch().count();
  return from_local(date::local_time<ms>{local}, zone);
}

/// A transition instant read with the offset in force before it: the local
/// time at which an overlap ends, or at which a gap begins.
date::local_seconds local_before(date::sys_seconds transition, const date::sys_info& before) {
  return date::local_seconds{(transition + before.offset).time_since_epoch()};
}

} // namespace

std::optional<timestamp> cron_expr::next(timestamp after, const date::time_zone& zone) const {
  if (!searchable(after))
    return std::nullopt;
  auto local = to_local(after, zone);
  auto start = date::floor<seconds>(local) + seconds{1};
  auto c = civil_of(start);
  if (c.y > max_year)
    return std::nullopt;
  if (c.y < min_year)
    start = to_local_seconds(civil{min_year, 1, 1, 0, 0, 0});
  auto here = local_info(date::floor<seconds>(local), zone);
  // `after` is the second occurrence of a repeated time: every local time up
  // to the end of the overlap already fired at its first occurrence.
  if (here.result == date::local_info::ambiguous &&
      as_ms(after) >= here.first.end.time_since_epoch())
    start = std::max(start, local_before(here.first.end, here.first));
  c = civil_of(start);
  auto last_year = std::min(c.y + horizon_years, max_year);
  for (;;) {
    auto found = detail::cron_search::next_match(*this, c, last_year);
    if (!found)
      return std::nullopt;
    auto l = to_local_seconds(*found);
    auto info = local_info(l, zone);
    auto t = fire_time(l, info, zone);
    if (t > after)
      return t;
    auto resume = l + seconds{1};
    if (info.result == date::local_info::ambiguous)
      resume = std::max(resume, local_before(info.first.end, info.first));
    c = civil_of(resume);
  }
}

std::optional<timestamp> cron_expr::previous(timestamp before, const date::time_zone& zone) const {
  if (!searchable(before))
    return std::nullopt;
  auto local = to_local(before, zone);
  auto start = date::ceil<seconds>(local) - seconds{1};
  auto c = civil_of(start);
  if (c.y < min_year)
    return std::nullopt;
  if (c.y > max_year)
    start = to_local_seconds(civil{max_year, 12, 31, 23, 59, 59});
  auto here = local_info(date::floor<seconds>(local), zone);
  // `before` is the second occurrence of a repeated time: the whole overlap
  // fired (at first occurrences) before it.
  if (here.result == date::local_info::ambiguous &&
      as_ms(before) >= here.first.end.time_since_epoch())
    start = std::max(start, local_before(here.first.end, here.first) - seconds{1});
  c = civil_of(start);
  auto first_year = std::max(c.y - horizon_years, min_year);
  for (;;) {
    auto found = detail::cron_search::previous_match(*this, c, first_year);
    if (!found)
      return std::nullopt;
    auto l = to_local_seconds(*found);
    auto info = local_info(l, zone);
    auto t = fire_time(l, info, zone);
    if (t < before)
      return t;
    auto resume = l - seconds{1};
    // Every skipped time fires at the end of the gap, which is not before `before`.
    if (info.result == date::local_info::nonexistent)
      resume = std::min(resume, local_before(info.second.begin, info.first) - seconds{1});
    c = civil_of(resume);
  }
}

} // namespace cafflow
