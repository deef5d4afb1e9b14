#include "schedule/cron.hpp"

#include "util/tz.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

using namespace cafflow;

namespace {

const date::time_zone& zone(std::string_view name) {
  return **find_time_zone(name);
}

const date::time_zone& utc() {
  return zone("UTC");
}
const date::time_zone& new_york() {
  return zone("America/New_York");
}
const date::time_zone& berlin() {
  return zone("Europe/Berlin");
}

cron_expr cron(std::string_view text) {
  auto result = cron_expr::parse(text);
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  return *result;
}

/// A wall-clock time in `z` ("YYYY-MM-DD HH:MM:SS").
timestamp at(std::string_view local, const date::time_zone& z) {
  auto t = parse_local_time(local, z);
  REQUIRE(t.has_value());
  return *t;
}

/// A time as "local (UTC)" so that both occurrences of a repeated local time
/// are told apart; "none" for nullopt.
std::string show(std::optional<timestamp> t, const date::time_zone& z) {
  if (!t)
    return "none";
  return format_local_time(*t, z) + " (" + format_local_time(*t, utc()) + "Z)";
}

/// The next `n` fire times after `from` (local in `z`), shown as local times.
std::vector<std::string> next_n(std::string_view expr, std::string_view from,
                                const date::time_zone& z, int n) {
  auto c = cron(expr);
  std::vector<std::string> out;
  std::optional<timestamp> t = at(from, z);
  for (int i = 0; i < n && t; ++i) {
    t = c.next(*t, z);
    out.push_back(t ? format_local_time(*t, z) : "none");
  }
  return out;
}

/// The previous `n` fire times before `from`, shown as local times.
std::vector<std::string> previous_n(std::string_view expr, std::string_view from,
                                    const date::time_zone& z, int n) {
  auto c = cron(expr);
  std::vector<std::string> out;
  std::optional<timestamp> t = at(from, z);
  for (int i = 0; i < n && t; ++i) {
    t = c.previous(*t, z);
    out.push_back(t ? format_local_time(*t, z) : "none");
  }
  return out;
}

std::string parse_error(std::string_view text) {
  auto result = cron_expr::parse(text);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ec::invalid_argument);
  return result.error().message;
}

using strings = std::vector<std::string>;

} // namespace

TEST_SUITE_BEGIN("cron");

// -- parsing -------------------------------------------------------------------

TEST_CASE("cron: five fields and the @seconds form with their text and seconds") {
  auto five = cron("  0 1 * * *  ");
  CHECK(five.text() == "0 1 * * *");
  CHECK_FALSE(five.has_seconds());
  CHECK(five.note().empty());
  auto six = cron("@seconds 30 0 1 * * *");
  CHECK(six.has_seconds());
  CHECK(six.note().empty());
  CHECK(next_n("@seconds 30 0 1 * * *", "2026-05-01 00:00:00", utc(), 2) ==
        strings{"2026-05-01 01:00:30", "2026-05-02 01:00:30"});
  CHECK(next_n("@SECONDS\t*/20 * * * * *", "2026-05-01 00:00:00", utc(), 1) ==
        strings{"2026-05-01 00:00:20"});
  // Tabs and repeated blanks separate fields too.
  CHECK(cron("0\t1  *\t* *").text() == "0\t1  *\t* *");
}

TEST_CASE("cron: macros") {
  struct {
    const char* macro;
    const char* expansion;
  } cases[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
               {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
               {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"}};
  for (auto& c : cases) {
    CAPTURE(c.macro);
    CHECK(cron(c.macro).text() == c.macro);
    CHECK(next_n(c.macro, "2026-05-17 10:20:00", utc(), 3) ==
          next_n(c.expansion, "2026-05-17 10:20:00", utc(), 3));
  }
  CHECK(next_n("@weekly", "2026-05-17 10:20:00", utc(), 1) == strings{"2026-05-24 00:00:00"});
}

TEST_CASE("cron: field syntax errors name the field and the token") {
  CHECK(parse_error("0 25 * * *") == "cron '0 25 * * *': field 'hour': 25 is out of range 0-23");
  CHECK(parse_error("60 * * * *") == "cron '60 * * * *': field 'minute': 60 is out of range 0-59");
  CHECK(parse_error("0 0 0 * *") ==
        "cron '0 0 0 * *': field 'day-of-month': 0 is out of range 1-31");
  CHECK(parse_error("0 0 1 13 *") == "cron '0 0 1 13 *': field 'month': 13 is out of range 1-12");
  CHECK(parse_error("0 0 * * 8") == "cron '0 0 * * 8': field 'day-of-week': 8 is out of range 0-7");
  CHECK(parse_error("@seconds 60 0 0 * * *") ==
        "cron '@seconds 60 0 0 * * *': field 'second': 60 is out of range 0-59");
  // Six plain fields are akkaflow's: the sixth is not read, 60 is a minute.
  CHECK(parse_error("60 0 0 * * *") ==
        "cron '60 0 0 * * *': field 'minute': 60 is out of range 0-59");
  CHECK(parse_error("*/0 * * * *") ==
        "cron '*/0 * * * *': field 'minute': step 0 in '*/0' is out of range 1-60");
  CHECK(parse_error("0 */25 * * *") ==
        "cron '0 */25 * * *': field 'hour': step 25 in '*/25' is out of range 1-24");
  CHECK(parse_error("0 0 1-5/x * *") ==
        "cron '0 0 1-5/x * *': field 'day-of-month': step 'x' in '1-5/x' is not a number");
  CHECK(parse_error("0 5-2 * * *") ==
        "cron '0 5-2 * * *': field 'hour': range '5-2' is reversed (5 > 2)");
  CHECK(parse_error("0 0 * * TUE-MON") ==
        "cron '0 0 * * TUE-MON': field 'day-of-week': range 'TUE-MON' is reversed (2 > 1)");
  CHECK(parse_error("1,,2 * * * *") ==
        "cron '1,,2 * * * *': field 'minute': empty item in list '1,,2'");
  CHECK(parse_error("1, * * * *") == "cron '1, * * * *': field 'minute': empty item in list '1,'");
  CHECK(parse_error("x * * * *") == "cron 'x * * * *': field 'minute': 'x' is not a number");
  CHECK(parse_error("0 0 * * 1.5") ==
        "cron '0 0 * * 1.5': field 'day-of-week': '1.5' is not a weekday (0-7 or SUN-SAT)");
  CHECK(parse_error("0 0 1 JANUARY *") ==
        "cron '0 0 1 JANUARY *': field 'month': 'JANUARY' is not a month (1-12 or JAN-DEC)");
  CHECK(parse_error("0 0 1 FEBR *") ==
        "cron '0 0 1 FEBR *': field 'month': 'FEBR' is not a month (1-12 or JAN-DEC) (did you "
        "mean FEB?)");
  CHECK(parse_error("0 MON * * *") == "cron '0 MON * * *': field 'hour': 'MON' is not a number");
  CHECK(parse_error("0 -1 * * *") ==
        "cron '0 -1 * * *': field 'hour': negative value '-1' is out of range 0-23");
  CHECK(parse_error("0 1-2-3 * * *") ==
        "cron '0 1-2-3 * * *': field 'hour': '2-3' is not a number");
  CHECK(parse_error("0 *-5 * * *") ==
        "cron '0 *-5 * * *': field 'hour': '*' cannot be part of a range in '*-5' (use '*' "
        "alone or '*/n')");
  CHECK(parse_error("0 1/2/3 * * *") ==
        "cron '0 1/2/3 * * *': field 'hour': step '2/3' in '1/2/3' is not a number");
  CHECK(parse_error("? * * * *") ==
        "cron '? * * * *': field 'minute': '?' is only allowed in day-of-month and "
        "day-of-week");
  CHECK(parse_error("0 0 ?,1 * *") ==
        "cron '0 0 ?,1 * *': field 'day-of-month': '?' must stand alone (it means the same "
        "as '*'), not in '?,1'");
  CHECK(parse_error("@seconds 0 0 1 * * 99999999999")
            .find("field 'day-of-week': 99999999999 is out of "
                  "range 0-7") != std::string::npos);
}

TEST_CASE("cron: whole-expression errors") {
  CHECK(parse_error("   ").find("empty expression") != std::string::npos);
  CHECK(parse_error("* * * *") ==
        "cron '* * * *': expected 5 fields 'min hour dom mon dow', or '@seconds' and 6 fields "
        "'sec min hour dom mon dow', got 4");
  CHECK(parse_error("0 0 0 1 1 * 2026").find("got 7") != std::string::npos);
  CHECK(parse_error("@seconds 0 1 * * *") ==
        "cron '@seconds 0 1 * * *': '@seconds' takes 6 fields 'sec min hour dom mon dow', got 5");
  CHECK(parse_error("@seconds") ==
        "cron '@seconds': '@seconds' takes 6 fields 'sec min hour dom mon dow', got 0");
  CHECK(parse_error("@secondz 0 0 1 * * *").find("unknown macro") != std::string::npos);
  CHECK(parse_error("@reboot").find("@reboot is not supported") != std::string::npos);
  CHECK(parse_error("@dayly") ==
        "cron '@dayly': unknown macro (expected one of @yearly @annually @monthly @weekly "
        "@daily @midnight @hourly @seconds); did you mean @daily?");
}

TEST_CASE("cron: six plain fields mean what akkaflow meant and are noted") {
  // Every akkaflow v1 coordinator: config="*/10 * * * * *" fired every 10
  // minutes (its cron library got fields 1-5, the sixth was dropped).
  auto c = cron("*/10 * * * * *");
  CHECK_FALSE(c.has_seconds());
  CHECK(c.note()
        == "cron '*/10 * * * * *': 6 fields: read as akkaflow read them, the first five "
           "('*/10 * * * *': min hour dom mon dow) with the sixth ('*') ignored; write "
           "'*/10 * * * *' to say so, or '@seconds */10 * * * * *' for seconds first (what "
           "cafflow read before)");
  CHECK(next_n("*/10 * * * * *", "2026-05-01 00:00:05", utc(), 3)
        == strings{"2026-05-01 00:10:00", "2026-05-01 00:20:00", "2026-05-01 00:30:00"});
  CHECK(next_n("*/10 * * * * *", "2026-05-01 00:00:05", utc(), 3)
        == next_n("*/10 * * * *", "2026-05-01 00:00:05", utc(), 3));
  // Whatever the sixth field says.
  CHECK(next_n("0 1 * * * 2019", "2026-05-01 00:00:00", utc(), 1)
        == strings{"2026-05-01 01:00:00"});
  CHECK(next_n("* * * * * *", "2026-05-01 00:00:00", utc(), 2)
        == strings{"2026-05-01 00:01:00", "2026-05-01 00:02:00"});
}

TEST_CASE("cron: both day fields restricted are noted (akkaflow used the day-of-week alone)") {
  CHECK(cron("0 0 13 * FRI").note()
        == "cron '0 0 13 * FRI': day-of-month and day-of-week are both restricted: cafflow "
           "fires on a day that matches either (Vixie cron), akkaflow fired on the day-of-week "
           "alone; write the day-of-month as '*' for the weekdays alone");
  CHECK_FALSE(cron("0 0 13 * FRI").akkaflow_reading());
  CHECK(cron("0 0 * * FRI").note().empty());
  CHECK(cron("@seconds 0 0 0 13 * FRI").note().empty());
  CHECK(cron("*/10 * * * * *").akkaflow_reading());
  CHECK(cron("Every day at midnight").akkaflow_reading());
}

TEST_CASE("cron: akkaflow's English phrases mean what its cron library read") {
  auto same = [](const char* phrase, const char* expr) {
    auto p = cron(phrase);
    CHECK_MESSAGE(next_n(phrase, "2026-05-15 10:20:30", utc(), 4)
                    == next_n(expr, "2026-05-15 10:20:30", utc(), 4),
                  phrase);
    CHECK_MESSAGE(p.note().find("'" + std::string(expr) + "'") != std::string::npos, p.note());
  };
  same("Every day at midnight", "0 0 * * *");
  same("every day at noon", "0 12 * * *");
  same("Every day at 1:30", "30 1 * * *");
  same("Every day at 9:05", "5 9 * * *");
  same("Every day at 3pm", "0 15 * * *");
  same("Every day at 9:00 and 17:30", "0,30 9,17 * * *");
  same("Every 5 minutes", "*/5 * * * *");
  same("Every other hour", "* */2 * * *"); // the minute stays free, as in cronish
  same("Every hour", "* * * * *");
  same("Every Monday at 9:30", "30 9 * * 1");
  same("Every day on the weekday at 6:00", "0 6 * * 1-5");
  same("Every day on Monday, Wednesday and Friday at midnight", "0 0 * * 1,3,5");
  same("Every day in January at noon", "0 12 * 1 *");
  same("Every 1st day in every month at midnight", "0 0 1 * *");
  same("Every 15th day at 2:00", "0 2 15 * *");
  // cronish lets the leading "every day" win over "on the 15th day".
  same("Every day on the 15th day at 2:00", "0 2 * * *");
  same("every day at 10:00:30", "0 10 * * *"); // a single time keeps no seconds
  auto secs = cron("Every 15 seconds");
  CHECK(secs.has_seconds());
  CHECK(next_n("Every 15 seconds", "2026-05-15 10:20:31", utc(), 2)
        == strings{"2026-05-15 10:20:45", "2026-05-15 10:21:00"});
  CHECK(secs.note().find("'@seconds */15 * * * * *'") != std::string::npos);
}

TEST_CASE("cron: English phrases akkaflow refused are refused with the cron meant") {
  // Lower-case names: cronish refused them, and akkaflow the file.
  CHECK(parse_error("every monday at noon")
        == "cron 'every monday at noon': akkaflow's cron library did not accept this phrase "
           "(it reads weekday and month names capitalised and its other words in lower case, "
           "as in 'Every Monday at 9:30'), so akkaflow refused the file; the cron it was probably meant to be is "
           "'0 12 * * 1'");
  CHECK(parse_error("every 2 weeks").find("such as '0 0 * * 0'") != std::string::npos);
  CHECK(parse_error("at midnight every day").find("not a phrase") != std::string::npos);
  CHECK(parse_error("Every last day in every month at midnight").find("'L'")
        != std::string::npos);
  CHECK(parse_error("Every other Monday").find("every other weekday") != std::string::npos);
  CHECK(parse_error("Every day in the year 2019").find("year(s) '2019'") != std::string::npos);
  CHECK(parse_error("Every day at 25:00").find("akkaflow read it as '0 25 * * *'")
        != std::string::npos);
  // Without "every" akkaflow did not read a phrase at all (its crash).
  CHECK(parse_error("midnight on monday").find("expected 5 fields") != std::string::npos);
}

// -- evaluation ----------------------------------------------------------------

TEST_CASE("cron: ordinary next and previous") {
  CHECK(next_n("0 1 * * *", "2026-05-17 10:20:00", utc(), 2) ==
        strings{"2026-05-18 01:00:00", "2026-05-19 01:00:00"});
  CHECK(next_n("*/15 * * * *", "2026-05-17 10:20:00", utc(), 3) ==
        strings{"2026-05-17 10:30:00", "2026-05-17 10:45:00", "2026-05-17 11:00:00"});
  CHECK(previous_n("*/15 * * * *", "2026-05-17 10:20:00", utc(), 3) ==
        strings{"2026-05-17 10:15:00", "2026-05-17 10:00:00", "2026-05-17 09:45:00"});
  CHECK(next_n("59 23 31 12 *", "2026-05-17 10:20:00", utc(), 2) ==
        strings{"2026-12-31 23:59:00", "2027-12-31 23:59:00"});
  CHECK(previous_n("0 0 1 * *", "2026-01-01 00:00:00", utc(), 2) ==
        strings{"2025-12-01 00:00:00", "2025-11-01 00:00:00"});
  // Before the Unix epoch.
  CHECK(next_n("0 12 * * *", "1969-12-31 13:00:00", utc(), 1) == strings{"1970-01-01 12:00:00"});
  CHECK(previous_n("0 12 * * *", "1970-01-01 11:59:59", utc(), 1) ==
        strings{"1969-12-31 12:00:00"});
}

TEST_CASE("cron: strictly after and strictly before, to the millisecond") {
  auto c = cron("0 12 * * *");
  auto noon = at("2026-05-17 12:00:00", utc());
  CHECK(*c.next(noon, utc()) == noon + 86'400'000);
  CHECK(*c.next(noon - 1, utc()) == noon);
  CHECK(*c.previous(noon, utc()) == noon - 86'400'000);
  CHECK(*c.previous(noon + 1, utc()) == noon);
  auto every_second = cron("@seconds * * * * * *");
  CHECK(*every_second.next(noon + 999, utc()) == noon + 1000);
  CHECK(*every_second.previous(noon + 1, utc()) == noon);
}

TEST_CASE("cron: names, lists, ranges and steps") {
  // 2026-05-15 is a Friday.
  CHECK(next_n("0 9 * * MON-FRI", "2026-05-15 10:00:00", utc(), 2) ==
        strings{"2026-05-18 09:00:00", "2026-05-19 09:00:00"});
  CHECK(next_n("0 9 * * mon,Wed,fri", "2026-05-15 10:00:00", utc(), 3) ==
        strings{"2026-05-18 09:00:00", "2026-05-20 09:00:00", "2026-05-22 09:00:00"});
  CHECK(next_n("0 0 1 jan-mar/2,Dec *", "2026-05-15 10:00:00", utc(), 3) ==
        strings{"2026-12-01 00:00:00", "2027-01-01 00:00:00", "2027-03-01 00:00:00"});
  CHECK(next_n("5,10-12,50/5 3 * * *", "2026-05-15 00:00:00", utc(), 6) ==
        strings{"2026-05-15 03:05:00", "2026-05-15 03:10:00", "2026-05-15 03:11:00",
                "2026-05-15 03:12:00", "2026-05-15 03:50:00", "2026-05-15 03:55:00"});
  CHECK(next_n("0 8-17/3 * * *", "2026-05-15 00:00:00", utc(), 5) ==
        strings{"2026-05-15 08:00:00", "2026-05-15 11:00:00", "2026-05-15 14:00:00",
                "2026-05-15 17:00:00", "2026-05-16 08:00:00"});
  // 7 and 0 are both Sunday; a range ending on SUN/0 runs to 7.
  CHECK(next_n("0 0 * * 7", "2026-05-15 00:00:00", utc(), 1) == strings{"2026-05-17 00:00:00"});
  CHECK(next_n("0 0 * * 0", "2026-05-15 00:00:00", utc(), 1) == strings{"2026-05-17 00:00:00"});
  CHECK(next_n("0 0 * * SAT-SUN", "2026-05-14 00:00:00", utc(), 3) ==
        strings{"2026-05-16 00:00:00", "2026-05-17 00:00:00", "2026-05-23 00:00:00"});
  CHECK(next_n("0 0 * * 5-0", "2026-05-14 00:00:00", utc(), 3) ==
        strings{"2026-05-15 00:00:00", "2026-05-16 00:00:00", "2026-05-17 00:00:00"});
  // "a/n" runs to the end of the field (day-of-week ends at 7 = Sunday).
  CHECK(next_n("0 0 * * 5/2", "2026-05-14 00:00:00", utc(), 2) ==
        strings{"2026-05-15 00:00:00", "2026-05-17 00:00:00"});
}

TEST_CASE("cron: seconds in the @seconds form") {
  CHECK(next_n("@seconds */20 * * * * *", "2026-05-15 10:00:05", utc(), 4) ==
        strings{"2026-05-15 10:00:20", "2026-05-15 10:00:40", "2026-05-15 10:01:00",
                "2026-05-15 10:01:20"});
  CHECK(previous_n("@seconds 15,45 30 12 * * *", "2026-05-15 12:30:40", utc(), 3) ==
        strings{"2026-05-15 12:30:15", "2026-05-14 12:30:45", "2026-05-14 12:30:15"});
}

TEST_CASE("cron: the Vixie day rule") {
  // June 2026: the 1st is a Monday.
  // Both restricted: either matches (Fridays and the 13th).
  auto both = cron("0 0 13 * FRI");
  CHECK(both.day_or());
  CHECK(next_n("0 0 13 * FRI", "2026-06-01 00:00:00", utc(), 4) ==
        strings{"2026-06-05 00:00:00", "2026-06-12 00:00:00", "2026-06-13 00:00:00",
                "2026-06-19 00:00:00"});
  // One field '*': only the other applies.
  CHECK_FALSE(cron("0 0 * * MON").day_or());
  CHECK(next_n("0 0 * * MON", "2026-06-01 00:00:00", utc(), 2) ==
        strings{"2026-06-08 00:00:00", "2026-06-15 00:00:00"});
  CHECK(next_n("0 0 13 * *", "2026-06-01 00:00:00", utc(), 2) ==
        strings{"2026-06-13 00:00:00", "2026-07-13 00:00:00"});
  // "*/2" starts with '*': no OR, so a day must be odd AND a Monday.
  CHECK_FALSE(cron("0 0 */2 * MON").day_or());
  CHECK(next_n("0 0 */2 * MON", "2026-06-01 00:00:00", utc(), 3) ==
        strings{"2026-06-15 00:00:00", "2026-06-29 00:00:00", "2026-07-13 00:00:00"});
  // The same set written without '*' takes part in the OR.
  CHECK(cron("0 0 1-31/2 * MON").day_or());
  CHECK(next_n("0 0 1-31/2 * MON", "2026-06-01 00:00:00", utc(), 3) ==
        strings{"2026-06-03 00:00:00", "2026-06-05 00:00:00", "2026-06-07 00:00:00"});
  // '?' is '*'.
  CHECK(next_n("0 0 ? * MON", "2026-06-01 00:00:00", utc(), 2) ==
        next_n("0 0 * * MON", "2026-06-01 00:00:00", utc(), 2));
  CHECK(next_n("0 0 13 * ?", "2026-06-01 00:00:00", utc(), 2) ==
        strings{"2026-06-13 00:00:00", "2026-07-13 00:00:00"});
}

TEST_CASE("cron: leap years") {
  CHECK(next_n("0 0 29 2 *", "2026-01-01 00:00:00", utc(), 3) ==
        strings{"2028-02-29 00:00:00", "2032-02-29 00:00:00", "2036-02-29 00:00:00"});
  // 2100 is not a leap year; 2000 is.
  CHECK(next_n("0 0 29 2 *", "2097-01-01 00:00:00", utc(), 1) == strings{"2104-02-29 00:00:00"});
  CHECK(previous_n("0 0 29 2 *", "2104-01-01 00:00:00", utc(), 2) ==
        strings{"2096-02-29 00:00:00", "2092-02-29 00:00:00"});
  CHECK(previous_n("0 0 29 2 *", "2001-01-01 00:00:00", utc(), 1) ==
        strings{"2000-02-29 00:00:00"});
  CHECK(previous_n("0 12 * 2 *", "2028-03-15 00:00:00", utc(), 2) ==
        strings{"2028-02-29 12:00:00", "2028-02-28 12:00:00"});
  // Feb 29 that is a Sunday ("*/7" is 0 and 7: Sunday; '*' so AND).
  CHECK(next_n("0 0 29 2 */7", "2026-01-01 00:00:00", utc(), 2) ==
        strings{"2032-02-29 00:00:00", "2060-02-29 00:00:00"});
}

TEST_CASE("cron: impossible dates never fire") {
  for (auto text : {"0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *", "0 0 30 2 */7"}) {
    CAPTURE(text);
    auto c = cron(text);
    CHECK_FALSE(c.next(at("2026-01-01 00:00:00", utc()), utc()));
    CHECK_FALSE(c.previous(at("2026-01-01 00:00:00", utc()), utc()));
    CHECK_FALSE(c.next(at("2026-01-01 00:00:00", new_york()), new_york()));
  }
  // With the OR, the weekday still fires in the impossible month.
  CHECK(next_n("0 0 30 2 MON", "2026-01-01 00:00:00", utc(), 2) ==
        strings{"2026-02-02 00:00:00", "2026-02-09 00:00:00"});
}

TEST_CASE("cron: the search ends at year 9999 and at year 1") {
  CHECK(next_n("0 0 1 1 *", "9998-06-01 00:00:00", utc(), 2) ==
        strings{"9999-01-01 00:00:00", "none"});
  CHECK(previous_n("0 0 1 1 *", "0002-06-01 00:00:00", utc(), 3) ==
        strings{"0002-01-01 00:00:00", "0001-01-01 00:00:00", "none"});
  auto c = cron("* * * * *");
  CHECK_FALSE(c.next(std::numeric_limits<timestamp>::max(), utc()));
  CHECK_FALSE(c.previous(std::numeric_limits<timestamp>::min(), new_york()));
  CHECK_FALSE(c.next(std::numeric_limits<timestamp>::min(), utc()));
}

TEST_CASE("cron: a yearly expression far ahead is found at once") {
  // Once a year: the 50th fire is 50 years ahead.
  auto c = cron("@seconds 59 59 23 13 2 *");
  auto t = at("2026-03-01 00:00:00", utc());
  for (int i = 0; i < 50; ++i)
    t = *c.next(t, utc());
  CHECK(format_local_time(t, utc()) == "2076-02-13 23:59:59");
  // Feb 29 or a Monday in February (OR).
  CHECK(next_n("0 0 29 2 1", "2026-03-01 00:00:00", utc(), 2) ==
        strings{"2027-02-01 00:00:00", "2027-02-08 00:00:00"});
}

// -- time zones and DST ------------------------------------------------------------

TEST_CASE("cron: a local time skipped by DST fires once at the end of the gap (New York)") {
  // 2026-03-08: 02:00 EST jumps to 03:00 EDT.
  auto& ny = new_york();
  auto c = cron("30 2 * * *");
  auto t = c.next(at("2026-03-07 12:00:00", ny), ny);
  CHECK(show(t, ny) == "2026-03-08 03:00:00 (2026-03-08 07:00:00Z)");
  CHECK(show(c.next(*t, ny), ny) == "2026-03-09 02:30:00 (2026-03-09 06:30:00Z)");
  CHECK(next_n("*/15 2 * * *", "2026-03-07 12:00:00", ny, 3) ==
        strings{"2026-03-08 03:00:00", "2026-03-09 02:00:00", "2026-03-09 02:15:00"});
  // A skipped time and 03:00 itself are the same instant: one fire.
  CHECK(next_n("0 2,3 * * *", "2026-03-08 00:00:00", ny, 3) ==
        strings{"2026-03-08 03:00:00", "2026-03-09 02:00:00", "2026-03-09 03:00:00"});
  CHECK(next_n("0 * * * *", "2026-03-08 00:30:00", ny, 3) ==
        strings{"2026-03-08 01:00:00", "2026-03-08 03:00:00", "2026-03-08 04:00:00"});
  CHECK(previous_n("*/15 2 * * *", "2026-03-09 01:00:00", ny, 2) ==
        strings{"2026-03-08 03:00:00", "2026-03-07 02:45:00"});
  CHECK(previous_n("30 2 * * *", "2026-03-08 03:00:01", ny, 1) == strings{"2026-03-08 03:00:00"});
  CHECK(previous_n("30 2 * * *", "2026-03-08 03:00:00", ny, 1) == strings{"2026-03-07 02:30:00"});
}

TEST_CASE("cron: a local time repeated by DST fires once at its first occurrence (New York)") {
  // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:00-01:59 happens twice.
  auto& ny = new_york();
  auto c = cron("30 1 * * *");
  auto t = c.next(at("2026-10-31 12:00:00", ny), ny);
  CHECK(show(t, ny) == "2026-11-01 01:30:00 (2026-11-01 05:30:00Z)");
  CHECK(show(c.next(*t, ny), ny) == "2026-11-02 01:30:00 (2026-11-02 06:30:00Z)");
  auto every_20 = cron("*/20 1 * * *");
  std::vector<std::string> seen;
  std::optional<timestamp> u = at("2026-11-01 00:00:00", ny);
  for (int i = 0; i < 4; ++i)
    seen.push_back(show(u = every_20.next(*u, ny), ny));
  CHECK(seen == strings{"2026-11-01 01:00:00 (2026-11-01 05:00:00Z)",
                        "2026-11-01 01:20:00 (2026-11-01 05:20:00Z)",
                        "2026-11-01 01:40:00 (2026-11-01 05:40:00Z)",
                        "2026-11-02 01:00:00 (2026-11-02 06:00:00Z)"});
  // Hourly: 01:00 EDT, then 02:00 EST (not 01:00 EST).
  auto hourly = cron("0 * * * *");
  auto first = *hourly.next(at("2026-11-01 00:30:00", ny), ny);
  CHECK(show(first, ny) == "2026-11-01 01:00:00 (2026-11-01 05:00:00Z)");
  CHECK(show(hourly.next(first, ny), ny) == "2026-11-01 02:00:00 (2026-11-01 07:00:00Z)");
  // From inside the second occurrence (01:10 EST = 06:10Z): the repeated times already fired.
  auto second_occurrence = at("2026-11-01 06:10:00", utc());
  CHECK(show(every_20.next(second_occurrence, ny), ny) ==
        "2026-11-02 01:00:00 (2026-11-02 06:00:00Z)");
  CHECK(show(every_20.previous(second_occurrence, ny), ny) ==
        "2026-11-01 01:40:00 (2026-11-01 05:40:00Z)");
  CHECK(show(hourly.previous(second_occurrence, ny), ny) ==
        "2026-11-01 01:00:00 (2026-11-01 05:00:00Z)");
  CHECK(show(hourly.previous(at("2026-11-01 07:00:00", utc()), ny), ny) ==
        "2026-11-01 01:00:00 (2026-11-01 05:00:00Z)");
}

TEST_CASE("cron: DST in Europe/Berlin") {
  auto& de = berlin();
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST.
  CHECK(show(cron("30 2 * * *").next(at("2026-03-28 12:00:00", de), de), de) ==
        "2026-03-29 03:00:00 (2026-03-29 01:00:00Z)");
  CHECK(next_n("* 2 * * *", "2026-03-29 01:59:00", de, 2) ==
        strings{"2026-03-29 03:00:00", "2026-03-30 02:00:00"});
  // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00-02:59 happens twice.
  auto c = cron("30 2 * * *");
  auto t = c.next(at("2026-10-24 12:00:00", de), de);
  CHECK(show(t, de) == "2026-10-25 02:30:00 (2026-10-25 00:30:00Z)");
  CHECK(show(c.next(*t, de), de) == "2026-10-26 02:30:00 (2026-10-26 01:30:00Z)");
  CHECK(show(c.previous(at("2026-10-26 00:00:00", de), de), de) ==
        "2026-10-25 02:30:00 (2026-10-25 00:30:00Z)");
  // Seconds across the overlap: 02:59:59 CEST is followed by 03:00:00 CET.
  CHECK(next_n("@seconds */30 * 2-3 * * *", "2026-10-25 02:59:00", de, 3) ==
        strings{"2026-10-25 02:59:30", "2026-10-25 03:00:00", "2026-10-25 03:00:30"});
}

TEST_CASE("cron: next and previous are consistent") {
  const char* exprs[] = {"*/15 2 * * *", "30 1 * * *",    "0 * * * *",     "0 0 13 * FRI",
                         "0 0 29 2 *",   "@seconds */7 * * * * *", "0 0 */2 * MON", "30 2 * 3,10,11 SUN"};
  const char* zones[] = {"UTC", "America/New_York", "Europe/Berlin"};
  const char* starts[] = {"2026-03-08 06:40:00", "2026-11-01 05:10:00", "2026-11-01 06:10:00",
                          "2026-03-29 00:30:00", "2026-10-25 00:30:00", "2026-10-25 01:30:00",
                          "2024-02-29 12:00:00", "1969-12-31 23:59:59"};
  for (auto text : exprs) {
    auto c = cron(text);
    for (auto zone_name : zones) {
      auto& z = zone(zone_name);
      for (auto start : starts) {
        CAPTURE(text);
        CAPTURE(zone_name);
        CAPTURE(start);
        auto x = at(start, utc()) + 123;
        auto p = c.previous(x, z);
        REQUIRE(p);
        auto n = c.next(*p, z);
        REQUIRE(n);
        CHECK(*p < x);
        CHECK(*n >= x);
        CHECK(c.previous(*n, z) == p);
        CHECK(c.next(x - 1, z) == c.next(*p, z));
      }
    }
  }
}

TEST_CASE("cron: matches reads the local fields") {
  auto c = cron("@seconds 0 30 9 * * MON-FRI");
  auto monday = date::local_days{date::year{2026} / 5 / 18};
  using namespace std::chrono;
  CHECK(c.matches(monday + hours{9} + minutes{30}));
  CHECK_FALSE(c.matches(monday + hours{9} + minutes{31}));
  CHECK_FALSE(c.matches(monday - date::days{1} + hours{9} + minutes{30}));
}

TEST_SUITE_END();
