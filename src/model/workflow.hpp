// The in-memory model of a workflow definition (WORKFLOW-FORMAT.md). Built by
// xml/workflow_parser, read by the engine; immutable once linked.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cafflow {

/// A position in a source file (1-based; 0 = unknown).
struct source_pos {
  int line = 0;
  int column = 0;
};

enum class node_kind { start, end, kill, fork, join, decision, action };

const char* to_string(node_kind kind);

/// What a timed-out attempt leads to.
enum class timeout_action { fail, kill_instance, warn };

const char* to_string(timeout_action action);

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

using action_body = std::variant<script_action, shell_action>;

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
  bool is_ignore = false;
  int priority = 0;
  std::string desc;
  action_body body;
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
  /// fork: the first node of every parallel path.
  std::vector<std::string> paths;
  /// kill: the message the instance ends with.
  std::string message;
  /// action: `<ok to>` and the optional `<error to>`.
  std::string ok_to;
  std::string error_to;
  /// action: its attributes and body.
  action_spec action;
  /// Resolved transitions (filled by link()).
  std::vector<edge> out;
};

/// A parsed workflow definition.
struct workflow {
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  std::string name;
  std::string creator = "Unknown";
  std::string desc;
  std::string dir = "/tmp";
  std::vector<std::string> mail_levels{"W_FAILED"};
  std::vector<std::string> mail_receivers;
  int instance_limit = 1;
  int priority = 0;
  /// IANA zone; empty = the configured default.
  std::string timezone;
  std::vector<node> nodes;
  /// Index of the start node (set by link()).
  std::size_t start = npos;

  /// Index of the node with this name, or npos.
  std::size_t index_of(const std::string& node_name) const;
};

/// Resolves every transition name to a node index and sets `start`. Returns
/// the names that do not exist (as "node -> target"); empty on success.
std::vector<std::string> link(workflow& wf);

} // namespace cafflow
