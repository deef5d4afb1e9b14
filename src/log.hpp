// Logging: spdlog, one logger per component, all writing to the role's sinks.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "expected.hpp"

namespace cafflow::log {

struct options {
  /// Log file (rotating); empty = no file.
  std::string file;
  /// trace, debug, info, warn, error, off
  std::string level = "info";
  std::size_t max_file_bytes = 10 * 1024 * 1024;
  int max_files = 5;
  /// Also write to stderr.
  bool to_stderr = false;
};

/// Sets up the sinks every component logger writes to. Call once per process,
/// before the first get(); fails when the log file cannot be opened.
expected<void> init(const options& opts);

/// Flushes every logger; call before the process exits.
void shutdown();

/// The logger of a component ("master", "dispatcher", ...).
std::shared_ptr<spdlog::logger> get(const std::string& component);

} // namespace cafflow::log
