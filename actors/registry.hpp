// registry: the current version of every workflow definition. Versions
// increase with every changed load and are persisted with their XML.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "actors.hpp"

namespace cafflow {

struct registry_config {
  /// What the store knows from earlier runs (versions continue from there).
  std::vector<workflow_record> known;
  store_writer_actor store;
};

struct registry_state {
  static constexpr const char* name = "registry";

  struct entry {
    workflow_ptr wf;
    workflow_record record;
  };

  /// Active workflows by name.
  std::map<std::string, entry> active;
  /// Which workflow each file defines.
  std::map<std::string, std::string> by_file;
  /// Every workflow ever stored, by name (for version numbers).
  std::map<std::string, workflow_record> known;
  store_writer_actor store;
  std::shared_ptr<spdlog::logger> log;
};

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       registry_config cfg);

} // namespace cafflow
