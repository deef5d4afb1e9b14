// Running a helper program to its end: input on its stdin, its output
// captured (and handed over line by line), killed when it takes too long or
// its caller gives up. For the alerter's deliveries (cafflow-exec
// alert-send), command channels, and the programs an attempt runs besides its
// own work (the Hadoop client, a FILE target's <pre>/<after> scripts, a
// data-monitor's command).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "exec/process.hpp"
#include "expected.hpp"

namespace cafflow {

struct child_output {
  exit_info status;
  /// stdout (and stderr unless it stays the caller's), at most
  /// child_options::max_output bytes.
  std::string output;
  bool timed_out = false;
  /// child_options::stop said so.
  bool stopped = false;
};

struct child_options {
  /// Written to its stdin, which is then closed (empty: closed at once).
  std::string input;
  /// After this the program (its group, with own_group) gets SIGKILL; 0 = no limit.
  int timeout_ms = 0;
  /// "NAME=value" items that replace or add to this process's environment
  /// for the program (built before the fork: the child only execs).
  std::vector<std::string> env;
  /// Its working directory ("" = this process's).
  std::string work_dir;
  /// A process group of its own, killed with it at the end; false: it stays
  /// in the caller's group, so a signal to that group (an attempt's kill or
  /// timeout) reaches it too.
  bool own_group = true;
  /// Its stderr goes where its stdout goes; false: it stays the caller's.
  bool merge_stderr = true;
  /// How much output to keep.
  std::size_t max_output = 65536;
  /// Each line of output as it comes (without the '\n'; the last one also
  /// without it).
  std::function<void(const std::string&)> on_line;
  /// Asked at least every 200 ms; true kills the program (child_output::stopped).
  std::function<bool()> stop;
};

/// Runs `argv` (argv[0] looked up in PATH without a '/') as `options` say.
/// Fails only when the program cannot be started (a program that cannot be
/// executed exits 127 with a line saying so).
expected<child_output> run_child(const std::vector<std::string>& argv,
                                 const child_options& options);

/// Runs `argv` in a process group of its own with `input` on stdin; after
/// `timeout_ms` the group gets SIGKILL. Fails only when the program cannot
/// be started.
expected<child_output> run_child(const std::vector<std::string>& argv, const std::string& input,
                                 int timeout_ms);

} // namespace cafflow
