#include "xml/diagnostic.hpp"

namespace cafflow {

std::string diagnostic::to_string() const {
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": "
         + (level == severity::error ? "error: " : "warning: ") + message;
}

bool has_errors(const std::vector<diagnostic>& diagnostics) {
  for (const auto& d : diagnostics)
    if (d.level == diagnostic::severity::error)
      return true;
  return false;
}

} // namespace cafflow
