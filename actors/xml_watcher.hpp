// xml_watcher: scans the xmlconfig directory (recursively, *.xml) at start and
// every rescan interval, parses new and changed files, and hands every scan
// that changed something to the registry.
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
  /// conf/db_links.xml: the db-link names files may use.
  std::string db_links;
  std::chrono::seconds rescan_interval{2};
  registry_actor registry;
};

struct xml_watcher_state {
  static constexpr const char* name = "xml_watcher";

  xml_watcher_config cfg;
  /// The last parse of every file, by path (reused while its hash is the same).
  std::map<std::string, scanned_file> files;
  /// Content hash of db_links.xml: when it changes every file is checked again.
  std::string db_links_hash;
  std::shared_ptr<spdlog::logger> log;
};

xml_watcher_actor::behavior_type
xml_watcher(xml_watcher_actor::stateful_pointer<xml_watcher_state> self, xml_watcher_config cfg);

} // namespace cafflow
