// Changes to conf/db_links.xml and conf/file_links.xml asked for over
// akkaflow's /akkaflow/db-link and /akkaflow/file-link routes (akkaflow kept
// its links in MySQL; cafflow's are these files). One <link> is added,
// replaced or removed; every other link, comment and blank line stays as it
// was; the new text must parse without a new error; it replaces the file
// atomically (a temporary file renamed over it), keeping the file's mode, so
// the master's watcher and the workers only ever read a whole file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cafflow {

/// Which of the two files.
enum class link_file_kind { db, file };

/// The outcome of a change; `status` is an HTTP status (200 on success).
struct link_edit_result {
  int status = 200;
  /// The attribute at fault ("jdbc-url", "type", "port", ...), when one is.
  std::string attribute;
  std::string message;
  /// Success: true when a link of that name was there and is replaced.
  bool replaced = false;
  /// Success: the file's warnings about the new link (e.g. an ORACLE link
  /// needs an ODBC driver).
  std::vector<std::string> warnings;
  bool ok() const { return status == 200; }
};

/// The attributes of a new <link> (name excluded), in the order written;
/// an attribute whose value is std::nullopt is kept from the link it
/// replaces (or left out).
using link_attributes = std::vector<std::pair<std::string, std::optional<std::string>>>;

/// Adds the link `name` to the file at `path` (created when missing), or
/// replaces the one of that name when `replace_existing` (else 409).
/// `must_exist`: 404 when there is none (an update). `properties` (db links
/// only): its <properties>, std::nullopt = kept as they were.
link_edit_result put_link(const std::string& path, link_file_kind kind, const std::string& name,
                          const link_attributes& attributes,
                          const std::optional<std::map<std::string, std::string>>& properties,
                          bool must_exist, bool replace_existing);

/// Removes the link `name` (404 when the file has none of that name).
link_edit_result remove_link(const std::string& path, link_file_kind kind,
                             const std::string& name);

/// The links of the file as JSON objects with akkaflow's field names (db:
/// name, dbtype, jdbcUrl, username, desc, properties, password = where it
/// comes from: "value", "file", "env" or ""; file: name, fstype, host, port,
/// username, desc, password), never a password; `only` = that link alone
/// (an empty array when there is none). Error: the file cannot be read or
/// parsed (message).
std::optional<std::string> list_links(const std::string& path, link_file_kind kind,
                                      const std::string& only, nlohmann::ordered_json& out);

} // namespace cafflow
