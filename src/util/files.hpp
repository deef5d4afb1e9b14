// Reading whole files.
#pragma once

#include <cstddef>
#include <string>

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

} // namespace cafflow
