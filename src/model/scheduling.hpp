// What the API asks of the scheduler and what it shows of it: the ways to
// start an instance (docs/WORKFLOWS.md, docs/SCHEDULING.md) and the view
// of a workflow with its coordinator and its graph.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/records.hpp"

namespace cafflow {

/// Starts an instance of a workflow: a manual run, a trigger (as if its
/// coordinator fired now) or a lineage run (it and everything downstream).
struct start_request {
  std::string workflow;
  /// "manual", "trigger" or "lineage".
  std::string trigger = "manual";
  /// On top of the coordinator's param-list.
  param_map params;
  /// The logical time; 0 = now.
  timestamp logical_time = 0;
  /// When the requester stops waiting for the answer (ms; 0 = never). A run
  /// whose instance is stored only after it does not start (it is recorded
  /// as killed, saying why): a start answered with an error never happens.
  timestamp deadline = 0;
  /// Which nodes run (a manual run or a trigger; not a lineage run).
  run_options options;
  /// Who asks (the CLI sends $USER); "" = not said.
  std::string by;
};

/// Creates a backfill (POST /api/v1/backfills), or only plans it (dry run).
struct backfill_request {
  std::string workflow;
  /// The options (schedule/backfill_plan.hpp backfill_options) as JSON.
  std::string options;
  /// Plan only: nothing is stored or started.
  bool dry_run = false;
  /// Who asked (the API's client, "" = unknown).
  std::string created_by;
};

/// Runs an ended instance again under its id (its history stays).
struct rerun_request {
  /// "all", "failed" or "nodes".
  std::string mode = "failed";
  /// For mode "nodes": options.nodes are the nodes to run again (with
  /// options.upstream / downstream); options.skip applies to every mode.
  run_options options;
  /// Who asks (the CLI sends $USER); "" = not said.
  std::string by;
};

/// Marks a node of an instance succeeded or failed (an operator fixed it by
/// hand, or gave it up): the instance continues as if the node had ended so.
struct mark_request {
  std::string node;
  /// "succeeded" or "failed".
  std::string status;
  /// Why (shown in the node's message).
  std::string reason;
  /// Who (the CLI sends the user's name; shown in the node's message).
  std::string by;
};

/// One upstream of a coordinator's dependency list.
struct dependency_view {
  std::string workflow;
  bool ready = false;
  /// The upstream instance that made it ready, and when.
  std::string instance_id;
  timestamp ready_at = 0;
};

/// A coordinator as `workflow show` and GET /api/v1/workflows/{name} show it.
struct coordinator_view {
  bool enabled = true;
  /// Paused by an operator (pause/resume).
  bool paused = false;
  /// Empty: fires when its dependencies are ready.
  std::string cron;
  std::string timezone;
  std::string start_time;
  std::string end_time;
  std::string catchup;
  std::string overlap;
  /// The next fire times (at most 5).
  std::vector<timestamp> next_fires;
  /// Cron ticks that are due and wait for dependencies.
  std::vector<timestamp> waiting;
  timestamp last_fire = 0;
  std::vector<dependency_view> dependencies;
  /// The param-list as written, in order.
  std::vector<std::pair<std::string, std::string>> params;
  /// A standalone (legacy) coordinator: the workflows it starts.
  std::vector<std::string> triggers;
};

/// One node of a workflow's graph (GET /api/v1/workflows/{name}).
struct dag_node {
  std::string name;
  /// start, end, kill, fork, join, decision or action
  std::string kind;
  /// script, shell, ... (actions only; "" otherwise)
  std::string action_type;
  /// An action's desc attribute ("" when none).
  std::string desc;
};

/// One transition of a workflow's graph.
struct dag_edge {
  std::string from;
  std::string to;
  /// next (start, join), ok and error (action), path (fork), case and
  /// default (decision)
  std::string label;
  /// label "case": the case's condition as written.
  std::string condition;
};

/// One stored version of a workflow definition.
struct workflow_version_view {
  int version = 0;
  std::string hash;
  /// The file it was loaded from.
  std::string file;
  timestamp loaded_at = 0;
};

/// Why an instance (or a workflow's instance at a logical time) waits: its
/// date-window dependencies (schedule/windows), as GET .../dependencies and
/// `cafflow instance why` / `workflow why` show them.
struct dependency_report {
  std::string workflow;
  /// Empty for a workflow asked at a logical time.
  std::string instance_id;
  timestamp logical_time = 0;
  std::string timezone;
  /// "holds", "waiting", "failed", or "none" (no date-window dependency).
  std::string state;
  /// The explanation: the waiting node's or instance's message.
  std::string message;
  /// The verdicts as a JSON document (schedule/windows.hpp, docs/API.md).
  std::string detail;
};

/// A workflow with its coordinator, its graph and its stored versions.
struct workflow_detail {
  workflow_record record;
  /// False when the workflow has no coordinator.
  bool has_coordinator = false;
  coordinator_view coordinator;
  /// The workflows whose coordinators wait for this one.
  std::vector<std::string> downstream;
  /// The active version's nodes in definition order, and its transitions.
  std::vector<dag_node> nodes;
  std::vector<dag_edge> edges;
  /// Every stored version, oldest first.
  std::vector<workflow_version_view> versions;
  /// Why `versions` could not be read ("" = it was).
  std::string versions_error;
};

} // namespace cafflow
