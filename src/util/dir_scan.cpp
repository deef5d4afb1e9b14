#include "util/dir_scan.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <dirent.h>
#include <sys/stat.h>

#include "util/strings.hpp"

namespace cafflow {

namespace {

/// A directory's identity: device and inode, whatever path leads to it.
using dir_id = std::pair<dev_t, ino_t>;

/// A directory to walk: its path, and the directories on the way to it (to
/// recognise a link back to one of them).
struct pending {
  std::string path;
  dir_id id;
  std::shared_ptr<const std::vector<std::pair<dir_id, std::string>>> ancestors;
};

/// The names in a directory, sorted; false (and errno) when it cannot be read.
bool list_directory(const std::string& path, std::vector<std::string>& names) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr)
    return false;
  errno = 0;
  while (auto* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) {
    errno = err;
    return false;
  }
  std::sort(names.begin(), names.end());
  return true;
}

} // namespace

dir_scan scan_directory(const std::string& root, const std::string& suffix) {
  dir_scan result;
  struct stat st {};
  bool found = ::stat(root.c_str(), &st) == 0;
  if (!found || !S_ISDIR(st.st_mode)) {
    result.root_readable = false;
    result.problems.push_back({root, true, std::string("cannot read the directory: ")
                                             + (found ? "it is not a directory"
                                                      : std::strerror(errno))});
    return result;
  }
  // Every directory walked or queued, with the path it is walked under.
  std::map<dir_id, std::string> walked;
  // Real directories first, depth-first; links to directories after them,
  // so that a directory reached both ways is walked under its own path.
  std::deque<pending> real, linked;
  dir_id root_id{st.st_dev, st.st_ino};
  walked.emplace(root_id, root);
  real.push_back({root, root_id, std::make_shared<std::vector<std::pair<dir_id, std::string>>>()});
  while (!real.empty() || !linked.empty()) {
    bool via_link = real.empty();
    auto& queue = via_link ? linked : real;
    auto dir = std::move(queue.back());
    queue.pop_back();
    if (via_link) {
      // Claimed only now, after every real directory: a directory reached
      // through a link and under its own path is walked under its own.
      auto [it, fresh] = walked.emplace(dir.id, dir.path);
      if (!fresh) {
        result.problems.push_back(
          {dir.path, true, "leads to " + it->second
                             + ", which is scanned under that path already; not followed"});
        continue;
      }
    }
    std::vector<std::string> names;
    if (!list_directory(dir.path, names)) {
      if (dir.path == root)
        result.root_readable = false;
      result.problems.push_back(
        {dir.path, true, std::string("cannot read the directory: ") + std::strerror(errno)});
      continue;
    }
    auto chain = std::make_shared<std::vector<std::pair<dir_id, std::string>>>(*dir.ancestors);
    chain->emplace_back(dir.id, dir.path);
    // Pushed in reverse so that the walk pops them in name order.
    std::vector<pending> subdirs, sublinks;
    for (const auto& name : names) {
      auto path = dir.path + "/" + name;
      struct stat link {};
      if (::lstat(path.c_str(), &link) != 0)
        continue; // gone since the listing
      bool is_link = S_ISLNK(link.st_mode);
      struct stat target = link;
      if (is_link && ::stat(path.c_str(), &target) != 0) {
        // A dangling link is no file to load; a looping one (a -> b -> a)
        // or one we may not follow is worth saying when it looks like one.
        if (errno != ENOENT && ends_with(name, suffix))
          result.problems.push_back({path, false, std::string("cannot follow the symbolic link: ")
                                                    + std::strerror(errno)});
        continue;
      }
      if (S_ISREG(target.st_mode)) {
        if (ends_with(name, suffix)) {
          result.files.push_back(path);
          file_stamp stamp;
          stamp.dev = static_cast<std::uint64_t>(target.st_dev);
          stamp.ino = static_cast<std::uint64_t>(target.st_ino);
          stamp.size = static_cast<std::int64_t>(target.st_size);
          stamp.mtime_ns = static_cast<std::int64_t>(target.st_mtim.tv_sec) * 1000000000
                           + target.st_mtim.tv_nsec;
          stamp.ctime_ns = static_cast<std::int64_t>(target.st_ctim.tv_sec) * 1000000000
                           + target.st_ctim.tv_nsec;
          result.stamps.push_back(stamp);
        }
        continue;
      }
      if (!S_ISDIR(target.st_mode))
        continue;
      dir_id id{target.st_dev, target.st_ino};
      auto above = std::find_if(chain->begin(), chain->end(),
                                [&](const auto& a) { return a.first == id; });
      if (above != chain->end()) {
        result.problems.push_back(
          {path, true, "is a symbolic link to " + above->second
                         + ", a directory above it: following it would loop forever; not "
                           "followed"});
        continue;
      }
      if (is_link) {
        sublinks.push_back({path, id, chain});
        continue;
      }
      // The same directory under two real paths: a bind mount.
      auto [it, fresh] = walked.emplace(id, path);
      if (!fresh) {
        result.problems.push_back(
          {path, true, "is the same directory as " + it->second
                         + ", which is scanned under that path already; not followed"});
        continue;
      }
      subdirs.push_back({path, id, chain});
    }
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it)
      real.push_back(std::move(*it));
    for (auto it = sublinks.rbegin(); it != sublinks.rend(); ++it)
      linked.push_back(std::move(*it));
  }
  return result;
}

} // namespace cafflow
