// What a worker's retention removes: the per-instance folders of its task
// logs and work directories that nobody wrote to for longer than the
// configured days ([retention] log_days, work_dir_days).
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "util/time.hpp"

namespace cafflow {

/// The instant before which history is due: `now` minus `days`; 0 (nothing
/// is due) when `days` is 0 (keep forever).
timestamp retention_cutoff(timestamp now, int days);

/// The subfolders of `root` (one per instance) in which nothing was written
/// at or after `cutoff` (the newest modification time of the folder and of
/// everything in it), oldest first, at most `limit`; names in `keep` (the
/// instances with running tasks) are skipped. None when `root` is missing.
std::vector<std::string> stale_instance_dirs(const std::string& root, timestamp cutoff,
                                             std::size_t limit,
                                             const std::set<std::string>& keep);

/// Removes `dirs` (paths as stale_instance_dirs() gives them). Returns how
/// many went; each one that could not be removed adds a line to `problems`.
std::size_t remove_dirs(const std::vector<std::string>& dirs, std::vector<std::string>& problems);

} // namespace cafflow
