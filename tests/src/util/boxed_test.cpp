#include "util/boxed.hpp"

#include <string>
#include <variant>

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("boxed");

TEST_CASE("boxed: copies copy the value and moves keep it") {
  boxed<std::string> a(std::string("text"));
  auto b = a;
  b.get() += "!";
  CHECK(a.get() == "text");
  CHECK(b.get() == "text!");
  auto c = std::move(b);
  CHECK(c->size() == 5);
  a = c;
  CHECK(static_cast<const std::string&>(a) == "text!");
}

TEST_CASE("get_if_maybe_boxed finds an alternative whether it is boxed or not") {
  using v = std::variant<int, boxed<std::string>, double>;
  v boxed_text = boxed<std::string>(std::string("big"));
  REQUIRE(get_if_maybe_boxed<std::string>(boxed_text) != nullptr);
  CHECK(*get_if_maybe_boxed<std::string>(boxed_text) == "big");
  CHECK(get_if_maybe_boxed<int>(boxed_text) == nullptr);
  v number = 7;
  REQUIRE(get_if_maybe_boxed<int>(number) != nullptr);
  CHECK(*get_if_maybe_boxed<int>(number) == 7);
  CHECK(get_if_maybe_boxed<std::string>(number) == nullptr);
  CHECK(get_if_maybe_boxed<double>(number) == nullptr);
}

TEST_SUITE_END();
