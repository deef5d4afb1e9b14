// Turns an attempt into a process: its work directory, script file, command
// line and environment (docs/WORKFLOWS.md).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "exec/process.hpp"
#include "mail/mail.hpp"
#include "expected.hpp"
#include "model/attempt.hpp"

namespace cafflow {

/// What the tasks of a worker need from its configuration (the kinds run by
/// cafflow-exec get it in their spec file).
struct task_site {
  /// paths.home: relative SQLite paths of db links resolve against it.
  std::string home;
  /// paths.db_links of the worker: db-links are resolved where they connect.
  std::string db_links;
  /// paths.file_links of the worker: file links are resolved where the files are.
  std::string file_links;
  /// [mail]; its eml_dir is <logs>/mail.
  mail_settings mail;
  /// [odbc]: the ODBC drivers ORACLE and HIVE links connect through.
  std::string odbc_oracle_driver;
  std::string odbc_hive_driver;
  /// [hdfs] command: the Hadoop client for HDFS transfer ends.
  std::string hdfs_command;
};

/// Where a worker keeps task files.
struct task_dirs {
  /// Work directories: <work>/<instance>/<node>.<attempt>/
  std::string work;
  /// Logs: <logs>/<instance>/<node>.<attempt>.log
  std::string logs;
  task_site site;
};

/// The task site of a worker with configuration `cfg`.
task_site make_task_site(const config& cfg);

/// What an attempt of a cafflow-exec kind left in its work directory.
struct task_result {
  /// The kind's result (data-monitor: the value checked; ...) as a JSON
  /// object text; empty when none.
  std::string result;
  /// Why it failed, when it did.
  std::string error;
};

/// Reads `<work_dir>/result.json` of an attempt of a cafflow-exec kind
/// (nothing for other kinds, or when it wrote none).
task_result read_task_result(const attempt_spec& spec, const std::string& work_dir);

/// The work directory of an attempt.
std::string task_work_dir(const task_dirs& dirs, const std::string& instance_id,
                          const std::string& node, int attempt);

/// A node name made safe as a file name component ('/' and NUL replaced,
/// "." and ".." escaped).
std::string safe_file_name(const std::string& name);

/// The longest instance id or node name a task log path is built from.
constexpr std::size_t max_log_name_bytes = 200;

/// Why `value` (an instance id or a node name) must not become part of a
/// task log path: empty, "." or "..", a '/' or '\\', a NUL or another
/// control character, or longer than max_log_name_bytes. "" when it may.
std::string log_name_problem(const std::string& value);

/// The log file of an attempt.
std::string task_log_path(const task_dirs& dirs, const std::string& instance_id,
                          const std::string& node, int attempt);

/// Creates the work directory (and the script file for a script action) and
/// returns the process to start. `base_env` is the worker's own environment;
/// its CAFFLOW_* variables except CAFFLOW_CONF are not passed on.
expected<process_spec> prepare_task(const attempt_spec& spec, const task_dirs& dirs,
                                    const std::vector<std::string>& base_env);

} // namespace cafflow
