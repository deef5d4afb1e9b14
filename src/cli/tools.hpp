// The offline commands of the CLI: no cluster needed.
#pragma once

#include <iosfwd>
#include <set>
#include <string>
#include <vector>

#include "db/odbc_bridge.hpp"
#include "util/time.hpp"

namespace cafflow {

/// `cafflow workflow check PATH...`: every diagnostic of every file (a
/// directory stands for its *.xml, recursively), one per line as
/// FILE:LINE:COL: level: message, including what only shows across files
/// (two files with one name, dependency cycles). Returns 0 when no file has an
/// error (warnings allowed), 1 otherwise. `file_links_path` (empty = none)
/// is checked too: its refused links (SFTP, HDFS) are errors.
/// `pools` are the config's [pools] names an action may use. `json_output`:
/// one JSON object instead ({"ok", "files": [...], "diagnostics": [...]}).
int check_files(const std::vector<std::string>& paths, const std::string& db_links_path,
                bool verbose, std::ostream& out, const std::string& file_links_path = {},
                const std::set<std::string>& pools = {}, bool json_output = false);

/// `cafflow cron next EXPR`: the next `count` fire times after `from`
/// ("YYYY-MM-DD HH:MM:SS" in `zone`; empty = now), one per line in `zone`.
/// Returns 0, or 1 with a message on `err`. `json_output`: {"cron", "timezone",
/// "times": [ISO 8601 UTC...], "local": [...]}.
int cron_next(const std::string& expr, const std::string& from, const std::string& zone,
              int count, std::ostream& out, std::ostream& err, bool json_output = false);

/// `cafflow expr eval TEXT`: TEXT with every ${param:...} and ${time....}
/// expanded against `logical_time` ("YYYY-MM-DD HH:MM:SS" in `zone`; empty =
/// now) and the NAME=VALUE `params`. Returns 0, or 1 with a message on `err`.
/// `json_output`: {"text", "result", "logical_time", "timezone"}.
int expr_eval(const std::string& text, const std::string& logical_time, const std::string& zone,
              const std::vector<std::string>& params, bool keep_undefined, std::ostream& out,
              std::ostream& err, bool json_output = false);

/// `cafflow store copy --to URL`: copies the store at `from_url` (migrated
/// first, like a master would) into the empty store at `to_url`, with
/// progress on `out`. Both relative sqlite: paths resolve against `home`.
/// Returns 0, or 1 with a message on `err`.
int store_copy(const std::string& from_url, const std::string& to_url, const std::string& home,
               int busy_timeout_ms, std::ostream& out, std::ostream& err);

/// `cafflow history prune --before T`: deletes the ended instances that
/// finished before `before` (with their nodes and attempts) from the store at
/// `url`, `batch` at a time, and, when `keep_versions` > 0, the stored
/// workflow versions beyond the newest `keep_versions` (what the master's
/// [retention] does in the background). `dry_run`: only count. Prints what
/// it did (or would do; JSON with `json_output`). Returns 0, or 1 with a
/// message on `err`.
int history_prune(const std::string& url, const std::string& home, int busy_timeout_ms,
                  timestamp before, int keep_versions, int batch, bool dry_run,
                  bool json_output, std::ostream& out, std::ostream& err);

/// `cafflow store backup FILE`: a SQLite store is copied with SQLite's online
/// backup API (consistent while the cluster runs); a MariaDB/MySQL store is
/// dumped by mariadb-dump into FILE. Returns 0, or 1 (64: FILE exists) with
/// a message on `err`.
int store_backup(const std::string& url, const std::string& home, const std::string& file,
                 bool force, bool json_output, std::ostream& out, std::ostream& err);

/// `cafflow store restore FILE`: replaces the store with a backup — refused
/// while a master holds the master lease (stop the cluster first). SQLite
/// only; for MariaDB/MySQL it names the mariadb command that loads a dump.
int store_restore(const std::string& url, const std::string& home, int busy_timeout_ms,
                  const std::string& file, std::ostream& out, std::ostream& err);

/// `cafflow db-link test NAME`: connects to the db link `name` of the links
/// file `path` from this machine (relative SQLite paths against `home`),
/// says what it found (the server's version) and how long it took. Returns 0,
/// or 1 with the reason on `err` (never a password).
/// ORACLE and HIVE links connect through the ODBC drivers `drivers` names.
int db_link_test(const std::string& path, const std::string& home, const std::string& name,
                 const odbc_drivers& drivers, std::ostream& out, std::ostream& err);

/// `cafflow db-link list`: every link of `path` with its type, URL, user and
/// where its password comes from (never the password). Returns 0, or 1 when
/// the file has errors. `json_output`: {"links": [{name, type, url, user,
/// password}]}.
int db_link_list(const std::string& path, std::ostream& out, std::ostream& err,
                 bool json_output = false);

struct config;

/// `cafflow alert test CHANNEL`: sends a test alert to `channel` (a channel
/// of paths.alerts, or "mail:ADDRESS,...") from this machine through
/// cafflow-exec, as the master's alerter would, and prints what the receiving
/// server answered. Returns 0 when it was sent, 1 when not, 64 for an
/// unknown channel, 78 for an invalid alerts.xml.
int alert_test(const config& cfg, const std::string& channel, bool json, std::ostream& out,
               std::ostream& err);

} // namespace cafflow
