// Keeping every process of a task together, so that all of it ends with the
// task's attempt — also what left its process group (`setsid -f sleep 4242`,
// a daemonising script), which a signal to the group does not reach.
//
// Where the host allows it, each task runs in a cgroup v2 of its own, made
// under the spawner's cgroup: the spawner kills the whole cgroup
// (cgroup.kill) when the task ends, times out or is killed, and removes it
// once it is empty. Elsewhere (no cgroup v2, no write access to it,
// worker.task_cgroups = false) the spawner is a child subreaper, so escaped
// processes stay its descendants, and each task's processes carry an
// environment marker (CAFFLOW_TASK=...): at the task's end every process
// with its marker is killed. A process that clears its environment before it
// escapes (`env -i setsid ...`) is not found that way: only cgroups catch it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cafflow {

/// The environment variable that marks every process of a task.
inline constexpr const char* task_marker_variable = "CAFFLOW_TASK";

class task_containment {
public:
  /// Sets the calling process (the spawner) up: a child subreaper, and
  /// cgroups when `use_cgroups` and the host allows creating them under its
  /// own cgroup (checked by creating one).
  static task_containment setup(bool use_cgroups);

  /// For the log: how tasks are contained, and why not by cgroups.
  const std::string& description() const { return description_; }
  bool uses_cgroups() const { return !base_.empty(); }

  /// What a task is contained by.
  struct slot {
    /// "CAFFLOW_TASK=<marker>", for the task's environment.
    std::string marker;
    /// Its cgroup directory; "" when it has none.
    std::string cgroup;
    /// Its cgroup.procs, open for writing (O_CLOEXEC): the task's process
    /// writes "0" to it before exec to move in. -1 without a cgroup.
    int procs_fd = -1;
  };

  /// Makes the slot of task `id` (a cgroup, when cgroups are used).
  slot prepare(std::uint64_t id);

  /// The task has ended (or must end now): kills every process of its still
  /// alive, by its cgroup or by its marker; the cgroup goes once it is empty.
  /// Closes `s.procs_fd`.
  void kill_all(slot& s);

  /// Removes the cgroups of ended tasks that are empty by now; true while
  /// some are left (call again a little later).
  bool tidy();

private:
  /// The cgroup directory the tasks' cgroups are made in ("" = none).
  std::string base_;
  std::string description_;
  int spawner_pid_ = 0;
  /// Cgroups of ended tasks not yet removed.
  std::vector<std::string> draining_;
};

/// Sends SIGKILL to every process in the cgroup `dir` (cgroup.kill, or one
/// by one from cgroup.procs on kernels before 5.14); false when it cannot.
bool kill_cgroup(const std::string& dir);

/// Sends SIGKILL to every process (but this one) whose environment holds
/// `marker` ("NAME=value") and repeats until none is left (its children may
/// have been forked meanwhile); returns how many were killed.
int kill_marked(const std::string& marker);

} // namespace cafflow
