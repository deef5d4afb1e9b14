// A worker's unacknowledged results across a restart: written when the worker
// stops with results no master has committed yet (e.g. after a drain that
// outlived the master), read back — and claimed from the next master — when
// it starts again.
#pragma once

#include <string>
#include <vector>

#include "expected.hpp"
#include "model/attempt.hpp"

namespace cafflow {

/// Writes `reports` to `path` (JSON, replaced atomically); an empty list
/// removes the file.
expected<void> save_outbox(const std::string& path, const std::vector<attempt_report>& reports);

/// The reports saved at `path`, and the file removed; none when there is no
/// file. A file that cannot be read is an error naming it (and is kept).
expected<std::vector<attempt_report>> take_outbox(const std::string& path);

} // namespace cafflow
