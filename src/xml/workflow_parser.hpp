// Parses and validates definition files: a workflow (akkaflow's format,
// extended) or a legacy standalone coordinator (docs/WORKFLOWS.md).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"
#include "xml/file_links.hpp"

namespace cafflow {

struct parse_options {
  /// The db-link names of conf/db_links.xml; nullopt = do not check db-links.
  std::optional<std::set<std::string>> db_links;
  /// The types of the db links (name -> SQLITE, MYSQL, ...); with it, a link
  /// of a type this build cannot connect to, or one an action cannot use, is
  /// an error where the action names it.
  std::optional<std::map<std::string, std::string>> db_link_types;
  /// The pool names of the config's [pools]; nullopt = do not check pools.
  std::optional<std::set<std::string>> pools;
  /// The channel names of alerts.xml; nullopt = do not check alert-to.
  std::optional<std::set<std::string>> alert_channels;
  /// conf/file_links.xml; nullopt = do not check file-link attributes.
  std::optional<file_links_result> file_links;
};

struct parse_result {
  /// The linked workflow; set only when the file is a workflow without errors.
  std::optional<workflow> wf;
  /// Set only when the file is a standalone coordinator without errors.
  std::optional<standalone_coordinator> coordinator;
  /// "workflow" or "coordinator" as the root element says (also when invalid).
  std::string kind;
  /// The root element's name attribute (also when invalid).
  std::string declared_name;
  /// Every problem found, errors and warnings, in file order.
  std::vector<diagnostic> diagnostics;
};

/// Parses and validates `xml`; `file` names the source in diagnostics.
parse_result parse_definition(const std::string& xml, const std::string& file,
                              const parse_options& opts = {});

/// Reads `path` and parses it.
parse_result parse_definition_file(const std::string& path, const parse_options& opts = {});

/// Removes the indentation common to all non-blank lines, and leading and
/// trailing blank lines; keeps everything else verbatim.
std::string dedent(const std::string& text);

/// akkaflow's script text (`<script><content>`, akkaflow <= 2.5.3, and
/// `<transfer><script>TEXT`, 2.9+): blank lines dropped, every line trimmed
/// (for `<transfer><script>` not when the first line names python). With
/// `pick_interpreter` (`<content>`, which akkaflow ran with perl when its
/// first line mentioned perl, python when it mentioned python, else sh) a
/// first line without #! that names perl or python gets a #! line for it.
std::string akkaflow_script_code(const std::string& text, bool pick_interpreter);

/// Parses a size such as "512", "1B", "2KB", "1.5MB", "3G" (1024-based);
/// false when the text is not a size.
bool parse_size(const std::string& text, std::int64_t& bytes);

/// Parses a duration such as "90", "90s", "30m", "2h", "1d" or "1h30m" into
/// seconds (at least 1); false when the text is not a duration.
bool parse_duration(const std::string& text, std::int64_t& seconds);

} // namespace cafflow
