// conf/db_links.xml: the named database connections actions use (db-link="...").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

/// The db-link types this build connects to (Poco::Data connectors).
const std::vector<std::string>& supported_db_link_types();

struct db_link {
  std::string name;
  /// SQLITE, MYSQL, POSTGRESQL, ODBC, or ORACLE and HIVE (through the ODBC
  /// driver of [odbc]; others are kept with a warning: workflows that use
  /// them are refused).
  std::string type;
  std::string jdbc_url;
  std::string username;
  /// At most one of these three says where the password comes from: the
  /// value itself, a file holding it (its first line; relative paths against
  /// the folder of db_links.xml), or an environment variable of the process
  /// that connects.
  std::string password;
  std::string password_file;
  std::string password_env;
  std::map<std::string, std::string> properties;
  std::string desc;
  source_pos pos;
};

struct db_links_result {
  std::vector<db_link> links;
  std::vector<diagnostic> diagnostics;

  /// The names of all links.
  std::set<std::string> names() const;
  /// Every link's name -> its type.
  std::map<std::string, std::string> types() const;
  /// The link called `name`, or nullptr.
  const db_link* find(const std::string& name) const;
};

/// The password of `link` (from its value, file or environment variable);
/// the error names the link and the file or variable, never a password.
expected<std::string> db_link_password(const db_link& link);

/// A server's jdbc-url, jdbc:SCHEME://HOST[:PORT]/DATABASE[?PROPERTIES]
/// (MySQL/MariaDB, PostgreSQL).
struct jdbc_server_url {
  std::string scheme;
  std::string host;
  /// Empty when the url names none.
  std::string port;
  std::string database;
};

/// The parts of `url`, or nullopt when it is not written so.
std::optional<jdbc_server_url> parse_jdbc_server_url(const std::string& url);

/// How the jdbc-url of a link of `type` is written, for messages
/// ("jdbc:mysql://host:port/database"); "" for a type without such a form
/// here (ORACLE and HIVE: parse_bridged_url checks theirs).
std::string jdbc_url_form(const std::string& type);

/// Whether `url` is written as a link of `type` (MYSQL, POSTGRESQL, SQLITE,
/// ODBC) needs it: the one check of db_links.xml and of the connections
/// written into actions.
bool has_jdbc_url_form(const std::string& type, const std::string& url);

/// The db-link type a jdbc-url connects to, for a connection written into
/// an action (akkaflow 2.5.3 ... 2.8.2): jdbc:mysql:// and jdbc:mariadb://
/// are MYSQL (the url is returned as jdbc:mysql://...), jdbc:postgresql://
/// POSTGRESQL, jdbc:sqlite: SQLITE, jdbc:oracle:thin:@ ORACLE and
/// jdbc:hive2:// HIVE (both through ODBC). Anything else, or a url not of its
/// type's form, is an error that says what is accepted.
struct jdbc_url_type {
  std::string type;
  std::string url;
};
expected<jdbc_url_type> inline_jdbc_type(const std::string& jdbc_url);

/// Parses the text of a db_links.xml file.
db_links_result parse_db_links(const std::string& xml, const std::string& file);

/// Reads and parses a db_links.xml; a missing file is no links and no error.
db_links_result load_db_links(const std::string& path);

} // namespace cafflow
