// The spawner: a small helper process that starts and reaps a worker's tasks.
//
// Forking the worker itself (threads, sockets, a large heap) for every task
// is slow. Instead the worker starts the spawner once — its own small
// executable, `cafflow-spawner`, in a process group of its own — and asks it
// over a socket to start tasks. The spawner starts each one cheaply (clone
// with CLONE_VM | CLONE_VFORK), reaps them all, kills what a task leaves
// behind in its group, and reports back. When the worker dies — however — the
// spawner reads end-of-file and kills every task's process group: no task
// outlives its worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "exec/process.hpp"
#include "expected.hpp"

namespace cafflow {

/// What the spawner reports about a task.
struct spawn_event {
  enum class kind {
    /// The task runs, as the leader of process group `pgid`.
    started,
    /// The task ended with the raw wait status `status`; what it left behind
    /// — in its group, and (exec/containment.hpp) what left the group — has
    /// been killed.
    exited,
    /// The task never started (`message` says why).
    failed,
    /// The spawner died under the task; the client has killed the task's
    /// group (`message` says why).
    spawner_gone,
  };
  kind what = kind::started;
  int pgid = 0;
  int status = 0;
  std::string message;
};

/// The worker's end of a spawner.
class spawner_client {
public:
  using event_handler = std::function<void(spawn_event)>;

  /// Starts the spawner executable at `program` (`label`, e.g. the worker's
  /// address, shows in `ps`) and waits until it is ready. With
  /// `task_cgroups` it runs each task in a cgroup of its own where the host
  /// allows it (exec/containment.hpp).
  static expected<std::unique_ptr<spawner_client>> start(const std::string& program,
                                                         const std::string& label,
                                                         bool task_cgroups = true);

  /// Ends the spawner (it kills what still runs) and stops listening.
  ~spawner_client();

  /// Starts listening; `on_gone` is called (on the listening thread) should
  /// the spawner die before this client ends it.
  void listen(std::function<void(std::string)> on_gone);

  /// Starts a task. Its events go to `on_event`, on the listening thread, in
  /// order: `started` then `exited`, or `failed`, or `spawner_gone`.
  /// Thread-safe.
  expected<void> spawn(const process_spec& spec, event_handler on_event);

  /// The spawner's pid.
  int pid() const { return pid_; }

  /// How the spawner keeps each task's processes together, for the log
  /// (task_containment::description()).
  const std::string& containment() const { return containment_; }

private:
  struct task {
    event_handler on_event;
    int pgid = 0;
    /// Its cgroup ("" = none): killed here should the spawner die.
    std::string cgroup;
  };

  spawner_client(int fd, int pid) : fd_(fd), pid_(pid) {}

  /// The handler of `id` (and forgets it when `last`).
  event_handler handler_of(std::uint64_t id, int pgid, const std::string& cgroup, bool last);

  /// The spawner died: kills the groups of the tasks still known, tells them.
  void spawner_died(const std::string& why);

  int fd_;
  int pid_;
  std::string containment_;
  std::atomic<bool> closing_{false};
  std::mutex mutex_; // guards what follows
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, task> tasks_;
  std::thread reader_;
};

/// The spawner process's main loop on the socket `fd`; exits when the
/// socket's other end closes, after killing every task still running (and
/// everything each started, exec/containment.hpp; `use_cgroups` as there).
[[noreturn]] void run_spawner(int fd, bool use_cgroups = true);

/// `cafflow-spawner` next to the running executable.
std::string default_spawner_program();

} // namespace cafflow
