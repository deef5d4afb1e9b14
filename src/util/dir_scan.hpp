// One walk of a directory tree, as the xmlconfig watcher scans it: every
// file with a suffix, following symbolic links to directories — but never
// into a loop, never twice into one directory, and reporting what could not
// be read instead of stopping (or pretending it is not there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cafflow {

/// What stat says of a file: while it stays the same, so does its content —
/// as far as the file system's timestamps can tell (see xml_watcher).
struct file_stamp {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t size = 0;
  /// Nanoseconds since 1970-01-01.
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  bool operator==(const file_stamp& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns
           && ctime_ns == o.ctime_ns;
  }
  bool operator!=(const file_stamp& o) const { return !(*this == o); }
};

struct dir_scan {
  /// Paths (root + "/" + ...) of the files whose names end with the suffix:
  /// a directory's files (in name order) before those of its subdirectories.
  std::vector<std::string> files;
  /// The stat of each of `files` (of the target of a link), same order.
  std::vector<file_stamp> stamps;

  struct problem {
    std::string path;
    /// True for a directory (or a link to one), false for a file.
    bool directory = false;
    std::string message;
  };
  /// What was not walked, and why: a directory that cannot be read, a link
  /// to a directory above it (a loop: `ln -s . loop`), a link to a
  /// directory walked under another path, a file whose type cannot be told.
  std::vector<problem> problems;
  /// False when the root itself cannot be read (see problems).
  bool root_readable = true;
};

/// Walks `root` recursively, as `find -L root -name '*<suffix>'` would, but:
/// a directory is walked once however many links lead to it (a real
/// directory before a link), a link to a directory on its own path is not
/// followed, and whatever cannot be read is reported while the rest of the
/// tree is still walked. Every directory costs one stat and one listing.
dir_scan scan_directory(const std::string& root, const std::string& suffix);

} // namespace cafflow
