// Content hashes of workflow files.
#pragma once

#include <string>

namespace cafflow {

/// SHA-1 of `data`, as 40 lower-case hex digits.
std::string content_hash(const std::string& data);

} // namespace cafflow
