#include "exec/retention.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace cafflow {

namespace fs = std::filesystem;

namespace {

/// A file time as milliseconds since the Unix epoch.
timestamp to_ms(fs::file_time_type t) {
  // file_time_type's clock is not system_clock in C++17: convert through now.
  auto system_now = std::chrono::system_clock::now();
  auto file_now = fs::file_time_type::clock::now();
  auto as_system = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
    t - file_now + system_now);
  return std::chrono::duration_cast<std::chrono::milliseconds>(as_system.time_since_epoch())
    .count();
}

/// The newest modification time of `dir` and of everything below it; stops
/// early (returning it) once one is at or after `cutoff`.
timestamp newest_write(const fs::path& dir, timestamp cutoff) {
  std::error_code err;
  auto newest = to_ms(fs::last_write_time(dir, err));
  if (err)
    return cutoff; // unreadable: never counted as stale
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied,
                                           err),
       end;
       !err && it != end && newest < cutoff; it.increment(err)) {
    auto t = fs::symlink_status(it->path(), err).type() == fs::file_type::symlink
               ? newest
               : to_ms(fs::last_write_time(it->path(), err));
    if (err)
      return cutoff;
    newest = std::max(newest, t);
  }
  return err ? cutoff : newest;
}

} // namespace

timestamp retention_cutoff(timestamp now, int days) {
  return days <= 0 ? 0 : now - static_cast<timestamp>(days) * 24 * 3600 * 1000;
}

std::vector<std::string> stale_instance_dirs(const std::string& root, timestamp cutoff,
                                             std::size_t limit,
                                             const std::set<std::string>& keep) {
  std::vector<std::pair<timestamp, std::string>> found;
  std::error_code err;
  if (cutoff <= 0 || limit == 0 || !fs::is_directory(root, err))
    return {};
  for (fs::directory_iterator it(root, err), end; !err && it != end; it.increment(err)) {
    std::error_code type_err;
    if (!it->is_directory(type_err) || it->is_symlink(type_err)
        || keep.count(it->path().filename().string()) > 0)
      continue;
    auto newest = newest_write(it->path(), cutoff);
    if (newest < cutoff)
      found.emplace_back(newest, it->path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> result;
  for (std::size_t i = 0; i < found.size() && i < limit; ++i)
    result.push_back(found[i].second);
  return result;
}

std::size_t remove_dirs(const std::vector<std::string>& dirs, std::vector<std::string>& problems) {
  std::size_t removed = 0;
  for (const auto& dir : dirs) {
    std::error_code err;
    fs::remove_all(dir, err);
    if (err)
      problems.push_back("cannot remove " + dir + ": " + err.message());
    else
      ++removed;
  }
  return removed;
}

} // namespace cafflow
