// Watching a directory tree with Linux inotify: a thread sleeps in wait()
// until something under the tree changed or another thread calls stop().
// It only says *that* something changed; a scan finds out what.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "expected.hpp"

namespace cafflow {

/// An inotify watch on every directory under a root (following directory
/// symlinks, as the scan does), kept complete as directories are created,
/// moved in and out, deleted, or the root itself is replaced (the root's
/// parent is watched for that, e.g. a deploy that swaps a symlink). A root
/// that cannot be watched (missing, not a directory, no permission) is tried
/// again every `root_retry` while a wait() runs; wait() says `changed` once it
/// succeeds.
class dir_watch {
public:
  /// What ended a wait().
  enum class wake {
    /// Something under the tree changed (or the kernel's event queue overflowed).
    changed,
    /// stop() was called (now or before).
    stopped,
    /// The timeout passed without a change.
    timeout,
  };

  /// Watches `root`. With a `suffix` (e.g. ".xml"), events on files whose
  /// names do not end with it are ignored (editors' swap and temp files);
  /// events on directories always count. Fails only when inotify itself
  /// cannot be set up; a root that cannot be watched yet is reported by
  /// take_problems().
  static expected<dir_watch> open(std::string root, std::string suffix = {});

  dir_watch(dir_watch&& other) noexcept;
  dir_watch& operator=(dir_watch&& other) noexcept;
  dir_watch(const dir_watch&) = delete;
  dir_watch& operator=(const dir_watch&) = delete;
  ~dir_watch();

  /// Blocks until something changed, stop() is called or `timeout` passes
  /// (none = no timeout). Events that arrived since the last call count. One
  /// thread at a time may wait.
  expected<wake> wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// Makes the current and every later wait() return `stopped`. Safe to call
  /// from any thread while another one waits.
  void stop();

  /// True while the root itself is watched.
  bool watching() const { return root_wd_ >= 0; }

  /// Directories watched now (the root included).
  std::size_t directories() const { return watches_.size(); }

  /// Messages about directories that could not be watched since the last
  /// call (e.g. the root is missing, fs.inotify.max_user_watches is reached),
  /// each naming the directory and the reason. Not for use during a wait().
  std::vector<std::string> take_problems();

  /// How often a root that cannot be watched is tried again.
  static constexpr std::chrono::milliseconds root_retry{1000};

private:
  dir_watch(int inotify_fd, int stop_fd, std::string root, std::string suffix);

  /// Watches every directory under the root again, dropping watches of
  /// directories no longer in the tree.
  void resync();
  /// Watches `dir` and the directories below it; records them in `into` and
  /// what could not be watched in `problems`.
  void add_tree(const std::string& dir, std::map<int, std::string>& into,
                std::set<std::string>& problems, bool is_root);
  /// Reads every pending event; returns true when one of them counts as a change.
  expected<bool> drain();
  void close_fds();

  int inotify_fd_ = -1;
  /// An eventfd that becomes readable (and stays so) once stop() is called.
  int stop_fd_ = -1;
  std::string root_;
  std::string suffix_;
  /// Watch descriptor of the root; -1 while it is not watched.
  int root_wd_ = -1;
  /// Watch descriptor of the root's parent (entries only); -1 when none.
  int parent_wd_ = -1;
  /// Every watch descriptor with the directory it was added for.
  std::map<int, std::string> watches_;
  /// Problems not yet taken, and those of the last resync (reported once).
  std::vector<std::string> problems_;
  std::set<std::string> known_problems_;
};

} // namespace cafflow
