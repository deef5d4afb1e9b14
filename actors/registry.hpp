// registry: the active version of every workflow definition. Applies each scan
// of the xmlconfig directory to its catalog (engine/catalog: versions, invalid
// files, conflicts, dependency cycles) and persists every new version.
#pragma once

#include <memory>
#include <vector>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "engine/catalog.hpp"

namespace cafflow {

struct registry_config {
  /// What the store knows from earlier runs (versions continue from there).
  std::vector<workflow_record> known;
  /// The file states the store has from earlier runs.
  std::vector<xml_file_record> known_files;
  store_writer_actor store;
  /// Hears every active definition after each scan.
  coordinator_actor coordinator;
  /// Hears them too (plans backfills from them).
  backfiller_actor backfiller;
};

struct registry_state {
  static constexpr const char* name = "registry";

  std::unique_ptr<catalog> defs;
  store_writer_actor store;
  coordinator_actor coordinator;
  backfiller_actor backfiller;
  /// The file states last written to the store.
  std::vector<xml_file_record> stored_files;
  std::shared_ptr<spdlog::logger> log;
};

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       registry_config cfg);

} // namespace cafflow
