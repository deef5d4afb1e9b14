#include "expr/condition.hpp"

#include <doctest/doctest.h>

#include "util/strings.hpp"

using namespace cafflow;

namespace {

struct condition_case {
  const char* text;
  bool expected;
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE_BEGIN("expr_condition");

TEST_CASE("every operator on numbers") {
  const condition_case cases[] = {
      {"1 == 1", true},     {"1 == 2", false},    {"1 != 2", true},     {"1 != 1", false},
      {"1 < 2", true},      {"2 < 1", false},     {"2 < 2", false},     {"2 > 1", true},
      {"1 > 2", false},     {"2 > 2", false},     {"2 <= 2", true},     {"3 <= 2", false},
      {"2 >= 2", true},     {"1 >= 2", false},    {"10 > 9", true},     {"-1 < 0", true},
      {"1.5 > 1.25", true}, {"1e3 == 1000", true}, {"1.0 == 1", true},  {"+3 == 3", true},
      {"007 == 7", true},   {".5 < 1", true},     {"-2.5 >= -2.5", true}, {"0 != -0", false},
      {"1==1", true},       {"3>=4", false},      {"5<10", true},       {"a!=-1", true},
      {"'10' > '9'", true}, {"\"2\" <= 10", true}, {"10 < -5", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto result = evaluate_condition(c.text);
    REQUIRE_MESSAGE(result.has_value(), result.error().message);
    CHECK(*result == c.expected);
    CHECK_FALSE(check_condition(c.text));
  }
}

TEST_CASE("strings, quoting and numeric versus string equality") {
  const condition_case cases[] = {
      {"abc == abc", true},
      {"abc == 'abc'", true},
      {"'abc' == \"abc\"", true},
      {"abc != abd", true},
      {"'a b' == 'a b'", true},
      {"'a b' == 'a  b'", false},
      {"'' == ''", true},
      {"'' != \"\"", false},
      {"'' == x", false},
      {"\"it's\" == \"it's\"", true},
      {"'a==b' == 'a==b'", true},
      {"'<' != '>'", true},
      {"ABC == abc", false},           // case-sensitive
      {"01 == 1", true},               // both unquoted numbers: numeric
      {"'01' == 1", false},            // a quoted operand is a string
      {"'01' == '1'", false},
      {"1.0 != '1'", true},
      {"2024-03-15 == '2024-03-15'", true},
      {"2024-03-15 != 2024-03-16", true}, // not numbers: strings
      {"  succeeded   ==  succeeded  ", true},
      {"\tx\n==\ny\t", false},
      {"中文 == '中文'", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto result = evaluate_condition(c.text);
    REQUIRE_MESSAGE(result.has_value(), result.error().message);
    CHECK(*result == c.expected);
  }
}

TEST_CASE("true and false literals alone") {
  const condition_case cases[] = {
      {"true", true}, {"false", false}, {" TRUE ", true}, {"False", false}, {"\ntrue\n", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto result = evaluate_condition(c.text);
    REQUIRE(result.has_value());
    CHECK(*result == c.expected);
    CHECK_FALSE(check_condition(c.text));
  }
  CHECK(*evaluate_condition("true == true"));
  CHECK_FALSE(*evaluate_condition("true == false"));
}

TEST_CASE("malformed conditions are errors naming the text") {
  struct {
    const char* text;
    const char* expected_part;
  } cases[] = {
      {"", "the condition is empty"},
      {"   ", "the condition is empty"},
      {"abc", "missing operator"},
      {"'true'", "missing operator"},
      {"1", "missing operator"},
      {"a = b", "unknown operator '=' (use == to compare)"},
      {"a === b", "unknown operator '==='"},
      {"a <> b", "unknown operator '<>'"},
      {"a =! b", "unknown operator '=!'"},
      {"a b", "expected an operator"},
      {"== b", "missing left operand"},
      {"a ==", "missing right operand"},
      {"a == b c", "unexpected 'c' after the right operand"},
      {"a b == c", "expected an operator"},
      {"a == b == c", "unexpected '== c'"},
      {"'abc == abc", "unterminated quote ' in the left operand"},
      {"abc == \"abc", "unterminated quote \" in the right operand"},
      {"it's == x", "a quote inside the bare word"},
      {"a < b", "operand a is not a number"},
      {"1 > 'x'", "operand 'x' is not a number"},
      {"2024-03-15 < 2024-03-16", "operand 2024-03-15 is not a number"},
      {"1 >= inf", "operand inf is not a number"},
      {"nan <= 1", "operand nan is not a number"},
      {"0x10 > 1", "operand 0x10 is not a number"},
      {"1e > 1", "operand 1e is not a number"},
      {"'' < 1", "operand '' is not a number"},
      {"1e999 > 1", "operand 1e999 is not a number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto result = evaluate_condition(c.text);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ec::invalid_argument);
    CHECK_MESSAGE(contains(result.error().message, c.expected_part), result.error().message);
    CHECK(contains(result.error().message, "invalid condition '" + trim(c.text) + "': "));
    auto problem = check_condition(c.text);
    REQUIRE(problem);
    CHECK(*problem == result.error().message);
  }
}

TEST_CASE("check_condition accepts expressions that are not expanded yet") {
  const char* ok[] = {
      "${param:a} == 'b'",
      "'${param:a}' == 'b'",
      "${param:n} > 5",
      "${param:n}>5",
      "${param:a} != ${param:b}",
      "${time.today|yyyyMMdd|-1 day} == 20240101",
      "${time.today|yyyyMMdd} >= ${param:start}",
      "x${param:a}y == xy",
      "${param:flag} == true",
      "'${param:a} x' < 3", // a quoted expression may still expand to a number
  };
  for (const char* text : ok) {
    CAPTURE(text);
    CHECK_FALSE(check_condition(text));
  }
  struct {
    const char* text;
    const char* expected_part;
  } bad[] = {
      {"${param:a} = 'b'", "unknown operator '='"},
      {"${param:a}", "missing operator"},
      {"${param:a == b", "unterminated '${' in the left operand"},
      {"${param:a} == 'b", "unterminated quote"},
      {"${param:n} > abc", "operand abc is not a number"},
      {"${param:a} b == c", "expected an operator"},
  };
  for (const auto& c : bad) {
    CAPTURE(c.text);
    auto problem = check_condition(c.text);
    REQUIRE(problem);
    CHECK_MESSAGE(contains(*problem, c.expected_part), *problem);
    CHECK(contains(*problem, c.text));
  }
}

TEST_SUITE_END();
