#include "exec/child.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <unistd.h>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;

TEST_SUITE_BEGIN("child");

TEST_CASE("input on stdin and output captured with the exit status") {
  auto done = run_child({"/bin/sh", "-c", "cat; echo err >&2; exit 3"}, "in\n", 10000);
  REQUIRE(done);
  CHECK(done->output == "in\nerr\n");
  CHECK(done->status.exit_code == 3);
  CHECK_FALSE(done->timed_out);
  auto missing = run_child({"no-such-program-of-cafflow"}, "", 10000);
  REQUIRE(missing);
  CHECK(missing->status.exit_code == 127);
  CHECK(missing->output == "cannot start the program\n");
}

TEST_CASE("the environment is this process's with the extra items replacing theirs") {
  ::setenv("CAFFLOW_CHILD_TEST_KEEP", "kept", 1);
  ::setenv("CAFFLOW_CHILD_TEST_SET", "old", 1);
  child_options options;
  options.env = {"CAFFLOW_CHILD_TEST_SET=new value", "CAFFLOW_CHILD_TEST_ADDED=a=b"};
  auto done = run_child({"/bin/sh", "-c",
                         "echo \"$CAFFLOW_CHILD_TEST_KEEP|$CAFFLOW_CHILD_TEST_SET|"
                         "$CAFFLOW_CHILD_TEST_ADDED\"; env | grep -c '^CAFFLOW_CHILD_TEST_SET='"},
                        options);
  REQUIRE(done);
  CHECK(done->output == "kept|new value|a=b\n1\n");
  // Found on PATH also with an environment of its own.
  auto by_name = run_child({"sh", "-c", "echo $CAFFLOW_CHILD_TEST_SET"}, options);
  REQUIRE(by_name);
  CHECK(by_name->output == "new value\n");
  // Nothing changed here.
  CHECK(std::string(std::getenv("CAFFLOW_CHILD_TEST_SET")) == "old");
  ::unsetenv("CAFFLOW_CHILD_TEST_KEEP");
  ::unsetenv("CAFFLOW_CHILD_TEST_SET");
}

TEST_CASE("lines as they come and a working directory and arguments without a shell") {
  temp_dir dir;
  child_options options;
  options.work_dir = dir.path();
  std::vector<std::string> lines;
  options.on_line = [&](const std::string& line) { lines.push_back(line); };
  // An argument with quotes and spaces reaches the program as it is.
  auto done = run_child({"/bin/sh", "-c", "pwd; printf '%s\\n' \"$1\"; printf 'no newline'", "sh",
                         "it's \"one\" $argument"},
                        options);
  REQUIRE(done);
  CHECK(lines == std::vector<std::string>{dir.path(), "it's \"one\" $argument", "no newline"});
  CHECK(done->output == dir.path() + "\nit's \"one\" $argument\nno newline");
}

TEST_CASE("stderr may stay the caller's and the output kept is bounded") {
  child_options options;
  options.merge_stderr = false;
  options.max_output = 4;
  auto done = run_child({"/bin/sh", "-c", "echo 123456789; echo to-the-caller >&2"}, options);
  REQUIRE(done);
  CHECK(done->output == "1234");
}

TEST_CASE("a child stays in the caller's process group unless it has its own") {
  auto own = run_child({"/bin/sh", "-c", "cut -d' ' -f5 /proc/$$/stat"}, "", 10000);
  REQUIRE(own);
  CHECK(trim(own->output) != std::to_string(::getpgrp()));
  child_options options;
  options.own_group = false;
  auto shared = run_child({"/bin/sh", "-c", "cut -d' ' -f5 /proc/$$/stat"}, options);
  REQUIRE(shared);
  CHECK(trim(shared->output) == std::to_string(::getpgrp()));
}

TEST_CASE("a timeout and a stop kill the child") {
  // The children block until killed ("sleep infinity"): nothing here depends on
  // how long a sleep lasts. The deadline leaves the shell time to say "started"
  // on a loaded machine.
  auto slow = run_child({"/bin/sh", "-c", "echo started; exec sleep infinity"}, "", 2000);
  REQUIRE(slow);
  CHECK(slow->timed_out);
  CHECK(slow->status.signal == SIGKILL);
  CHECK(slow->output == "started\n");
  child_options options;
  options.own_group = false;
  std::atomic<bool> stop{false};
  options.on_line = [&](const std::string&) { stop = true; };
  options.stop = [&] { return stop.load(); };
  auto stopped = run_child({"/bin/sh", "-c", "echo go; exec sleep infinity"}, options);
  REQUIRE(stopped);
  CHECK(stopped->stopped);
  CHECK_FALSE(stopped->timed_out);
  CHECK(stopped->status.signal == SIGKILL);
  // A child that closed its output is still waited for under the deadline.
  child_options closed;
  closed.timeout_ms = 300;
  auto quiet = run_child({"/bin/sh", "-c", "exec >&- 2>&-; exec sleep infinity"}, closed);
  REQUIRE(quiet);
  CHECK(quiet->timed_out);
}

TEST_SUITE_END();
