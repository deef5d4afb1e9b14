// Workflow and coordinator files changed over HTTP: check a submitted
// definition as the master would, write it into xmlconfig atomically (where
// the directory watcher loads it), or remove the file of a loaded one. Used
// by POST/DELETE /api/v1/workflows and by akkaflow's add/del/check routes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "http/akkaflow.hpp"
#include "http/api.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

/// What a check, submit or removal did, or why not.
struct definition_result {
  /// 200 (201 for a new file) or the error's HTTP status.
  int status = 200;
  std::string message;
  /// The definition's name and kind ("workflow" or "coordinator").
  std::string name;
  std::string kind;
  /// The file written or removed.
  std::string file;
  /// The definition's warnings, "line N: message".
  std::vector<std::string> warnings;
  /// Whether the master loaded (or unloaded) it before the answer.
  bool settled = false;

  bool ok() const { return status < 300; }
};

/// The xmlconfig file that holds the loaded definition `name` of `kind`
/// ("workflow" or "coordinator"), if any.
std::optional<xml_file_record> loaded_file_of(api_backend& backend, const std::string& kind,
                                              const std::string& name);

/// Parses `xml` as the master would (db-link names checked when the settings
/// name db_links.xml): refused (400) with its errors, or when it names
/// workflows that are not loaded (akkaflow's checkIfAllDependExists).
/// `parsed` keeps the parse.
definition_result check_definition(api_backend& backend, const akkaflow_settings& settings,
                                   const std::string& xml, parse_result& parsed);

/// Checks `xml`, then writes it into xmlconfig atomically: over the file of
/// the loaded definition of that name, or as NAME.xml in `subdir` (relative,
/// inside xmlconfig; coordinators default to "coordinators"); waits
/// (settings.load_wait) for the master to load it. 409 when the master
/// refuses what was written, 501 when this process cannot reach xmlconfig
/// or the loaded file lies outside it.
definition_result submit_definition(api_backend& backend, const akkaflow_settings& settings,
                                    const std::string& xml, const std::string& subdir);

/// Removes the file of the loaded `kind` named `name` (its history stays):
/// 404 when none is loaded, 409 for a workflow others depend on or with a
/// running or queued instance.
definition_result remove_definition(api_backend& backend, const akkaflow_settings& settings,
                                    const std::string& kind, const std::string& name);

/// POST /api/v1/workflows[?dir=SUBDIR] (the XML file as the body) and
/// DELETE /api/v1/workflows/{name}; nullopt for any other request.
std::optional<http_response> handle_definition_api(api_backend& backend,
                                                   const http_request& request,
                                                   const akkaflow_settings& settings);

} // namespace cafflow
