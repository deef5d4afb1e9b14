// The store on Poco::Data, for SQLite (and, with its dialect, MySQL/MariaDB).
#include <algorithm>
#include <mutex>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <nlohmann/json.hpp>

#include "store/migrations.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::now;

enum class dialect { sqlite, mysql };

/// The columns of a table that cafflow upserts, its key first.
struct table_spec {
  std::string table;
  std::vector<std::string> keys;
  std::vector<std::string> columns;
};

/// INSERT of `rows` rows that updates `columns` when a row with the same key
/// exists.
std::string upsert(dialect d, const table_spec& t, std::size_t rows) {
  std::vector<std::string> all = t.keys;
  all.insert(all.end(), t.columns.begin(), t.columns.end());
  std::string tuple = "(";
  for (std::size_t i = 0; i < all.size(); ++i)
    tuple += i == 0 ? "?" : ", ?";
  tuple += ")";
  std::string sql = "INSERT INTO " + t.table + " (" + join(all, ", ") + ") VALUES ";
  for (std::size_t r = 0; r < rows; ++r)
    sql += r == 0 ? tuple : ", " + tuple;
  std::vector<std::string> sets;
  for (const auto& c : t.columns)
    sets.push_back(d == dialect::sqlite ? c + " = excluded." + c : c + " = VALUES(" + c + ")");
  if (d == dialect::sqlite)
    sql += " ON CONFLICT (" + join(t.keys, ", ") + ") DO UPDATE SET " + join(sets, ", ");
  else
    sql += " ON DUPLICATE KEY UPDATE " + join(sets, ", ");
  return sql;
}

const table_spec workflow_table{"workflow", {"name"},
                                {"current_version", "dir", "description", "creator", "file",
                                 "hash", "node_count", "status", "loaded_at"}};
const table_spec workflow_version_table{"workflow_version", {"workflow", "version"},
                                        {"hash", "file", "xml", "loaded_at"}};
const table_spec instance_table{"instance", {"id"},
                                {"workflow", "version", "status", "trigger_kind", "params",
                                 "logical_time", "priority", "created_at", "started_at",
                                 "finished_at", "message"}};
const table_spec node_table{"node_instance", {"instance_id", "node"},
                            {"position", "kind", "action_type", "status", "attempts",
                             "started_at", "finished_at", "message"}};
const table_spec attempt_table{"attempt", {"instance_id", "node", "number"},
                               {"worker", "epoch", "pid", "status", "exit_code", "lost",
                                "log_path", "started_at", "finished_at", "message"}};

/// Rows per INSERT: one statement to parse for many rows, far below the
/// placeholder limits of SQLite (32766) and MySQL (65535).
constexpr std::size_t rows_per_statement = 100;

std::string text(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? std::string{} : v.convert<std::string>();
}

std::int64_t number(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

std::string params_to_json(const param_map& params) {
  return nlohmann::json(params).dump();
}

param_map params_from_json(const std::string& json) {
  param_map result;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_object())
    for (auto& [key, value] : parsed.items())
      result[key] = value.is_string() ? value.get<std::string>() : value.dump();
  return result;
}

class sql_store final : public store {
public:
  sql_store(dialect d, std::unique_ptr<Poco::Data::Session> session, std::string name)
    : dialect_(d), session_(std::move(session)), name_(std::move(name)) {}

  expected<void> migrate() override {
    return guard("migrate", [&]() -> expected<void> {
      auto& s = *session_;
      s << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, "
           "name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)",
        now;
      auto current = schema_version();
      if (!current)
        return current.error();
      auto all = migrations_for(dialect_ == dialect::sqlite ? "sqlite" : "mysql");
      int latest = all.empty() ? 0 : all.back().version;
      if (*current > latest)
        return make_error(ec::schema_too_new,
                          name_ + ": the database has schema version " + std::to_string(*current)
                            + " but this cafflow knows only up to " + std::to_string(latest)
                            + "; upgrade cafflow");
      for (const auto& m : all) {
        if (m.version <= *current)
          continue;
        s.begin();
        try {
          for (const auto& statement : m.statements)
            s << statement, now;
          auto version = m.version;
          auto stamp = static_cast<Poco::Int64>(now_ms());
          s << "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            bind(version), bind(m.name), bind(stamp), now;
          s.commit();
        } catch (...) {
          s.rollback();
          throw;
        }
      }
      return {};
    });
  }

  expected<int> schema_version() override {
    return guard("schema_version", [&]() -> expected<int> {
      Poco::Data::Statement select(*session_);
      select << "SELECT MAX(version) FROM schema_version";
      select.execute();
      Poco::Data::RecordSet rs(select);
      return rs.rowCount() == 0 ? 0 : static_cast<int>(number(rs.value(0, 0)));
    });
  }

  expected<void> apply(const std::vector<store_write>& batch) override {
    if (batch.empty())
      return {};
    return guard("write", [&]() -> expected<void> {
      // Workflows first, then instances, nodes, attempts: every row comes
      // after the rows it refers to. Rows of one table go in multi-row
      // statements.
      std::vector<const instance_put*> instances;
      std::vector<const node_put*> nodes;
      std::vector<const attempt_put*> attempts;
      auto& s = *session_;
      s.begin();
      try {
        for (const auto& write : batch) {
          if (auto* w = std::get_if<workflow_put>(&write))
            put(*w);
          else if (auto* i = std::get_if<instance_put>(&write))
            instances.push_back(i);
          else if (auto* n = std::get_if<node_put>(&write))
            nodes.push_back(n);
          else if (auto* a = std::get_if<attempt_put>(&write))
            attempts.push_back(a);
        }
        put_rows(instance_table, instances);
        put_rows(node_table, nodes);
        put_rows(attempt_table, attempts);
        s.commit();
      } catch (...) {
        s.rollback();
        throw;
      }
      return {};
    });
  }

  expected<std::vector<workflow_record>> workflows() override {
    return guard("read workflows", [&]() -> expected<std::vector<workflow_record>> {
      Poco::Data::Statement select(*session_);
      select << "SELECT name, current_version, dir, description, creator, file, hash, "
                "node_count, status, loaded_at FROM workflow ORDER BY name";
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
        result.push_back(std::move(w));
      }
      return result;
    });
  }

  expected<std::vector<instance_record>> instances(const instance_filter& filter) override {
    return guard("read instances", [&]() -> expected<std::vector<instance_record>> {
      Poco::Data::Statement select(*session_);
      std::string sql = std::string(instance_columns) + " FROM instance WHERE 1 = 1";
      auto workflow = filter.workflow;
      auto status = filter.status;
      auto limit = static_cast<Poco::Int64>(filter.limit);
      auto offset = static_cast<Poco::Int64>(filter.offset);
      if (!workflow.empty())
        sql += " AND workflow = ?";
      if (!status.empty())
        sql += " AND status = ?";
      sql += " ORDER BY id DESC LIMIT ? OFFSET ?";
      select << sql;
      if (!workflow.empty())
        select, bind(workflow);
      if (!status.empty())
        select, bind(status);
      select, bind(limit), bind(offset);
      select.execute();
      Poco::Data::RecordSet rs(select);
      std::vector<instance_record> result;
      for (std::size_t row = 0; row < rs.rowCount(); ++row)
        result.push_back(instance_from(rs, row));
      return result;
    });
  }

  expected<std::optional<instance_record>> instance(const std::string& id) override {
    return guard("read instance", [&]() -> expected<std::optional<instance_record>> {
      auto key = id;
      Poco::Data::Statement select(*session_);
      select << std::string(instance_columns) + " FROM instance WHERE id = ?", bind(key);
      select.execute();
      Poco::Data::RecordSet rs(select);
      if (rs.rowCount() == 0)
        return std::optional<instance_record>{};
      auto result = instance_from(rs, 0);
      Poco::Data::Statement nodes(*session_);
      nodes << "SELECT node, kind, action_type, status, attempts, started_at, finished_at, "
               "message FROM node_instance WHERE instance_id = ? ORDER BY position",
        bind(key);
      nodes.execute();
      Poco::Data::RecordSet ns(nodes);
      std::map<std::string, std::size_t> by_name;
      for (std::size_t row = 0; row < ns.rowCount(); ++row) {
        node_record n;
        n.name = text(ns.value(0, row));
        n.kind = text(ns.value(1, row));
        n.action_type = text(ns.value(2, row));
        n.status = text(ns.value(3, row));
        n.attempt_count = static_cast<int>(number(ns.value(4, row)));
        n.started = number(ns.value(5, row));
        n.finished = number(ns.value(6, row));
        n.message = text(ns.value(7, row));
        by_name[n.name] = result.nodes.size();
        result.nodes.push_back(std::move(n));
      }
      Poco::Data::Statement attempts(*session_);
      attempts << "SELECT node, number, worker, epoch, pid, status, exit_code, lost, log_path, "
                  "started_at, finished_at, message FROM attempt WHERE instance_id = ? "
                  "ORDER BY node, number",
        bind(key);
      attempts.execute();
      Poco::Data::RecordSet as(attempts);
      for (std::size_t row = 0; row < as.rowCount(); ++row) {
        auto it = by_name.find(text(as.value(0, row)));
        if (it == by_name.end())
          continue;
        attempt_record a;
        a.number = static_cast<int>(number(as.value(1, row)));
        a.worker = text(as.value(2, row));
        a.epoch = static_cast<std::uint64_t>(number(as.value(3, row)));
        a.pid = static_cast<int>(number(as.value(4, row)));
        a.status = text(as.value(5, row));
        a.exit_code = static_cast<int>(number(as.value(6, row)));
        a.lost = number(as.value(7, row)) != 0;
        a.log_path = text(as.value(8, row));
        a.started = number(as.value(9, row));
        a.finished = number(as.value(10, row));
        a.message = text(as.value(11, row));
        result.nodes[it->second].attempts.push_back(std::move(a));
      }
      return std::optional<instance_record>{std::move(result)};
    });
  }

  expected<std::string> last_instance_id() override {
    return guard("read last instance id", [&]() -> expected<std::string> {
      Poco::Data::Statement select(*session_);
      select << "SELECT MAX(id) FROM instance";
      select.execute();
      Poco::Data::RecordSet rs(select);
      return rs.rowCount() == 0 ? std::string{} : text(rs.value(0, 0));
    });
  }

  expected<int> fail_unfinished(const std::string& message, timestamp now_time) override {
    return guard("fail unfinished instances", [&]() -> expected<int> {
      auto& s = *session_;
      auto stamp = static_cast<Poco::Int64>(now_time);
      auto text = message;
      s.begin();
      try {
        Poco::Data::Statement count(s);
        count << "SELECT COUNT(*) FROM instance WHERE status IN ('queued', 'running')";
        count.execute();
        Poco::Data::RecordSet rs(count);
        auto n = static_cast<int>(number(rs.value(0, 0)));
        s << "UPDATE node_instance SET status = 'killed', finished_at = ?, message = ? "
             "WHERE status IN ('running', 'retrying', 'waiting') AND instance_id IN "
             "(SELECT id FROM instance WHERE status IN ('queued', 'running'))",
          bind(stamp), bind(text), now;
        s << "UPDATE attempt SET status = 'lost', lost = 1, finished_at = ?, message = ? "
             "WHERE status = 'running' AND instance_id IN "
             "(SELECT id FROM instance WHERE status IN ('queued', 'running'))",
          bind(stamp), bind(text), now;
        s << "UPDATE instance SET status = 'failed', finished_at = ?, message = ? "
             "WHERE status IN ('queued', 'running')",
          bind(stamp), bind(text), now;
        s.commit();
        return n;
      } catch (...) {
        s.rollback();
        throw;
      }
    });
  }

private:
  static constexpr const char* instance_columns =
    "SELECT id, workflow, version, status, trigger_kind, params, logical_time, priority, "
    "created_at, started_at, finished_at, message";

  static instance_record instance_from(Poco::Data::RecordSet& rs, std::size_t row) {
    instance_record r;
    r.id = text(rs.value(0, row));
    r.workflow = text(rs.value(1, row));
    r.version = static_cast<int>(number(rs.value(2, row)));
    r.status = text(rs.value(3, row));
    r.trigger = text(rs.value(4, row));
    r.params = params_from_json(text(rs.value(5, row)));
    r.logical_time = number(rs.value(6, row));
    r.priority = static_cast<int>(number(rs.value(7, row)));
    r.created = number(rs.value(8, row));
    r.started = number(rs.value(9, row));
    r.finished = number(rs.value(10, row));
    r.message = text(rs.value(11, row));
    return r;
  }

  void put(const workflow_put& w) {
    const auto& r = w.record;
    auto version = static_cast<Poco::Int64>(r.version);
    auto loaded = static_cast<Poco::Int64>(r.loaded_at);
    auto nodes = static_cast<Poco::Int64>(r.node_count);
    *session_ << upsert(dialect_, workflow_table, 1), bind(r.name), bind(version), bind(r.dir),
      bind(r.desc), bind(r.creator), bind(r.file), bind(r.hash), bind(nodes), bind(r.status),
      bind(loaded), now;
    if (w.xml.empty())
      return; // a status change only
    *session_ << upsert(dialect_, workflow_version_table, 1), bind(r.name), bind(version),
      bind(r.hash), bind(r.file), bind(w.xml), bind(loaded), now;
  }

  /// Upserts `rows` into `table`, many per statement.
  template <class Put>
  void put_rows(const table_spec& table, const std::vector<const Put*>& rows) {
    for (std::size_t first = 0; first < rows.size(); first += rows_per_statement) {
      auto count = std::min(rows_per_statement, rows.size() - first);
      Poco::Data::Statement insert(*session_);
      insert << upsert(dialect_, table, count);
      for (std::size_t i = first; i < first + count; ++i)
        bind_row(insert, *rows[i]);
      insert.execute();
    }
  }

  static void bind_row(Poco::Data::Statement& s, const instance_put& i) {
    const auto& r = i.record;
    s, bind(r.id), bind(r.workflow), bind(static_cast<Poco::Int64>(r.version)), bind(r.status),
      bind(r.trigger), bind(params_to_json(r.params)), bind(static_cast<Poco::Int64>(r.logical_time)),
      bind(static_cast<Poco::Int64>(r.priority)), bind(static_cast<Poco::Int64>(r.created)),
      bind(static_cast<Poco::Int64>(r.started)), bind(static_cast<Poco::Int64>(r.finished)),
      bind(r.message);
  }

  static void bind_row(Poco::Data::Statement& s, const node_put& n) {
    const auto& r = n.record;
    s, bind(n.instance_id), bind(r.name), bind(static_cast<Poco::Int64>(n.position)), bind(r.kind),
      bind(r.action_type), bind(r.status), bind(static_cast<Poco::Int64>(r.attempt_count)),
      bind(static_cast<Poco::Int64>(r.started)), bind(static_cast<Poco::Int64>(r.finished)),
      bind(r.message);
  }

  static void bind_row(Poco::Data::Statement& s, const attempt_put& a) {
    const auto& r = a.record;
    s, bind(a.instance_id), bind(a.node), bind(static_cast<Poco::Int64>(r.number)), bind(r.worker),
      bind(static_cast<Poco::Int64>(r.epoch)), bind(static_cast<Poco::Int64>(r.pid)), bind(r.status),
      bind(static_cast<Poco::Int64>(r.exit_code)), bind(static_cast<Poco::Int64>(r.lost ? 1 : 0)),
      bind(r.log_path), bind(static_cast<Poco::Int64>(r.started)),
      bind(static_cast<Poco::Int64>(r.finished)), bind(r.message);
  }

  /// Runs `f`, turning Poco exceptions into store errors that name the operation.
  template <class F>
  auto guard(const char* what, F f) -> decltype(f()) {
    try {
      return f();
    } catch (const Poco::Exception& e) {
      return make_error(ec::store_error, name_ + ": " + what + " failed: " + e.displayText());
    } catch (const std::exception& e) {
      return make_error(ec::store_error, name_ + ": " + what + " failed: " + e.what());
    }
  }

  dialect dialect_;
  std::unique_ptr<Poco::Data::Session> session_;
  std::string name_;
};

} // namespace

expected<std::unique_ptr<store>> open_store(const store_url& url, int busy_timeout_ms) {
  try {
    if (url.type == store_url::backend::sqlite) {
      static std::once_flag registered;
      std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
      auto session = std::make_unique<Poco::Data::Session>("SQLite", url.path);
      // WAL lets the API read while the master writes; NORMAL sync is safe in
      // WAL mode and ~500x faster per commit than the default (STACK.md).
      *session << "PRAGMA journal_mode=WAL", now;
      *session << "PRAGMA synchronous=NORMAL", now;
      *session << "PRAGMA busy_timeout=" + std::to_string(busy_timeout_ms), now;
      *session << "PRAGMA foreign_keys=ON", now;
      return std::unique_ptr<store>(
        std::make_unique<sql_store>(dialect::sqlite, std::move(session), url.redacted()));
    }
    return make_error(ec::store_error, "the MySQL/MariaDB store is not available in this build: "
                                         + url.redacted());
  } catch (const Poco::Exception& e) {
    return make_error(ec::store_error,
                      "cannot open store " + url.redacted() + ": " + e.displayText());
  }
}

} // namespace cafflow
