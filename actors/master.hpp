// master: the root actor of the master process, published on its CAF port.
// It owns the store writer and reader, the registry, the XML watcher, the
// dispatcher and one instance_runner per running instance; answers the API;
// and shuts its components down in order (intake first, store writer last).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/logger.h>

#include "actors.hpp"
#include "alerter.hpp"
#include "instance_runner.hpp"
#include "lease_keeper.hpp"
#include "pruner.hpp"
#include "security/handshake.hpp"
#include "config/config.hpp"
#include "defaults.hpp"
#include "engine/change_feed.hpp"
#include "engine/recovery.hpp"
#include "schedule/lineage.hpp"
#include "store/store.hpp"
#include "util/ids.hpp"

namespace cafflow {

struct master_config {
  /// Serves the other processes (spawned and published before the master;
  /// the master starts it once its components run).
  master_gate_actor gate;
  /// Whether connections are mutual TLS, and what health says when not.
  bool tls = true;
  std::string tls_warning;
  std::string cluster_name;
  host_port address;
  /// The epoch of the master lease this master holds.
  std::uint64_t epoch = 1;
  /// How the lease is kept (its own store connection); without a store
  /// there (tests), the master acts without a lease.
  lease_keeper_config lease;
  /// The master this one took over from ("" = none: a first start, or the
  /// same address restarted) and how long after its lease ended.
  std::string previous_master;
  std::int64_t takeover_ms = 0;
  /// Whether firing and dispatching stop when the lease is not renewed in
  /// time. Only with a standby configured: without one nobody else can take
  /// over, so the master keeps going through a store outage (its writes are
  /// fenced in the store either way).
  bool fence_dispatch = true;
  /// Every configured worker: told at once that this master is active.
  std::vector<host_port> workers;
  std::chrono::milliseconds request_timeout{10000};
  std::string xmlconfig;
  std::string db_links;
  /// conf/file_links.xml: the file links file-link="..." may name.
  std::string file_links;
  /// The config's [pools]: name -> size.
  std::map<std::string, int> pools{};
  /// Zone of workflows that name none (empty = this machine's).
  std::string default_timezone;
  /// Leave undefined ${param:X} as written.
  bool keep_undefined = false;
  /// Levels of sub-workflows that may nest (master.max_sub_workflow_depth).
  int max_sub_workflow_depth = defaults::master::max_sub_workflow_depth;
  std::chrono::milliseconds worker_timeout{5000};
  std::size_t max_attachment_bytes = 16 * 1024 * 1024;
  /// How long a killed task may take to go (worker.kill_grace_s).
  std::chrono::seconds kill_grace{5};
  std::chrono::seconds rescan_interval{2};
  /// Larger workflow files are refused unread (master.max_xml_bytes).
  std::size_t max_xml_bytes = defaults::master::max_xml_bytes;
  /// On a stop request: how long running attempts may finish first
  /// (master.drain_grace_s; 0 = shut down at once).
  std::chrono::seconds drain_grace{30};
  /// The alerter's settings with its own (fenced) store connection; no
  /// connection = no alerter ([alert] enabled = false, tests).
  alerter_config alerts;
  /// Connections for the writer and the reader (opened and migrated).
  std::shared_ptr<store> writer_db;
  std::shared_ptr<store> reader_db;
  /// The dependency waiter's connection (date windows; reads only).
  std::shared_ptr<store> waiter_db;
  /// [retention] of the store, with its own connection (pruner.db); no
  /// connection (tests): no pruner.
  pruner_config retention;
  /// Workflows and xmlconfig files the store already knows.
  std::vector<workflow_record> known_workflows;
  std::vector<xml_file_record> known_files;
  /// The last instance id ever issued.
  std::string last_instance_id;
  /// Instances the previous master left unfinished, oldest first: running
  /// ones to resume (`restore`), queued ones to start. Their actor handles
  /// are filled in by the master.
  std::vector<instance_runner_config> recovered;
  /// Their attempts, to find on the workers (engine/recovery.hpp), and how
  /// long that may take at most.
  recovery_book recovery;
  std::chrono::milliseconds recovery_deadline{30000};
  /// Writes that may wait in memory while the store is unavailable before no
  /// new work starts (store.max_pending_writes).
  std::uint64_t max_pending_writes = 100000;
  /// Coordinators: ticks run at most after downtime, the daily flag clear
  /// (empty = never), what the store remembers of each, and the logical
  /// times that fired since each one's stored next fire.
  std::size_t max_catchup = 100;
  std::string flag_reset_cron;
  std::map<std::string, coordinator_state_record> coordinator_states;
  std::map<std::string, std::set<timestamp>> fired;
  /// Backfills the store has planned or running: the backfiller resumes them.
  std::vector<backfill_record> backfills;
  std::size_t max_backfill_items = defaults::schedule::max_backfill_items;
};

struct master_state {
  static constexpr const char* name = "master";

  master_config cfg;
  store_writer_actor writer;
  store_reader_actor reader;
  registry_actor registry;
  xml_watcher_actor watcher;
  dispatcher_actor dispatcher;
  coordinator_actor coordinator;
  dependency_waiter_actor waiter;
  backfiller_actor backfiller;
  lease_keeper_actor keeper;
  /// Null when alerts are off.
  alerter_actor alerter;
  pruner_actor pruner;
  /// Until when the lease lets this master dispatch (ms).
  timestamp act_until = 0;
  /// The lease went to another master: this one stops at once.
  bool demoted = false;
  /// Coordinator fires (and the writes after them) that came while the lease
  /// was not renewed in time: carried out, in order, after a renewal.
  struct parked_fire {
    fire_request req;
    caf::typed_response_promise<std::string> rp;
  };
  std::deque<std::variant<parked_fire, store_batch>> parked;
  /// Running instances by id, the workflow of each, and the trigger that
  /// created it (whether it counts for dependencies).
  std::map<std::string, instance_runner_actor> runners;
  std::map<std::string, std::string> runner_workflow;
  std::map<std::string, std::string> runner_origin;
  /// The backfill of each running instance that belongs to one.
  std::map<std::string, std::string> runner_backfill;
  /// Lineage runs by the id of their first instance, and the run of each
  /// instance that belongs to one.
  struct lineage_run {
    lineage_plan plan;
    timestamp logical_time = 0;
  };
  std::map<std::string, lineage_run> lineages;
  std::map<std::string, std::string> lineage_of;
  /// Instances running per workflow (for instance-limit).
  std::map<std::string, int> running_per_workflow;
  /// Instances waiting for their workflow's instance-limit, oldest first.
  std::map<std::string, std::deque<instance_runner_config>> waiting;
  /// Queued instances waiting for their depend-list's date windows (by id):
  /// the dependency waiter decides; then they are admitted, or fail.
  std::map<std::string, instance_runner_config> gated;
  /// A sub-workflow node's attempt waiting for its child instance.
  struct child_link {
    std::string parent_id;
    std::string node;
    int attempt = 0;
    timestamp started = 0;
    /// The child; "" while it is being created.
    std::string child_id;
    std::string workflow;
    /// Hears how the child went, as reports of the node's attempt.
    instance_runner_actor runner;
    /// The node stopped waiting while its child was being created: the
    /// child is killed with this reason as soon as it exists.
    std::string cancelled;
  };
  /// The links by the parent's attempt key (attempt_key), and the key of
  /// each child by its id. Not stored: a new master rebuilds them from the
  /// child ids of the waiting attempts (actors/master_children.cpp).
  std::map<std::string, child_link> child_links;
  std::map<std::string, std::string> parent_of;
  id_generator ids;
  timestamp started = 0;
  /// The store as the writer last said: available or why not, writes waiting,
  /// and whether new work is paused because too many wait.
  bool store_available = true;
  std::string store_error;
  std::uint64_t pending_writes = 0;
  bool paused = false;
  /// The registry's last count of workflows: health shows it while the
  /// registry is busy applying a large load.
  int workflows_known = 0;
  /// A stop request came: no fires, no dispatches, no new instances start;
  /// shutdown follows once no attempt runs or at `drain_until` (ms).
  bool draining = false;
  timestamp drain_until = 0;
  caf::error drain_reason;
  bool stopping = false;
  /// For /metrics: instances ended by final status, and the store writer's
  /// last answer (shown while it is too busy to answer).
  std::map<std::string, std::uint64_t> instances_ended;
  /// Which instances changed (numbered commits), and the requests that wait
  /// for a change of one instance (GET /api/v1/instances/{id}/events), by a
  /// number of their own (their timer names it).
  change_feed changes;
  struct instance_watch {
    std::string instance;
    /// The change number it holds (answered when its wait ends unchanged).
    std::uint64_t after = 0;
    caf::typed_response_promise<std::uint64_t> rp;
  };
  std::map<std::uint64_t, instance_watch> watchers;
  std::multimap<std::string, std::uint64_t> watchers_by_instance;
  std::uint64_t next_watcher = 1;
  store_metrics last_store_metrics{histogram::latency_seconds().snapshot(), 0, 0};
  std::shared_ptr<spdlog::logger> log;
};

master_actor::behavior_type master(master_actor::stateful_pointer<master_state> self,
                                   master_config cfg);

/// Opens and migrates the store, waits for the master lease (as standby),
/// spawns the master and publishes its gate on `address` (`auth` proves
/// this master to workers and http servers and checks them). Nothing when a
/// stop signal came while waiting.
expected<std::optional<master_actor>> spawn_master(caf::actor_system& sys, const config& cfg,
                                                   const host_port& address,
                                                   std::shared_ptr<const tls::authenticator> auth);

} // namespace cafflow
