#include "error.hpp"

namespace cafflow {

const char* to_string(ec code) {
  switch (code) {
    case ec::none: return "none";
    case ec::unspecified: return "unspecified";
    case ec::invalid_config: return "invalid_config";
    case ec::invalid_argument: return "invalid_argument";
    case ec::invalid_workflow: return "invalid_workflow";
    case ec::unknown_workflow: return "unknown_workflow";
    case ec::unknown_instance: return "unknown_instance";
    case ec::invalid_request: return "invalid_request";
    case ec::conflict: return "conflict";
    case ec::filesystem_error: return "filesystem_error";
    case ec::store_error: return "store_error";
    case ec::schema_too_new: return "schema_too_new";
    case ec::exec_error: return "exec_error";
    case ec::master_unreachable: return "master_unreachable";
    case ec::timeout: return "timeout";
    case ec::no_worker: return "no_worker";
    case ec::http_error: return "http_error";
    case ec::fenced: return "fenced";
  }
  return "unknown";
}

std::string to_string(const error& err) {
  std::string result = to_string(err.code);
  if (!err.message.empty()) {
    result += ": ";
    result += err.message;
  }
  return result;
}

} // namespace cafflow
