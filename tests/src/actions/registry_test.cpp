#include "actions/kind.hpp"

#include <doctest/doctest.h>

#include "action_harness.hpp"

using namespace cafflow;
using namespace cafflow::test;

TEST_SUITE_BEGIN("registry");

TEST_CASE("every alternative of action_body has its kind in order under its XML name") {
  REQUIRE(action_kinds().size() == std::variant_size_v<action_body>);
  action_body body;
  for (std::size_t i = 0; i < action_kinds().size(); ++i) {
    const auto& kind = action_kinds()[i];
    CAPTURE(kind.name);
    CHECK(find_kind(kind.name) == &kind);
    if (kind.not_supported.empty() && kind.place == run_place::worker) {
      CHECK(kind.prepare);
      CHECK(kind.command);
    }
  }
  CHECK(kind_of(sql_action{}).name == "sql");
  CHECK(kind_of(sql_action{}).name == action_type_name(action_body{sql_action{}}));
  CHECK(kind_of(dependent_action{}).name == action_type_name(action_body{dependent_action{}}));
  CHECK(find_kind("no-such-kind") == nullptr);
}

TEST_CASE("sub-workflow and dependent are master kinds that load") {
  CHECK(kind_of(sub_workflow_action{}).place == run_place::master);
  CHECK(kind_of(dependent_action{}).place == run_place::master);
  // Every kind of this build runs: none is refused at load.
  for (const auto& kind : action_kinds()) {
    CAPTURE(kind.name);
    CHECK(kind.not_supported.empty());
  }
  action_runner r;
  // sub-workflow runs a child instance on the master: accepted.
  auto errors = r.load_errors(R"(<sub-workflow name="other"/>)");
  CHECK(errors.find("error") == std::string::npos);
  // dependent runs on the master (the dependency waiter): accepted.
  errors = r.load_errors(
    R"(<dependent><workflow name="x" cycle="day" window="today"/></dependent>)");
  CHECK(errors.find("not supported") == std::string::npos);
  CHECK(errors.find("error") == std::string::npos);
}

TEST_CASE("shell and script kinds still start their commands") {
  action_runner r;
  auto out = r.run(R"(<shell><command>echo hello ${param:who}</command></shell>)",
                   {{"who", "world"}});
  CHECK(out.exit_code == 0);
  CHECK(out.log == "hello world\n");
  out = r.run(R"(<script><code>#!/bin/sh
echo "$1-$2"</code><param-line>a b</param-line></script>)");
  CHECK(out.log == "a-b\n");
}

TEST_SUITE_END();
