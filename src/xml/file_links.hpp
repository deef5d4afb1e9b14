// conf/file_links.xml: akkaflow 2.12's named file systems (file-link="..." on
// a transfer's FILE ends and a file-monitor's <file>). LOCAL links are the
// worker's own file system; HDFS links are read, written and listed through
// the worker's Hadoop client ([hdfs] command); SFTP links are refused when
// the file is loaded, with the reason (docs/MIGRATING.md). The master checks
// workflows against its file; the worker resolves a link in its own when an
// attempt runs (file_location in src/actions/file_monitor.cpp).
//
//   <file-links>
//     <link name="local" type="LOCAL" host="local" port="-1" username="u" password="p" desc="..."/>
//   </file-links>
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

struct file_link {
  std::string name;
  /// LOCAL or HDFS (SFTP is refused at load).
  std::string type = "LOCAL";
  std::string host;
  int port = -1;
  std::string username;
  std::string password;
  std::string desc;
  /// Where it is defined; 0 for the built-in "local" link.
  source_pos pos;
};

/// akkaflow's default link: what an action without file-link uses.
inline constexpr const char* default_file_link = "local";

struct file_links_result {
  /// The usable links; always holds "local" (LOCAL) unless the file defines
  /// that name itself.
  std::vector<file_link> links;
  std::vector<diagnostic> diagnostics;

  /// The names of all usable links.
  std::set<std::string> names() const;

  /// The link an action's file-link="NAME" names (empty = "local"), or an
  /// ec::invalid_argument error that says why it cannot be used: unknown
  /// (with the known names and a suggestion), or refused when the file was
  /// loaded (SFTP, a bad definition).
  expected<file_link> resolve(const std::string& name) const;

  /// Links the file defines that cafflow refuses: name -> reason.
  std::vector<std::pair<std::string, std::string>> refused;
};

/// Where an HDFS link is for the Hadoop client: fs.defaultFS
/// "hdfs://host[:port]" (an HDFS link always has a host) and the link's
/// username as HADOOP_USER_NAME.
hdfs_location hdfs_location_of(const file_link& link);

/// Parses the text of a file_links.xml file.
file_links_result parse_file_links(const std::string& xml, const std::string& file);

/// The file links of the file_links.xml at `path` as read_file read it
/// (`text`, or why it could not be read): a file that does not exist is
/// just the built-in "local" link and no error. For a caller that needs the
/// text too (its hash), so that the file is read once.
file_links_result file_links_of(const expected<std::string>& text, const std::string& path);

/// Reads and parses a file_links.xml; a missing file is just the built-in
/// "local" link and no error.
file_links_result load_file_links(const std::string& path);

} // namespace cafflow
