// Running a helper program to its end: input on its stdin, its output
// captured, killed (with its process group) when it takes too long. For the
// alerter's deliveries (cafflow-exec alert-send) and command channels.
#pragma once

#include <string>
#include <vector>

#include "exec/process.hpp"
#include "expected.hpp"

namespace cafflow {

struct child_output {
  exit_info status;
  /// stdout and stderr, at most 64 KiB.
  std::string output;
  bool timed_out = false;
};

/// Runs `argv` (argv[0] looked up in PATH without a '/') in a process group of
/// its own with `input` on stdin; after `timeout_ms` the group gets SIGKILL.
/// Fails only when the program cannot be started.
expected<child_output> run_child(const std::vector<std::string>& argv, const std::string& input,
                                 int timeout_ms);

} // namespace cafflow
