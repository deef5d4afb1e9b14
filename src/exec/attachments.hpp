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

/// The script of a file-executor command, as akkaflow found it: the one
/// word that contains a '/' (`sh /x/y.sh a` runs /x/y.sh with sh); the first
/// word when it contains one itself or when no word does. Empty, with
/// `problem` set, when several words but not the first contain a '/'.
std::string executor_script_word(const std::string& command, std::string* problem = nullptr);

/// A file-executor's command with its script taken from the master: the
/// script word (executor_script_word) is shipped and every word equal to it
/// is replaced by ./NAME (`sh /x/y.sh a` runs `sh ./y.sh a`).
struct executor_command {
  std::string command;
  std::string script;
};
expected<executor_command> split_executor_command(const std::string& command);

} // namespace cafflow
