// Reading whole files.
#pragma once

#include <string>

#include "expected.hpp"

namespace cafflow {

/// The whole content of a file, or an error naming the file and the reason.
expected<std::string> read_file(const std::string& path);

} // namespace cafflow
