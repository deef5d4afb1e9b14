// Where an attempt runs: the pure placement rule of the dispatcher.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace cafflow {

/// A worker as placement sees it.
struct worker_load {
  std::string id;
  std::string host;
  std::vector<std::string> groups;
  int slots = 0;
  int running = 0;
};

/// What an attempt asks of its worker; empty = no constraint.
struct placement_request {
  std::string host;
  std::string worker_group;
};

constexpr std::size_t no_worker = std::numeric_limits<std::size_t>::max();

/// The priority class of an instance created by `trigger` (its origin): 0
/// for live work, 1 for backfills, which wait while live work wants a slot
/// (or a place within its workflow's instance-limit), whatever the
/// priorities inside each class.
int priority_class(const std::string& trigger);

/// True when the worker matches the attempt's host and group constraints
/// (regardless of free slots).
bool eligible(const worker_load& w, const placement_request& req);

/// The eligible worker with a free slot and the lowest load (running/slots;
/// ties: fewer running, then the smaller id), or no_worker.
std::size_t pick_worker(const std::vector<worker_load>& workers, const placement_request& req);

/// Attempts running now, per pool and per workflow.
struct limit_use {
  std::map<std::string, int> pools;
  std::map<std::string, int> workflows;
};

/// Why an attempt of `workflow` (its max-parallel: 0 = none) needing `pool`
/// ("" = none) must wait although a worker may be free: its workflow already
/// runs max-parallel attempts, or its pool is full ("" = neither). `pools`
/// are the configured sizes; a pool not configured holds it (the parser
/// refuses such files, but a config may have changed since).
std::string limit_reason(const std::string& workflow, int max_parallel, const std::string& pool,
                         const std::map<std::string, int>& pools, const limit_use& use);

/// Why no worker can take the attempt now, for people: no worker matches its
/// host or group at all, or every matching one is busy.
std::string waiting_reason(const std::vector<worker_load>& workers, const placement_request& req);

} // namespace cafflow
