// Backups of a SQLite store while it is in use (SQLite's online backup API),
// and restoring one into a stopped cluster's store. MariaDB/MySQL stores are
// dumped with mariadb-dump (mysql_dump_command()).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "expected.hpp"
#include "store/store_url.hpp"

namespace cafflow {

/// What a backup or a restore copied.
struct backup_counts {
  /// Database pages and bytes copied.
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
  /// The schema version of the copy.
  int schema_version = 0;
};

/// Copies the SQLite database `source` into the new file `target` with the
/// online backup API: a consistent snapshot even while masters write (a
/// batch of pages at a time; a write in between restarts the copy, so a busy
/// database is still copied). `target` must not exist unless `overwrite`.
/// `progress` hears "pages done / total" now and then. The copy is checked
/// (integrity_check) and must be a cafflow store (schema_version table).
expected<backup_counts> sqlite_backup(const std::string& source, const std::string& target,
                                      bool overwrite,
                                      const std::function<void(const std::string&)>& progress = {});

/// Replaces the SQLite database `target` (a store whose cluster is stopped)
/// with the backup `source`: checked first (integrity, a cafflow store no
/// newer than `max_schema_version`), then copied page by page in one
/// transaction. The previous content is gone afterwards.
expected<backup_counts> sqlite_restore(const std::string& source, const std::string& target,
                                       int max_schema_version);

/// The mariadb-dump command line that backs a MariaDB/MySQL store up
/// consistently without locking it (--single-transaction), with what
/// a restore needs (utf8mb4, binary data as hex, no table locks); the
/// password goes through the environment (MYSQL_PWD), not the command line.
std::string mysql_dump_command(const store_url& url);

/// The mariadb command line that loads such a dump into the store's database.
std::string mysql_restore_command(const store_url& url);

} // namespace cafflow
