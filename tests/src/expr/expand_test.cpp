#include "expr/expand.hpp"

#include <doctest/doctest.h>

#include "util/tz.hpp"

using namespace cafflow;

namespace {

timestamp utc(const char* text) {
  timestamp t = 0;
  REQUIRE_MESSAGE(parse_utc_time(text, t), text);
  return t;
}

const date::time_zone* zone(const char* name) {
  auto z = find_time_zone(name);
  REQUIRE_MESSAGE(z.has_value(), name);
  return *z;
}

/// One time expression evaluated at a logical time (UTC) in a zone.
struct time_case {
  const char* logical;
  const char* zone;
  const char* text;
  const char* expected;
};

void check_table(const time_case* begin, const time_case* end) {
  for (auto c = begin; c != end; ++c) {
    CAPTURE(c->logical);
    CAPTURE(c->zone);
    CAPTURE(c->text);
    expand_context ctx;
    ctx.logical_time = utc(c->logical);
    ctx.zone = zone(c->zone);
    auto result = expand(c->text, ctx);
    REQUIRE_MESSAGE(result.has_value(), result.error().message);
    CHECK(*result == c->expected);
  }
}

template <std::size_t N>
void check_table(const time_case (&cases)[N]) {
  check_table(cases, cases + N);
}

/// The error message of a failed expansion ("" when it succeeded).
std::string error_of(std::string_view text, const expand_context& ctx) {
  auto result = expand(text, ctx);
  return result ? std::string() : result.error().message;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE_BEGIN("expr_expand");

// Expected values in these tables were computed with java.time and
// SimpleDateFormat (Locale.US): calendar units on the LocalDateTime, resolved
// with ZonedDateTime.ofLocal (gap: forward, overlap: earlier instant).
TEST_CASE("every base and its default format on the logical time") {
  // clang-format off
  const time_case cases[] = {
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today}", "2024-03-15"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.yestoday}", "2024-03-14"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.yesterday}", "2024-03-14"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.cur_month}", "2024-03"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.last_month}", "2024-02"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.now}", "2024-03-15 10:20:30"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyyMMdd HH:mm:ss.SSS}", "20240315 10:20:30.456"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.yesterday|yyyy-MM-dd HH:mm:ss.SSS}", "2024-03-14 10:20:30.456"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.last_month|yyyy-MM-dd HH:mm}", "2024-02-15 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.cur_month|yyyyMMdd}", "20240315"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.now|yyyy-MM-dd'T'HH:mm:ss.SSS}", "2024-03-15T10:20:30.456"},
  };
  // clang-format on
  check_table(cases);
}

TEST_CASE("offsets of every unit and sign") {
  // clang-format off
  const time_case cases[] = {
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1 day}", "2024-03-14 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-03-16 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|1 day}", "2024-03-16 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-2 days}", "2024-03-13 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+1 week}", "2024-03-22 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1 weeks}", "2024-03-08 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+3 months}", "2024-06-15 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1 month}", "2024-02-15 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+1 year}", "2025-03-15 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-2 years}", "2022-03-15 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+90 minutes}", "2024-03-15 11:50"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1 minute}", "2024-03-15 10:19"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+2 hours}", "2024-03-15 12:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-11 hour}", "2024-03-14 23:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1 DAY}", "2024-03-14 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|+ 1 Day}", "2024-03-16 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1day}", "2024-03-14 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|0 days}", "2024-03-15 10:20"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.today|yyyy-MM-dd HH:mm|-1000 minutes}", "2024-03-14 17:40"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.yesterday|yyyyMMdd|-1 day}", "20240313"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.last_month|yyyyMM|-1 month}", "202401"},
      {"2024-03-15T10:20:30.456Z", "UTC", "${time.cur_month|yyyy-MM|+1 year}", "2025-03"},
  };
  // clang-format on
  check_table(cases);
}

TEST_CASE("month ends clamp and years roll over") {
  // clang-format off
  const time_case cases[] = {
      {"2024-01-31T08:00:00Z", "UTC", "${time.today||+1 month}", "2024-02-29"},
      {"2023-01-31T08:00:00Z", "UTC", "${time.today||+1 month}", "2023-02-28"},
      {"2028-01-31T08:00:00Z", "UTC", "${time.today||+1 month}", "2028-02-29"},
      {"2024-01-31T08:00:00Z", "UTC", "${time.today||-2 months}", "2023-11-30"},
      {"2024-01-31T08:00:00Z", "UTC", "${time.today||+13 months}", "2025-02-28"},
      {"2024-03-31T08:00:00Z", "UTC", "${time.today||-1 month}", "2024-02-29"},
      {"2023-03-31T08:00:00Z", "UTC", "${time.today||-1 month}", "2023-02-28"},
      {"2024-03-31T08:00:00Z", "UTC", "${time.last_month|yyyy-MM-dd}", "2024-02-29"},
      {"2024-03-31T08:00:00Z", "UTC", "${time.last_month|yyyy-MM-dd|-1 month}", "2024-01-29"},
      {"2024-05-31T08:00:00Z", "UTC", "${time.today||+1 month}", "2024-06-30"},
      {"2024-02-29T08:00:00Z", "UTC", "${time.today||+1 year}", "2025-02-28"},
      {"2024-02-29T08:00:00Z", "UTC", "${time.today||-1 year}", "2023-02-28"},
      {"2024-02-29T08:00:00Z", "UTC", "${time.today||+4 years}", "2028-02-29"},
      {"2024-02-29T08:00:00Z", "UTC", "${time.today||+12 months}", "2025-02-28"},
      {"2024-12-15T08:00:00Z", "UTC", "${time.today||+1 month}", "2025-01-15"},
      {"2025-01-15T08:00:00Z", "UTC", "${time.today||-1 month}", "2024-12-15"},
      {"2025-01-10T08:00:00Z", "UTC", "${time.last_month}", "2024-12"},
      {"2025-01-01T00:00:00Z", "UTC", "${time.yesterday}", "2024-12-31"},
      {"2024-12-31T23:59:59Z", "UTC", "${time.today||+1 minute}", "2025-01-01"},
      {"2024-12-31T23:00:00Z", "UTC", "${time.now||+1 hour}", "2025-01-01 00:00:00"},
  };
  // clang-format on
  check_table(cases);
}

TEST_CASE("days keep the wall-clock time across DST changes") {
  // Berlin: 2024-03-31 02:00 -> 03:00 and 2024-10-27 03:00 -> 02:00.
  // New York: 2024-03-10 02:00 -> 03:00 and 2024-11-03 02:00 -> 01:00.
  // A result in a gap moves forward; a repeated time is the earlier instant
  // (checked by adding an hour after landing on it).
  // clang-format off
  const time_case cases[] = {
      {"2024-03-29T23:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-03-31 00:30"},
      {"2024-03-29T23:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+2 days}", "2024-04-01 00:30"},
      {"2024-03-29T23:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+48 hours}", "2024-04-01 01:30"},
      {"2024-03-30T01:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-03-31 03:30"},
      {"2024-03-30T01:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+1 week}", "2024-04-06 02:30"},
      {"2024-04-02T22:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|-1 week}", "2024-03-27 00:30"},
      {"2024-03-31T00:30:00Z", "Europe/Berlin", "${time.now|yyyy-MM-dd HH:mm|+1 hour}", "2024-03-31 03:30"},
      {"2024-10-26T22:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-10-28 00:30"},
      {"2024-10-26T22:30:00Z", "Europe/Berlin", "${time.today|yyyy-MM-dd HH:mm|+24 hours}", "2024-10-27 23:30"},
      {"2024-10-28T01:30:00Z", "Europe/Berlin", "${time.yesterday|yyyy-MM-dd HH:mm|+1 hour}", "2024-10-27 02:30"},
      {"2024-03-09T05:30:00Z", "America/New_York", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-03-10 00:30"},
      {"2024-03-09T07:15:00Z", "America/New_York", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-03-10 03:15"},
      {"2024-03-10T06:50:00Z", "America/New_York", "${time.now|yyyy-MM-dd HH:mm|+15 minutes}", "2024-03-10 03:05"},
      {"2024-02-10T07:30:00Z", "America/New_York", "${time.today|yyyy-MM-dd HH:mm|+1 month}", "2024-03-10 03:30"},
      {"2024-11-02T04:30:00Z", "America/New_York", "${time.today|yyyy-MM-dd HH:mm|+1 day}", "2024-11-03 00:30"},
      {"2024-11-03T04:30:00Z", "America/New_York", "${time.now|yyyy-MM-dd HH:mm|+24 hours}", "2024-11-03 23:30"},
      {"2024-11-04T06:30:00Z", "America/New_York", "${time.yesterday|yyyy-MM-dd HH:mm|+1 hour}", "2024-11-03 01:30"},
      {"2024-03-11T06:30:00Z", "America/New_York", "${time.yesterday|yyyy-MM-dd HH:mm}", "2024-03-10 03:30"},
      {"2024-03-15T23:30:00Z", "Asia/Shanghai", "${time.today}", "2024-03-16"},
  };
  // clang-format on
  check_table(cases);
}

TEST_CASE("the logical time is read in the zone") {
  // clang-format off
  const time_case cases[] = {
      {"2024-03-15T23:30:00Z", "Asia/Shanghai", "${time.now}", "2024-03-16 07:30:00"},
      {"2024-03-15T23:30:00Z", "UTC", "${time.today}", "2024-03-15"},
      {"2024-03-15T23:30:00Z", "America/New_York", "${time.now}", "2024-03-15 19:30:00"},
      {"2024-03-31T16:30:00Z", "Asia/Shanghai", "${time.cur_month}", "2024-04"},
      {"2024-03-31T16:30:00Z", "Asia/Shanghai", "${time.last_month|yyyy-MM-dd}", "2024-03-01"},
      {"2024-03-31T16:30:00Z", "UTC", "${time.cur_month}", "2024-03"},
  };
  // clang-format on
  check_table(cases);
  expand_context no_zone; // nullptr is UTC
  no_zone.logical_time = utc("2024-03-15T23:30:00Z");
  CHECK(*expand("${time.now}", no_zone) == "2024-03-15 23:30:00");
  CHECK(*expand("${time.today||+1 hour}", no_zone) == "2024-03-16");
}

TEST_CASE("parts are trimmed and empty parts take the defaults") {
  expand_context ctx;
  ctx.logical_time = utc("2024-03-15T10:20:30Z");
  param_map params{{"a", "A"}};
  ctx.params = &params;
  struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"${ time.today | yyyyMMdd | -1 day }", "20240314"},
      {"${time.today\t|\tyyyyMMdd\t|\t+ 1 days\t}", "20240316"},
      {"${time.today||-1 day}", "2024-03-14"},
      {"${time.today|yyyy|}", "2024"},
      {"${time.today|}", "2024-03-15"},
      {"${time.last_month| |+1 year}", "2025-02"},
      {"${param:a}", "A"},
      {"${param : a}", "A"},
      {"${ param:a }", "A"},
      {"${param:\ta\t}", "A"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto result = expand(c.text, ctx);
    REQUIRE_MESSAGE(result.has_value(), result.error().message);
    CHECK(*result == c.expected);
  }
}

TEST_CASE("params are substituted once, unknown ones fail unless kept") {
  param_map params{{"stadate", "2024-03-14"}, {"table", "orders"}, {"loop", "${param:table}"},
                   {"empty", ""}};
  expand_context ctx;
  ctx.params = &params;
  CHECK(*expand("select * from ${param:table} where d = '${param:stadate}'", ctx)
        == "select * from orders where d = '2024-03-14'");
  CHECK(*expand("[${param:empty}]", ctx) == "[]");
  CHECK(*expand("${param:loop}", ctx) == "${param:table}"); // a value is not expanded again

  auto message = error_of("x=${param:stadte} y", ctx);
  CHECK(message == "unknown parameter 'stadte' in '${param:stadte}'");
  CHECK(error_of("${param:table}", expand_context{}) ==
        "unknown parameter 'table' in '${param:table}'"); // no params known

  ctx.keep_undefined = true;
  CHECK(*expand("a ${param:nope} b ${param:table} ${ param : nope2 }", ctx)
        == "a ${param:nope} b orders ${ param : nope2 }");
  expand_context keep_only;
  keep_only.keep_undefined = true;
  CHECK(*expand("${param:x}", keep_only) == "${param:x}");
  // Keeping does not excuse syntax errors.
  CHECK(contains(error_of("${param: }", keep_only), "empty parameter name"));
  CHECK(contains(error_of("${time.tody}", keep_only), "unknown time base 'tody'"));
}

TEST_CASE("other dollar-brace text is left exactly as is") {
  param_map params{{"a", "A"}};
  expand_context ctx;
  ctx.params = &params;
  const char* untouched[] = {
      "${HOME}",        "${1}",          "$HOME and $1",     "${var:-default}", "${#arr[@]}",
      "${param}",       "${paramx}",     "${parameter:a}",   "${time}",         "${timestamp}",
      "${ HOME }",      "$${x}",         "${",               "text ${ end",     "}${}{",
      "${PARAM:a}",     "${Time.today}", "echo '${' \"}\"", "$ {param:a}",     "",
  };
  for (const char* text : untouched) {
    CAPTURE(text);
    auto result = expand(text, ctx);
    REQUIRE(result.has_value());
    CHECK(*result == text);
    CHECK(check_expressions(text).empty());
  }
  CHECK(*expand("${var:-${param:a}}", ctx) == "${var:-A}");
  CHECK(*expand("${HOME}/${param:a}/${1}", ctx) == "${HOME}/A/${1}");
}

TEST_CASE("multiline text keeps its lines") {
  param_map params{{"db", "dw"}};
  expand_context ctx;
  ctx.logical_time = utc("2024-03-15T10:20:30Z");
  ctx.zone = zone("Asia/Shanghai");
  ctx.params = &params;
  std::string script = "#!/bin/bash\n"
                       "set -e\r\n"
                       "day=${time.yesterday|yyyyMMdd}\n"
                       "for f in \"${DIR}\"/*; do\n"
                       "  load ${param:db} \"$f\" ${time.today|yyyy-MM-dd HH:mm}\n"
                       "done\n";
  CHECK(*expand(script, ctx) == "#!/bin/bash\n"
                                "set -e\r\n"
                                "day=20240314\n"
                                "for f in \"${DIR}\"/*; do\n"
                                "  load dw \"$f\" 2024-03-15 18:20\n"
                                "done\n");
}

TEST_CASE("errors name the expression") {
  param_map params{{"a", "A"}};
  expand_context ctx;
  ctx.logical_time = utc("2024-03-15T10:20:30Z");
  ctx.params = &params;
  struct {
    const char* text;
    const char* expected_part;
  } cases[] = {
      {"${time.tody}", "unknown time base 'tody' in '${time.tody}'"},
      {"${time.tody}", "did you mean 'today'?"},
      {"${time.}", "unknown time base '' in '${time.}'"},
      {"${time.Today}", "unknown time base 'Today'"},
      {"${time.today|yyyy-MM-dd Q}", "unsupported letter 'Q' in date format 'yyyy-MM-dd Q' in "
                                     "'${time.today|yyyy-MM-dd Q}'"},
      {"${time.today|'T}", "unterminated quote in date format ''T'"},
      {"${time.today|yyyy|-1 dya}", "invalid offset '-1 dya' in '${time.today|yyyy|-1 dya}'"},
      {"${time.today|yyyy|1}", "invalid offset '1'"},
      {"${time.today|yyyy|day}", "invalid offset 'day'"},
      {"${time.today|yyyy|--1 day}", "invalid offset '--1 day'"},
      {"${time.today|yyyy|-x day}", "invalid offset '-x day'"},
      {"${time.today|yyyy|+1 fortnight}", "invalid offset '+1 fortnight'"},
      {"${time.today|yyyy|1.5 days}", "invalid offset '1.5 days'"},
      {"${time.today|yyyy|-1 day 2}", "invalid offset '-1 day 2'"},
      {"${time.today|yyyy|99999999999 days}", "invalid offset '99999999999 days'"},
      {"${time.today|yyyy|-1 day|x}", "too many '|' in '${time.today|yyyy|-1 day|x}'"},
      {"${time.today|yyyy|+9000 years}", "time out of range in '${time.today|yyyy|+9000 years}'"},
      {"${time.today|yyyy|-3000 years}", "time out of range"},
      {"${time.today|yyyy|+9000000 days}", "time out of range"},
      {"${param:}", "empty parameter name in '${param:}'"},
      {"${param:a b}", "invalid parameter name 'a b' in '${param:a b}'"},
      {"x ${param:a", "unterminated expression '${param:a' (missing '}')"},
      {"${time.today|yyyy\n}", "unterminated expression '${time.today|yyyy'"},
      {"${param:a ${HOME}}", "unterminated expression '${param:a ${HOME}}'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto result = expand(c.text, ctx);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ec::invalid_argument);
    CHECK_MESSAGE(contains(result.error().message, c.expected_part), result.error().message);
  }
}

TEST_CASE("param_references lists names in order without duplicates") {
  CHECK(param_references("").empty());
  CHECK(param_references("${HOME} ${time.today} ${param:}").empty());
  CHECK(param_references("${param:b} ${param:a}\n${ param : b } ${param:c ${param:d}")
        == std::vector<std::string>{"b", "a", "d"});
  CHECK(param_references("${var:-${param:x}} ${time.today|yyyy} ${param:y}")
        == std::vector<std::string>{"x", "y"});
}

TEST_CASE("check_expressions reports syntax problems at their offsets") {
  CHECK(check_expressions("${param:unknown} ${time.today|yyyyMMdd|-1 day} ${HOME}").empty());
  std::string text = "a ${time.tody}\n"       // 2
                     "b ${time.today|Q}\n"    // 17
                     "c ${time.now||-1 dya}\n" // 35
                     "d ${param:}\n"          // 57
                     "e ${param:x";           // 69
  auto problems = check_expressions(text);
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].offset == 2);
  CHECK(contains(problems[0].message, "unknown time base 'tody'"));
  CHECK(problems[1].offset == 17);
  CHECK(contains(problems[1].message, "unsupported letter 'Q'"));
  CHECK(problems[2].offset == 35);
  CHECK(contains(problems[2].message, "invalid offset '-1 dya'"));
  CHECK(problems[3].offset == 57);
  CHECK(contains(problems[3].message, "empty parameter name"));
  CHECK(problems[4].offset == 69);
  CHECK(contains(problems[4].message, "unterminated expression '${param:x'"));
  for (const auto& p : problems)
    CHECK(text.compare(p.offset, 2, "${") == 0);

  // A problem does not hide the expressions after it.
  auto nested = check_expressions("${param:a ${time.bad}}");
  REQUIRE(nested.size() == 2);
  CHECK(nested[0].offset == 0);
  CHECK(nested[1].offset == 10);
}

TEST_CASE("a param list is evaluated in order and the caller wins") {
  expand_context ctx;
  ctx.logical_time = utc("2024-03-15T23:30:00Z");
  ctx.zone = zone("Asia/Shanghai");
  std::vector<std::pair<std::string, std::string>> list{
      {"stadate", "${time.today|yyyy-MM-dd|-1 day}"},
      {"month", "${time.cur_month|yyyyMM}"},
      {"table", "sales_${param:month}"},
      {"where", "d = '${param:stadate}' and region = '${param:region}'"},
  };
  SUBCASE("list only, with a caller param used by a value") {
    auto params = evaluate_param_list(list, {{"region", "east"}}, ctx);
    REQUIRE_MESSAGE(params.has_value(), params.error().message);
    CHECK(*params == param_map{{"stadate", "2024-03-15"},
                               {"month", "202403"},
                               {"table", "sales_202403"},
                               {"where", "d = '2024-03-15' and region = 'east'"},
                               {"region", "east"}});
  }
  SUBCASE("the caller's value replaces a list value and later values see it") {
    auto params =
        evaluate_param_list(list, {{"region", "west"}, {"stadate", "2020-01-01"}, {"x", "1"}}, ctx);
    REQUIRE_MESSAGE(params.has_value(), params.error().message);
    CHECK(params->at("stadate") == "2020-01-01");
    CHECK(params->at("where") == "d = '2020-01-01' and region = 'west'");
    CHECK(params->at("month") == "202403");
    CHECK(params->at("x") == "1");
  }
  SUBCASE("a later pair with the same name replaces the earlier one") {
    auto params = evaluate_param_list({{"a", "1"}, {"b", "${param:a}"}, {"a", "2${param:a}"}},
                                      {}, ctx);
    REQUIRE(params.has_value());
    CHECK(*params == param_map{{"a", "21"}, {"b", "1"}});
  }
  SUBCASE("a value cannot use a later param") {
    auto params = evaluate_param_list({{"a", "${param:b}"}, {"b", "1"}}, {}, ctx);
    REQUIRE_FALSE(params.has_value());
    CHECK(params.error().message == "param 'a': unknown parameter 'b' in '${param:b}'");
  }
  SUBCASE("errors name the param, keep_undefined keeps") {
    auto params = evaluate_param_list(list, {}, ctx); // no region
    REQUIRE_FALSE(params.has_value());
    CHECK(params.error().message
          == "param 'where': unknown parameter 'region' in '${param:region}'");
    auto bad = evaluate_param_list({{"d", "${time.today|yyyy|-1 dya}"}}, {}, ctx);
    REQUIRE_FALSE(bad.has_value());
    CHECK(contains(bad.error().message, "param 'd': invalid offset '-1 dya'"));
    auto keep = ctx;
    keep.keep_undefined = true;
    auto kept = evaluate_param_list(list, {}, keep);
    REQUIRE(kept.has_value());
    CHECK(kept->at("where") == "d = '2024-03-15' and region = '${param:region}'");
  }
  SUBCASE("ctx.params is not consulted") {
    param_map outside{{"region", "north"}};
    auto with_outside = ctx;
    with_outside.params = &outside;
    CHECK_FALSE(evaluate_param_list(list, {}, with_outside).has_value());
  }
}

TEST_SUITE_END();
