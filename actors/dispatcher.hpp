// dispatcher: knows every worker and its free slots; places attempts on the
// least-loaded eligible worker and holds them while no slot is free (pull-
// based back-pressure), highest instance priority first, then oldest; turns a
// lost worker — crashed (monitor) or silent (heartbeats) — into lost attempts.
#pragma once

#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "engine/recovery.hpp"
#include "util/histogram.hpp"

namespace cafflow {

struct dispatcher_config {
  /// The leader epoch stamped on every dispatch.
  std::uint64_t epoch = 1;
  /// Without a heartbeat for this long a worker is lost.
  std::chrono::milliseconds worker_timeout{5000};
  /// After a restart: the attempts to recover (engine/recovery.hpp), and how
  /// long to wait at most for the workers that may hold them (their lease).
  recovery_book recovery;
  std::chrono::milliseconds recovery_deadline{30000};
  /// The config's [pools]: name -> size (how many attempts of the pool run
  /// at once).
  std::map<std::string, int> pools{};
  /// Hears of lost workers (null = alerts off).
  alerter_actor alerter;
};

struct dispatcher_state {
  static constexpr const char* name = "dispatcher";

  struct worker_entry {
    worker_link_actor handle;
    worker_info info;
    /// Attempt keys running there.
    std::set<std::string> running;
    timestamp registered = 0;
    timestamp last_heartbeat = 0;
    double load = 0;
    /// It is stopping: no new attempt goes there.
    bool draining = false;
    /// Its connection went down while this master was paused: it may still
    /// register again before its heartbeats count as missing.
    bool disconnected = false;
  };

  struct attempt_entry {
    attempt_spec spec;
    instance_runner_actor runner;
    /// Empty while queued.
    std::string worker;
    timestamp queued_at = 0;
    /// The reason it waits, last told to its runner.
    std::string waiting;
    /// Queued but not to be placed before recovery ends.
    bool held = false;
    /// When it was queued, on the monotonic clock (for the dispatch latency).
    std::chrono::steady_clock::time_point queued_steady = std::chrono::steady_clock::now();
  };

  /// Every attempt not yet ended, by attempt key, counting those that ask
  /// for a limit (a pool or max-parallel): a placement checks limits only
  /// when one does, without walking ten thousand queued attempts each time.
  class attempt_table {
  public:
    using map = std::map<std::string, attempt_entry>;
    using iterator = map::iterator;
    using const_iterator = map::const_iterator;

    attempt_entry& put(const std::string& key, attempt_entry entry) {
      auto [it, added] = entries_.try_emplace(key);
      if (!added && limited(it->second))
        --limited_;
      it->second = std::move(entry);
      if (limited(it->second))
        ++limited_;
      return it->second;
    }
    void erase(iterator it) {
      if (limited(it->second))
        --limited_;
      entries_.erase(it);
    }
    iterator find(const std::string& key) { return entries_.find(key); }
    iterator begin() { return entries_.begin(); }
    iterator end() { return entries_.end(); }
    const_iterator begin() const { return entries_.begin(); }
    const_iterator end() const { return entries_.end(); }
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    /// Whether some attempt asks for a pool or max-parallel.
    bool any_limited() const { return limited_ > 0; }

  private:
    static bool limited(const attempt_entry& e) {
      return !e.spec.pool.empty() || e.spec.max_parallel > 0;
    }
    map entries_;
    std::size_t limited_ = 0;
  };

  /// Queue order: higher instance priority, higher action priority, older.
  /// Priority class (lower first), then -priority, -action priority, arrival.
  using queue_key = std::tuple<int, int, int, std::uint64_t>;

  dispatcher_config cfg;
  /// Registered workers by id.
  std::map<std::string, worker_entry> workers;
  /// Attempts waiting for a slot: queue key -> attempt key.
  std::map<queue_key, std::string> queue;
  std::uint64_t next_seq = 0;
  /// No attempt is placed while set (the store cannot keep up).
  bool holding = false;
  /// The master is stopping: no attempt is placed any more. Separate from
  /// `holding`, which the store's recovery clears.
  bool draining = false;
  /// The master's lease lets it dispatch until then (ms); nothing is placed
  /// from then on until a renewal moves it (docs/OPERATIONS.md, "High availability").
  timestamp act_until = std::numeric_limits<timestamp>::max();
  /// The last placement was refused for want of a lease (logged once).
  bool fenced = false;
  /// Every attempt not yet ended (queued or running), by attempt key.
  attempt_table attempts;
  /// For /metrics: workers lost and not registered again; attempts sent to
  /// a worker, attempts ended by outcome, and the seconds each attempt
  /// waited in the queue.
  std::set<std::string> lost_workers;
  std::uint64_t attempts_started = 0;
  std::map<std::string, std::uint64_t> attempts_ended;
  /// When the last heartbeat check ran (monotonic): a check far behind its
  /// time means this process was paused (SIGSTOP, a frozen VM).
  std::chrono::steady_clock::time_point last_check = std::chrono::steady_clock::now();
  /// Until then (ms) no worker is lost for a silence or a dropped connection
  /// that the pause caused: workers get a worker_timeout to report back.
  timestamp pause_grace_until = 0;
  histogram dispatch_latency = histogram::latency_seconds();
  /// Cron tick to first dispatch of its instance (attempt_spec::fired_at).
  histogram fire_dispatch_lag = histogram::lag_seconds();
  std::shared_ptr<spdlog::logger> log;
};

dispatcher_actor::behavior_type dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
                                           dispatcher_config cfg);

} // namespace cafflow
