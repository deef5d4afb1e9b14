// cafflow-exec: the process that runs one attempt of a kind that is not a
// shell command (sql, transfer, monitors, email, metadata). The worker starts
// it like any task — `cafflow-exec KIND SPECFILE`, the leader of the
// attempt's process group — so timeouts, kill, logs, retries and the outbox
// are the same as for a script, and a crashing driver or a runaway query
// never takes the worker down. SIGTERM cancels what runs (a statement on its
// server), then the process exits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/task.hpp"
#include "model/records.hpp"

namespace cafflow {

/// Thrown (and caught by cafflow-exec) when the attempt was cancelled.
struct cancelled_error : std::runtime_error {
  cancelled_error() : std::runtime_error("cancelled (SIGTERM): the attempt was killed or timed out") {}
};

/// Cancellation by SIGTERM, seen by the code that runs: a flag, a hook that
/// stops what blocks (a statement on its server), and interruptible waits.
class cancel_token {
public:
  /// Called by the signal thread.
  void cancel();
  bool cancelled() const { return cancelled_; }
  /// Throws cancelled_error when cancelled.
  void check() const;
  /// Runs `hook` on cancel (at once when already cancelled) until cleared.
  void set_hook(std::function<void()> hook);
  void clear_hook();
  /// Waits `duration`; throws cancelled_error when cancelled meanwhile.
  void sleep_for(std::chrono::milliseconds duration);

private:
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::function<void()> hook_;
};

/// The attempt as the exec sees it.
struct exec_attempt {
  std::string instance_id;
  std::string workflow;
  std::string node;
  int attempt = 1;
  timestamp logical_time = 0;
  param_map params;
};

struct exec_context {
  exec_attempt attempt;
  /// The kind's spec, as its `prepare` encoded it on the master.
  nlohmann::json spec;
  task_site site;
  std::string work_dir;
  /// The task log (stdout).
  std::ostream* out = nullptr;
  /// What the attempt found (stored with it: data-monitor's value, ...).
  nlohmann::json result = nlohmann::json::object();
  cancel_token* cancel = nullptr;
  /// Values that must never be printed (passwords): `redact` blanks them.
  std::vector<std::string> secrets;

  /// One line in the task log, with the time.
  void log(const std::string& line) const;
  /// `text` with every secret replaced by ***.
  std::string redact(std::string text) const;
};

/// How cafflow-exec runs a kind (nullptr: not one of its kinds).
using exec_runner = void (*)(exec_context&);
exec_runner find_runner(const std::string& kind);

nlohmann::json site_to_json(const task_site& site);
task_site site_from_json(const nlohmann::json& doc);

/// `cafflow-exec` next to the running executable.
std::string default_exec_program();

/// main() of cafflow-exec: 0 done, 1 failed, 64 bad usage, 143 cancelled.
/// `cafflow-exec db-link-test NAME DB_LINKS HOME` is `cafflow db-link test`.
int exec_main(int argc, char** argv);

} // namespace cafflow
