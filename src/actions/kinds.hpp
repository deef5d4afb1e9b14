// The constructor of every action kind, one per file of src/actions/.
#pragma once

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "actions/kind.hpp"
#include "exec/child.hpp"

namespace cafflow {

action_kind script_kind();
action_kind shell_kind();
action_kind file_executor_kind();
action_kind sql_kind();
action_kind transfer_kind();
action_kind data_monitor_kind();
action_kind file_monitor_kind();
action_kind email_kind();
action_kind metadata_kind();
action_kind sub_workflow_kind();
action_kind dependent_kind();

} // namespace cafflow

namespace cafflow {

/// The argv of a script written to `work_dir` (task.script): bash, or its
/// #! line. Also used by <transfer><script>.
expected<std::vector<std::string>> script_command(const std::string& code,
                                                  const std::string& param_line,
                                                  const std::string& work_dir);

} // namespace cafflow

namespace cafflow {

class db_connection;
struct odbc_drivers;

/// Runs the statements of `text` on `db` one by one, logging each (with
/// `what` before it, e.g. "pre: "); SIGTERM cancels the running one. Throws
/// naming the statement (number, line) that failed.
void run_statements(exec_context& ctx, db_connection& db, const std::string& text,
                    const std::string& what, std::size_t* rows = nullptr);

/// The worker's [odbc] drivers (ORACLE and HIVE links connect through them).
odbc_drivers site_odbc_drivers(const task_site& site);

/// Connects to the db link `name` of the worker's db_links.xml; its password
/// joins the secrets the log never shows.
std::unique_ptr<db_connection> connect_link(exec_context& ctx, const std::string& name);

/// Connects to what `where` names: its "inline_link" object (akkaflow's
/// jdbc-url written into the action: type, jdbc_url, username, password)
/// when it has one, else its "db_link".
std::unique_ptr<db_connection> connect_spec_link(exec_context& ctx, const nlohmann::json& where);

} // namespace cafflow

namespace cafflow {

/// The JSON of an inline connection for an attempt's spec (null when unset).
nlohmann::json inline_link_json(const std::optional<inline_db_link>& link);

/// Mails `lines` (plain text, one paragraph each) as a warning to `to`
/// through the worker's [mail] (or an .eml under <logs>/mail/ without a
/// server): akkaflow's warnings of a <file-watcher> and of a data-monitor
/// with is-exceed-error="false". Nobody to tell (`to` empty) logs only; a
/// mail that cannot be sent is logged and does not fail the attempt.
void send_warning_mail(exec_context& ctx, const std::vector<std::string>& to,
                       const std::string& subject, const std::vector<std::string>& lines);

} // namespace cafflow

namespace cafflow {

/// A path on the worker: relative ones resolve against its paths.home.
std::string resolve_worker_path(const exec_context& ctx, const std::string& path);

/// Where the file of a transfer's FILE end or of a file-monitor's <file> is
/// (`item`: its part of the spec, with "file_link" and "hdfs"): the HDFS
/// location ({"default_fs", "user"}) of the HDFS file link it names, as this
/// worker's file_links.xml (paths.file_links) defines the link now; else its
/// own "hdfs" (an hdfs:// path, akkaflow 2.8's type="HDFS"); null for the
/// worker's own file system. Throws naming the link when the worker has no
/// usable link of that name.
nlohmann::json file_location(exec_context& ctx, const nlohmann::json& item);

/// Runs a program for the attempt: `argv` (argv[0] found on PATH without a
/// '/'), no shell, in the attempt's work directory and process group (a kill
/// or a timeout of the attempt reaches it), with `env` ("NAME=value")
/// replacing or adding to cafflow-exec's environment and an empty stdin.
/// Each line it prints (stdout and stderr) goes to the task log after
/// `prefix`; it answers how it ended and the first `keep` bytes it printed.
/// When the attempt is cancelled it is killed and cancelled_error thrown;
/// when it cannot be started, a runtime_error naming `argv[0]`.
child_output run_logged(exec_context& ctx, const std::vector<std::string>& argv,
                        const std::vector<std::string>& env, const std::string& prefix,
                        std::size_t keep = 65536);

/// Runs the worker's Hadoop client, `<[hdfs] command> dfs [-D fs.defaultFS=...]
/// ARGS`, for an HDFS location `where` ({"default_fs", "user"}: the user as
/// HADOOP_USER_NAME), each line it prints in the task log; answers what it
/// printed. Throws naming the command when it is missing, and when it fails
/// unless `status` is given (then its exit status is stored there).
std::string run_hdfs(exec_context& ctx, const nlohmann::json& where,
                     const std::vector<std::string>& args, int* status = nullptr);

} // namespace cafflow

namespace cafflow {

// The runners of the kinds run by cafflow-exec (src/actions/runners.cpp):
// each returns normally when the attempt succeeded and throws (any
// std::exception) with the reason otherwise.
void sql_runner(exec_context& ctx);
void transfer_runner(exec_context& ctx);
void data_monitor_runner(exec_context& ctx);
void file_monitor_runner(exec_context& ctx);
void email_runner(exec_context& ctx);
void metadata_runner(exec_context& ctx);

} // namespace cafflow
