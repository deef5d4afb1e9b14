// A problem found in a workflow file, with its exact position.
#pragma once

#include <string>
#include <vector>

#include "model/workflow.hpp"

namespace cafflow {

struct diagnostic {
  enum class severity { error, warning };
  severity level = severity::error;
  std::string file;
  source_pos pos;
  std::string message;
  /// The attribute at fault when the problem is about one (a link's "port",
  /// "jdbc-url", ...), else empty: callers that map attributes to form fields
  /// read it instead of searching the message.
  std::string attribute = {};

  /// "FILE:LINE:COL: error: message" (the compiler convention editors understand).
  std::string to_string() const;
};

/// True when any diagnostic is an error.
bool has_errors(const std::vector<diagnostic>& diagnostics);

} // namespace cafflow
