// A connection to the database a db-link names, through Poco::Data's
// connectors (SQLite, MySQL/MariaDB, PostgreSQL, ODBC), with what the action
// kinds need beyond a session: the dialect, quoting, a transaction, and the
// cancel of a running statement on its server.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>

#include "db/odbc_bridge.hpp"
#include "db/sql_split.hpp"
#include "expected.hpp"
#include "xml/db_links.hpp"

namespace cafflow {

class db_connection {
public:
  /// Connects to `link`; relative SQLite paths resolve against `home`. The
  /// error names the link and the reason, never the password.
  /// ORACLE and HIVE links connect through the ODBC driver `drivers` names
  /// for them; when it is not installed the error names it and its
  /// [odbc] key (unixODBC's drivers are listed only when the connection
  /// failed, to tell this apart).
  static expected<std::unique_ptr<db_connection>> open(const db_link& link,
                                                       const std::string& home,
                                                       const odbc_drivers& drivers = {});

  /// The ODBC drivers unixODBC knows on this host (the section names of
  /// odbcinst.ini), in its order.
  static std::vector<std::string> installed_odbc_drivers();

  /// Registers the Poco::Data connectors (once per process).
  static void register_connectors();

  const db_link& link() const { return link_; }
  /// SQLITE, MYSQL, POSTGRESQL, ODBC, ORACLE or HIVE.
  const std::string& type() const { return link_.type; }
  /// True when the session is Poco's ODBC connector (ODBC, ORACLE, HIVE).
  bool via_odbc() const { return link_.type == "ODBC" || is_odbc_bridged(link_.type); }
  sql_dialect dialect() const;
  /// The password in use ("" = none): never to be printed.
  const std::string& password() const { return password_; }
  Poco::Data::Session& session() { return *session_; }

  /// What the server says it is, e.g. "MariaDB 10.11.6".
  std::string server_version();

  /// Runs one statement; returns the rows it affected (or returned).
  std::size_t execute(const std::string& sql);

  /// Something that stops the statement running on this connection now, from
  /// another thread: KILL QUERY (MySQL), pg_cancel_backend (PostgreSQL),
  /// sqlite3_interrupt; ODBC has none (the process exit ends it).
  std::function<void()> canceller();

  void begin();
  void commit();
  void rollback();

  /// `name` as an identifier of this dialect ("a.b" quotes each part).
  std::string quote_ident(const std::string& name) const;
  /// `value` as a string literal of this dialect.
  std::string quote_literal(const std::string& value) const;

private:
  db_connection() = default;
  expected<std::string> connect_string() const;

  db_link link_;
  std::string home_;
  odbc_drivers drivers_;
  std::string password_;
  std::unique_ptr<Poco::Data::Session> session_;
  /// MySQL connection id / PostgreSQL backend pid: what a cancel names.
  long long server_id_ = 0;
};

/// The links of `path` (a worker's paths.db_links), the one called `name`.
expected<db_link> find_db_link(const std::string& path, const std::string& name);

/// `cafflow db-link test NAME` (run by cafflow-exec, which has the drivers):
/// connects to the link `name` of `path` and says what it found. 0, or 1 with
/// the reason on `err` (never a password).
int db_link_check(const std::string& path, const std::string& home, const std::string& name,
                  const odbc_drivers& drivers, std::ostream& out, std::ostream& err);

/// A Poco/driver exception as one line of text.
std::string db_error_text(const std::exception& e);

} // namespace cafflow
