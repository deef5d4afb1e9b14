// conf/db_links.xml: the named database connections actions use (db-link="...").
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

struct db_link {
  std::string name;
  /// MYSQL or SQLITE (others are kept with a warning: cafflow cannot run them).
  std::string type;
  std::string jdbc_url;
  std::string username;
  std::string password;
  std::map<std::string, std::string> properties;
  std::string desc;
  source_pos pos;
};

struct db_links_result {
  std::vector<db_link> links;
  std::vector<diagnostic> diagnostics;

  /// The names of all links.
  std::set<std::string> names() const;
};

/// Parses the text of a db_links.xml file.
db_links_result parse_db_links(const std::string& xml, const std::string& file);

/// Reads and parses a db_links.xml; a missing file is no links and no error.
db_links_result load_db_links(const std::string& path);

} // namespace cafflow
