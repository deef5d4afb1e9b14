// conf/db_links.xml: the named database connections actions use (db-link="...").
#pragma once

#include <map>
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
  /// SQLITE, MYSQL, POSTGRESQL or ODBC (others are kept with a warning:
  /// workflows that use them are refused).
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

/// The db-link type a jdbc-url connects to, for a connection written into
/// an action (akkaflow 2.5.3 ... 2.8.2): jdbc:mysql:// and jdbc:mariadb://
/// are MYSQL (the url is returned as jdbc:mysql://...), jdbc:postgresql://
/// POSTGRESQL, jdbc:sqlite: SQLITE. Anything else, or a url not of its
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
