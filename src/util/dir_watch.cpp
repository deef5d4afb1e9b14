#include "util/dir_watch.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/strings.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

/// Everything that can change what a scan of the tree finds.
constexpr std::uint32_t tree_mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE
                                    | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF
                                    | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR;

/// On the root's parent: the root appearing, vanishing or being replaced
/// (e.g. a deploy that swaps a symlink or renames a new directory into place).
constexpr std::uint32_t parent_mask =
  IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR | IN_MASK_ADD;

std::string errno_message(int err) {
  auto text = std::error_code(err, std::generic_category()).message();
  if (err == ENOSPC)
    text += " (the limit fs.inotify.max_user_watches is reached)";
  else if (err == EMFILE)
    text += " (the limit fs.inotify.max_user_instances is reached)";
  return text;
}

} // namespace

expected<dir_watch> dir_watch::open(std::string root, std::string suffix) {
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  int inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0)
    return make_error(ec::filesystem_error,
                      "cannot start inotify for " + root + ": " + errno_message(errno));
  int stop_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    auto err = errno;
    ::close(inotify_fd);
    return make_error(ec::filesystem_error,
                      "cannot create an eventfd for watching " + root + ": " + errno_message(err));
  }
  dir_watch watch(inotify_fd, stop_fd, std::move(root), std::move(suffix));
  watch.resync();
  return expected<dir_watch>(std::move(watch));
}

dir_watch::dir_watch(int inotify_fd, int stop_fd, std::string root, std::string suffix)
  : inotify_fd_(inotify_fd), stop_fd_(stop_fd), root_(std::move(root)), suffix_(std::move(suffix)) {
}

dir_watch::dir_watch(dir_watch&& other) noexcept
  : inotify_fd_(std::exchange(other.inotify_fd_, -1)),
    stop_fd_(std::exchange(other.stop_fd_, -1)),
    root_(std::move(other.root_)),
    suffix_(std::move(other.suffix_)),
    root_wd_(std::exchange(other.root_wd_, -1)),
    parent_wd_(std::exchange(other.parent_wd_, -1)),
    watches_(std::move(other.watches_)),
    problems_(std::move(other.problems_)),
    known_problems_(std::move(other.known_problems_)) {
}

dir_watch& dir_watch::operator=(dir_watch&& other) noexcept {
  if (this != &other) {
    close_fds();
    inotify_fd_ = std::exchange(other.inotify_fd_, -1);
    stop_fd_ = std::exchange(other.stop_fd_, -1);
    root_ = std::move(other.root_);
    suffix_ = std::move(other.suffix_);
    root_wd_ = std::exchange(other.root_wd_, -1);
    parent_wd_ = std::exchange(other.parent_wd_, -1);
    watches_ = std::move(other.watches_);
    problems_ = std::move(other.problems_);
    known_problems_ = std::move(other.known_problems_);
  }
  return *this;
}

dir_watch::~dir_watch() {
  close_fds();
}

void dir_watch::close_fds() {
  // Closing the inotify descriptor drops every watch with it.
  if (inotify_fd_ >= 0)
    ::close(inotify_fd_);
  if (stop_fd_ >= 0)
    ::close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

void dir_watch::stop() {
  std::uint64_t one = 1;
  // The counter stays non-zero: every later poll() sees it too.
  while (::write(stop_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

std::vector<std::string> dir_watch::take_problems() {
  return std::exchange(problems_, {});
}

void dir_watch::add_tree(const std::string& dir, std::map<int, std::string>& into,
                         std::set<std::string>& problems, bool is_root) {
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), tree_mask);
  if (wd < 0) {
    // A directory deleted while we walk is no problem: its parent reported it.
    if (is_root || errno != ENOENT)
      problems.insert("cannot watch " + dir + ": " + errno_message(errno));
    return;
  }
  if (is_root)
    root_wd_ = wd;
  // The same descriptor again: a directory symlink led back into the tree.
  if (!into.emplace(wd, dir).second)
    return;
  std::error_code err;
  for (fs::directory_iterator it(dir, err), end; !err && it != end; it.increment(err)) {
    std::error_code type_err;
    if (it->is_directory(type_err)) // follows symlinks, as the scan does
      add_tree(it->path().string(), into, problems, false);
  }
}

void dir_watch::resync() {
  std::set<std::string> problems;
  auto parent = fs::path(root_).parent_path().string();
  if (parent_wd_ < 0 && !parent.empty() && parent != root_)
    parent_wd_ = ::inotify_add_watch(inotify_fd_, parent.c_str(), parent_mask);
  std::map<int, std::string> fresh;
  root_wd_ = -1;
  add_tree(root_, fresh, problems, true);
  for (const auto& [wd, dir] : watches_)
    if (fresh.count(wd) == 0 && wd != parent_wd_)
      ::inotify_rm_watch(inotify_fd_, wd); // fails harmlessly when the kernel dropped it
  watches_ = std::move(fresh);
  // A lasting problem is reported once, not on every retry.
  for (const auto& p : problems)
    if (known_problems_.count(p) == 0)
      problems_.push_back(p);
  known_problems_ = std::move(problems);
}

expected<bool> dir_watch::drain() {
  alignas(inotify_event) char buffer[16 * 1024];
  auto root_name = fs::path(root_).filename().string();
  bool changed = false;
  bool again = false; // the set of directories changed: resync
  for (;;) {
    auto n = ::read(inotify_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (n < 0)
      return make_error(ec::filesystem_error,
                        "cannot read inotify events for " + root_ + ": " + errno_message(errno));
    if (n == 0)
      break;
    for (const char* p = buffer; p < buffer + n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      std::string_view name = ev->len > 0 ? std::string_view(ev->name) : std::string_view();
      if (ev->mask & IN_Q_OVERFLOW) {
        // Events were lost: anything may have changed.
        changed = again = true;
        continue;
      }
      if (ev->wd == parent_wd_) {
        if (ev->mask & IN_IGNORED)
          parent_wd_ = -1;
        if (name == root_name || (ev->mask & IN_IGNORED))
          changed = again = true;
      }
      if (watches_.count(ev->wd) == 0)
        continue; // the parent, or a directory that already left the tree
      if (ev->mask & IN_IGNORED) {
        watches_.erase(ev->wd);
        if (ev->wd == root_wd_) {
          root_wd_ = -1;
          again = true;
        }
        changed = true;
      } else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        changed = true;
        // The root moved away: watch whatever is at its path now.
        again = again || ev->wd == root_wd_;
      } else if (ev->mask & IN_ISDIR) {
        changed = again = true;
      } else if (name.empty() || suffix_.empty() || ends_with(name, suffix_)) {
        changed = true;
      }
    }
  }
  if (again)
    resync();
  return changed;
}

expected<dir_watch::wake> dir_watch::wait(std::optional<std::chrono::milliseconds> timeout) {
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> deadline;
  if (timeout)
    deadline = clock::now() + *timeout;
  for (;;) {
    int wait_ms = -1;
    if (deadline)
      wait_ms = static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock::now()).count()));
    if (root_wd_ < 0)
      wait_ms = wait_ms < 0 ? static_cast<int>(root_retry.count())
                            : std::min(wait_ms, static_cast<int>(root_retry.count()));
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int ready = ::poll(fds, 2, wait_ms);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0)
      return make_error(ec::filesystem_error,
                        "cannot wait for changes under " + root_ + ": " + errno_message(errno));
    if (fds[0].revents != 0)
      return wake::stopped;
    if (fds[1].revents & POLLIN) {
      auto changed = drain();
      if (!changed)
        return changed.error();
      if (*changed)
        return wake::changed;
    } else if (fds[1].revents != 0) {
      return make_error(ec::filesystem_error, "the inotify descriptor for " + root_ + " failed");
    }
    if (ready == 0 && root_wd_ < 0) {
      resync();
      if (root_wd_ >= 0)
        return wake::changed; // the root (re)appeared
    }
    if (deadline && clock::now() >= *deadline)
      return wake::timeout;
  }
}

} // namespace cafflow
