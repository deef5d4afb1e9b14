#include "store/backup.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <sqlite3.h>

#include "error.hpp"

namespace cafflow {

namespace fs = std::filesystem;

namespace {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

expected<db_ptr> open_db(const std::string& path, int flags, const char* what) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_ptr db(raw);
  if (rc != SQLITE_OK)
    return make_error(ec::store_error, std::string("cannot open ") + what + " " + path + ": "
                                         + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

/// The single value of a query, as text ("" when there is no row).
expected<std::string> scalar(sqlite3* db, const std::string& sql, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return make_error(ec::store_error, path + ": " + sqlite3_errmsg(db));
  std::string value;
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return make_error(ec::store_error, path + ": " + sqlite3_errmsg(db));
  return value;
}

/// Checks that `db` (at `path`) is an intact cafflow store; its schema version.
expected<int> check_store(sqlite3* db, const std::string& path) {
  auto integrity = scalar(db, "PRAGMA integrity_check", path);
  if (!integrity)
    return make_error(ec::store_error, path + " is not a SQLite database: "
                                         + integrity.error().message);
  if (*integrity != "ok")
    return make_error(ec::store_error, path + " is damaged: " + *integrity);
  auto table = scalar(db,
                      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = "
                      "'schema_version'",
                      path);
  if (!table)
    return table.error();
  if (table->empty())
    return make_error(ec::store_error, path + " is a SQLite database but not a cafflow store "
                                              "(it has no schema_version table)");
  auto version = scalar(db, "SELECT MAX(version) FROM schema_version", path);
  if (!version)
    return version.error();
  return version->empty() ? 0 : std::stoi(*version);
}

/// Copies `from` into `to` with the backup API, `step_pages` at a time.
expected<backup_counts> copy_pages(sqlite3* from, sqlite3* to, const std::string& from_path,
                                   const std::string& to_path, int step_pages,
                                   const std::function<void(const std::string&)>& progress) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr)
    return make_error(ec::store_error,
                      "cannot copy " + from_path + " to " + to_path + ": " + sqlite3_errmsg(to));
  int rc = SQLITE_OK;
  int busy = 0;
  auto last_report = std::chrono::steady_clock::now();
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    rc = sqlite3_backup_step(backup, step_pages);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (++busy > 600) // ~60 s of a locked database
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (progress && std::chrono::steady_clock::now() - last_report > std::chrono::seconds(2)) {
      last_report = std::chrono::steady_clock::now();
      auto total = sqlite3_backup_pagecount(backup);
      progress(std::to_string(total - sqlite3_backup_remaining(backup)) + " / "
               + std::to_string(total) + " pages");
    }
  }
  backup_counts counts;
  counts.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return make_error(ec::store_error, "cannot copy " + from_path + " to " + to_path + ": "
                                         + sqlite3_errstr(rc)
                                         + (rc == SQLITE_BUSY || rc == SQLITE_LOCKED
                                              ? " (the database stayed locked for a minute)"
                                              : ""));
  return counts;
}

} // namespace

expected<backup_counts> sqlite_backup(const std::string& source, const std::string& target,
                                      bool overwrite,
                                      const std::function<void(const std::string&)>& progress) {
  std::error_code err;
  if (!fs::exists(source, err))
    return make_error(ec::store_error, "no store to back up at " + source);
  if (fs::exists(target, err) && !overwrite)
    return make_error(ec::invalid_argument,
                      "backup file " + target + " exists already (give another name, or --force)");
  if (fs::exists(target, err) && fs::is_directory(target, err))
    return make_error(ec::invalid_argument, "backup file " + target + " is a directory");
  auto from = open_db(source, SQLITE_OPEN_READONLY, "the store");
  if (!from)
    return from.error();
  auto partial = target + ".partial";
  fs::remove(partial, err);
  auto to = open_db(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "the backup file");
  if (!to)
    return to.error();
  // A writer restarts the copy (backup API); 1000 pages a step keeps every
  // step short, so writers are never held up for long.
  auto counts = copy_pages(from->get(), to->get(), source, partial, 1000, progress);
  if (!counts) {
    to->reset();
    fs::remove(partial, err);
    return counts.error();
  }
  // The copy in WAL mode would need its -wal file: a backup is one file.
  if (auto mode = scalar(to->get(), "PRAGMA journal_mode = DELETE", partial); !mode)
    return mode.error();
  auto version = check_store(to->get(), partial);
  to->reset();
  if (!version) {
    fs::remove(partial, err);
    return version.error();
  }
  counts->schema_version = *version;
  fs::rename(partial, target, err);
  if (err)
    return make_error(ec::filesystem_error,
                      "cannot rename " + partial + " to " + target + ": " + err.message());
  counts->bytes = static_cast<std::int64_t>(fs::file_size(target, err));
  return counts;
}

expected<backup_counts> sqlite_restore(const std::string& source, const std::string& target,
                                       int max_schema_version) {
  std::error_code err;
  if (!fs::is_regular_file(source, err))
    return make_error(ec::invalid_argument, "no backup file at " + source);
  auto from = open_db(source, SQLITE_OPEN_READONLY, "the backup file");
  if (!from)
    return from.error();
  auto version = check_store(from->get(), source);
  if (!version)
    return version.error();
  if (*version > max_schema_version)
    return make_error(ec::store_error,
                      source + " has schema version " + std::to_string(*version)
                        + ", newer than this cafflow knows (" + std::to_string(max_schema_version)
                        + "): restore it with the cafflow that made it");
  fs::create_directories(fs::path(target).parent_path(), err);
  auto to = open_db(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "the store");
  if (!to)
    return to.error();
  // All pages in one step: the store is replaced in one transaction.
  auto counts = copy_pages(from->get(), to->get(), source, target, -1, {});
  if (!counts)
    return counts.error();
  counts->schema_version = *version;
  counts->bytes = static_cast<std::int64_t>(fs::file_size(source, err));
  return counts;
}

namespace {

/// `text` quoted for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string connection_options(const store_url& url) {
  return "--host=" + shell_quote(url.host) + " --port=" + std::to_string(url.port)
         + " --user=" + shell_quote(url.user) + " --default-character-set=utf8mb4";
}

} // namespace

std::string mysql_dump_command(const store_url& url) {
  return "MYSQL_PWD=... mariadb-dump " + connection_options(url)
         + " --single-transaction --quick --hex-blob --routines --triggers --no-tablespaces "
           "--databases "
         + shell_quote(url.database);
}

std::string mysql_restore_command(const store_url& url) {
  return "MYSQL_PWD=... mariadb " + connection_options(url);
}

} // namespace cafflow
