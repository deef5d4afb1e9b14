// The runners of cafflow-exec: one line per kind that runs there (its code is
// in the kind's file, compiled with CAFFLOW_EXEC into cafflow_exec_lib).
#include <map>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"

namespace cafflow {

exec_runner find_runner(const std::string& kind) {
  static const std::map<std::string, exec_runner> runners{
    {"sql", sql_runner},
    {"transfer", transfer_runner},
    {"data-monitor", data_monitor_runner},
    {"file-monitor", file_monitor_runner},
    {"email", email_runner},
    {"metadata", metadata_runner},
  };
  auto it = runners.find(kind);
  return it == runners.end() ? nullptr : it->second;
}

} // namespace cafflow
