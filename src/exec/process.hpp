// Starting, signalling and reaping task processes. Each task runs as the
// leader of its own process group, so its whole tree can be signalled.
#pragma once

#include <functional>
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

/// A started task: wait for `pid`, signal the group `pgid`.
struct process_handle {
  /// The guardian process: its exit status is the task's.
  int pid = 0;
  /// The task's process group (its leader is the task itself).
  int pgid = 0;
};

/// Starts `spec` as the leader of a new process group, with stdin from
/// /dev/null, no inherited descriptors beyond 0-2 and default signal handling.
///
/// Between the caller and the task sits a small guardian process (forked, no
/// exec): it waits for the task, kills whatever the task left in its group,
/// and exits with the task's status. It dies with the thread that spawned it
/// (PR_SET_PDEATHSIG) — and then kills the task's whole group, so no process
/// of a task outlives the worker that ran it. Keep the spawning thread alive
/// until the guardian is reaped.
expected<process_handle> spawn_process(const process_spec& spec);

namespace detail {

/// Closes every descriptor from `first` on. Async-signal-safe.
void close_from(int first);

/// In a freshly forked child: becomes the task of `spec` (own process group,
/// default signal handling, stdin from /dev/null, stdout and stderr to
/// `log_fd`, no other descriptors, its work directory) and execs it.
/// Async-signal-safe; never returns.
[[noreturn]] void become_task(const process_spec& spec, char* const* argv, char* const* envp,
                              int log_fd, int null_fd);

} // namespace detail

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

/// True while process `pid` exists on this machine and has not exited (a
/// zombie, exited but not yet reaped, counts as gone).
bool process_running(int pid);

/// This machine's host name.
std::string host_name();

/// Runs `command` with /bin/sh -c in the background, with `env` ("NAME=value")
/// added to this process's environment, stdin from /dev/null and output to
/// `log_path` (appended); returns at once. Nothing waits for its end but a
/// thread that reaps it and calls `done` with how it ended.
expected<void> run_in_background(const std::string& command, const std::vector<std::string>& env,
                                 const std::string& log_path,
                                 std::function<void(exit_info)> done);

/// The last `max_bytes` of a file (starting at a line boundary when possible).
std::string file_tail(const std::string& path, std::size_t max_bytes);

} // namespace cafflow
