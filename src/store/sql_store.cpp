// The store on Poco::Data, for SQLite and MySQL/MariaDB: one implementation,
// the few differences of syntax and connection handling keyed on `dialect`.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <variant>

#include <sys/stat.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <nlohmann/json.hpp>

#include "store/migrations.hpp"
#include "store/sql_backfills.hpp"
#include "store/sql_common.hpp"
#include "store/sql_alerts.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

using Poco::Data::Session;
using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::now;
using sql::dialect;
using sql::number;
using sql::rows_per_statement;
using sql::table_spec;
using sql::text;
using sql::upsert;

/// Opens a configured session; throws Poco exceptions.
using connector = std::function<std::unique_ptr<Session>()>;

/// The name of the lease row of the active master.
constexpr const char* master_lease = "master";

/// Seconds a MySQL connection attempt may take: long enough for a busy
/// server, short enough that a master notices an unreachable one.
constexpr std::size_t mysql_connect_timeout_s = 10;

/// Seconds a migration waits for another process that is migrating the same
/// MySQL database.
constexpr int mysql_migration_lock_timeout_s = 60;

const table_spec workflow_table{"workflow", {"name"},
                                {"current_version", "dir", "description", "creator", "file",
                                 "hash", "node_count", "status", "loaded_at"}};
const table_spec workflow_version_table{"workflow_version", {"workflow", "version"},
                                        {"hash", "file", "xml", "loaded_at"}};
const table_spec instance_table{"instance", {"id"},
                                {"workflow", "version", "status", "trigger_kind", "params",
                                 "logical_time", "priority", "created_at", "started_at",
                                 "finished_at", "message", "parent_id", "backfill_id",
                                 "origin", "run_options", "execution", "requested_by",
                                 "parent_node", "depth", "timezone"}};
const table_spec node_table{"node_instance", {"instance_id", "node"},
                            {"position", "kind", "action_type", "status", "attempts",
                             "started_at", "finished_at", "message"}};
const table_spec attempt_table{"attempt", {"instance_id", "node", "number"},
                               {"worker", "epoch", "pid", "status", "exit_code", "lost",
                                "log_path", "started_at", "finished_at", "message", "result",
                                "execution", "child_id"}};
const table_spec xml_file_table{"xml_file", {"path"},
                                {"kind", "name", "status", "hash", "active_version",
                                 "checked_at", "diagnostics"}};
const table_spec coordinator_table{"coordinator_state", {"workflow"},
                                   {"next_fire", "last_fire", "state"}};
const table_spec dependency_table{"dependency_state", {"workflow", "upstream", "logical_time"},
                                  {"instance_id", "satisfied_at"}};
const table_spec fire_table{"fire_record", {"workflow", "logical_time"},
                            {"instance_id", "fired_at"}};
const table_spec execution_table{"execution", {"instance_id", "number"},
                                 {"trigger_kind", "requested_by", "run_options", "started_at",
                                  "finished_at", "status", "nodes"}};
const table_spec master_node_table{"master_nodes", {"address"},
                                   {"role", "pid", "host", "started_at", "seen_at"}};

/// Thrown inside a write transaction of a fenced store that no longer holds
/// the master lease; run() turns it into ec::fenced (never retried).
struct fenced_write : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Characters of a TEXT or MEDIUMTEXT column that one MySQL read fetches.
/// Poco 1.11 reads a MySQL result into one zero-filled buffer sized by the
/// declared lengths of its columns: 64 MB for a MEDIUMTEXT in utf8mb4, per
/// column and statement (measured: ~85 ms for a query with two of them).
/// Read as CHAR(16383) they cost 64 KB; the rare longer value is completed
/// chunk by chunk (sql_store::complete).
constexpr int text_chunk = 16383;

/// The instances unfinished_instances() returns.
constexpr const char* unfinished = "status IN ('queued', 'running')";

// valid_utf8 (util/strings): a log tail may hold anything, but MySQL refuses
// invalid UTF-8 in a text column (the whole batch would fail, again and
// again) and JSON cannot carry it; both backends store the same repaired text.

/// The number of characters of valid UTF-8 `s`.
std::size_t utf8_length(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
    s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// A key column's value, for the queries that complete long text.
using key_value = std::variant<std::string, Poco::Int64>;

std::string params_to_json(const param_map& params) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : params)
    object[valid_utf8(key)] = valid_utf8(value);
  return object.dump();
}

param_map params_from_json(const std::string& json) {
  param_map result;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_object())
    for (auto& [key, value] : parsed.items())
      result[key] = value.is_string() ? value.get<std::string>() : value.dump();
  return result;
}

/// A JSON array of {file, line, column, severity, message}: the shape every
/// consumer of diagnostics (API, CLI) already knows.
std::string diagnostics_to_json(const xml_file_record& f) {
  auto list = nlohmann::json::array();
  for (const auto& d : f.diagnostics)
    list.push_back({{"file", valid_utf8(f.path)},
                    {"line", d.line},
                    {"column", d.column},
                    {"severity", valid_utf8(d.level)},
                    {"message", valid_utf8(d.message)}});
  return list.dump();
}

std::vector<diagnostic_record> diagnostics_from_json(const std::string& json) {
  std::vector<diagnostic_record> result;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array())
    return result;
  for (const auto& item : parsed) {
    if (!item.is_object())
      continue;
    diagnostic_record d;
    d.level = item.value("severity", std::string{});
    d.line = item.value("line", 0);
    d.column = item.value("column", 0);
    d.message = item.value("message", std::string{});
    result.push_back(std::move(d));
  }
  return result;
}

/// The state of a coordinator as stored: "{}" for none. What is not JSON
/// fails the batch on both backends alike (MySQL's column checks it).
std::string state_json(const coordinator_state_record& r) {
  if (r.state.empty())
    return "{}";
  auto state = valid_utf8(r.state);
  if (!nlohmann::json::accept(state))
    throw std::invalid_argument("the state of coordinator '" + valid_utf8(r.workflow)
                                + "' is not JSON");
  return state;
}

/// True when `e` says the connection to a MySQL server is gone or cannot be
/// made: the cases where a fresh connection may succeed. A session after a
/// server restart still looks healthy; only its next query tells (STACK.md).
bool connection_lost(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Data::ConnectionFailedException*>(&e) != nullptr
      || dynamic_cast<const Poco::Data::NotConnectedException*>(&e) != nullptr)
    return true;
  auto message = e.displayText();
  // CR_CONNECTION_ERROR 2002, CR_CONN_HOST_ERROR 2003, CR_SERVER_GONE_ERROR
  // 2006, CR_SERVER_LOST 2013, CR_SERVER_LOST_EXTENDED 2055,
  // ER_SERVER_SHUTDOWN 1053, ER_CONNECTION_KILLED 1927.
  for (const char* needle :
       {"gone away", "Lost connection", "Can't connect", "shutdown in progress",
        "Connection was killed", "errno]: 2002", "errno]: 2003", "errno]: 2006", "errno]: 2013",
        "errno]: 2055", "errno]: 1053", "errno]: 1927"})
    if (message.find(needle) != std::string::npos)
      return true;
  return false;
}

/// True when a MySQL DDL statement failed because its change is already
/// there (ER_TABLE_EXISTS_ERROR 1050, ER_DUP_FIELDNAME 1060, ER_DUP_KEYNAME
/// 1061): a migration that was interrupted after it.
bool already_applied(const Poco::Exception& e) {
  auto message = e.displayText();
  for (const char* needle : {"errno]: 1050", "errno]: 1060", "errno]: 1061"})
    if (message.find(needle) != std::string::npos)
      return true;
  return false;
}

class sql_store final : public store {
public:
  sql_store(dialect d, connector connect, std::unique_ptr<Session> session, std::string name)
    : dialect_(d), connect_(std::move(connect)), session_(std::move(session)),
      name_(std::move(name)) {}

  expected<void> migrate() override {
    return run("migrate", [&]() -> expected<void> {
      auto& s = session();
      s << std::string("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL "
                       "PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)")
             + (dialect_ == dialect::mysql
                  ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                  : ""),
        now;
      if (dialect_ == dialect::sqlite)
        return migrate_sqlite();
      // Two masters starting at once must not both run the DDL: a named lock
      // (per database, the lock namespace is the server's; at most 64
      // characters) serializes them.
      auto lock = "cafflow." + database_name().substr(0, 56);
      auto timeout = static_cast<Poco::Int64>(mysql_migration_lock_timeout_s);
      Poco::Data::Statement take(s);
      take << "SELECT GET_LOCK(?, ?)", bind(lock), bind(timeout);
      take.execute();
      Poco::Data::RecordSet taken(take);
      if (taken.rowCount() == 0 || number(taken.value(0, 0)) != 1)
        return make_error(ec::store_error,
                          name_ + ": another process has been migrating this database for "
                            + std::to_string(mysql_migration_lock_timeout_s) + " s; try again");
      expected<void> result;
      try {
        result = migrate_mysql();
      } catch (...) {
        release_lock(lock);
        throw;
      }
      release_lock(lock);
      return result;
    });
  }

  expected<int> schema_version() override {
    return run("schema_version", [&]() -> expected<int> { return read_schema_version(); });
  }

  expected<void> apply(const std::vector<store_write>& batch) override {
    if (batch.empty())
      return {};
    // On a lost connection run() retries the whole batch on a fresh one: the
    // transaction died with the old connection, and every write is an
    // upsert or a delete, so a batch whose commit did happen after all
    // applies again to the same result.
    return run("write", [&]() -> expected<void> {
      transaction([&] {
        check_fence();
        write(batch);
      });
      return {};
    });
  }

  expected<std::vector<workflow_record>> workflows() override {
    return run("read workflows", [&]() -> expected<std::vector<workflow_record>> {
      std::vector<workflow_record> result;
      snapshot([&] { result = read_workflows(); });
      return result;
    });
  }

  expected<std::vector<instance_record>> instances(const instance_filter& filter) override {
    return run("read instances", [&]() -> expected<std::vector<instance_record>> {
      std::string where = " WHERE 1 = 1";
      std::vector<key_value> values;
      if (!filter.id.empty()) {
        where += " AND id = ?";
        values.emplace_back(filter.id);
      }
      if (!filter.workflow.empty()) {
        where += " AND workflow = ?";
        values.emplace_back(filter.workflow);
      }
      if (!filter.status.empty()) {
        where += " AND status = ?";
        values.emplace_back(filter.status);
      }
      if (!filter.trigger.empty()) {
        where += " AND trigger_kind = ?";
        values.emplace_back(filter.trigger);
      }
      if (filter.from != 0) {
        where += " AND logical_time >= ?";
        values.emplace_back(static_cast<Poco::Int64>(filter.from));
      }
      if (filter.to != 0) {
        where += " AND logical_time <= ?";
        values.emplace_back(static_cast<Poco::Int64>(filter.to));
      }
      where += " ORDER BY id DESC LIMIT ? OFFSET ?";
      values.emplace_back(static_cast<Poco::Int64>(filter.limit));
      values.emplace_back(static_cast<Poco::Int64>(filter.offset));
      std::vector<instance_record> result;
      snapshot([&] { result = read_instances(where, values); });
      return result;
    });
  }

  expected<std::optional<instance_record>> instance(const std::string& id) override {
    return run("read instance", [&]() -> expected<std::optional<instance_record>> {
      std::vector<instance_record> found;
      snapshot([&] {
        found = read_instances(" WHERE id = ?", {id});
        if (!found.empty())
          read_nodes(found, "instance_id = ?", {id});
      });
      if (found.empty())
        return std::optional<instance_record>{};
      return std::optional<instance_record>{std::move(found.front())};
    });
  }

  expected<std::vector<instance_record>> unfinished_instances() override {
    return run("read unfinished instances", [&]() -> expected<std::vector<instance_record>> {
      // Three queries in all, whatever the number of instances; in one
      // snapshot, so that no instance finishing meanwhile loses its nodes.
      std::vector<instance_record> found;
      snapshot([&] {
        found = read_instances(std::string(" WHERE ") + unfinished + " ORDER BY id", {});
        if (!found.empty())
          read_nodes(found,
                     std::string("instance_id IN (SELECT id FROM instance WHERE ") + unfinished
                       + ")",
                     {});
      });
      return found;
    });
  }

  expected<std::string> last_instance_id() override {
    return run("read last instance id", [&]() -> expected<std::string> {
      Poco::Data::Statement select(session());
      select << "SELECT MAX(id) FROM instance";
      select.execute();
      Poco::Data::RecordSet rs(select);
      return rs.rowCount() == 0 ? std::string{} : text(rs.value(0, 0));
    });
  }

  expected<std::vector<instance_record>> instances_after(const std::string& after_id,
                                                         int limit) override {
    return run("read instances", [&]() -> expected<std::vector<instance_record>> {
      std::vector<instance_record> found;
      snapshot([&] {
        found = read_instances(" WHERE id > ? ORDER BY id LIMIT ?",
                               {after_id, static_cast<Poco::Int64>(limit)});
        if (!found.empty())
          read_nodes(found, "instance_id >= ? AND instance_id <= ?",
                     {found.front().id, found.back().id});
      });
      return found;
    });
  }

  expected<std::vector<workflow_version_record>> workflow_versions() override {
    return run("read workflow versions", [&]() -> expected<std::vector<workflow_version_record>> {
      std::vector<workflow_version_record> result;
      snapshot([&] {
        Poco::Data::Statement select(session());
        select << "SELECT workflow, version FROM workflow_version ORDER BY workflow, version";
        select.execute();
        Poco::Data::RecordSet rs(select);
        for (std::size_t row = 0; row < rs.rowCount(); ++row)
          if (auto v = read_workflow_version(text(rs.value(0, row)),
                                             static_cast<int>(number(rs.value(1, row)))))
            result.push_back(std::move(*v));
      });
      return result;
    });
  }

  expected<std::vector<workflow_version_record>>
  workflow_history(const std::string& name) override {
    return run("read the versions of a workflow",
               [&]() -> expected<std::vector<workflow_version_record>> {
                 std::vector<workflow_version_record> result;
                 snapshot([&] {
                   Poco::Data::Statement select(session());
                   select << "SELECT version, hash, " + long_text("file")
                               + ", loaded_at FROM workflow_version WHERE workflow = ? "
                                 "ORDER BY version",
                     bind(name);
                   select.execute();
                   Poco::Data::RecordSet rs(select);
                   for (std::size_t row = 0; row < rs.rowCount(); ++row) {
                     workflow_version_record r;
                     r.workflow = name;
                     r.version = static_cast<int>(number(rs.value(0, row)));
                     r.hash = text(rs.value(1, row));
                     r.file = text(rs.value(2, row));
                     r.loaded_at = number(rs.value(3, row));
                     complete(r.file, "workflow_version", "file",
                              {{"workflow", name},
                               {"version", static_cast<Poco::Int64>(r.version)}});
                     result.push_back(std::move(r));
                   }
                 });
                 return result;
               });
  }

  expected<prune_counts> prune_instances(timestamp before, int limit, bool dry_run) override {
    return run("prune instances", [&]() -> expected<prune_counts> {
      prune_counts counts;
      transaction([&] {
        auto cutoff = static_cast<Poco::Int64>(before);
        counts = delete_ended(
          "i.finished_at > 0 AND i.finished_at < ? ORDER BY i.finished_at, i.id LIMIT "
            + std::to_string(std::max(limit, 1)),
          cutoff, dry_run);
        if (dry_run)
          return;
        // Alerts delivered (or given up) before the cutoff go with them; one
        // still pending stays whatever its age.
        session() << "DELETE FROM alert WHERE status <> 'pending' AND created_at < ?",
          bind(cutoff), now;
      });
      return counts;
    });
  }

  expected<prune_counts> delete_instance(const std::string& id) override {
    return run("delete an instance", [&]() -> expected<prune_counts> {
      prune_counts counts;
      transaction([&] { counts = delete_ended("i.id = ?", id, false); });
      return counts;
    });
  }

  expected<prune_counts> prune_versions(int keep, int limit, bool dry_run) override {
    return run("prune workflow versions", [&]() -> expected<prune_counts> {
      prune_counts counts;
      transaction([&] {
        counts = prune_counts{};
        if (!dry_run)
          lock_for_writing("workflow_version");
        Poco::Data::Statement select(session());
        auto kept = static_cast<Poco::Int64>(std::max(keep, 1));
        select << "SELECT v.workflow, v.version FROM workflow_version v JOIN workflow w ON "
                  "w.name = v.workflow WHERE v.version <= w.current_version - ? AND NOT EXISTS "
                  "(SELECT 1 FROM instance i WHERE i.workflow = v.workflow AND i.version = "
                  "v.version AND i.status IN ('queued', 'running')) ORDER BY v.workflow, "
                  "v.version LIMIT "
                    + std::to_string(std::max(limit, 1)),
          bind(kept);
        select.execute();
        Poco::Data::RecordSet rs(select);
        std::vector<std::pair<std::string, Poco::Int64>> found;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
          found.emplace_back(text(rs.value(0, row)), number(rs.value(1, row)));
          counts.ids.push_back(found.back().first + "@" + std::to_string(found.back().second));
        }
        counts.versions = found.size();
        if (dry_run)
          return;
        for (auto [workflow, version] : found)
          session() << "DELETE FROM workflow_version WHERE workflow = ? AND version = ?",
            bind(workflow), bind(version), now;
      });
      return counts;
    });
  }

  expected<std::optional<workflow_version_record>> workflow_version(const std::string& name,
                                                                    int version) override {
    return run("read a workflow version",
               [&]() -> expected<std::optional<workflow_version_record>> {
                 std::optional<workflow_version_record> result;
                 snapshot([&] { result = read_workflow_version(name, version); });
                 return result;
               });
  }

  expected<std::vector<xml_file_record>> xml_files() override {
    return run("read xml files", [&]() -> expected<std::vector<xml_file_record>> {
      std::vector<xml_file_record> result;
      snapshot([&] { result = read_xml_files(); });
      return result;
    });
  }

  expected<std::uint64_t> take_epoch(const std::string& holder, timestamp now_time,
                                     std::int64_t ttl_ms) override {
    return run("take the master epoch", [&]() -> expected<std::uint64_t> {
      std::string name = "master";
      auto who = valid_utf8(holder);
      auto expires = static_cast<Poco::Int64>(now_time + ttl_ms);
      std::uint64_t epoch = 0;
      transaction([&] {
        auto& s = session();
        // Write first: the write lock taken here makes concurrent callers
        // wait, so each gets its own epoch (a read first would let two read
        // the same one).
        create_lease(name);
        s << "UPDATE lease SET epoch = epoch + 1, holder = ?, expires_at = ? WHERE name = ?",
          bind(who), bind(expires), bind(name), now;
        Poco::Data::Statement select(s);
        select << "SELECT epoch FROM lease WHERE name = ?", bind(name);
        select.execute();
        Poco::Data::RecordSet rs(select);
        epoch = static_cast<std::uint64_t>(number(rs.value(0, 0)));
      });
      return epoch;
    });
  }

  expected<lease_record> read_lease() override {
    return run("read the master lease", [&]() -> expected<lease_record> {
      return read_lease_row(master_lease);
    });
  }

  expected<lease_record> acquire_lease(const std::string& holder, timestamp now_time,
                                       std::int64_t ttl_ms) override {
    // Nobody's lease is held by "" with any epoch: no holder is taken as dead.
    return take_lease("acquire the master lease", holder, "", 0, now_time, ttl_ms);
  }

  expected<bool> renew_lease(const std::string& holder, std::uint64_t epoch, timestamp now_time,
                             std::int64_t ttl_ms) override {
    // A retry after a lost connection whose first try committed finds the
    // lease still its own and renews it again: harmless.
    return run("renew the master lease", [&]() -> expected<bool> {
      if (holder.empty())
        return false;
      std::string name = master_lease;
      auto who = valid_utf8(holder);
      auto stamp = static_cast<Poco::Int64>(epoch);
      auto expires = static_cast<Poco::Int64>(now_time + ttl_ms);
      bool renewed = false;
      on_lease_row([&] {
        transaction([&] {
          session() << "UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ? "
                       "AND epoch = ?",
            bind(expires), bind(name), bind(who), bind(stamp), now;
          // Read back rather than count affected rows: MySQL counts only rows
          // that changed, and a renewal to the same expiry changes none. The
          // row cannot change between the two statements: a matching update
          // holds its lock until the commit.
          auto lease = read_lease_row(name);
          renewed = lease.holder == who && lease.epoch == epoch;
        });
      });
      return renewed;
    });
  }

  expected<void> release_lease(const std::string& holder, std::uint64_t epoch,
                               timestamp now_time) override {
    return run("release the master lease", [&]() -> expected<void> {
      if (holder.empty())
        return {};
      std::string name = master_lease;
      auto who = valid_utf8(holder);
      auto stamp = static_cast<Poco::Int64>(epoch);
      auto at = static_cast<Poco::Int64>(now_time);
      // Clearing the holder also keeps the old holder from renewing a lease
      // it gave up.
      session() << "UPDATE lease SET holder = '', expires_at = ? "
                   "WHERE name = ? AND holder = ? AND epoch = ?",
        bind(at), bind(name), bind(who), bind(stamp), now;
      return {};
    });
  }

  expected<lease_record> seize_lease(const std::string& holder, const std::string& dead_holder,
                                     std::uint64_t dead_epoch, timestamp now_time,
                                     std::int64_t ttl_ms) override {
    return take_lease("seize the master lease", holder, dead_holder, dead_epoch, now_time, ttl_ms);
  }

  void fence(std::string holder, std::uint64_t epoch) override {
    fence_holder_ = valid_utf8(holder);
    fence_epoch_ = epoch;
  }

  expected<void> put_master_node(const master_node_record& node) override {
    return run("record a master", [&]() -> expected<void> {
      if (node.address.empty())
        throw std::invalid_argument("the address of a master must not be empty");
      if (node.role != "active" && node.role != "standby")
        throw std::invalid_argument("the role of master " + valid_utf8(node.address) + " is '"
                                    + valid_utf8(node.role)
                                    + "', not 'active' or 'standby'");
      session() << upsert(dialect_, master_node_table, 1), bind(valid_utf8(node.address)),
        bind(node.role), bind(static_cast<Poco::Int64>(node.pid)), bind(valid_utf8(node.host)),
        bind(static_cast<Poco::Int64>(node.started_at)),
        bind(static_cast<Poco::Int64>(node.seen_at)), now;
      return {};
    });
  }

  expected<std::vector<alert_record>> alerts(const alert_filter& f) override {
    return run("read alerts", [&] { return expected<std::vector<alert_record>>(sql_select_alerts(session(), dialect_ == dialect::mysql, f)); });
  }

  expected<std::optional<alert_record>> alert(std::int64_t id) override {
    return run("read alert", [&] { return expected<std::optional<alert_record>>(sql_select_alert(session(), dialect_ == dialect::mysql, id)); });
  }

  expected<std::vector<alert_record>> due_alerts(timestamp at, int limit) override {
    return run("read due alerts", [&] { return expected<std::vector<alert_record>>(sql_due_alerts(session(), dialect_ == dialect::mysql, at, limit)); });
  }

  expected<void> update_alerts(const std::vector<alert_record>& rows) override {
    return run("write alerts", [&]() -> expected<void> { transaction([&] { check_fence(); sql_update_alerts(session(), rows); }); return {}; });
  }

  expected<std::vector<master_node_record>> master_nodes() override {
    return run("read masters", [&]() -> expected<std::vector<master_node_record>> {
      Poco::Data::Statement select(session());
      select << "SELECT address, role, pid, host, started_at, seen_at FROM master_nodes "
                "ORDER BY address";
      select.execute();
      Poco::Data::RecordSet rs(select);
      std::vector<master_node_record> result;
      for (std::size_t row = 0; row < rs.rowCount(); ++row)
        result.push_back(master_node_record{
          text(rs.value(0, row)), text(rs.value(1, row)),
          static_cast<int>(number(rs.value(2, row))), text(rs.value(3, row)),
          number(rs.value(4, row)), number(rs.value(5, row))});
      return result;
    });
  }

  expected<std::vector<coordinator_state_record>> coordinator_states() override {
    return run("read coordinator states",
               [&]() -> expected<std::vector<coordinator_state_record>> {
                 std::vector<coordinator_state_record> result;
                 snapshot([&] { result = read_coordinator_states(); });
                 return result;
               });
  }

  expected<std::vector<fire_record>> fire_records(const std::string& workflow, timestamp from,
                                                  timestamp to) override {
    return run("read fire records", [&]() -> expected<std::vector<fire_record>> {
      return read_fires(" WHERE workflow = ? AND logical_time >= ? AND logical_time <= ? "
                        "ORDER BY logical_time",
                        {valid_utf8(workflow), static_cast<Poco::Int64>(from),
                         static_cast<Poco::Int64>(to)});
    });
  }

  expected<std::vector<dependency_record>> dependency_records(const std::string& workflow,
                                                              timestamp logical_time) override {
    return run("read dependency records", [&]() -> expected<std::vector<dependency_record>> {
      return read_dependencies(" WHERE workflow = ? AND logical_time = ? ORDER BY upstream",
                               {valid_utf8(workflow), static_cast<Poco::Int64>(logical_time)});
    });
  }

  expected<fire_outcome> fire(const fire_record& f,
                              const std::vector<store_write>& writes) override {
    // On a lost connection run() retries on a fresh one; a first try that
    // committed left its row with this fire's instance id, which counts as
    // fired (and its writes are not applied again: newer writes of the same
    // rows may have followed).
    return run("record a fire", [&]() -> expected<fire_outcome> {
      fire_outcome outcome;
      transaction([&] {
        check_fence();
        // Insert first: the lock it takes (SQLite's write lock, MySQL's lock
        // on the new key) makes a concurrent fire of the same logical time
        // wait until this one commits and then find its row (a read first
        // would let both fire).
        Poco::Data::Statement insert(session());
        insert << "INSERT INTO fire_record (workflow, logical_time, instance_id, fired_at) "
                  "VALUES (?, ?, ?, ?) "
                    + std::string(dialect_ == dialect::sqlite
                                    ? "ON CONFLICT (workflow, logical_time) DO NOTHING"
                                    : "ON DUPLICATE KEY UPDATE instance_id = instance_id");
        bind_row(insert, fire_put{f});
        if (insert.execute() > 0) {
          write(writes);
          outcome = {true, f.instance_id};
          return;
        }
        auto stored =
          read_fires(" WHERE workflow = ? AND logical_time = ?",
                     {valid_utf8(f.workflow), static_cast<Poco::Int64>(f.logical_time)});
        outcome.instance_id = stored.at(0).instance_id;
        outcome.fired = outcome.instance_id == f.instance_id;
      });
      return outcome;
    });
  }

  expected<std::vector<fire_record>> fire_records_after(const fire_record& after,
                                                        int limit) override {
    return run("read fire records", [&]() -> expected<std::vector<fire_record>> {
      auto workflow = valid_utf8(after.workflow);
      return read_fires(" WHERE workflow > ? OR (workflow = ? AND logical_time > ?) "
                        "ORDER BY workflow, logical_time LIMIT ?",
                        {workflow, workflow, static_cast<Poco::Int64>(after.logical_time),
                         static_cast<Poco::Int64>(limit)});
    });
  }

  expected<std::vector<execution_record>> executions(const std::string& instance_id) override {
    return run("read executions", [&]() -> expected<std::vector<execution_record>> {
      Poco::Data::Statement select(session());
      select << "SELECT number, trigger_kind, requested_by, " + long_text("run_options")
                  + ", started_at, finished_at, status, " + long_text("nodes")
                  + " FROM execution WHERE instance_id = ? ORDER BY number",
        bind(instance_id);
      select.execute();
      Poco::Data::RecordSet rs(select);
      std::vector<execution_record> result;
      for (std::size_t row = 0; row < rs.rowCount(); ++row) {
        execution_record e;
        e.instance_id = instance_id;
        e.number = static_cast<int>(number(rs.value(0, row)));
        e.trigger = text(rs.value(1, row));
        e.requested_by = text(rs.value(2, row));
        e.options = text(rs.value(3, row));
        e.started = number(rs.value(4, row));
        e.finished = number(rs.value(5, row));
        e.status = text(rs.value(6, row));
        auto nodes = text(rs.value(7, row));
        std::vector<std::pair<const char*, key_value>> key{
          {"instance_id", instance_id}, {"number", static_cast<Poco::Int64>(e.number)}};
        complete(e.options, "execution", "run_options", key);
        complete(nodes, "execution", "nodes", key);
        e.nodes = node_lists_from_json(nodes);
        result.push_back(std::move(e));
      }
      return result;
    });
  }

  expected<std::vector<dependency_record>> dependency_records_after(const dependency_record& after,
                                                                    int limit) override {
    return run("read dependency records", [&]() -> expected<std::vector<dependency_record>> {
      auto workflow = valid_utf8(after.workflow);
      auto upstream = valid_utf8(after.upstream);
      return read_dependencies(
        " WHERE workflow > ? OR (workflow = ? AND (upstream > ? OR (upstream = ? AND "
        "logical_time > ?))) ORDER BY workflow, upstream, logical_time LIMIT ?",
        {workflow, workflow, upstream, upstream, static_cast<Poco::Int64>(after.logical_time),
         static_cast<Poco::Int64>(limit)});
    });
  }

  // The backfill tables: their SQL is in sql_backfills.cpp.
  expected<std::vector<backfill_record>> backfills(const std::string& state, int limit) override {
    return read("read backfills", [&](Session& s) { return sql::read_backfills(s, state, limit); });
  }
  expected<std::optional<backfill_record>> backfill(const std::string& id) override {
    return read("read a backfill", [&](Session& s) { return sql::read_backfill(s, id); });
  }
  expected<std::vector<backfill_record>> unfinished_backfills() override {
    return read("read backfills", [&](Session& s) { return sql::read_unfinished_backfills(s); });
  }
  expected<std::map<timestamp, std::string>> latest_statuses(const std::string& workflow,
                                                             timestamp from, timestamp to) override {
    return read("read instances", [&](Session& s) {
      return sql::read_latest_statuses(s, workflow, from, to);
    });
  }

private:
  /// `column` in a select list: on MySQL its first text_chunk characters,
  /// as a short CHAR (see text_chunk).
  std::string long_text(const std::string& column) const {
    if (dialect_ == dialect::sqlite)
      return column;
    auto n = std::to_string(text_chunk);
    return "CAST(SUBSTRING(" + column + ", 1, " + n + ") AS CHAR(" + n + "))";
  }

  /// Appends the rest of a value of `table`.`column` that long_text() cut
  /// (it came back with text_chunk characters), chunk by chunk. Runs inside
  /// the snapshot of the read that cut it.
  void complete(std::string& value, const char* table, const char* column,
                const std::vector<std::pair<const char*, key_value>>& key) {
    if (dialect_ == dialect::sqlite)
      return;
    auto have = utf8_length(value);
    auto n = std::to_string(text_chunk);
    std::string sql = std::string("SELECT CAST(SUBSTRING(") + column + ", ?, " + n + ") AS CHAR("
                      + n + ")) FROM " + table + " WHERE ";
    for (std::size_t i = 0; i < key.size(); ++i)
      sql += std::string(i == 0 ? "" : " AND ") + key[i].first + " = ?";
    while (have % text_chunk == 0 && have > 0) {
      auto from = static_cast<Poco::Int64>(have + 1);
      Poco::Data::Statement select(session());
      select << sql, bind(from);
      for (const auto& part : key)
        std::visit([&](const auto& v) { select, bind(v); }, part.second);
      select.execute();
      Poco::Data::RecordSet rs(select);
      auto chunk = rs.rowCount() == 0 ? std::string{} : text(rs.value(0, 0));
      if (chunk.empty())
        return;
      value += chunk;
      have += utf8_length(chunk);
    }
  }

  std::string instance_columns() const {
    return "SELECT id, workflow, version, status, trigger_kind, " + long_text("params")
           + ", logical_time, priority, created_at, started_at, finished_at, "
           + long_text("message") + ", parent_id, backfill_id, origin, "
           + long_text("run_options") + ", execution, requested_by, parent_node, depth, timezone";
  }

  /// The session, reconnecting first when a lost connection dropped it.
  Session& session() {
    if (!session_)
      session_ = connect_();
    return *session_;
  }

  std::string database_name() {
    Poco::Data::Statement select(session());
    select << "SELECT DATABASE()";
    select.execute();
    Poco::Data::RecordSet rs(select);
    return rs.rowCount() == 0 ? std::string{} : text(rs.value(0, 0));
  }

  int read_schema_version() {
    Poco::Data::Statement select(session());
    select << "SELECT MAX(version) FROM schema_version";
    select.execute();
    Poco::Data::RecordSet rs(select);
    return rs.rowCount() == 0 ? 0 : static_cast<int>(number(rs.value(0, 0)));
  }

  /// Refuses a database that a newer cafflow has migrated.
  expected<int> check_version(int latest) {
    auto current = read_schema_version();
    if (current > latest)
      return make_error(ec::schema_too_new,
                        name_ + ": the database has schema version " + std::to_string(current)
                          + " but this cafflow knows only up to " + std::to_string(latest)
                          + "; upgrade cafflow");
    return current;
  }

  void record_version(const migration& m) {
    auto version = m.version;
    auto stamp = static_cast<Poco::Int64>(now_ms());
    session() << "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
      bind(version), bind(m.name), bind(stamp), now;
  }

  /// SQLite runs DDL in transactions: each migration and its version row
  /// commit together or not at all.
  expected<void> migrate_sqlite() {
    auto all = migrations_for("sqlite");
    auto current = check_version(all.empty() ? 0 : all.back().version);
    if (!current)
      return current.error();
    for (const auto& m : all) {
      if (m.version <= *current)
        continue;
      transaction([&] {
        // Take the write lock before looking (a write first: SQLite waits
        // for it, while upgrading a read lock would fail at once), then look
        // again: a master and a standby starting together both migrate, and
        // the second must find the first one's work done.
        session() << "DELETE FROM schema_version WHERE version < 0", now;
        if (read_schema_version() >= m.version)
          return;
        for (const auto& statement : m.statements)
          session() << statement, now;
        record_version(m);
      });
    }
    return {};
  }

  /// MySQL commits every DDL statement on its own, so a migration cannot be
  /// atomic. Its statements run one by one and its version row is written
  /// right after the last; a migration interrupted half-way runs again from
  /// its first statement, and a statement whose change is already there
  /// (table, column or index exists) counts as done. The sql/mysql files
  /// keep to statements for which that holds.
  expected<void> migrate_mysql() {
    auto all = migrations_for("mysql");
    auto current = check_version(all.empty() ? 0 : all.back().version);
    if (!current)
      return current.error();
    for (const auto& m : all) {
      if (m.version <= *current)
        continue;
      for (const auto& statement : m.statements) {
        try {
          session() << statement, now;
        } catch (const Poco::Exception& e) {
          if (!already_applied(e))
            throw;
        }
      }
      record_version(m);
    }
    return {};
  }

  /// Takes the lease for `holder` (epoch + 1) when nobody holds it, it has
  /// expired at `now_time`, or `dead_holder` still holds it with
  /// `dead_epoch`; returns the lease afterwards.
  expected<lease_record> take_lease(const char* what, const std::string& holder,
                                    const std::string& dead_holder, std::uint64_t dead_epoch,
                                    timestamp now_time, std::int64_t ttl_ms) {
    // A retry after a lost connection whose first try committed finds the
    // lease already `holder`'s (unexpired, at a newer epoch than the dead
    // one) and returns it unchanged: the caller holds it.
    return run(what, [&]() -> expected<lease_record> {
      if (holder.empty())
        throw std::invalid_argument("the holder of a lease must not be empty");
      std::string name = master_lease;
      auto who = valid_utf8(holder);
      auto dead = valid_utf8(dead_holder);
      auto dead_stamp = static_cast<Poco::Int64>(dead_epoch);
      auto at = static_cast<Poco::Int64>(now_time);
      auto expires = static_cast<Poco::Int64>(now_time + ttl_ms);
      lease_record result;
      auto take = [&] {
        transaction([&] {
          // The insert takes the write lock (SQLite) or the row lock (MySQL)
          // before the condition is checked, so of concurrent callers one wins
          // and the others see its lease (its epoch is no longer the dead one).
          create_lease(name);
          session() << "UPDATE lease SET epoch = epoch + 1, holder = ?, expires_at = ? "
                       "WHERE name = ? AND (holder = '' OR expires_at <= ? "
                       "OR (holder = ? AND epoch = ?))",
            bind(who), bind(expires), bind(name), bind(at), bind(dead), bind(dead_stamp), now;
          result = read_lease_row(name);
        });
      };
      on_lease_row(take);
      return result;
    });
  }

  /// Runs `change`, a transaction on the lease row. A process frozen in the
  /// middle of a transaction on that row (SIGSTOP, a paused VM) keeps its
  /// lock for as long as it is frozen, and would keep a standby from taking
  /// an expired lease, or the holder from renewing, for as long. So on MySQL
  /// the lock is waited for 1 s at a time, and connections whose
  /// transactions hold locks for more than 2 s are ended: theirs roll back,
  /// and a master that wakes up finds its writes fenced. Only callers
  /// entitled to change the lease get here.
  template <class F>
  void on_lease_row(F change) {
    if (dialect_ == dialect::sqlite) {
      change();
      return;
    }
    auto saved = lock_wait_timeout();
    auto restore = [&] {
      if (session_)
        session() << "SET SESSION innodb_lock_wait_timeout = " + std::to_string(saved), now;
    };
    session() << "SET SESSION innodb_lock_wait_timeout = 1", now;
    for (int tries = 1;; ++tries) {
      try {
        change();
        break;
      } catch (const Poco::Exception& e) {
        bool stuck = e.displayText().find("errno]: 1205") != std::string::npos;
        if (tries >= 6 || !stuck) {
          try {
            restore();
          } catch (const Poco::Exception&) {
            // the connection is broken: run() replaces it
          }
          throw;
        }
        end_stuck_lockers();
      }
    }
    restore();
  }

  /// The session's innodb_lock_wait_timeout (MySQL), in seconds.
  long lock_wait_timeout() {
    Poco::Data::Statement select(session());
    select << "SELECT @@SESSION.innodb_lock_wait_timeout";
    select.execute();
    Poco::Data::RecordSet rs(select);
    return rs.rowCount() == 0 ? 50 : static_cast<long>(number(rs.value(0, 0)));
  }

  /// Ends (KILL CONNECTION) the other connections whose transactions have
  /// held locks for more than 2 s: in cafflow's short transactions that is
  /// a frozen process. MySQL lets a user end its own connections. Without the
  /// PROCESS privilege (which INNODB_TRX needs), the connections of this user
  /// on this database idle for 2 s or more are ended instead: the frozen
  /// one is among them, and a healthy client reconnects on its next query.
  void end_stuck_lockers() {
    std::vector<long long> ids;
    auto collect = [&](const std::string& sql) {
      Poco::Data::Statement select(session());
      select << sql;
      select.execute();
      Poco::Data::RecordSet rs(select);
      for (std::size_t row = 0; row < rs.rowCount(); ++row)
        ids.push_back(static_cast<long long>(number(rs.value(0, row))));
    };
    try {
      collect("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX "
              "WHERE trx_mysql_thread_id <> CONNECTION_ID() AND trx_lock_structs > 0 "
              "AND trx_started <= NOW() - INTERVAL 2 SECOND");
    } catch (const Poco::Exception& e) {
      if (e.displayText().find("errno]: 1227") == std::string::npos) // no PROCESS privilege
        throw;
      collect("SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
              "AND COMMAND = 'Sleep' AND TIME >= 2 AND DB = DATABASE() "
              "AND USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)");
    }
    for (auto id : ids) {
      try {
        session() << "KILL CONNECTION " + std::to_string(id), now;
      } catch (const Poco::Exception&) {
        // gone meanwhile
      }
    }
  }

  void release_lock(const std::string& lock) {
    try {
      Poco::Data::Statement release(session());
      release << "SELECT RELEASE_LOCK(?)", bind(lock);
      release.execute();
    } catch (const Poco::Exception&) {
      // The lock belongs to the connection: if that is gone, so is the lock.
      if (dialect_ == dialect::mysql)
        session_.reset();
    }
  }

  /// Creates the lease `name` (nobody's, epoch 0) when it does not exist yet.
  void create_lease(const std::string& name) {
    session() << (dialect_ == dialect::sqlite
                    ? "INSERT INTO lease (name, holder, epoch, expires_at) VALUES (?, '', 0, 0) "
                      "ON CONFLICT (name) DO NOTHING"
                    : "INSERT INTO lease (name, holder, epoch, expires_at) VALUES (?, '', 0, 0) "
                      "ON DUPLICATE KEY UPDATE name = name"),
      bind(name), now;
  }

  /// In a write transaction of a fenced store: throws fenced_write unless
  /// the fence's holder still holds the master lease with its epoch. Reads the
  /// lease under a lock that keeps a new holder from taking it until this
  /// transaction ends, so the check holds for all of its writes.
  /// Starts a transaction that reads before it writes: fenced first, and on
  /// SQLite with a write (of nothing) to `table`, so that it waits for the
  /// write lock (busy timeout) instead of failing when another connection
  /// writes between its reads and its writes.
  void lock_for_writing(const std::string& table) {
    check_fence();
    if (dialect_ == dialect::sqlite)
      session() << "DELETE FROM " + table + " WHERE 1 = 0", now;
  }

  /// In a transaction: finds the ended instances (succeeded, failed,
  /// killed) that `condition` on `i` (one `?`, bound to `value`) selects,
  /// with their counts, and unless `dry_run` deletes them with their nodes,
  /// attempts, satisfied-dependency rows and executions. Used by retention
  /// (prune_instances) and by the deletion of one instance.
  template <class T>
  prune_counts delete_ended(const std::string& condition, T value, bool dry_run) {
    prune_counts counts;
    if (!dry_run)
      lock_for_writing("instance");
    Poco::Data::Statement select(session());
    select << "SELECT id, (SELECT COUNT(*) FROM node_instance n WHERE n.instance_id = i.id), "
              "(SELECT COUNT(*) FROM attempt a WHERE a.instance_id = i.id) FROM instance i "
              "WHERE i.status IN ('succeeded', 'failed', 'killed') AND "
                + condition,
      bind(value);
    select.execute();
    Poco::Data::RecordSet rs(select);
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
      counts.ids.push_back(text(rs.value(0, row)));
      counts.nodes += static_cast<std::size_t>(number(rs.value(1, row)));
      counts.attempts += static_cast<std::size_t>(number(rs.value(2, row)));
    }
    counts.instances = counts.ids.size();
    if (dry_run)
      return counts;
    for (auto id : counts.ids) {
      session() << "DELETE FROM attempt WHERE instance_id = ?", bind(id), now;
      session() << "DELETE FROM node_instance WHERE instance_id = ?", bind(id), now;
      session() << "DELETE FROM dependency_state WHERE instance_id = ?", bind(id), now;
      session() << "DELETE FROM execution WHERE instance_id = ?", bind(id), now;
      session() << "DELETE FROM instance WHERE id = ?", bind(id), now;
    }
    return counts;
  }

  void check_fence() {
    if (fence_holder_.empty())
      return;
    std::string name = master_lease;
    lease_record lease;
    if (dialect_ == dialect::sqlite) {
      // Write first: a deferred transaction that has read cannot wait for
      // the write lock, it fails at once when another connection (a lease
      // renewal, a takeover) wrote meanwhile. The insert waits for the lock
      // (busy timeout) and then keeps lease changes out until the commit;
      // the row exists whenever the check passes, so it writes nothing that
      // is kept.
      create_lease(name);
      lease = read_lease_row(name);
    } else {
      // A shared lock: fenced writers of one master do not wait for each
      // other, a takeover (which updates the row) waits for them.
      Poco::Data::Statement select(session());
      select << "SELECT holder, epoch FROM lease WHERE name = ? LOCK IN SHARE MODE", bind(name);
      select.execute();
      Poco::Data::RecordSet rs(select);
      if (rs.rowCount() > 0) {
        lease.holder = text(rs.value(0, 0));
        lease.epoch = static_cast<std::uint64_t>(number(rs.value(1, 0)));
      }
    }
    if (lease.holder == fence_holder_ && lease.epoch == fence_epoch_)
      return;
    throw fenced_write(name_ + ": this master no longer holds the master lease (epoch "
                       + std::to_string(fence_epoch_) + "; the lease is at epoch "
                       + std::to_string(lease.epoch) + ", holder "
                       + (lease.holder.empty() ? std::string("none") : lease.holder) + ")");
  }

  /// The lease `name`; nobody's with epoch 0 when it does not exist.
  lease_record read_lease_row(const std::string& name) {
    Poco::Data::Statement select(session());
    select << "SELECT holder, epoch, expires_at FROM lease WHERE name = ?", bind(name);
    select.execute();
    Poco::Data::RecordSet rs(select);
    lease_record lease;
    if (rs.rowCount() == 0)
      return lease;
    lease.holder = text(rs.value(0, 0));
    lease.epoch = static_cast<std::uint64_t>(number(rs.value(1, 0)));
    lease.expires_at = number(rs.value(2, 0));
    return lease;
  }

  /// Runs `f` in a transaction: commits when it returns, rolls back when it
  /// throws (and rethrows).
  template <class F>
  void transaction(F f) {
    session().begin();
    try {
      f();
      session().commit();
    } catch (...) {
      abandon();
      throw;
    }
    end_transaction();
  }

  /// Runs the reads of `f` on one snapshot of the database.
  template <class F>
  void snapshot(F f) {
    transaction([&] {
      // Each statement of a READ COMMITTED transaction sees the latest
      // commits; one snapshot for all needs REPEATABLE READ, set for this
      // transaction only (before its first read starts it).
      if (dialect_ == dialect::mysql)
        session() << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", now;
      f();
    });
  }

  /// `f(session)` in a snapshot, with run()'s retry and errors.
  template <class F>
  auto read(const char* what, F f) -> expected<decltype(f(std::declval<Session&>()))> {
    using T = decltype(f(std::declval<Session&>()));
    return run(what, [&]() -> expected<T> {
      T result;
      snapshot([&] { result = f(session()); });
      return result;
    });
  }

  void abandon() {
    try {
      session_->rollback();
      end_transaction();
    } catch (const Poco::Exception&) {
      // The connection is gone (the server rolls back on its own) or in a
      // state nobody knows: the next call starts on a fresh one.
      session_.reset();
    }
  }

  void end_transaction() {
    // Poco's MySQL begin() switches autocommit off and nothing switches it
    // back: every later read would open a transaction that never ends.
    if (dialect_ != dialect::mysql)
      return;
    try {
      session_->setFeature("autoCommit", true);
    } catch (const Poco::Exception&) {
      // Not a session to keep using, whatever the cause.
      session_.reset();
      throw;
    }
  }

  std::vector<workflow_record> read_workflows() {
    Poco::Data::Statement select(session());
    select << "SELECT name, current_version, " + long_text("dir") + ", "
                + long_text("description") + ", " + long_text("creator") + ", "
                + long_text("file") + ", hash, node_count, status, loaded_at FROM workflow "
                "ORDER BY name";
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<workflow_record> result;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
      workflow_record w;
      w.name = text(rs.value(0, row));
      w.version = static_cast<int>(number(rs.value(1, row)));
      w.dir = text(rs.value(2, row));
      w.desc = text(rs.value(3, row));
      w.creator = text(rs.value(4, row));
      w.file = text(rs.value(5, row));
      w.hash = text(rs.value(6, row));
      w.node_count = static_cast<int>(number(rs.value(7, row)));
      w.status = text(rs.value(8, row));
      w.loaded_at = number(rs.value(9, row));
      std::vector<std::pair<const char*, key_value>> key{{"name", w.name}};
      complete(w.dir, "workflow", "dir", key);
      complete(w.desc, "workflow", "description", key);
      complete(w.creator, "workflow", "creator", key);
      complete(w.file, "workflow", "file", key);
      result.push_back(std::move(w));
    }
    return result;
  }

  std::optional<workflow_version_record> read_workflow_version(const std::string& name,
                                                              int version) {
    auto number_key = static_cast<Poco::Int64>(version);
    Poco::Data::Statement select(session());
    select << "SELECT hash, " + long_text("file") + ", " + long_text("xml")
                + ", loaded_at FROM workflow_version WHERE workflow = ? AND version = ?",
      bind(name), bind(number_key);
    select.execute();
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0)
      return std::nullopt;
    workflow_version_record r;
    r.workflow = name;
    r.version = version;
    r.hash = text(rs.value(0, 0));
    r.file = text(rs.value(1, 0));
    r.xml = text(rs.value(2, 0));
    r.loaded_at = number(rs.value(3, 0));
    std::vector<std::pair<const char*, key_value>> key{{"workflow", name},
                                                       {"version", number_key}};
    complete(r.file, "workflow_version", "file", key);
    complete(r.xml, "workflow_version", "xml", key);
    return r;
  }

  std::vector<xml_file_record> read_xml_files() {
    Poco::Data::Statement select(session());
    select << "SELECT path, kind, name, status, hash, active_version, checked_at, "
                + long_text("diagnostics") + " FROM xml_file ORDER BY path";
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<xml_file_record> result;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
      xml_file_record f;
      f.path = text(rs.value(0, row));
      f.kind = text(rs.value(1, row));
      f.name = text(rs.value(2, row));
      f.status = text(rs.value(3, row));
      f.hash = text(rs.value(4, row));
      f.active_version = static_cast<int>(number(rs.value(5, row)));
      f.checked_at = number(rs.value(6, row));
      auto diagnostics = text(rs.value(7, row));
      complete(diagnostics, "xml_file", "diagnostics", {{"path", f.path}});
      f.diagnostics = diagnostics_from_json(diagnostics);
      result.push_back(std::move(f));
    }
    return result;
  }

  /// Every coordinator state, by workflow.
  std::vector<coordinator_state_record> read_coordinator_states() {
    Poco::Data::Statement select(session());
    select << "SELECT workflow, next_fire, last_fire, " + long_text("state")
                + " FROM coordinator_state ORDER BY workflow";
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<coordinator_state_record> result;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
      coordinator_state_record c;
      c.workflow = text(rs.value(0, row));
      c.next_fire = number(rs.value(1, row));
      c.last_fire = number(rs.value(2, row));
      c.state = text(rs.value(3, row));
      complete(c.state, "coordinator_state", "state", {{"workflow", c.workflow}});
      result.push_back(std::move(c));
    }
    return result;
  }

  /// Fire records matching `where` (SQL after FROM fire_record, its `?`
  /// bound to `values`).
  std::vector<fire_record> read_fires(const std::string& where,
                                      const std::vector<key_value>& values) {
    Poco::Data::Statement select(session());
    select << "SELECT workflow, logical_time, instance_id, fired_at FROM fire_record" + where;
    for (const auto& value : values)
      std::visit([&](const auto& v) { select, bind(v); }, value);
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<fire_record> result;
    for (std::size_t row = 0; row < rs.rowCount(); ++row)
      result.push_back(fire_record{text(rs.value(0, row)), number(rs.value(1, row)),
                                   text(rs.value(2, row)), number(rs.value(3, row))});
    return result;
  }

  /// Dependency records matching `where` (SQL after FROM dependency_state,
  /// its `?` bound to `values`).
  std::vector<dependency_record> read_dependencies(const std::string& where,
                                                   const std::vector<key_value>& values) {
    Poco::Data::Statement select(session());
    select << "SELECT workflow, upstream, logical_time, instance_id, satisfied_at "
              "FROM dependency_state"
                + where;
    for (const auto& value : values)
      std::visit([&](const auto& v) { select, bind(v); }, value);
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<dependency_record> result;
    for (std::size_t row = 0; row < rs.rowCount(); ++row)
      result.push_back(dependency_record{text(rs.value(0, row)), text(rs.value(1, row)),
                                         number(rs.value(2, row)), text(rs.value(3, row)),
                                         number(rs.value(4, row))});
    return result;
  }

  /// Instances matching `where` (SQL after FROM instance, its `?` bound to
  /// `values`).
  std::vector<instance_record> read_instances(const std::string& where,
                                              const std::vector<key_value>& values) {
    Poco::Data::Statement select(session());
    select << instance_columns() + " FROM instance" + where;
    for (const auto& value : values)
      std::visit([&](const auto& v) { select, bind(v); }, value);
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<instance_record> result;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
      instance_record r;
      r.id = text(rs.value(0, row));
      r.workflow = text(rs.value(1, row));
      r.version = static_cast<int>(number(rs.value(2, row)));
      r.status = text(rs.value(3, row));
      r.trigger = text(rs.value(4, row));
      auto params = text(rs.value(5, row));
      r.logical_time = number(rs.value(6, row));
      r.priority = static_cast<int>(number(rs.value(7, row)));
      r.created = number(rs.value(8, row));
      r.started = number(rs.value(9, row));
      r.finished = number(rs.value(10, row));
      r.message = text(rs.value(11, row));
      r.parent_id = text(rs.value(12, row));
      r.backfill_id = text(rs.value(13, row));
      r.origin = text(rs.value(14, row));
      if (r.origin.empty()) // a row from before schema version 3
        r.origin = r.trigger;
      auto options = text(rs.value(15, row));
      complete(options, "instance", "run_options", {{"id", r.id}});
      // Options that no longer read (never written so) run every node.
      if (auto parsed = run_options_from_json(options))
        std::tie(r.run_mode, r.options) = std::move(*parsed);
      r.execution = static_cast<int>(number(rs.value(16, row)));
      r.requested_by = text(rs.value(17, row));
      r.parent_node = text(rs.value(18, row));
      r.depth = static_cast<int>(number(rs.value(19, row)));
      r.timezone = text(rs.value(20, row));
      complete(params, "instance", "params", {{"id", r.id}});
      complete(r.message, "instance", "message", {{"id", r.id}});
      r.params = params_from_json(params);
      result.push_back(std::move(r));
    }
    return result;
  }

  /// Fills in the nodes (in position order) and their attempts (by number)
  /// of `instances`, reading the rows that match `where` in two queries.
  void read_nodes(std::vector<instance_record>& instances, const std::string& where,
                  const std::vector<key_value>& values) {
    std::map<std::string, std::size_t> by_id;
    for (std::size_t i = 0; i < instances.size(); ++i)
      by_id[instances[i].id] = i;
    std::map<std::pair<std::size_t, std::string>, std::size_t> by_node;
    Poco::Data::Statement nodes(session());
    nodes << "SELECT instance_id, node, kind, action_type, status, attempts, started_at, "
             "finished_at, "
               + long_text("message") + " FROM node_instance WHERE " + where
               + " ORDER BY instance_id, position";
    for (const auto& value : values)
      std::visit([&](const auto& v) { nodes, bind(v); }, value);
    nodes.execute();
    Poco::Data::RecordSet ns(nodes);
    for (std::size_t row = 0; row < ns.rowCount(); ++row) {
      auto owner = by_id.find(text(ns.value(0, row)));
      if (owner == by_id.end())
        continue;
      node_record n;
      n.name = text(ns.value(1, row));
      n.kind = text(ns.value(2, row));
      n.action_type = text(ns.value(3, row));
      n.status = text(ns.value(4, row));
      n.attempt_count = static_cast<int>(number(ns.value(5, row)));
      n.started = number(ns.value(6, row));
      n.finished = number(ns.value(7, row));
      n.message = text(ns.value(8, row));
      complete(n.message, "node_instance", "message",
               {{"instance_id", instances[owner->second].id}, {"node", n.name}});
      auto& list = instances[owner->second].nodes;
      by_node[{owner->second, n.name}] = list.size();
      list.push_back(std::move(n));
    }
    Poco::Data::Statement attempts(session());
    attempts << "SELECT instance_id, node, number, worker, epoch, pid, status, exit_code, lost, "
                  + long_text("log_path") + ", started_at, finished_at, " + long_text("message")
                  + ", " + long_text("result") + ", execution, child_id FROM attempt WHERE "
                  + where + " ORDER BY instance_id, node, number";
    for (const auto& value : values)
      std::visit([&](const auto& v) { attempts, bind(v); }, value);
    attempts.execute();
    Poco::Data::RecordSet as(attempts);
    for (std::size_t row = 0; row < as.rowCount(); ++row) {
      auto owner = by_id.find(text(as.value(0, row)));
      if (owner == by_id.end())
        continue;
      auto node = by_node.find({owner->second, text(as.value(1, row))});
      if (node == by_node.end())
        continue;
      attempt_record a;
      a.number = static_cast<int>(number(as.value(2, row)));
      a.worker = text(as.value(3, row));
      a.epoch = static_cast<std::uint64_t>(number(as.value(4, row)));
      a.pid = static_cast<int>(number(as.value(5, row)));
      a.status = text(as.value(6, row));
      a.exit_code = static_cast<int>(number(as.value(7, row)));
      a.lost = number(as.value(8, row)) != 0;
      a.log_path = text(as.value(9, row));
      a.started = number(as.value(10, row));
      a.finished = number(as.value(11, row));
      a.message = text(as.value(12, row));
      a.result = text(as.value(13, row));
      a.execution = static_cast<int>(number(as.value(14, row)));
      a.child_id = text(as.value(15, row));
      std::vector<std::pair<const char*, key_value>> key{
        {"instance_id", instances[owner->second].id},
        {"node", text(as.value(1, row))},
        {"number", static_cast<Poco::Int64>(a.number)}};
      complete(a.log_path, "attempt", "log_path", key);
      complete(a.message, "attempt", "message", key);
      complete(a.result, "attempt", "result", key);
      instances[owner->second].nodes[node->second].attempts.push_back(std::move(a));
    }
  }

  /// The writes of one batch, inside its transaction.
  void write(const std::vector<store_write>& batch) {
    // Workflows first, then instances, nodes, attempts: every row comes
    // after the rows it refers to. Rows of one table go in multi-row
    // statements. Of several writes of one xml file or coordinator only the
    // last counts (puts and deletes run separately, so their order would be
    // lost).
    std::vector<const instance_put*> instances;
    std::vector<const node_put*> nodes;
    std::vector<const attempt_put*> attempts;
    std::vector<const dependency_put*> dependencies;
    std::vector<const fire_put*> fires;
    std::vector<const execution_put*> executions;
    std::vector<const backfill_put*> backfills;
    std::vector<const backfill_item_put*> backfill_items;
    std::vector<const alert_record*> alerts;
    std::map<std::string, const store_write*> files;
    std::map<std::string, const store_write*> coordinators;
    for (const auto& write : batch) {
      if (auto* w = std::get_if<workflow_put>(&write))
        put(*w);
      else if (auto* i = write_if<instance_put>(write))
        instances.push_back(i);
      else if (auto* n = std::get_if<node_put>(&write))
        nodes.push_back(n);
      else if (auto* a = std::get_if<attempt_put>(&write))
        attempts.push_back(a);
      else if (auto* f = std::get_if<xml_file_put>(&write))
        files[f->record.path] = &write;
      else if (auto* d = std::get_if<xml_file_delete>(&write))
        files[d->path] = &write;
      else if (auto* c = std::get_if<coordinator_put>(&write))
        coordinators[c->record.workflow] = &write;
      else if (auto* c = std::get_if<coordinator_delete>(&write))
        coordinators[c->workflow] = &write;
      else if (auto* d = std::get_if<dependency_put>(&write))
        dependencies.push_back(d);
      else if (auto* f = std::get_if<fire_put>(&write))
        fires.push_back(f);
      else if (auto* e = std::get_if<execution_put>(&write))
        executions.push_back(e);
      else if (auto* b = std::get_if<backfill_put>(&write))
        backfills.push_back(b);
      else if (auto* i = std::get_if<backfill_item_put>(&write))
        backfill_items.push_back(i);
      else if (auto* a = write_if<alert_put>(write))
        alerts.push_back(&a->record);
    }
    put_rows(instance_table, instances);
    put_rows(node_table, nodes);
    put_rows(attempt_table, attempts);
    put_or_delete<xml_file_put>(xml_file_table, files);
    put_or_delete<coordinator_put>(coordinator_table, coordinators);
    put_rows(dependency_table, dependencies);
    put_rows(fire_table, fires);
    put_rows(execution_table, executions);
    sql::put_backfills(session(), dialect_, backfills);
    sql::put_backfill_items(session(), dialect_, backfill_items);
    sql_insert_alerts(session(), dialect_ == dialect::mysql, alerts);
  }

  /// Writes the last write of each key of `table` (a table with a one-column
  /// key): the puts (of type Put) upserted, the others deleted.
  template <class Put>
  void put_or_delete(const table_spec& table,
                     const std::map<std::string, const store_write*>& last) {
    std::vector<const Put*> puts;
    std::vector<std::string> deletes;
    for (const auto& [key, write] : last) {
      if (auto* p = std::get_if<Put>(write))
        puts.push_back(p);
      else
        deletes.push_back(key);
    }
    put_rows(table, puts);
    delete_rows(table, deletes);
  }

  void put(const workflow_put& w) {
    const auto& r = w.record;
    auto version = static_cast<Poco::Int64>(r.version);
    auto loaded = static_cast<Poco::Int64>(r.loaded_at);
    auto nodes = static_cast<Poco::Int64>(r.node_count);
    session() << upsert(dialect_, workflow_table, 1), bind(valid_utf8(r.name)), bind(version),
      bind(valid_utf8(r.dir)), bind(valid_utf8(r.desc)), bind(valid_utf8(r.creator)),
      bind(valid_utf8(r.file)), bind(r.hash), bind(nodes), bind(r.status), bind(loaded), now;
    if (w.xml.empty())
      return; // a status change only
    session() << upsert(dialect_, workflow_version_table, 1), bind(valid_utf8(r.name)),
      bind(version), bind(r.hash), bind(valid_utf8(r.file)), bind(valid_utf8(w.xml)), bind(loaded),
      now;
  }

  /// Upserts `rows` into `table`, many per statement.
  template <class Put>
  void put_rows(const table_spec& table, const std::vector<const Put*>& rows) {
    for (std::size_t first = 0; first < rows.size(); first += rows_per_statement) {
      auto count = std::min(rows_per_statement, rows.size() - first);
      Poco::Data::Statement insert(session());
      insert << upsert(dialect_, table, count);
      for (std::size_t i = first; i < first + count; ++i)
        bind_row(insert, *rows[i]);
      insert.execute();
    }
  }

  /// Deletes the rows of `table` (a table with a one-column key) whose key
  /// is one of `keys`, many per statement.
  void delete_rows(const table_spec& table, const std::vector<std::string>& keys) {
    for (std::size_t first = 0; first < keys.size(); first += rows_per_statement) {
      auto count = std::min(rows_per_statement, keys.size() - first);
      std::string sql = "DELETE FROM " + table.table + " WHERE " + table.keys.front() + " IN (";
      for (std::size_t i = 0; i < count; ++i)
        sql += i == 0 ? "?" : ", ?";
      Poco::Data::Statement erase(session());
      erase << sql + ")";
      for (std::size_t i = first; i < first + count; ++i)
        erase, bind(valid_utf8(keys[i]));
      erase.execute();
    }
  }

  static void bind_row(Poco::Data::Statement& s, const instance_put& i) {
    const auto& r = i.record;
    s, bind(r.id), bind(valid_utf8(r.workflow)), bind(static_cast<Poco::Int64>(r.version)),
      bind(r.status), bind(r.trigger), bind(params_to_json(r.params)),
      bind(static_cast<Poco::Int64>(r.logical_time)), bind(static_cast<Poco::Int64>(r.priority)),
      bind(static_cast<Poco::Int64>(r.created)), bind(static_cast<Poco::Int64>(r.started)),
      bind(static_cast<Poco::Int64>(r.finished)), bind(valid_utf8(r.message)), bind(r.parent_id),
      bind(valid_utf8(r.backfill_id)), bind(r.origin),
      bind(valid_utf8(run_options_to_json(r.run_mode, r.options))),
      bind(static_cast<Poco::Int64>(r.execution)), bind(valid_utf8(r.requested_by)),
      bind(valid_utf8(r.parent_node)), bind(static_cast<Poco::Int64>(r.depth)),
      bind(r.timezone);
  }

  static void bind_row(Poco::Data::Statement& s, const node_put& n) {
    const auto& r = n.record;
    s, bind(n.instance_id), bind(valid_utf8(r.name)), bind(static_cast<Poco::Int64>(n.position)),
      bind(r.kind), bind(r.action_type), bind(r.status),
      bind(static_cast<Poco::Int64>(r.attempt_count)), bind(static_cast<Poco::Int64>(r.started)),
      bind(static_cast<Poco::Int64>(r.finished)), bind(valid_utf8(r.message));
  }

  static void bind_row(Poco::Data::Statement& s, const attempt_put& a) {
    const auto& r = a.record;
    s, bind(a.instance_id), bind(valid_utf8(a.node)), bind(static_cast<Poco::Int64>(r.number)),
      bind(valid_utf8(r.worker)), bind(static_cast<Poco::Int64>(r.epoch)),
      bind(static_cast<Poco::Int64>(r.pid)), bind(r.status),
      bind(static_cast<Poco::Int64>(r.exit_code)), bind(static_cast<Poco::Int64>(r.lost ? 1 : 0)),
      bind(valid_utf8(r.log_path)), bind(static_cast<Poco::Int64>(r.started)),
      bind(static_cast<Poco::Int64>(r.finished)), bind(valid_utf8(r.message)),
      bind(valid_utf8(r.result)), bind(static_cast<Poco::Int64>(r.execution)),
      bind(r.child_id);
  }

  static void bind_row(Poco::Data::Statement& s, const xml_file_put& f) {
    const auto& r = f.record;
    s, bind(valid_utf8(r.path)), bind(r.kind), bind(valid_utf8(r.name)), bind(r.status),
      bind(r.hash), bind(static_cast<Poco::Int64>(r.active_version)),
      bind(static_cast<Poco::Int64>(r.checked_at)), bind(diagnostics_to_json(r));
  }

  static void bind_row(Poco::Data::Statement& s, const coordinator_put& c) {
    const auto& r = c.record;
    s, bind(valid_utf8(r.workflow)), bind(static_cast<Poco::Int64>(r.next_fire)),
      bind(static_cast<Poco::Int64>(r.last_fire)), bind(state_json(r));
  }

  static void bind_row(Poco::Data::Statement& s, const dependency_put& d) {
    const auto& r = d.record;
    s, bind(valid_utf8(r.workflow)), bind(valid_utf8(r.upstream)),
      bind(static_cast<Poco::Int64>(r.logical_time)), bind(r.instance_id),
      bind(static_cast<Poco::Int64>(r.satisfied_at));
  }

  static void bind_row(Poco::Data::Statement& s, const execution_put& e) {
    const auto& r = e.record;
    s, bind(r.instance_id), bind(static_cast<Poco::Int64>(r.number)), bind(r.trigger),
      bind(valid_utf8(r.requested_by)), bind(valid_utf8(r.options)),
      bind(static_cast<Poco::Int64>(r.started)), bind(static_cast<Poco::Int64>(r.finished)),
      bind(r.status), bind(valid_utf8(node_lists_to_json(r.nodes)));
  }

  static void bind_row(Poco::Data::Statement& s, const fire_put& f) {
    const auto& r = f.record;
    s, bind(valid_utf8(r.workflow)), bind(static_cast<Poco::Int64>(r.logical_time)),
      bind(r.instance_id), bind(static_cast<Poco::Int64>(r.fired_at));
  }

  /// Runs `f`, turning exceptions into store errors that name the store, the
  /// operation and the cause. When the connection to a MySQL server turns
  /// out to be lost, `f` runs once more on a fresh connection (a server
  /// restart, a failover): a second failure is the caller's to handle.
  template <class F>
  auto run(const char* what, F f) -> decltype(f()) {
    std::string cause;
    for (int attempt = 1;; ++attempt) {
      try {
        return f();
      } catch (const fenced_write& e) {
        // Not the connection's fault: another try would be fenced as well.
        return make_error(ec::fenced, e.what());
      } catch (const Poco::Exception& e) {
        cause = e.displayText();
        bool lost = dialect_ == dialect::mysql && connection_lost(e);
        if (lost)
          session_.reset();
        if (lost && attempt == 1)
          continue;
      } catch (const std::exception& e) {
        cause = e.what();
      }
      return make_error(ec::store_error, name_ + ": " + what + " failed: " + cause);
    }
  }

  dialect dialect_;
  connector connect_;
  /// Null after a lost connection, until the next call reconnects.
  std::unique_ptr<Session> session_;
  std::string name_;
  /// The master lease that apply() and fire() check before writing: its
  /// holder ("" = no fence) and epoch (see fence()).
  std::string fence_holder_;
  std::uint64_t fence_epoch_ = 0;
};

std::unique_ptr<Session> connect_sqlite(const std::string& path, int busy_timeout_ms) {
  // Processes that open a new file at the same moment (a master, a standby
  // and the http server starting together) race for the lock that the switch
  // to WAL takes; SQLite answers "locked" without calling the busy handler
  // there. So the whole opening is retried until the busy timeout is over.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    try {
      auto session = std::make_unique<Session>("SQLite", path);
      *session << "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms), now;
      // WAL lets the API read while the master writes; NORMAL sync is safe in
      // WAL mode and ~500x faster per commit than the default (STACK.md).
      *session << "PRAGMA journal_mode=WAL", now;
      *session << "PRAGMA synchronous=NORMAL", now;
      *session << "PRAGMA foreign_keys=ON", now;
      return session;
    } catch (const Poco::Data::SQLite::DBLockedException&) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw;
    } catch (const Poco::Data::SQLite::TableLockedException&) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Why an existing file at `path` is no store to open ("" when it is one,
/// or when there is none: a new store is created then). A file that is
/// empty or not SQLite would otherwise become a new, empty store, and all
/// history would vanish from view.
///
/// Only stat() and SQLite itself touch the file: closing a descriptor of
/// our own on it would drop every POSIX lock this process holds on it —
/// those of the store's other connections too (the writer's, while the
/// reader connects) — and another process could then reset the WAL under
/// them, losing commits.
const std::string not_a_store_advice =
  ": it is not a cafflow database. Restore the database (or fix store.url), or move the file "
  "away to start with an empty store";

std::string sqlite_file_problem(const std::string& path, int busy_timeout_ms) {
  struct stat st {};
  // A master that creates the store writes its header within microseconds
  // of creating the file: a file still empty a moment later is no store.
  for (int tries = 0;; ++tries) {
    if (::stat(path.c_str(), &st) != 0)
      return errno == ENOENT ? std::string() : std::string(std::strerror(errno));
    if (!S_ISREG(st.st_mode))
      return "'" + path + "' is not a file" + (S_ISDIR(st.st_mode) ? " but a directory" : "")
             + not_a_store_advice;
    if (st.st_size > 0 || tries >= 20)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (st.st_size == 0)
    return "'" + path + "' is empty (0 bytes)" + not_a_store_advice;
  // Looked at before anything (journal mode, migrations) writes to it.
  std::vector<std::string> tables;
  try {
    Session look("SQLite", path);
    look << "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms), now;
    Poco::Data::Statement select(look);
    select << "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
    select.execute();
    Poco::Data::RecordSet rs(select);
    for (std::size_t row = 0; row < rs.rowCount(); ++row)
      tables.push_back(text(rs.value(0, row)));
  } catch (const Poco::Exception& e) {
    if (e.displayText().find("not a database") == std::string::npos)
      throw;
    return "'" + path + "' is not an SQLite database (SQLite: " + e.displayText() + ")"
           + not_a_store_advice;
  }
  // No table at all: an empty database, as good as a new one.
  if (tables.empty() || std::find(tables.begin(), tables.end(), "schema_version") != tables.end())
    return {};
  if (tables.size() > 5) {
    tables.resize(5);
    tables.push_back("...");
  }
  return "'" + path + "' holds tables (" + join(tables, ", ") + ") but not cafflow's"
         + not_a_store_advice;
}

std::unique_ptr<Session> connect_mysql(const std::string& connection, int busy_timeout_ms) {
  // Never auto-reconnect: it would silently drop the session settings below
  // and an open transaction; run() reconnects and retries explicitly.
  auto session = std::make_unique<Session>("MySQL", connection, mysql_connect_timeout_s);
  *session << "SET NAMES utf8mb4", now;
  *session << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
              "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
    now;
  *session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", now;
  // The MySQL counterpart of SQLite's busy timeout: how long to wait for a
  // row lock.
  *session << "SET SESSION innodb_lock_wait_timeout = "
                + std::to_string(std::max(1, (busy_timeout_ms + 999) / 1000)),
    now;
  return session;
}

} // namespace

expected<std::unique_ptr<store>> open_store(const store_url& url, int busy_timeout_ms) {
  try {
    if (url.type == store_url::backend::sqlite) {
      static std::once_flag registered;
      std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
      auto path = url.path;
      if (auto problem = sqlite_file_problem(path, busy_timeout_ms); !problem.empty())
        return make_error(ec::store_error, "cannot open store " + url.redacted() + ": " + problem);
      connector connect = [path, busy_timeout_ms] { return connect_sqlite(path, busy_timeout_ms); };
      auto session = connect();
      return std::unique_ptr<store>(std::make_unique<sql_store>(
        dialect::sqlite, std::move(connect), std::move(session), url.redacted()));
    }
    static std::once_flag registered;
    std::call_once(registered, [] { Poco::Data::MySQL::Connector::registerConnector(); });
    // Poco's connection string has no quoting: a ';' would end the value.
    for (const auto* part : {&url.user, &url.password, &url.host, &url.database})
      if (part->find(';') != std::string::npos)
        return make_error(ec::invalid_config,
                          "cannot open store " + url.redacted()
                            + ": the user, password, host and database must not contain ';'");
    auto connection = "host=" + url.host + ";port=" + std::to_string(url.port) + ";user="
                      + url.user + ";password=" + url.password + ";db=" + url.database
                      + ";character-set=utf8mb4;compress=false;auto-reconnect=false";
    connector connect = [connection, busy_timeout_ms] {
      return connect_mysql(connection, busy_timeout_ms);
    };
    auto session = connect();
    return std::unique_ptr<store>(std::make_unique<sql_store>(
      dialect::mysql, std::move(connect), std::move(session), url.redacted()));
  } catch (const Poco::Exception& e) {
    return make_error(ec::store_error,
                      "cannot open store " + url.redacted() + ": " + e.displayText());
  }
}

} // namespace cafflow
