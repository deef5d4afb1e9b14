// Reading and replacing whole files.
#pragma once

#include <cstddef>
#include <string>

#include <sys/types.h>

#include "expected.hpp"

namespace cafflow {

/// The whole content of a file, or an error naming the file and the reason.
/// A directory, FIFO, socket or block device is refused ("is a directory"):
/// opening one as a file would read nothing, or block.
expected<std::string> read_file(const std::string& path);

/// The same, but a file larger than `max_bytes` is refused without being
/// read: the error (code ec::invalid_argument, unlike ec::filesystem_error
/// for a file that cannot be read) names its size and the limit.
expected<std::string> read_file(const std::string& path, std::size_t max_bytes);

/// How replace_file sets the new file's permissions.
struct replace_mode {
  /// The mode of a file that did not exist (and of every file when
  /// keep_existing is false), whatever the umask.
  mode_t mode = 0600;
  /// A file that exists keeps its mode.
  bool keep_existing = true;
};

/// Replaces `path` with `content` atomically: the parent directories are
/// created, the text goes to a new private temporary file beside it (a dot
/// file "." NAME ".tmp." PID, so a watcher of *.xml never sees half a file),
/// is synced, given its mode, and renamed over `path`. On any failure the
/// temporary file is removed and the error names the file and the reason;
/// `path` is then unchanged.
expected<void> replace_file(const std::string& path, const std::string& content,
                            replace_mode how = {});

} // namespace cafflow
