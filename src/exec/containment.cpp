#include "exec/containment.hpp"

#include "util/files.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cafflow {

namespace {

namespace fs = std::filesystem;

/// This process's cgroup v2 directory ("" and `why` when there is none).
std::string own_cgroup(std::string& why) {
  // The cgroup v2 line of /proc/self/cgroup is "0::/path".
  auto groups = read_file("/proc/self/cgroup");
  std::string path;
  bool found = false;
  for (const auto& line : split_lines(groups ? *groups : std::string()))
    if (starts_with(line, "0::")) {
      path = line.substr(3);
      found = true;
    }
  if (!found) {
    why = "this host has no cgroup v2 hierarchy";
    return {};
  }
  // Where cgroup2 is mounted: fields 4 (root) and 5 (mount point) of
  // /proc/self/mountinfo, the file system type after " - ".
  auto mounts = read_file("/proc/self/mountinfo");
  for (const auto& line : split_lines(mounts ? *mounts : std::string())) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos || !starts_with(line.substr(dash + 3), "cgroup2 "))
      continue;
    auto fields = split(line.substr(0, dash), ' ');
    if (fields.size() < 5)
      continue;
    const auto& root = fields[3];
    const auto& mount_point = fields[4];
    auto relative = path;
    if (root != "/") {
      if (!starts_with(path, root))
        continue;
      relative = path.substr(root.size());
    }
    auto dir = mount_point + (relative == "/" ? "" : relative);
    while (dir.size() > 1 && dir.back() == '/')
      dir.pop_back();
    return dir;
  }
  why = "cgroup2 is not mounted";
  return {};
}

bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

/// The pids listed in a cgroup's cgroup.procs.
std::vector<int> cgroup_pids(const std::string& dir) {
  std::vector<int> pids;
  auto text = read_file(dir + "/cgroup.procs");
  for (const auto& line : split_lines(text ? *text : std::string())) {
    long long pid = 0;
    if (parse_int(line, pid) && pid > 0)
      pids.push_back(static_cast<int>(pid));
  }
  return pids;
}

bool write_text(const std::string& path, const char* text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  auto n = ::write(fd, text, std::strlen(text));
  ::close(fd);
  return n == static_cast<ssize_t>(std::strlen(text));
}

} // namespace

task_containment task_containment::setup(bool use_cgroups) {
  task_containment c;
  c.spawner_pid_ = static_cast<int>(::getpid());
  // Processes whose parent dies are re-parented to the spawner rather than
  // to init: they stay where the spawner can reap them.
  bool subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  std::string why;
  if (!use_cgroups) {
    why = "worker.task_cgroups = false";
  } else if (auto dir = own_cgroup(why); !dir.empty()) {
    // Cgroups of spawners that are gone (killed before they could clean
    // up) go first: only empty ones can be removed.
    std::error_code err;
    for (const auto& entry : fs::directory_iterator(dir, err)) {
      auto name = entry.path().filename().string();
      long long pid = 0;
      if (starts_with(name, "cafflow-task-")
          && parse_int(name.substr(13, name.find('-', 13) - 13), pid)
          && !process_alive(static_cast<int>(pid)))
        ::rmdir(entry.path().c_str());
    }
    // Allowed here? Make one and open its cgroup.procs for writing.
    auto probe = dir + "/cafflow-task-" + std::to_string(c.spawner_pid_) + "-probe";
    if (::mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) {
      why = "cannot create a cgroup in " + dir + ": " + std::strerror(errno);
    } else {
      int fd = ::open((probe + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        why = "cannot write to a cgroup in " + dir + ": " + std::strerror(errno);
      else
        ::close(fd);
      ::rmdir(probe.c_str());
      if (fd >= 0)
        c.base_ = dir;
    }
  }
  if (c.uses_cgroups())
    c.description_ = "a cgroup v2 per task under " + c.base_
                     + " (killed as a whole when the task ends)";
  else
    c.description_ = std::string("process tracking: ") + (subreaper ? "the spawner is a child "
                                                                      "subreaper and kills "
                                                                    : "the spawner kills ")
                     + "every process marked " + task_marker_variable
                     + " for the task when it ends (no cgroups: " + why
                     + "; a process that clears its environment escapes)";
  return c;
}

task_containment::slot task_containment::prepare(std::uint64_t id) {
  slot s;
  auto name = std::to_string(spawner_pid_) + "-" + std::to_string(id);
  s.marker = std::string(task_marker_variable) + "=" + name;
  if (!uses_cgroups())
    return s;
  auto dir = base_ + "/cafflow-task-" + name;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return s; // this task is tracked by its marker alone
  s.procs_fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (s.procs_fd < 0) {
    ::rmdir(dir.c_str());
    return s;
  }
  s.cgroup = dir;
  return s;
}

void task_containment::kill_all(slot& s) {
  if (s.procs_fd >= 0) {
    ::close(s.procs_fd);
    s.procs_fd = -1;
  }
  // The marker too: a task whose move into its cgroup failed has only that.
  if (!s.cgroup.empty() && kill_cgroup(s.cgroup)) {
    draining_.push_back(s.cgroup);
    tidy();
  } else {
    kill_marked(s.marker);
  }
}

bool task_containment::tidy() {
  draining_.erase(std::remove_if(draining_.begin(), draining_.end(),
                                 [](const std::string& dir) {
                                   return ::rmdir(dir.c_str()) == 0 || errno == ENOENT;
                                 }),
                  draining_.end());
  return !draining_.empty();
}

bool kill_cgroup(const std::string& dir) {
  if (write_text(dir + "/cgroup.kill", "1"))
    return true;
  if (errno != ENOENT && errno != EACCES && errno != EINVAL)
    return false;
  // Before Linux 5.14: one by one, until nothing is left (a process may fork
  // between the read and the kill; its child is in the cgroup too).
  for (int round = 0; round < 100; ++round) {
    auto pids = cgroup_pids(dir);
    if (pids.empty())
      return true;
    for (auto pid : pids)
      ::kill(pid, SIGKILL);
  }
  return cgroup_pids(dir).empty();
}

int kill_marked(const std::string& marker) {
  auto self = static_cast<int>(::getpid());
  int killed = 0;
  std::set<int> seen;
  for (int round = 0; round < 100; ++round) {
    int found = 0;
    std::error_code err;
    for (const auto& entry : fs::directory_iterator("/proc", err)) {
      long long pid = 0;
      if (!parse_int(entry.path().filename().string(), pid) || pid == self)
        continue;
      auto environ = read_file(entry.path().string() + "/environ");
      if (!environ)
        continue;
      // Items are NUL-separated: match a whole one.
      auto at = environ->find(marker);
      bool whole = false;
      while (at != std::string::npos && !whole) {
        whole = (at == 0 || (*environ)[at - 1] == '\0')
                && (at + marker.size() == environ->size() || (*environ)[at + marker.size()] == '\0');
        if (!whole)
          at = environ->find(marker, at + 1);
      }
      if (!whole)
        continue;
      ++found;
      if (::kill(static_cast<int>(pid), SIGKILL) == 0 && seen.insert(static_cast<int>(pid)).second)
        ++killed;
    }
    if (found == 0)
      break;
    // Killed processes show until they are gone (a zombie's environ is empty).
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return killed;
}

} // namespace cafflow
