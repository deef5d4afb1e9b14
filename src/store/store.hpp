// The store: cafflow's durable state (docs/OPERATIONS.md, "The store"). One interface, a
// Poco::Data implementation per backend. Not thread-safe: every thread or
// actor that uses the database opens its own store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "expected.hpp"
#include "model/alert.hpp"
#include "model/records.hpp"
#include "store/store_url.hpp"
#include "util/boxed.hpp"

namespace cafflow {

/// A loaded version of a workflow (kept forever, with its XML).
struct workflow_put {
  workflow_record record;
  std::string xml;
};

/// Creates or updates an instance row (its nodes are written separately).
struct instance_put {
  instance_record record;
};

/// Creates or updates one node row of an instance.
struct node_put {
  std::string instance_id;
  /// The node's index in its workflow, to list nodes in definition order.
  int position = 0;
  node_record record;
};

/// Creates or updates one attempt row.
struct attempt_put {
  std::string instance_id;
  std::string node;
  attempt_record record;
};

/// Creates or updates the row of one xmlconfig file (by path).
struct xml_file_put {
  xml_file_record record;
};

/// Forgets an xmlconfig file that is gone.
struct xml_file_delete {
  std::string path;
};

/// Creates or updates the state of a coordinator (by workflow). An empty
/// state is stored as "{}"; one that is not JSON fails the batch.
struct coordinator_put {
  coordinator_state_record record;
};

/// Forgets the state of a coordinator that is gone.
struct coordinator_delete {
  std::string workflow;
};

/// Creates or updates which upstream instance satisfied a dependency (by
/// workflow, upstream and logical time).
struct dependency_put {
  dependency_record record;
};

/// Creates or updates a fire record as it is: for copy_store(). A
/// coordinator fires through store::fire(), which records a logical time
/// once.
struct fire_put {
  fire_record record;
};

/// Creates or updates one execution of an instance (by instance and number).
struct execution_put {
  execution_record record;
};

/// Creates or updates the row of a backfill (by id); its items are written
/// separately.
struct backfill_put {
  backfill_record record;
};

/// Creates or updates one item of a backfill (by backfill, workflow and
/// logical time). Written with the rows of the instance it creates.
struct backfill_item_put {
  backfill_item_record record;
};

/// Adds a row to the alert outbox, unless a row with its dedup key exists
/// (an event raised again after a failover or a restart).
struct alert_put {
  alert_record record;
};

/// One write; the store writer applies many in one transaction. The two
/// largest kinds are boxed: a load of 100 000 workflows is a batch of 200 000
/// writes, each the size of the largest alternative (616 bytes unboxed, 320
/// boxed).
using store_write =
  std::variant<workflow_put, boxed<instance_put>, node_put, attempt_put, xml_file_put,
               xml_file_delete, coordinator_put, coordinator_delete, dependency_put, fire_put,
               execution_put, backfill_put, backfill_item_put, boxed<alert_put>>;

/// The `Write` of `w`, or nullptr when it is another kind (boxed or not).
template <class Write>
const Write* write_if(const store_write& w) {
  return get_if_maybe_boxed<Write>(w);
}

/// The writes of `batch` that matter: a row (instance, node, attempt, xml
/// file, coordinator state, dependency, fire) written several times keeps
/// only its last content, at the place of its first write (so rows still
/// come before the rows that refer to them; a put and a delete of one file
/// or coordinator are writes of the same row). Workflow writes all stay: a
/// status change must not drop the version written before it.
std::vector<store_write> coalesce(std::vector<store_write> batch);

/// The instances whose rows (instance, node, attempt) `batch` writes, each
/// once, in the order of their first write: what followers of an instance
/// learn after a commit (engine/change_feed.hpp).
std::vector<std::string> changed_instances(const std::vector<store_write>& batch);

/// The writes that turn the stored file states `before` into `after` (each
/// by path): new and changed files are put, vanished ones deleted. A file
/// that was only checked again (same content, status and diagnostics) is not
/// written.
std::vector<store_write> xml_file_changes(const std::vector<xml_file_record>& before,
                                          const std::vector<xml_file_record>& after);

/// A version of a workflow as loaded: its XML and the file it came from.
struct workflow_version_record {
  std::string workflow;
  int version = 0;
  std::string hash;
  std::string file;
  std::string xml;
  timestamp loaded_at = 0;
};

/// What store::fire() did.
struct fire_outcome {
  /// True when this call recorded the fire (and applied its writes).
  bool fired = false;
  /// The instance of the fire: the new one, or the one that fired before.
  std::string instance_id;
};

/// What a prune found (and, unless it was a dry run, deleted).
struct prune_counts {
  std::size_t instances = 0;
  std::size_t nodes = 0;
  std::size_t attempts = 0;
  std::size_t versions = 0;
  /// The instances (oldest first), or the versions as "workflow@version".
  std::vector<std::string> ids;
};

/// The master lease as stored (docs/OPERATIONS.md, "High availability").
struct lease_record {
  /// The master that holds the lease; "" = nobody.
  std::string holder;
  /// Increases with every new holder, so workers can refuse a stale master.
  std::uint64_t epoch = 0;
  /// When the lease ends unless its holder renews it.
  timestamp expires_at = 0;
};


class store {
public:
  virtual ~store() = default;

  /// Creates or upgrades the schema; fails when the database is newer.
  virtual expected<void> migrate() = 0;

  /// Applies every write in one transaction: all or nothing.
  virtual expected<void> apply(const std::vector<store_write>& batch) = 0;

  /// The current version of every workflow.
  virtual expected<std::vector<workflow_record>> workflows() = 0;

  /// Instances, newest first, without their nodes: those matching every
  /// field of `filter` that is set (workflow, status, trigger, logical time
  /// from..to inclusive), `limit` of them after skipping `offset`.
  virtual expected<std::vector<instance_record>> instances(const instance_filter& filter) = 0;

  /// One instance with its nodes and their attempts.
  virtual expected<std::optional<instance_record>> instance(const std::string& id) = 0;

  /// The largest instance id ever stored (ids increase), or "".
  virtual expected<std::string> last_instance_id() = 0;

  /// The schema version of the database.
  virtual expected<int> schema_version() = 0;

  // The calls below have defaults that fail, so that test doubles which do
  // not need them stay small; the SQL store implements all of them.

  /// Every stored xmlconfig file, by path.
  virtual expected<std::vector<xml_file_record>> xml_files();

  /// Every queued or running instance, oldest first, each with its nodes and
  /// their attempts (as instance() returns one).
  virtual expected<std::vector<instance_record>> unfinished_instances();

  /// Instances with ids after `after_id` ("" = from the first), oldest first,
  /// at most `limit`, each with its nodes and their attempts.
  virtual expected<std::vector<instance_record>> instances_after(const std::string& after_id,
                                                                 int limit);

  /// Every stored version of every workflow, by name and version.
  virtual expected<std::vector<workflow_version_record>> workflow_versions();

  /// The executions of an instance, by number (none for an unknown id).
  virtual expected<std::vector<execution_record>> executions(const std::string& instance_id);

  /// Every stored version of one workflow, oldest first, without its XML.
  virtual expected<std::vector<workflow_version_record>>
  workflow_history(const std::string& name);

  /// One stored version of a workflow (an instance runs the version it
  /// started with, whatever the file says now); none when it is not stored.
  virtual expected<std::optional<workflow_version_record>> workflow_version(const std::string& name,
                                                                            int version);

  /// Starts a new master epoch: in one transaction, increments the epoch of
  /// the 'master' lease (created with epoch 0 when missing), makes `holder`
  /// its holder until `now + ttl_ms`, and returns the new epoch.
  virtual expected<std::uint64_t> take_epoch(const std::string& holder, timestamp now,
                                             std::int64_t ttl_ms);

  /// Reads the 'master' lease (epoch 0, no holder when it does not exist yet).
  virtual expected<lease_record> read_lease();

  /// Takes the 'master' lease for `holder` when nobody holds it or it has
  /// expired at `now` (then with epoch + 1), in one transaction; returns the
  /// lease as it is afterwards — the caller holds it when holder == `holder`
  /// and the epoch is the new one. Of two concurrent callers at most one wins.
  virtual expected<lease_record> acquire_lease(const std::string& holder, timestamp now,
                                               std::int64_t ttl_ms);

  /// Extends the lease to now + ttl when `holder` still holds it with `epoch`
  /// (even if it expired meanwhile, as long as nobody took it); returns false
  /// (not an error) when someone else took it or the epoch moved on.
  virtual expected<bool> renew_lease(const std::string& holder, std::uint64_t epoch,
                                     timestamp now, std::int64_t ttl_ms);

  /// Gives the lease up (expires it now) when `holder` holds it with `epoch`.
  /// Afterwards nobody holds it, so the holder cannot renew it either; when
  /// `holder` does not hold it with `epoch` this changes nothing.
  virtual expected<void> release_lease(const std::string& holder, std::uint64_t epoch,
                                       timestamp now);

  /// Takes the 'master' lease for `holder` (epoch + 1, until now + ttl_ms)
  /// when `dead_holder` still holds it with `dead_epoch` — the caller knows
  /// that process is dead and need not wait for its lease to expire — or
  /// when acquire_lease() would take it (nobody holds it, or it has expired
  /// at `now`). In one transaction; returns the lease as it is afterwards,
  /// unchanged when neither holds. Of concurrent callers at most one wins.
  virtual expected<lease_record> seize_lease(const std::string& holder,
                                             const std::string& dead_holder,
                                             std::uint64_t dead_epoch, timestamp now,
                                             std::int64_t ttl_ms);

  /// Fences every later write of this store object (apply(), fire()) by the
  /// 'master' lease: each checks, in its own transaction and before writing,
  /// that `holder` still holds the lease with `epoch` (expired or not, as long
  /// as nobody took it) and otherwise writes nothing and fails with
  /// ec::fenced. An empty `holder` turns fencing off again. The lease calls
  /// are never fenced. The default does nothing: a store without a lease
  /// (a test double) cannot tell.
  virtual void fence(std::string holder, std::uint64_t epoch);

  /// Creates or updates the row of a master (by address).
  virtual expected<void> put_master_node(const master_node_record& node);

  /// Every master that has written its row, by address.
  virtual expected<std::vector<master_node_record>> master_nodes();

  /// The state of every coordinator, by workflow.
  virtual expected<std::vector<coordinator_state_record>> coordinator_states();

  /// The fires of `workflow` with `from` <= logical time <= `to`, by logical
  /// time.
  virtual expected<std::vector<fire_record>> fire_records(const std::string& workflow,
                                                          timestamp from, timestamp to);

  /// The satisfied dependencies of the fire of `workflow` at `logical_time`,
  /// by upstream.
  virtual expected<std::vector<dependency_record>> dependency_records(const std::string& workflow,
                                                                      timestamp logical_time);

  /// Records a fire exactly once: in one transaction, when no fire of
  /// `fire.workflow` at `fire.logical_time` is stored yet, stores `fire` and
  /// applies `writes` (as apply() does) and returns {true, fire.instance_id};
  /// otherwise writes nothing and returns {false, the stored instance id}.
  /// Of two concurrent calls for one logical time, one fires. A stored fire
  /// with `fire.instance_id` is this fire's (a retry after a lost
  /// connection found its first try committed): {true, fire.instance_id}.
  virtual expected<fire_outcome> fire(const fire_record& fire,
                                      const std::vector<store_write>& writes);

  /// Backfills, newest first, without their items but with their counts by
  /// shown state: all (`state` "") or those in `state`, at most `limit`.
  virtual expected<std::vector<backfill_record>> backfills(const std::string& state, int limit);

  /// One backfill with its items in plan order, each with the status of its
  /// instance; none when it does not exist.
  virtual expected<std::optional<backfill_record>> backfill(const std::string& id);

  /// Every planned or running backfill (and every cancelled one that has not
  /// finished) with its items, oldest first: what a new master resumes.
  virtual expected<std::vector<backfill_record>> unfinished_backfills();

  /// The status of the latest instance (by id) of `workflow` at each logical
  /// time in [from, to] that has one.
  virtual expected<std::map<timestamp, std::string>>
  latest_statuses(const std::string& workflow, timestamp from, timestamp to);

  /// Fire records after `after` in (workflow, logical time) order, at most
  /// `limit`; `{}` starts at the first (workflow names are never empty).
  /// copy_store() pages through them.
  virtual expected<std::vector<fire_record>> fire_records_after(const fire_record& after,
                                                                int limit);

  /// Dependency records after `after` in (workflow, upstream, logical time)
  /// order, at most `limit`; `{}` starts at the first. copy_store() pages
  /// through them.
  virtual expected<std::vector<dependency_record>>
  dependency_records_after(const dependency_record& after, int limit);

  /// Rows of the alert outbox matching `filter`, newest first.
  virtual expected<std::vector<alert_record>> alerts(const alert_filter& filter);

  /// One row of the alert outbox.
  virtual expected<std::optional<alert_record>> alert(std::int64_t id);

  /// Pending alert rows due at `now`, oldest first, at most `limit`.
  virtual expected<std::vector<alert_record>> due_alerts(timestamp now, int limit);

  /// Writes the delivery state of alert rows (by id), in one transaction,
  /// fenced like apply().
  virtual expected<void> update_alerts(const std::vector<alert_record>& rows);

  /// Deletes (unless `dry_run`) at most `limit` ended instances (succeeded,
  /// failed, killed) that finished before `before`, oldest first, with their
  /// nodes, attempts, executions and satisfied-dependency rows, and the
  /// alerts created before `before` that are no longer pending, in one
  /// transaction. Running and queued instances are never touched; fire
  /// records stay (so that a logical time never fires twice). Returns what
  /// it found.
  virtual expected<prune_counts> prune_instances(timestamp before, int limit, bool dry_run);

  /// Deletes one instance as prune_instances() does (its nodes, attempts,
  /// executions and satisfied-dependency rows, in one transaction) when it
  /// has ended; returns what it deleted: nothing (instances 0) when there is
  /// no such instance or it has not ended (running, queued). Alerts and fire
  /// records stay.
  virtual expected<prune_counts> delete_instance(const std::string& id);

  /// Deletes (unless `dry_run`) at most `limit` stored workflow versions
  /// beyond the newest `keep` of each workflow, in one transaction; the
  /// current version and every version a queued or running instance runs
  /// stay. Returns what it found.
  virtual expected<prune_counts> prune_versions(int keep, int limit, bool dry_run);
};

/// What copy_store() copied.
struct copy_counts {
  std::size_t workflows = 0;
  std::size_t versions = 0;
  std::size_t instances = 0;
  std::size_t files = 0;
  /// Coordinator states, fire records and dependency records.
  std::size_t coordinators = 0;
  std::size_t fires = 0;
  std::size_t dependencies = 0;
  /// Backfills (each with its items).
  std::size_t backfills = 0;
};

/// Copies everything `from` holds into `to`, which must be empty (both
/// migrated): workflows with every version, every instance with its nodes,
/// attempts and executions, the xmlconfig file states, the coordinators'
/// states, fires and satisfied dependencies, and the backfills with their
/// items. Not copied: the alert outbox (its history stays in the old
/// store; pending alerts are sent by the old store's master before the
/// move, or not at all). For moving from SQLite to
/// MySQL/MariaDB (or back) while the cluster is stopped. `progress` hears a
/// line now and then.
expected<copy_counts> copy_store(store& from, store& to,
                                 const std::function<void(const std::string&)>& progress = {});

/// Opens the database behind `url`. A MySQL/MariaDB store outlives server
/// restarts: a call that finds its connection lost runs once more on a fresh
/// one, and fails with ec::store_error only when that fails too (the next
/// call tries again). `busy_timeout_ms` is how long a call waits for a lock
/// (SQLite's busy timeout, MySQL's innodb_lock_wait_timeout).
expected<std::unique_ptr<store>> open_store(const store_url& url, int busy_timeout_ms);

} // namespace cafflow
