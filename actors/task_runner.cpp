#include "task_runner.hpp"

#include <csignal>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "exec/process.hpp"
#include "log.hpp"

namespace cafflow {

namespace {

/// Bytes of a failed attempt's log that go into its report.
constexpr std::size_t log_tail_bytes = 2048;

/// How long a started process runs before its worker (and so the master)
/// hears that it runs. A task that ends sooner is reported once, when it
/// ends, with its pid and start time: one message, one stored row and one
/// network round less per short task, and no visible difference for a
/// long one.
constexpr std::chrono::milliseconds running_report_delay{100};

void finish(task_runner_actor::stateful_pointer<task_runner_state> self, std::string outcome,
            int exit_code, std::string message) {
  auto& st = self->state;
  st.report.outcome = std::move(outcome);
  st.report.exit_code = exit_code;
  st.report.finished = now_ms();
  st.report.message = std::move(message);
  st.log->info("{}: {} ({} ms)",
               attempt_key(st.report.instance_id, st.report.node, st.report.attempt),
               st.report.outcome, st.report.finished - st.report.started);
  self->send(st.cfg.parent, atom::report::value, local_only{}, st.report);
  self->quit();
}

/// Stops the process group: SIGTERM now, SIGKILL after the grace period.
void stop(task_runner_actor::stateful_pointer<task_runner_state> self, std::string reason) {
  auto& st = self->state;
  if (!st.stop_reason.empty())
    return;
  st.stop_reason = std::move(reason);
  if (st.pid == 0)
    return; // not started yet: stopped as soon as it starts
  signal_group(st.pid, SIGTERM);
  self->delayed_send(self, st.cfg.kill_grace, atom::kill::value, atom::timeout::value);
}

} // namespace

task_runner_actor::behavior_type task_runner(task_runner_actor::stateful_pointer<task_runner_state> self,
                                             task_runner_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("task");
  const auto& spec = st.cfg.spec;
  st.report.instance_id = spec.instance_id;
  st.report.node = spec.node;
  st.report.attempt = spec.attempt;
  st.report.worker = st.cfg.worker_id;
  st.report.epoch = spec.epoch;
  st.report.started = now_ms();
  st.report.log_path = task_log_path(st.cfg.dirs, spec.instance_id, spec.node, spec.attempt);
  // A shutdown of the worker stops the process but waits for it to be reaped.
  self->set_exit_handler([self](const caf::exit_msg&) { stop(self, "killed"); });
  auto process = prepare_task(spec, st.cfg.dirs, st.cfg.base_env);
  if (!process) {
    finish(self, "failed", -1, process.error().message);
    return {
      [](atom::spawned, int) {}, [](atom::report) {}, [](atom::exited, int, const std::string&) {},
      [](atom::timeout) {},      [](atom::kill) {},
      [](atom::kill, atom::timeout) {},
    };
  }
  st.work_dir = process->work_dir;
  // The spawner starts the process and tells this runner about it directly.
  auto on_event = [handle = caf::actor_cast<caf::actor_addr>(self)](spawn_event e) {
    auto runner = caf::actor_cast<task_runner_actor>(handle);
    if (!runner)
      return;
    switch (e.what) {
      case spawn_event::kind::started:
        caf::anon_send(runner, atom::spawned::value, e.pgid);
        break;
      case spawn_event::kind::exited:
        caf::anon_send(runner, atom::exited::value, e.status, std::string{});
        break;
      case spawn_event::kind::failed:
      case spawn_event::kind::spawner_gone:
        caf::anon_send(runner, atom::exited::value, -1, std::move(e.message));
        break;
    }
  };
  if (auto sent = st.cfg.spawner->spawn(*process, std::move(on_event)); !sent)
    self->send(self, atom::exited::value, -1, sent.error().message);
  if (spec.timeout_s > 0)
    self->delayed_send(self, std::chrono::seconds(spec.timeout_s), atom::timeout::value);
  return {
    [self](atom::spawned, int pid) {
      auto& st = self->state;
      st.pid = pid;
      st.report.pid = pid;
      self->delayed_send(self, running_report_delay, atom::report::value);
      if (!st.stop_reason.empty()) { // stopped before it started
        auto reason = st.stop_reason;
        st.stop_reason.clear();
        stop(self, reason);
      }
    },
    [self](atom::report) {
      // Still running (a runner that finished has quit, and this never comes).
      auto running = self->state.report;
      running.outcome = "running";
      self->send(self->state.cfg.parent, atom::report::value, local_only{}, std::move(running));
    },
    [self](atom::exited, int status, const std::string& spawn_error) {
      auto& st = self->state;
      if (status < 0) {
        finish(self, "failed", -1, spawn_error);
        return;
      }
      // (The spawner has killed whatever the task left behind in its group.)
      auto info = decode_wait_status(status);
      // What a cafflow-exec kind found, and why it failed.
      auto result = read_task_result(st.cfg.spec, st.work_dir);
      st.report.result = result.result;
      if (!st.stop_reason.empty()) {
        auto why = st.stop_reason == "timed_out"
                     ? "timed out after " + std::to_string(st.cfg.spec.timeout_s) + "s"
                     : std::string("killed");
        finish(self, st.stop_reason, info.exit_code, why + " (" + info.describe() + ")");
      } else if (info.signal == 0 && info.exit_code == 0) {
        finish(self, "succeeded", 0, {});
      } else {
        auto tail = file_tail(st.report.log_path, log_tail_bytes);
        finish(self, "failed", info.exit_code,
               (result.error.empty() ? info.describe() : result.error + " (" + info.describe() + ")")
                 + (tail.empty() ? "" : "\n--- last lines of the log ---\n" + tail));
      }
    },
    [self](atom::timeout) {
      auto& st = self->state;
      if (st.cfg.spec.timeout_action != "warn") {
        stop(self, "timed_out");
        return;
      }
      // timeout-action="warn": say so, let it run.
      st.log->warn("{}: still running after {} s (timeout-action warn)",
                   attempt_key(st.report.instance_id, st.report.node, st.report.attempt),
                   st.cfg.spec.timeout_s);
      auto warning = st.report;
      warning.outcome = "timeout_warning";
      warning.message = "still running after " + std::to_string(st.cfg.spec.timeout_s)
                        + " s (timeout-action warn)";
      self->send(st.cfg.parent, atom::report::value, local_only{}, std::move(warning));
    },
    [self](atom::kill) { stop(self, "killed"); },
    [self](atom::kill, atom::timeout) {
      // The grace period is over: SIGKILL whatever still runs.
      signal_group(self->state.pid, SIGKILL);
    },
  };
}

} // namespace cafflow
