// The in-memory model of a workflow definition (docs/WORKFLOWS.md). Built by
// xml/workflow_parser, checked by xml/validate, read by the engine; immutable
// once linked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "util/boxed.hpp"

namespace cafflow {

/// A position in a source file (1-based; 0 = unknown).
struct source_pos {
  int line = 0;
  int column = 0;
};

/// A name = value pair, in document order (param lists, ...).
using named_value = std::pair<std::string, std::string>;

enum class node_kind { start, end, kill, fork, join, decision, action };

const char* to_string(node_kind kind);

/// What a timed-out attempt leads to.
enum class timeout_action { fail, kill_instance, warn };

const char* to_string(timeout_action action);

// -- action types --------------------------------------------------------------

/// `<script>`: code written to a file and run; a `#!` line picks the interpreter.
struct script_action {
  std::string code;
  std::vector<std::string> attachments;
  std::string param_line;
};

/// `<shell>`: one command line run through /bin/sh -c.
struct shell_action {
  std::string command;
};

/// `<file-executor>`: ships the script named in the command from the master, runs it.
struct file_executor_action {
  std::string command;
  std::vector<std::string> attachments;
};

/// A connection written into the action itself (akkaflow 2.5.3 ... 2.8.2:
/// `type`, `jdbc-url`, `username`, `password` on `<sql>`, a data monitor's
/// values, a transfer's ends): an anonymous db link of the type its jdbc-url
/// names (MYSQL, POSTGRESQL or SQLITE).
struct inline_db_link {
  std::string type;
  std::string jdbc_url;
  std::string username;
  std::string password;
};

/// `<sql db-link>`: statements run in one transaction.
struct sql_action {
  std::string db_link;
  std::string sql;
  /// Set instead of `db_link` for akkaflow's inline connection.
  std::optional<inline_db_link> inline_link;
};

/// Where an HDFS end of a transfer is: akkaflow's hdfs://... paths (2.8.7 ...
/// 2.9), type="HDFS" (2.8) and file links of type HDFS (2.12, resolved by the
/// worker when the attempt runs). The worker's Hadoop client ([hdfs] command)
/// reads and writes it.
struct hdfs_location {
  /// fs.defaultFS for the client ("hdfs://host:port" of a file link); empty
  /// = the client's own configuration (or the path's own hdfs:// url).
  std::string default_fs;
  /// HADOOP_USER_NAME (a file link's username); empty = the worker's user.
  std::string user;
};

/// One side of a `<transfer>`.
struct transfer_endpoint {
  /// "DB" or "FILE".
  std::string type;
  std::string db_link;
  /// DB source: table or query; FILE source: path.
  std::string content;
  /// Field delimiter of a FILE side (literal).
  std::string delimited;
  /// FILE side: the first line names the columns (source: read, target: written).
  bool header = false;
  /// FILE side: the text encoding of the file (UTF-8 or ISO-8859-1).
  std::string encoding = "UTF-8";
  /// DB target: table; FILE target: path.
  std::string table;
  std::string path;
  bool is_pre_truncate = false;
  /// DB target: statements run before and after the load; FILE target
  /// (akkaflow 2.9+): shell scripts run before and after the file is written.
  std::string pre;
  std::string after;
  /// FILE target of akkaflow <= 2.8 (type="LFS" without is-pre-del="true"):
  /// the rows are appended to the file instead of replacing it.
  bool append = false;
  /// Set instead of `db_link` for akkaflow's inline connection.
  std::optional<inline_db_link> inline_link;
  /// FILE side on HDFS by its path or type: the path (source: content,
  /// target: path) is on HDFS.
  std::optional<hdfs_location> hdfs;
  /// FILE side: akkaflow 2.12's file-link="NAME" as written (it may hold
  /// parameters; empty = none): the worker resolves it in its
  /// file_links.xml when the attempt runs, and an HDFS link puts the file
  /// on that HDFS.
  std::string file_link;
};

/// `<transfer>`: copies rows from a source to a target (or runs a transfer script).
struct transfer_action {
  transfer_endpoint source;
  transfer_endpoint target;
  /// `<script>` alternative: the code of a transfer script.
  std::string script;
};

/// A number read by a monitor: SQL query, command output, or a literal.
struct monitor_value {
  /// "SQL", "COMMAND" or "NUM".
  std::string type;
  std::string db_link;
  std::string content;
  /// Set instead of `db_link` for akkaflow's inline connection.
  std::optional<inline_db_link> inline_link;
};

/// `<data-monitor>`: reads a number and checks it against bounds.
struct data_monitor_action {
  monitor_value source;
  std::optional<monitor_value> min;
  std::optional<monitor_value> max;
  std::string warn_msg;
  /// Seconds after which the value is read again and must not have changed (0 = off).
  int recheck_interval_s = 10;
  /// akkaflow's bookkeeping attributes (the columns of its monitoring
  /// table): kept with the attempt's result beside the value, time_mark
  /// expanded. is_saved has no effect: the value is kept in any case.
  std::string category;
  std::string name;
  std::string source_name;
  std::string time_mark;
  bool is_saved = false;
  /// is-exceed-error="false": a value out of bounds mails a warning to the
  /// workflow's mail-receivers and the action succeeds.
  bool exceed_error = true;
};

/// `<file-monitor>`: counts and sizes the files matching a pattern.
struct file_monitor_action {
  /// A glob; with `dir` (akkaflow's `<file-watcher>`), a file name in which
  /// `*` matches any text, searched in `dir` (which must exist).
  std::string pattern;
  std::string dir;
  int min_num = 1;
  /// Bytes each file must have at least.
  std::int64_t min_each_size = 0;
  /// `<file-watcher>`'s size-warn-message: a smaller file mails a warning to
  /// the workflow's mail-receivers and the action succeeds.
  bool size_warn_only = false;
  std::string warn_msg;
  int recheck_interval_s = 10;
  /// akkaflow 2.12's file-link="NAME" of the <file> as written (empty =
  /// none): resolved by the worker when the attempt runs; with an HDFS link
  /// the pattern is listed on that HDFS with the worker's Hadoop client.
  std::string file_link;
};

/// An `<attachment>` of an email: a file on the worker, or a query's result as CSV.
struct email_attachment {
  /// A file path; or, with `db_link`, the query.
  std::string content;
  std::string db_link;
  /// The attachment's file name (default: the file's own name, or result.csv).
  std::string name;
};

/// `<email>`: sends HTML to the workflow's receivers (or its own `to`).
struct email_action {
  std::string html;
  /// Comma lists of addresses; empty `to` = the workflow's mail-receivers.
  std::string to;
  std::string cc;
  /// Empty = "[cafflow] WORKFLOW: NODE".
  std::string subject;
  std::vector<email_attachment> attachments;
};

/// `<metadata>`: sets table and column comments (MySQL, PostgreSQL, Oracle, Hive).
struct metadata_action {
  std::string table;
  std::string db_link;
  std::string from;
  std::vector<named_value> column_comments;
  std::string table_comment;
};

/// `<sub-workflow name>`: runs another workflow as a child instance.
struct sub_workflow_action {
  std::string workflow;
  std::vector<named_value> params;
};

/// One `<workflow name cycle window node/>` of a dependency.
struct dependency_item {
  std::string workflow;
  /// hour, day, week or month; empty = no date window (akkaflow's flag semantics).
  std::string cycle;
  std::string window;
  std::string node;
  source_pos pos;
};

/// `<all>` / `<any>` / an item, nested freely.
struct dependency_expr {
  enum class kind { all, any, item };
  kind what = kind::all;
  std::vector<dependency_expr> children;
  dependency_item item;
};

/// `<dependent>`: waits on the master until other workflows satisfy date windows.
struct dependent_action {
  dependency_expr condition;
  /// "wait" or "fail".
  std::string on_failure = "wait";
  int wait_minutes = 0;
};

/// The body of an action. The two largest kinds are boxed: every node
/// (start, end, a shell action ...) holds one, and 100 000 workflows hold
/// hundreds of thousands of them (docs/BENCHMARKS.md, "100 000 workflows").
using action_body =
  std::variant<script_action, shell_action, file_executor_action, sql_action,
               boxed<transfer_action>, boxed<data_monitor_action>, file_monitor_action,
               email_action, metadata_action, sub_workflow_action, dependent_action>;

/// The `Body` of an action body (boxed or not), or nullptr when it is another kind.
template <class Body>
const Body* body_if(const action_body& body) {
  return get_if_maybe_boxed<Body>(body);
}

/// The `Body` of an action body (std::bad_variant_access when it is another kind).
template <class Body>
const Body& body_get(const action_body& body) {
  if (const auto* b = body_if<Body>(body))
    return *b;
  throw std::bad_variant_access();
}

/// The type name of an action body as written in XML ("script", "shell", ...).
const char* action_type_name(const action_body& body);

/// Everything an `<action>` says besides its transitions.
struct action_spec {
  /// Run only on a worker of this host; empty = any host (XML default "-1").
  std::string host;
  /// Run only on workers of this group; empty = any.
  std::string worker_group;
  int retry_times = 0;
  int interval_s = 0;
  /// Seconds per attempt; -1 = no limit.
  int timeout_s = -1;
  timeout_action on_timeout = timeout_action::fail;
  /// Seconds an attempt may run before an alert says it runs too long (it
  /// is not killed); -1 = no limit.
  int max_duration_s = -1;
  bool is_ignore = false;
  int priority = 0;
  std::string desc;
  /// A slot pool of the config's [pools] ("" = none).
  std::string pool;
  action_body body;
};

/// One `<case to>` of a decision node.
struct decision_case {
  std::string condition;
  std::string to;
  source_pos pos;
};

/// A labelled transition between two nodes.
struct edge {
  enum class label { next, ok, error, path, branch };
  label kind = label::next;
  std::size_t target = 0;
};

/// One node of a workflow.
struct node {
  std::string name;
  node_kind kind = node_kind::action;
  source_pos pos;
  /// start, join: the successor.
  std::string to;
  /// Where each transition is written (its `to` attribute), for diagnostics:
  /// start/join `to`, action `<ok>` and `<error>`, fork `<path>`s, decision
  /// `<default>` (cases keep theirs in decision_case::pos). 0 = unknown: the
  /// node's own position is used.
  source_pos to_pos;
  source_pos ok_pos;
  source_pos error_pos;
  std::vector<source_pos> path_pos;
  source_pos default_pos;
  /// Control nodes: the `desc` attribute (actions keep theirs in action_spec).
  std::string desc;
  /// fork: the first node of every parallel path.
  std::vector<std::string> paths;
  /// kill: the message the instance ends with.
  std::string message;
  /// action: `<ok to>` and the optional `<error to>`.
  std::string ok_to;
  std::string error_to;
  /// action: its attributes and body.
  action_spec action;
  /// decision: the cases in order, and the default.
  std::vector<decision_case> cases;
  std::string default_to;
  /// Resolved transitions (filled by link()); decisions: one per case, then the default.
  std::vector<edge> out;
};

// -- scheduling ------------------------------------------------------------------

/// `<coordinator>`: when a workflow fires (docs/WORKFLOWS.md).
struct coordinator_spec {
  bool enabled = true;
  /// Local times in the workflow's zone, "yyyy-MM-dd HH:mm:ss"; empty = unbounded.
  std::string start_time;
  std::string end_time;
  /// Empty = fire when the last dependency becomes ready.
  std::string cron;
  /// The `<depend-list>`: all of its items (and nested all/any) must hold.
  dependency_expr depends;
  /// Its date-window items: a failure fails the instance ("fail"), or is
  /// waited out `wait_minutes` for a rerun ("wait"; 0 = fails at once).
  std::string on_failure = "wait";
  int wait_minutes = 0;
  /// none, last or all.
  std::string catchup = "none";
  /// queue or skip.
  std::string overlap = "queue";
  std::vector<named_value> params;
  source_pos pos;
};

/// A parsed workflow definition.
struct workflow {
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  std::string name;
  std::string creator = "Unknown";
  std::string desc;
  std::string dir = "/tmp";
  /// akkaflow's `create-time` ("yyyy-MM-dd HH:mm:ss"); empty when not given.
  std::string create_time;
  std::vector<std::string> mail_levels{"W_FAILED"};
  std::vector<std::string> mail_receivers;
  /// Channels of alerts.xml its alerts go to; empty = its mail-receivers by mail.
  std::vector<std::string> alert_to;
  /// Seconds after its logical time by which an instance should have
  /// succeeded, else a "late" alert; 0 = none.
  std::int64_t sla_s = 0;
  int instance_limit = 1;
  int priority = 0;
  /// on-failure="continue": after an action fails (no error transition),
  /// the branches that do not follow it run to completion, then the
  /// instance fails; "end" (default): the instance fails at once.
  bool continue_on_failure = false;
  /// max-parallel: at most this many of its attempts run at once, across its
  /// instances (0 = no limit).
  int max_parallel = 0;
  /// IANA zone; empty = the configured default.
  std::string timezone;
  std::optional<coordinator_spec> coordinator;
  std::vector<node> nodes;
  /// Index of the start node (set by link()).
  std::size_t start = npos;
  /// Where the root element is.
  source_pos pos;

  /// Index of the node with this name, or npos.
  std::size_t index_of(const std::string& node_name) const;
};

/// A legacy standalone coordinator file (akkaflow <= 2.7): when it fires it
/// starts every workflow of its trigger list.
struct standalone_coordinator {
  std::string name;
  std::string dir = "/tmp";
  std::string desc;
  std::string creator = "Unknown";
  /// The akkaflow release family the file is written for: "1.0" (v1.0 ...
  /// 2.6.3: start/end, <trigger>, <workflow-list>) or "2.6.4" (2.6.4 ... 2.7:
  /// start-time/end-time, <depend-list cron>, <trigger-list>).
  std::string format = "2.6.4";
  coordinator_spec spec;
  std::vector<std::string> trigger_list;
};

/// Resolves every transition name to a node index and sets `start`. Returns
/// the names that do not exist (as "node -> target"); empty on success.
std::vector<std::string> link(workflow& wf);

/// The nodes reachable from `from` along one or more linked transitions
/// (`from` itself only when a cycle leads back to it), following the edges
/// `follow` accepts (all when empty).
std::vector<bool> reachable_from(const workflow& wf, std::size_t from,
                                 const std::function<bool(const edge&)>& follow = {});

/// Every workflow a dependency expression names.
std::vector<std::string> dependency_workflows(const dependency_expr& expr);

} // namespace cafflow
