// Lineage runs (akkaflow's "blood", docs/WORKFLOWS.md): a workflow, then
// every workflow downstream of it (whose coordinator depends on it, directly
// or not), each once, each after its upstreams in the run have succeeded.
// Pure: the master starts the instances this plan asks for.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace cafflow {

/// Workflow name -> the workflows its coordinator waits for.
using upstream_map = std::map<std::string, std::vector<std::string>>;

struct workflow;
struct standalone_coordinator;

/// Workflow -> the workflows whose start waits for it: every item of a
/// workflow's coordinator depend-list, and for a legacy standalone
/// coordinator (not shadowed by a workflow of its name with a coordinator)
/// its depend-list for each workflow of its trigger-list.
upstream_map
upstreams_of(const std::map<std::string, std::shared_ptr<const workflow>>& workflows,
             const std::map<std::string, std::shared_ptr<const standalone_coordinator>>& coordinators);

/// The workflows downstream of `root` in `upstreams`: one level
/// (`all_levels` false) or every level; never `root` itself.
std::set<std::string> downstream_of(const std::string& root, const upstream_map& upstreams,
                                    bool all_levels);

class lineage_plan {
public:
  /// `root` and everything downstream of it in `upstreams` (which has no
  /// cycles: the catalog refuses them).
  lineage_plan(const std::string& root, const upstream_map& upstreams);

  /// Every workflow of the run, each after its upstreams in the run, root first.
  const std::vector<std::string>& order() const { return order_; }

  /// The workflows to start first: the root.
  std::vector<std::string> start();

  /// An instance of `workflow` of this run ended; returns the workflows to
  /// start now (those whose upstreams in the run have all succeeded). A
  /// failure abandons everything downstream of it.
  std::vector<std::string> finished(const std::string& workflow, bool succeeded);

  /// True when nothing of the run is running or left to start.
  bool done() const;

  /// Workflows that will not run because an upstream in the run failed.
  const std::set<std::string>& abandoned() const { return abandoned_; }

private:
  std::vector<std::string> order_;
  /// For each workflow not yet started: its upstreams in the run still to succeed.
  std::map<std::string, std::set<std::string>> pending_;
  std::set<std::string> running_;
  std::set<std::string> abandoned_;
};

} // namespace cafflow
