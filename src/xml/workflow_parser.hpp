// Parses workflow XML (akkaflow's format, extended) into the model.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/workflow.hpp"
#include "xml/diagnostic.hpp"

namespace cafflow {

struct parse_result {
  /// The linked workflow; set only when there is no error.
  std::optional<workflow> wf;
  /// Every problem found, errors and warnings, in file order.
  std::vector<diagnostic> diagnostics;
};

/// Parses and validates `xml`; `file` names the source in diagnostics.
parse_result parse_workflow(const std::string& xml, const std::string& file);

/// Reads `path` and parses it.
parse_result parse_workflow_file(const std::string& path);

/// Removes the indentation common to all non-blank lines, and leading and
/// trailing blank lines; keeps everything else verbatim.
std::string dedent(const std::string& text);

} // namespace cafflow
