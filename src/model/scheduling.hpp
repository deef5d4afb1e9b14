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
};

/// Runs an ended instance again under its id (its history stays).
struct rerun_request {
  /// "all", "failed" or "nodes".
  std::string mode = "failed";
  /// For mode "nodes": the nodes to run again (and what follows them).
  std::vector<std::string> nodes;
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
