// Plain records of what cafflow knows: what the store keeps, what the master
// answers and what the API shows. Times are Unix milliseconds (0 = not set).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <string>
#include <vector>

#include "expected.hpp"
#include "util/time.hpp"

namespace cafflow {

/// Instance parameters: name -> value.
using param_map = std::map<std::string, std::string>;

/// The current version of a workflow definition.
struct workflow_record {
  std::string name;
  std::string dir;
  std::string desc;
  std::string creator;
  /// The XML file it was loaded from.
  std::string file;
  /// Content hash of the XML (hex).
  std::string hash;
  /// 1, 2, ... — increases with every changed load.
  int version = 0;
  timestamp loaded_at = 0;
  int node_count = 0;
  /// "active" or "removed".
  std::string status = "active";
};

/// Which workflows GET /api/v1/workflows lists.
struct workflow_filter {
  /// Exact match on the dir ("" = any).
  std::string dir;
  /// A part of the name, in any case ("" = any).
  std::string name;
  /// "active" (loaded now), "removed" (its file is gone) or "all".
  std::string status = "active";
};

/// A page of the workflows that pass a filter, by name, and how many pass it.
struct workflow_page {
  std::vector<workflow_record> workflows;
  std::uint64_t total = 0;
};

/// One attempt of an action node.
struct attempt_record {
  int number = 0;
  /// The worker's address (host:port).
  std::string worker;
  /// running, succeeded, failed, timed_out, lost, killed
  std::string status;
  int exit_code = -1;
  bool lost = false;
  int pid = 0;
  std::uint64_t epoch = 0;
  std::string log_path;
  timestamp started = 0;
  timestamp finished = 0;
  /// Why it failed, or the tail of its log.
  std::string message;
  /// What the action found, as a JSON object (data-monitor: the value it
  /// checked; sql and transfer: rows; metadata: the comments); "" = nothing.
  std::string result;
  /// The execution of its instance it belongs to (1 = the first run).
  int execution = 1;
  /// A sub-workflow attempt: the child instance it runs ("" = none, or not
  /// yet created). Written with the child's own rows, so that a new master
  /// re-attaches to it instead of starting a second one.
  std::string child_id{};
};

/// One node of an instance.
struct node_record {
  std::string name;
  /// start, end, kill, fork, join, decision, action
  std::string kind;
  /// script, shell, ... (actions only)
  std::string action_type;
  std::string status;
  int attempt_count = 0;
  timestamp started = 0;
  timestamp finished = 0;
  std::string message;
  std::vector<attempt_record> attempts;
};

/// Which nodes one execution of an instance runs (docs/SCHEDULING.md "Run
/// options"); empty = every node the flow reaches. A node that is not run is
/// `skipped` when the flow reaches it and the flow follows its `ok`.
struct run_options {
  /// Only these action nodes (a rerun: the nodes to run again) ...
  std::vector<std::string> nodes;
  /// ... and every node before them ...
  bool upstream = false;
  /// ... and every node after them.
  bool downstream = false;
  /// This node and every node after it.
  std::string from_node;
  /// These action nodes are skipped.
  std::vector<std::string> skip;

  bool empty() const {
    return nodes.empty() && from_node.empty() && skip.empty() && !upstream && !downstream;
  }
};

/// The run options as a JSON object (with the rerun mode, "" for a first
/// run), and back; "" and "{}" are the empty options of a first run.
std::string run_options_to_json(const std::string& rerun_mode, const run_options& options);
expected<std::pair<std::string, run_options>> run_options_from_json(const std::string& text);

/// An execution's node lists as a JSON object ({"failed": ["b"], ...}), and
/// back (what does not read is left out).
std::string node_lists_to_json(const std::map<std::string, std::vector<std::string>>& lists);
std::map<std::string, std::vector<std::string>> node_lists_from_json(const std::string& text);

/// One run of a workflow.
struct instance_record {
  std::string id;
  std::string workflow;
  int version = 0;
  std::string status;
  /// cron, dependency, trigger, manual, rerun, backfill, lineage, sub-workflow
  std::string trigger = "manual";
  /// The trigger that created it: `trigger` becomes "rerun" after a rerun,
  /// `origin` keeps e.g. "cron". Rows stored before it existed (schema
  /// version 3) read their trigger here.
  std::string origin;
  param_map params;
  timestamp logical_time = 0;
  int priority = 0;
  timestamp created = 0;
  timestamp started = 0;
  timestamp finished = 0;
  std::string message;
  /// The instance a lineage run or a sub-workflow child came from ("" = none).
  std::string parent_id;
  /// A sub-workflow child: the node of `parent_id` that runs it ("" = not a
  /// child).
  std::string parent_node{};
  /// Sub-workflow nesting: 0 for an instance that is no child, its parent's
  /// depth + 1 for a child.
  int depth = 0;
  /// The IANA zone its expressions are evaluated in when not its workflow's
  /// own (a child runs in its parent's zone); "" = its workflow's.
  std::string timezone{};
  /// The backfill that created this instance ("" = none).
  std::string backfill_id;
  /// Which nodes the current execution runs, and for a rerun its mode
  /// ("" for the first run), so that a restore knows them.
  run_options options;
  std::string run_mode;
  /// The current execution: 1 for the first run, one more for each rerun
  /// and each resume after a mark.
  int execution = 1;
  /// Who asked for the current execution (the CLI sends $USER); "" = a
  /// coordinator, or not said.
  std::string requested_by;
  std::vector<node_record> nodes;
};

/// One execution of an instance: its first run, each rerun, each resume
/// after a node was marked (docs/SCHEDULING.md "Executions").
struct execution_record {
  std::string instance_id;
  int number = 1;
  /// What started it: the instance's origin (cron, manual, ...) for the
  /// first, then rerun or mark.
  std::string trigger;
  std::string requested_by;
  /// Its run options as a JSON object (run_options_to_json).
  std::string options = "{}";
  timestamp started = 0;
  timestamp finished = 0;
  /// running, succeeded, failed or killed.
  std::string status;
  /// The nodes as they stood at its end (or now, while it runs), by state:
  /// failed (failed and killed), pending, skipped, succeeded, running
  /// (running, waiting and retrying).
  std::map<std::string, std::vector<std::string>> nodes;
};

/// Which instances a listing returns.
struct instance_filter {
  /// Exact match on the instance id ("" = any).
  std::string id;
  std::string workflow;
  std::string status;
  /// Exact match on the trigger ("" = any).
  std::string trigger;
  int limit = 100;
  int offset = 0;
  /// from <= logical time <= to (0 = unbounded).
  timestamp from = 0;
  timestamp to = 0;
};

/// Where a coordinator resumes after a restart (table coordinator_state).
struct coordinator_state_record {
  std::string workflow;    // the workflow (or standalone coordinator) name
  timestamp next_fire = 0; // the next cron tick not yet handled (0 = none)
  timestamp last_fire = 0; // logical time of the last fire (0 = never)
  std::string state;       // JSON object, opaque to the store
};

/// One fire of a coordinator (table fire_record): (workflow, logical_time) is unique.
struct fire_record {
  std::string workflow;
  timestamp logical_time = 0;
  std::string instance_id;
  timestamp fired_at = 0;
};

/// Which upstream instance made a dependency of a fire ready (table dependency_state).
struct dependency_record {
  std::string workflow;
  std::string upstream;
  timestamp logical_time = 0; // the fire's logical time
  std::string instance_id;    // the upstream instance
  timestamp satisfied_at = 0;
};

/// One diagnostic of a definition file, as the API shows it.
struct diagnostic_record {
  /// "error" or "warning".
  std::string level;
  int line = 0;
  int column = 0;
  std::string message;
};

/// A file of the xmlconfig directory and what became of it.
struct xml_file_record {
  std::string path;
  /// "workflow", "coordinator", "directory" (a directory of the tree that
  /// could not be walked), or "" when the file could not be read as either.
  std::string kind;
  /// The workflow or coordinator it defines ("" when unknown).
  std::string name;
  /// loaded: its definition is active; invalid: it has errors; conflict: another
  /// file defines the same name (neither is loaded); error: it (or its
  /// directory) cannot be read, is too large, or is a symlink loop — the
  /// version last read from it stays active.
  std::string status;
  std::string hash;
  /// The version of its definition that is active (0 = none). An invalid file
  /// keeps serving its last good version.
  int active_version = 0;
  timestamp checked_at = 0;
  std::vector<diagnostic_record> diagnostics;
};

/// A worker as the master sees it.
struct worker_record {
  std::string id;
  std::string host;
  int slots = 0;
  int running = 0;
  std::vector<std::string> groups;
  timestamp registered = 0;
  /// "up" or "down"
  std::string state;
  timestamp last_heartbeat = 0;
  /// The worker's 1-minute load average, from its last heartbeat.
  double load = 0;
  int pid = 0;
};

/// A piece of an attempt's log, served by the worker that ran it.
struct log_chunk {
  std::string instance_id;
  std::string node;
  int attempt = 0;
  std::string worker;
  /// Where `content` starts, and where the next piece starts.
  std::int64_t offset = 0;
  std::int64_t next_offset = 0;
  /// The size of the whole log now.
  std::int64_t size = 0;
  std::string content;
  /// The attempt still runs: more may come.
  bool running = false;
};

/// What /api/v1/health shows.
struct health_record {
  std::string cluster;
  std::string master;
  std::uint64_t epoch = 0;
  timestamp started = 0;
  std::vector<worker_record> workers;
  int workflows = 0;
  int running_instances = 0;
  /// Instances waiting for their workflow's instance-limit.
  int queued_instances = 0;
  /// Attempts waiting for a free slot, and attempts running.
  int queued_attempts = 0;
  int running_attempts = 0;
  int master_pid = 0;
  /// The store: whether its last commit succeeded, why not, and how many
  /// writes wait in memory; `paused` when so many wait that no new work starts.
  bool store_available = true;
  std::string store_error;
  std::uint64_t pending_writes = 0;
  bool paused = false;
  /// Commits and rows written since the master started (group commit at work).
  std::uint64_t commits = 0;
  std::uint64_t writes = 0;
  /// Still matching the workers' attempts with the instances the previous
  /// master left (engine/recovery.hpp).
  bool recovering = false;
  /// Whether the cluster's connections are mutual TLS ([tls] enabled).
  bool tls = true;
  /// What an operator must know (e.g. that TLS is off), one sentence each.
  std::vector<std::string> warnings;
  /// The config's [pools]: slots and attempts running now, by pool.
  std::map<std::string, int> pool_slots;
  std::map<std::string, int> pool_in_use;
};

/// A master process of the cluster as it last reported itself: the active
/// one and its standbys each keep a row (docs/OPERATIONS.md, "High availability").
struct master_node_record {
  /// The address the master listens on ("host:port"); the row's key.
  std::string address;
  /// "active" or "standby".
  std::string role;
  int pid = 0;
  /// The name of the machine it runs on.
  std::string host;
  timestamp started_at = 0;
  /// When it last wrote its row.
  timestamp seen_at = 0;
};

/// A master process as GET /api/v1/cluster lists it: its row, with the role
/// as the lease says ("active" while it holds an unexpired lease, else
/// "standby") and, for the active one, when its lease ends unless renewed.
struct master_entry : master_node_record {
  timestamp lease_expires_at = 0;
};

/// The masters and the lease as the store has them: what GET /api/v1/cluster
/// shows about high availability, also while no master answers.
struct cluster_view {
  /// The cluster's name, from the configuration (the store does not keep it).
  std::string cluster;
  /// The lease's epoch (0 = no master ever took it).
  std::uint64_t epoch = 0;
  /// The address that holds the lease ("" = nobody) and until when.
  std::string lease_holder;
  timestamp lease_expires_at = 0;
  /// Every master with a row in the store, and the lease holder, by address.
  std::vector<master_entry> masters;
};

/// One (workflow, logical time) of a backfill (table backfill_items).
struct backfill_item_record {
  std::string backfill_id;
  std::string workflow;
  timestamp logical_time = 0;
  /// Its place in the plan (the order the backfill starts items).
  int position = 0;
  /// The instance created for it ("" = none yet). Written in the same
  /// transaction that creates the instance: at most one ever.
  std::string instance_id;
  /// planned, started (it has its instance), skipped (--rerun found it
  /// done) or cancelled.
  std::string state = "planned";
  /// The status of its instance when read from the store ("" = none).
  std::string instance_status;
};

/// A backfill (table backfills): a workflow over a range of logical times,
/// optionally with its downstream workflows (schedule/backfill_plan.hpp).
struct backfill_record {
  std::string id;
  std::string workflow;
  /// The request's options as JSON (backfill_options).
  std::string options;
  /// planned, running, succeeded, failed or cancelled.
  std::string state = "planned";
  std::string created_by;
  timestamp created = 0;
  timestamp finished = 0;
  /// Read with the backfill: its items in plan order (only the counts below
  /// in listings).
  std::vector<backfill_item_record> items;
  /// Items by shown state (schedule/backfill_plan.hpp item_state), for listings.
  std::map<std::string, std::int64_t> counts;
};

} // namespace cafflow
