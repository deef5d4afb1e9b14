// xml_watcher: loads every *.xml under the xmlconfig directory into the
// registry, at start and on every periodic rescan (new, changed, deleted).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "actors.hpp"

namespace cafflow {

struct xml_watcher_config {
  std::string directory;
  std::chrono::seconds rescan_interval{2};
  registry_actor registry;
};

struct xml_watcher_state {
  static constexpr const char* name = "xml_watcher";

  struct file_entry {
    std::string hash;
    bool valid = false;
  };

  xml_watcher_config cfg;
  /// Every file seen in the last scan, by path.
  std::map<std::string, file_entry> files;
  std::shared_ptr<spdlog::logger> log;
};

xml_watcher_actor::behavior_type
xml_watcher(xml_watcher_actor::stateful_pointer<xml_watcher_state> self, xml_watcher_config cfg);

} // namespace cafflow
