#include "config/ini.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("ini");

TEST_CASE("sections, keys, comments and quotes") {
  auto entries = parse_ini("; header\n[a]\nx = 1 ; comment\n# full line\ny=two words\n"
                           "[b] ; section comment\nz = \"keep ; this\"\nempty =\n",
                           "f.ini");
  REQUIRE(entries);
  REQUIRE(entries->size() == 4);
  CHECK((*entries)[0].section == "a");
  CHECK((*entries)[0].value == "1");
  CHECK((*entries)[0].origin == "f.ini:3");
  CHECK((*entries)[1].value == "two words");
  CHECK((*entries)[2].section == "b");
  CHECK((*entries)[2].value == "keep ; this");
  CHECK((*entries)[3].value.empty());
}

TEST_CASE("a semicolon inside a value without white space before it stays") {
  auto entries = parse_ini("[a]\nurl = mysql://u:p;w@h/db\n", "f");
  REQUIRE(entries);
  CHECK((*entries)[0].value == "mysql://u:p;w@h/db");
}

TEST_CASE("errors name the line") {
  auto no_eq = parse_ini("[a]\njust words\n", "f.ini");
  REQUIRE_FALSE(no_eq);
  CHECK(no_eq.error().message.find("f.ini:2") != std::string::npos);
  auto no_section = parse_ini("x = 1\n", "f.ini");
  REQUIRE_FALSE(no_section);
  CHECK(no_section.error().message.find("before any [section]") != std::string::npos);
  auto bad_header = parse_ini("[a\n", "f.ini");
  REQUIRE_FALSE(bad_header);
  auto quote = parse_ini("[a]\nx = \"open\n", "f.ini");
  REQUIRE_FALSE(quote);
  CHECK(quote.error().message.find("unbalanced") != std::string::npos);
}

TEST_SUITE_END();
