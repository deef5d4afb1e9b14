// Helpers shared by the tests of starting processes.
#pragma once

#include <string>

#include <doctest/doctest.h>

#include "exec/process.hpp"
#include "fixtures.hpp"

namespace cafflow::test {

/// `/bin/sh -c command` in `dir`, with a small environment and out.log there.
inline process_spec shell(const std::string& command, const temp_dir& dir) {
  process_spec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.env = {"PATH=/usr/bin:/bin", "GREETING=hi"};
  spec.work_dir = dir.path();
  spec.log_path = dir / "out.log";
  return spec;
}

/// The pid a task wrote into `file` of `dir` (waits for it to appear).
inline int pid_from(const temp_dir& dir, const std::string& file) {
  REQUIRE(wait_until([&] { return !read_file(dir / file).empty(); }));
  return std::stoi(read_file(dir / file));
}

} // namespace cafflow::test
