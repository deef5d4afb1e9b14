// task_runner: runs one attempt's process tree on a worker — start, timeout,
// kill (SIGTERM, then SIGKILL after a grace period) — and reports to the worker.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "exec/spawner.hpp"
#include "exec/task.hpp"

namespace cafflow {

struct task_runner_config {
  attempt_spec spec;
  /// Who gets the reports.
  worker_actor parent;
  /// The worker's id, written into every report.
  std::string worker_id;
  task_dirs dirs;
  /// The worker's environment, passed on to the task.
  std::vector<std::string> base_env;
  std::chrono::seconds kill_grace{5};
  /// Starts the process and reports on it straight to the runner.
  std::shared_ptr<spawner_client> spawner;
};

struct task_runner_state {
  static constexpr const char* name = "task_runner";

  task_runner_config cfg;
  /// The report under construction; sent when the process ends.
  attempt_report report;
  /// Process id (= process group id) once started.
  int pid = 0;
  /// The attempt's work directory (where a cafflow-exec kind leaves result.json).
  std::string work_dir;
  /// Why the process is being stopped, if it is: timed_out or killed.
  std::string stop_reason;
  std::shared_ptr<spdlog::logger> log;
};

/// The behavior; the runner quits only once its process has been reaped.
task_runner_actor::behavior_type task_runner(task_runner_actor::stateful_pointer<task_runner_state> self,
                                             task_runner_config cfg);

} // namespace cafflow
