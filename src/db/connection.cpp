#include "db/connection.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <mutex>

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/ODBC/Connector.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <sql.h>
#include <sqlext.h>
#include <sqlite3.h>

#include "db/dialect.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

/// A libpq conninfo value: quoted, with ' and \ escaped.
std::string pg_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

/// jdbc:mysql://host:port/db?... and jdbc:postgresql://... (checked when
/// loaded), the port `default_port` when it names none.
jdbc_server_url parse_server_url(const std::string& url, const std::string& default_port) {
  auto parts = parse_jdbc_server_url(url).value_or(jdbc_server_url{});
  if (parts.port.empty())
    parts.port = default_port;
  return parts;
}

} // namespace

std::string db_error_text(const std::exception& e) {
  std::string text;
  if (const auto* poco = dynamic_cast<const Poco::Exception*>(&e))
    text = poco->displayText();
  else
    text = e.what();
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return trim(text);
}

void db_connection::register_connectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::MySQL::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
    Poco::Data::ODBC::Connector::registerConnector();
  });
}

expected<db_link> find_db_link(const std::string& path, const std::string& name) {
  auto links = load_db_links(path);
  for (const auto& d : links.diagnostics)
    if (d.level == diagnostic::severity::error)
      return make_error(ec::invalid_config, d.to_string());
  if (const auto* link = links.find(name))
    return *link;
  return make_error(ec::invalid_config, "unknown db-link '" + name + "': " + path
                                          + " does not define it");
}

std::vector<std::string> db_connection::installed_odbc_drivers() {
  std::vector<std::string> names;
  SQLHENV env = SQL_NULL_HENV;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)))
    return names;
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  SQLCHAR name[512];
  SQLCHAR attrs[2048];
  SQLSMALLINT name_len = 0, attrs_len = 0;
  SQLUSMALLINT direction = SQL_FETCH_FIRST;
  while (SQL_SUCCEEDED(SQLDrivers(env, direction, name, sizeof name, &name_len, attrs,
                                  sizeof attrs, &attrs_len))) {
    names.emplace_back(reinterpret_cast<const char*>(name));
    direction = SQL_FETCH_NEXT;
  }
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  return names;
}

sql_dialect db_connection::dialect() const {
  if (link_.type == "MYSQL" || link_.type == "HIVE")
    return sql_dialect::mysql;
  if (link_.type == "POSTGRESQL")
    return sql_dialect::postgresql;
  if (link_.type == "SQLITE")
    return sql_dialect::sqlite;
  return sql_dialect::generic;
}

expected<std::string> db_connection::connect_string() const {
  const auto& l = link_;
  if (is_odbc_bridged(l.type))
    return odbc_connection_string(l.type, l.jdbc_url, odbc_driver_for(l.type, drivers_),
                                  l.username, password_);
  if (l.type == "SQLITE") {
    std::filesystem::path p(l.jdbc_url.substr(std::string("jdbc:sqlite:").size()));
    if (p.is_relative())
      p = std::filesystem::path(home_) / p;
    return p.lexically_normal().string();
  }
  if (l.type == "MYSQL") {
    auto u = parse_server_url(l.jdbc_url, "3306");
    return "host=" + u.host + ";port=" + u.port + ";db=" + u.database + ";user=" + l.username
           + ";password=" + password_ + ";character-set=utf8mb4;compress=false;auto-reconnect=false";
  }
  if (l.type == "POSTGRESQL") {
    auto u = parse_server_url(l.jdbc_url, "5432");
    std::string s = "host=" + pg_value(u.host) + " port=" + u.port + " dbname="
                    + pg_value(u.database) + " connect_timeout=10";
    if (!l.username.empty())
      s += " user=" + pg_value(l.username);
    if (!password_.empty())
      s += " password=" + pg_value(password_);
    return s;
  }
  // ODBC: a DSN, or a connection string of its own.
  auto rest = l.jdbc_url.substr(std::string("jdbc:odbc:").size());
  std::string s = rest.find('=') == std::string::npos ? "DSN=" + rest : rest;
  if (!l.username.empty())
    s += (s.empty() || s.back() == ';' ? "" : ";") + std::string("UID=") + l.username;
  if (!password_.empty())
    s += (s.empty() || s.back() == ';' ? "" : ";") + std::string("PWD=") + password_;
  return s;
}

expected<std::unique_ptr<db_connection>> db_connection::open(const db_link& link,
                                                             const std::string& home,
                                                             const odbc_drivers& drivers) {
  register_connectors();
  std::unique_ptr<db_connection> c(new db_connection());
  c->link_ = link;
  c->home_ = home;
  c->drivers_ = drivers;
  auto password = db_link_password(link);
  if (!password)
    return password.error();
  c->password_ = std::move(*password);
  static const std::map<std::string, std::string> connectors{
    {"SQLITE", "SQLite"}, {"MYSQL", "MySQL"}, {"POSTGRESQL", "PostgreSQL"}, {"ODBC", "ODBC"},
    {"ORACLE", "ODBC"},   {"HIVE", "ODBC"}};
  auto connector = connectors.find(link.type);
  if (connector == connectors.end())
    return make_error(ec::invalid_config, "db link '" + link.name + "' has type " + link.type
                                            + ", which this build cannot connect to");
  auto info = c->connect_string();
  if (!info)
    return make_error(ec::invalid_config, "db link '" + link.name + "' (" + link.type + " "
                                            + link.jdbc_url + "): " + info.error().message);
  if (link.type == "SQLITE") {
    // A new database file needs its folder (data/ of a fresh clone).
    std::error_code err;
    std::filesystem::create_directories(std::filesystem::path(*info).parent_path(), err);
  }
  try {
    c->session_ = std::make_unique<Poco::Data::Session>(connector->second, *info);
    if (link.type == "MYSQL") {
      Poco::Int64 id = 0;
      *c->session_ << "SELECT CONNECTION_ID()", Poco::Data::Keywords::into(id),
        Poco::Data::Keywords::now;
      c->server_id_ = id;
    } else if (link.type == "POSTGRESQL") {
      Poco::Int32 pid = 0;
      *c->session_ << "SELECT pg_backend_pid()", Poco::Data::Keywords::into(pid),
        Poco::Data::Keywords::now;
      c->server_id_ = pid;
    }
  } catch (const std::exception& e) {
    if (is_odbc_bridged(link.type)) {
      // akkaflow's JDBC url runs through an ODBC driver: when it is missing,
      // say which one and where its name comes from rather than unixODBC's
      // "data source name not found". The drivers are listed only here, not
      // for every connection.
      auto driver = odbc_driver_for(link.type, drivers);
      auto installed = installed_odbc_drivers();
      if (std::find(installed.begin(), installed.end(), driver) == installed.end())
        return make_error(ec::invalid_config,
                          "db link '" + link.name + "' (" + link.type + " " + link.jdbc_url
                            + ") connects through the ODBC driver '" + driver
                            + "', which is not installed on this worker (unixODBC knows "
                            + (installed.empty() ? std::string("no driver")
                                                 : "'" + join(installed, "', '") + "'")
                            + "): install " + (link.type == "ORACLE" ? "Oracle's" : "a Hive")
                            + " ODBC driver and register it in odbcinst.ini, or set ["
                            + odbc_driver_key(link.type).substr(0, 4) + "] "
                            + odbc_driver_key(link.type).substr(5)
                            + " in cafflow.ini to the name it has there");
    }
    auto text = db_error_text(e);
    if (c->password_.size() >= 3)
      for (auto at = text.find(c->password_); at != std::string::npos;
           at = text.find(c->password_, at + 3))
        text.replace(at, c->password_.size(), "***");
    return make_error(ec::store_error, "cannot connect to db link '" + link.name + "' ("
                                         + link.type + " " + link.jdbc_url + "): " + text);
  }
  return c;
}

std::string db_connection::server_version() {
  std::string version;
  std::string query = link_.type == "SQLITE"       ? "SELECT 'SQLite ' || sqlite_version()"
                      : link_.type == "MYSQL"      ? "SELECT CONCAT('MySQL/MariaDB ', VERSION())"
                      : link_.type == "POSTGRESQL" ? "SELECT version()"
                                                   : "";
  if (query.empty()) {
    auto& impl = *session_->impl();
    return "ODBC (" + impl.connectorName() + ")";
  }
  *session_ << query, Poco::Data::Keywords::into(version), Poco::Data::Keywords::now;
  return version;
}

std::size_t db_connection::execute(const std::string& sql) {
  Poco::Data::Statement statement(*session_);
  statement << sql;
  return statement.execute();
}

std::function<void()> db_connection::canceller() {
  if (link_.type == "SQLITE") {
    auto* handle = Poco::Data::SQLite::Utility::dbHandle(*session_);
    return [handle] { sqlite3_interrupt(handle); };
  }
  if (link_.type == "MYSQL" || link_.type == "POSTGRESQL") {
    auto connector = link_.type == "MYSQL" ? "MySQL" : "PostgreSQL";
    auto query = link_.type == "MYSQL" ? "KILL QUERY " + std::to_string(server_id_)
                                       : "SELECT pg_cancel_backend(" + std::to_string(server_id_)
                                           + ")";
    auto conninfo = connect_string();
    return [connector, query, info = conninfo ? *conninfo : std::string{}] {
      try {
        Poco::Data::Session other(connector, info);
        Poco::Data::Statement s(other);
        s << query;
        s.execute();
      } catch (const std::exception&) {
        // The server is unreachable: the process exit ends the connection.
      }
    };
  }
  return [] {};
}

void db_connection::begin() {
  // Poco's ODBC sessions start a transaction only with autocommit off.
  if (via_odbc())
    session_->setFeature("autoCommit", false);
  session_->begin();
}

void db_connection::commit() {
  session_->commit();
  if (via_odbc())
    session_->setFeature("autoCommit", true);
}
void db_connection::rollback() {
  try {
    if (session_->isTransaction())
      session_->rollback();
  } catch (const std::exception&) {
    // A broken connection rolls back on its own.
  }
}

std::string db_connection::quote_ident(const std::string& name) const {
  return quote_identifier(link_.type, name);
}

std::string db_connection::quote_literal(const std::string& value) const {
  return cafflow::quote_literal(link_.type, value);
}

int db_link_check(const std::string& path, const std::string& home, const std::string& name,
                  const odbc_drivers& drivers, std::ostream& out, std::ostream& err) {
  auto link = find_db_link(path, name);
  if (!link) {
    err << "cafflow: " << link.error().message << '\n';
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  auto db = db_connection::open(*link, home, drivers);
  if (!db) {
    err << "cafflow: " << db.error().message << '\n';
    return 1;
  }
  std::string version;
  try {
    version = (*db)->server_version();
  } catch (const std::exception& e) {
    err << "cafflow: db link '" << name << "': connected, but asking the server for its version "
        << "failed: " << db_error_text(e) << '\n';
    return 1;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - start)
              .count();
  out << "db link '" << name << "' (" << link->type << " " << link->jdbc_url << "): connected in "
      << ms << " ms; the server is " << version << '\n';
  return 0;
}

} // namespace cafflow
