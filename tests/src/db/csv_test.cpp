#include "db/csv.hpp"

#include <sstream>

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("csv");

TEST_CASE("RFC 4180: quoted delimiters and doubled quotes and line breaks and NULL vs empty") {
  std::istringstream in("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",,\"\"\nlast,x,\n");
  csv_reader r(in, ",");
  auto one = r.next();
  REQUIRE(one);
  REQUIRE(one->size() == 3);
  CHECK((*one)[1].text == "b,c");
  CHECK((*one)[2].text == "say \"hi\"");
  auto two = r.next();
  REQUIRE(two);
  CHECK(r.line() == 2);
  CHECK((*two)[0].text == "two\nlines");
  CHECK((*two)[1].null);
  CHECK_FALSE((*two)[2].null);
  CHECK((*two)[2].text.empty());
  auto three = r.next();
  REQUIRE(three);
  CHECK(r.line() == 4);
  CHECK(three->size() == 3);
  CHECK((*three)[2].null);
  CHECK_FALSE(r.next());
}

TEST_CASE("a quote that is never closed names its line") {
  std::istringstream in("ok\n\"open\nstill open\n");
  csv_reader r(in, ",");
  REQUIRE(r.next());
  CHECK_THROWS_WITH_AS(r.next(), "line 2: a quoted field is never closed", std::runtime_error);
}

TEST_CASE("what is written reads back the same with any delimiter") {
  csv_record rec{{"plain", false}, {"", true}, {"", false}, {"a||b", false}, {"q\"\nx", false}};
  std::ostringstream out;
  write_csv_record(out, rec, "||");
  CHECK(out.str() == "plain||||\"\"||\"a||b\"||\"q\"\"\nx\"\n");
  std::istringstream in(out.str());
  csv_reader r(in, "||");
  auto back = r.next();
  REQUIRE(back);
  REQUIRE(back->size() == rec.size());
  for (std::size_t i = 0; i < rec.size(); ++i) {
    CHECK((*back)[i].text == rec[i].text);
    CHECK((*back)[i].null == rec[i].null);
  }
}

TEST_CASE("ISO-8859-1 to UTF-8 and back") {
  std::string latin1 = "K\xF6ln \xE9t\xE9";
  auto utf8 = latin1_to_utf8(latin1);
  CHECK(utf8 == "K\xC3\xB6ln \xC3\xA9t\xC3\xA9");
  CHECK(utf8_to_latin1(utf8) == latin1);
  CHECK(utf8_to_latin1("\xE2\x82\xAC") == "?");
}

TEST_SUITE_END();
