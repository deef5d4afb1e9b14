// Starting, signalling and reaping task processes. Each task runs as the
// leader of its own process group, so its whole tree can be signalled.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "expected.hpp"

namespace cafflow {

struct process_spec {
  /// argv[0] is the program (looked up in PATH when it has no '/').
  std::vector<std::string> argv;
  /// The complete environment, "NAME=value" items.
  std::vector<std::string> env;
  std::string work_dir;
  /// stdout and stderr are appended here.
  std::string log_path;
};

/// Forks and execs `spec` in a new process group (pgid == pid), stdin from
/// /dev/null, no inherited descriptors beyond 0-2, default signal handling.
/// The child is killed if the spawning thread dies (PR_SET_PDEATHSIG), so keep
/// that thread alive until the child is reaped.
expected<int> spawn_process(const process_spec& spec);

/// Blocks until `pid` exits; returns its raw wait status.
int wait_process(int pid);

/// The raw wait status if `pid` has exited (and is now reaped), else nothing.
std::optional<int> poll_process(int pid);

/// Sends `sig` to the whole process group `pgid`; false when none exists.
bool signal_group(int pgid, int sig);

/// True while any process of the group `pgid` exists.
bool group_alive(int pgid);

/// How a process ended.
struct exit_info {
  /// The exit code, or 128 + signal when killed by a signal.
  int exit_code = 0;
  /// The signal that killed it, 0 when it exited.
  int signal = 0;
  /// "exit code 3" or "killed by signal 9 (Killed)".
  std::string describe() const;
};

exit_info decode_wait_status(int status);

/// The last `max_bytes` of a file (starting at a line boundary when possible).
std::string file_tail(const std::string& path, std::size_t max_bytes);

} // namespace cafflow
