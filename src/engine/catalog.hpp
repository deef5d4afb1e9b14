// The catalog: which definition of each workflow is active, file by file.
// Pure logic behind the registry actor: a scan of the xmlconfig directory goes
// in, the changes to persist and the status of every file come out.
//
// Rules (docs/WORKFLOWS.md, issue "watcher"): a new or changed valid file
// loads a new version; an invalid file is reported and its last good version
// stays active; two files defining the same name are both reported and
// neither wins; a change that would close a cycle of workflow dependencies is
// refused; a deleted file unloads its workflow (its history stays); a file
// that cannot be read is an error, not a deletion (its last version stays).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/records.hpp"
#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

/// One definition file as a scan found it.
struct scanned_file {
  std::string path;
  std::string hash;
  std::string xml;
  /// Set when the file is a valid workflow.
  std::shared_ptr<const workflow> wf;
  /// Set when the file is a valid standalone coordinator.
  std::shared_ptr<const standalone_coordinator> coordinator;
  /// "workflow" or "coordinator" when the root element says so, even if invalid.
  std::string kind;
  /// The name attribute of the root element, even if invalid ("" if none).
  std::string declared_name;
  std::vector<diagnostic> diagnostics;
  /// "error" when the file (or its directory) could not be read, or was
  /// refused unread (too large), or is a directory that was not walked (a
  /// symlink loop); its diagnostics say why. Then `wf` and `coordinator` are
  /// the ones last read from it: they stay active. "" = decided here.
  std::string status;
};

class catalog {
public:
  /// `known`: every workflow the store has seen (versions continue from there).
  explicit catalog(const std::vector<workflow_record>& known = {});

  struct changes {
    /// Records to persist with their XML; an empty XML stores a status change only.
    std::vector<std::pair<workflow_record, std::string>> stored;
    /// What happened, one line each, for the log.
    std::vector<std::string> events;
  };

  /// Applies a complete scan (every file present now) at time `now`.
  changes apply(const std::vector<scanned_file>& scan, timestamp now);

  /// An active definition. Its record is shared by the catalog, the
  /// schedule snapshots and the coordinators: one copy per workflow.
  struct entry {
    std::shared_ptr<const workflow> wf;
    std::shared_ptr<const workflow_record> record;

    entry() = default;
    entry(std::shared_ptr<const workflow> w, std::shared_ptr<const workflow_record> r)
      : wf(std::move(w)), record(std::move(r)) {}
    entry(std::shared_ptr<const workflow> w, workflow_record r)
      : wf(std::move(w)), record(std::make_shared<const workflow_record>(std::move(r))) {}
  };

  /// The active definition of a workflow, or nullptr.
  const entry* find(const std::string& name) const;

  /// Every active definition, by name.
  const std::map<std::string, entry>& active() const { return active_; }

  /// The active workflows, by name.
  std::vector<workflow_record> workflows() const;

  /// How many workflows are active.
  std::size_t workflow_count() const { return active_.size(); }

  /// The workflows that pass `filter` (the active ones, or every one ever
  /// stored as known_workflows() has them), `limit` of them (0 = all) from
  /// `offset` on, by name, and how many pass: without copying the others.
  workflow_page page(const workflow_filter& filter, std::uint64_t offset,
                     std::uint64_t limit) const;

  /// Every workflow ever stored, by name: the active ones as workflows()
  /// has them, the others with status "removed" (their last version).
  std::vector<workflow_record> known_workflows() const;

  /// The active standalone coordinators, by name.
  std::vector<std::shared_ptr<const standalone_coordinator>> coordinators() const;

  /// Every file of the last scan with its status and diagnostics, by path.
  std::vector<xml_file_record> files() const;

  /// How many files the last scan had, and how many of them are "loaded".
  std::size_t file_count() const { return files_.size(); }
  std::size_t files_loaded() const { return files_loaded_; }

private:
  std::map<std::string, entry> active_;
  /// Which file provides each active workflow.
  std::map<std::string, std::string> source_;
  /// Every workflow ever stored that is not active now (the active ones'
  /// records are in active_).
  std::map<std::string, workflow_record> known_;
  /// The record of a workflow, active or not, or nullptr.
  const workflow_record* last_known(const std::string& name) const;
  /// Calls `f(record, status)` for every workflow ever stored, by name.
  template <class F>
  void for_each_known(F&& f) const;
  std::map<std::string, std::shared_ptr<const standalone_coordinator>> coordinators_;
  std::map<std::string, std::string> coordinator_source_;
  std::map<std::string, xml_file_record> files_;
  std::size_t files_loaded_ = 0;
};

/// Whether a workflow passes a filter of GET /api/v1/workflows: the dir
/// exactly, a part of the name in any case, the status ("all" = any).
class workflow_matcher {
public:
  explicit workflow_matcher(const workflow_filter& filter);
  bool operator()(const workflow_record& w) const { return (*this)(w, w.status); }
  /// As if `w` had `status`.
  bool operator()(const workflow_record& w, const std::string& status) const;

private:
  workflow_filter filter_;
  std::string part_;
};

/// `limit` (0 = all) of `list` from `offset` on, and the size of `list`.
workflow_page page_of(std::vector<workflow_record> list, std::uint64_t offset,
                      std::uint64_t limit);

/// The workflows `wf` waits for without a date window (coordinator flags)
/// or runs as children (sub-workflows): the edges of the dependency graph.
std::vector<std::string> blocking_dependencies(const workflow& wf);

/// Cycles in a graph given as name -> successors; each cycle as its names in
/// order, the first repeated at the end ("a", "b", "a").
std::vector<std::vector<std::string>>
find_cycles(const std::map<std::string, std::vector<std::string>>& graph);

} // namespace cafflow
