#include "util/strings.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("strings");

TEST_CASE("trim, split, join") {
  CHECK(trim("  a b \t\n") == "a b");
  CHECK(split_list(" a, b ,,c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_list("") .empty());
  CHECK(join({"a", "b"}, ", ") == "a, b");
  CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
  CHECK(split("", ',') == std::vector<std::string>{""});
  CHECK(split_lines("a\r\nb\n") == std::vector<std::string>{"a", "b", ""});
}

TEST_CASE("parse_int accepts whole numbers only") {
  long long n = 0;
  CHECK(parse_int("42", n));
  CHECK(n == 42);
  CHECK(parse_int("-7", n));
  CHECK(n == -7);
  CHECK(parse_int("+3", n));
  CHECK_FALSE(parse_int("4x", n));
  CHECK_FALSE(parse_int("", n));
  CHECK_FALSE(parse_int("1.5", n));
}

TEST_CASE("did_you_mean suggests close words only") {
  std::vector<std::string> words{"retry-times", "interval", "timeout"};
  CHECK(did_you_mean("retry-time", words) == "retry-times");
  CHECK(did_you_mean("timeuot", words) == "timeout");
  CHECK(did_you_mean("colour", words).empty());
  CHECK(edit_distance("ned", "end") == 1); // a swap is one typo
  CHECK(did_you_mean("ned", {"end", "start"}) == "end");
  CHECK(did_you_mean("x", {"s", "e"}).empty());
}

TEST_CASE("offsets become 1-based lines and columns counted in characters") {
  std::string text = "ab\ncd\n加载x";
  auto lc = offset_to_line_col(text, 4);
  CHECK(lc.line == 2);
  CHECK(lc.column == 2);
  auto after_cjk = offset_to_line_col(text, text.find('x'));
  CHECK(after_cjk.line == 3);
  CHECK(after_cjk.column == 3);
}

TEST_CASE("UTF-8: validity, repair with U+FFFD, escapes as \\xNN") {
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("caf\xff"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // a surrogate
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));         // cut short
  CHECK(invalid_utf8_at("ab\xff" "c") == 2);
  CHECK(invalid_utf8_at("abc") == std::string::npos);
  CHECK(valid_utf8("a\xff" "b") == "a\xef\xbf\xbd" "b");
  CHECK(escape_invalid_utf8("caf\xff.xml") == "caf\\xff.xml");
  CHECK(escape_invalid_utf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(quoted_excerpt("a\nb\xff") == "'a\\x0ab\\xff'");
  CHECK(quoted_excerpt(std::string(100, 'x'), 3) == "'xxx...'");
}

TEST_CASE("to_upper and to_lower change ASCII letters only") {
  CHECK(to_upper("Hdfs-1.x") == "HDFS-1.X");
  CHECK(to_lower("Hdfs-1.X") == "hdfs-1.x");
  CHECK(to_upper("\xc3\xa9t\xc3\xa9") == "\xc3\xa9T\xc3\xa9");
  CHECK(to_upper("") == "");
}

TEST_SUITE_END();
