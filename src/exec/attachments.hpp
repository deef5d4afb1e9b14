// Files the master ships with an attempt (<attach-list>, a file-executor's script).
#pragma once

#include <string>
#include <vector>

#include "expected.hpp"
#include "model/attempt.hpp"

namespace cafflow {

/// Reads the files at `paths` (relative ones against `base_dir`, the folder of
/// the workflow file). Fails naming the file when one cannot be read, two have
/// the same file name, or together they exceed `max_bytes`.
expected<std::vector<attachment>> load_attachments(const std::vector<std::string>& paths,
                                                   const std::string& base_dir,
                                                   std::size_t max_bytes);

/// A file-executor's command with its script taken from the master: the
/// first word names the script, which is shipped and run as ./NAME.
struct executor_command {
  std::string command;
  std::string script;
};
executor_command split_executor_command(const std::string& command);

} // namespace cafflow
