// Reconciling a restarted master with its workers (docs/OPERATIONS.md, "High availability").
//
// The store may be behind: a dispatch runs ahead of its row, and a result is
// acknowledged to the worker only once it is committed. So after a restart
// the workers know things the store does not: attempts still running, and
// results not yet acknowledged. The restored instances, in turn, expect
// attempts ("adopted") that may or may not exist anywhere.
//
// The recovery book matches the two for the attempts of the instances that
// were running when the master stopped. It stays open until every worker
// that could hold one has registered, or until the workers' lease has passed
// (a worker without a master for that long has killed its tasks); meanwhile
// no attempt of those instances is placed anew: it might still run on a
// worker that is not back yet, and running it twice is what recovery is for
// to prevent. When it closes, expected attempts nobody claimed are lost.
// Claims nobody took yet stay a while longer: a restored instance whose
// stored state was behind dispatches them only once the results before them
// are applied. When they expire, running ones are killed and results dropped.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/attempt.hpp"

namespace cafflow {

class recovery_book {
public:
  /// What a worker said about an attempt the dispatcher did not know then.
  struct claim {
    std::string worker;
    /// "running", or a final outcome (a result not yet acknowledged).
    attempt_report report;
  };

  /// What to do when the book closes.
  struct closing {
    /// Expected attempts no worker claimed: they are lost.
    std::vector<std::string> lost;
    /// Attempts held back from placement: place them now.
    std::vector<std::string> released;
  };

  /// What nobody took when the remaining claims expire.
  struct leftovers {
    /// Running attempts no instance wants: to be killed on their worker.
    std::vector<claim> unwanted_running;
    /// Results no instance wants: acknowledged and dropped.
    std::vector<claim> unwanted_results;
  };

  /// Nothing to recover: the book is closed from the start.
  recovery_book() = default;

  /// Recovers the attempts of `instances`. `expected` are the attempts the
  /// store says were dispatched (key -> the worker it names, or ""); the book
  /// waits for every worker of `workers` and those named there.
  recovery_book(std::set<std::string> instances, std::map<std::string, std::string> expected,
                std::set<std::string> workers);

  /// Still matching claims with expectations.
  bool open() const { return open_; }

  /// Claims wait to be taken (also after closing, until they expire).
  bool has_claims() const { return !parked_.empty(); }

  /// An attempt (by its key) of an instance being recovered.
  bool covers(const std::string& key) const;

  /// A worker claims an attempt whose instance is not there to take it yet:
  /// kept until it is (`attach`, `dispatched`) or the book closes.
  void park(claim c);

  /// The restored instance that expects `key` is there now. Returns the claim
  /// a worker made for it meanwhile, if any.
  std::optional<claim> attach(const std::string& key);

  /// A worker claimed the expected attempt `key`: nothing more to wait for.
  void settled(const std::string& key);

  /// A restored instance dispatches an attempt anew (its stored state was
  /// behind the workers'). Returns the claim to use instead, if a worker made
  /// one; else whether to hold the attempt back from placement until the book
  /// closes (it may still run on a worker that is not back yet).
  struct placement {
    std::optional<claim> claimed;
    bool hold = false;
  };
  placement dispatched(const std::string& key);

  /// A worker registered.
  void registered(const std::string& worker);

  /// Every worker the book waits for registered and every restored instance
  /// attached: nothing more can be learned, close now.
  bool complete() const;

  /// Ends recovery: what was expected and not claimed is lost, what was held
  /// may be placed. Claims not taken yet stay until `expire`.
  closing close();

  /// Gives up on the claims nobody took.
  leftovers expire();

private:
  bool open_ = false;
  std::set<std::string> instances_;
  std::set<std::string> waiting_for_;
  /// Expected attempts no worker claimed yet.
  std::set<std::string> expected_;
  /// Expected attempts whose instance has not attached yet.
  std::set<std::string> unattached_;
  /// Claims nobody took yet, by attempt key.
  std::map<std::string, claim> parked_;
  /// Attempts held back from placement, in dispatch order.
  std::vector<std::string> held_;
};

/// The instance id of an attempt key ("instance/node#attempt").
std::string instance_of_key(const std::string& key);

} // namespace cafflow
