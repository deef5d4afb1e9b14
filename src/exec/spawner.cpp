#include "exec/spawner.hpp"

#include "exec/containment.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cafflow {

namespace {

// -- the wire format: length-prefixed fields in one datagram -------------------

constexpr std::size_t max_message = 1 << 20;

void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<char*>(&v), 8); }

void put_str(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

void put_list(std::string& out, const std::vector<std::string>& items) {
  put_u64(out, items.size());
  for (const auto& item : items)
    put_str(out, item);
}

struct reader {
  const char* at;
  const char* end;
  bool ok = true;

  std::uint64_t u64() {
    if (end - at < 8) {
      ok = false;
      return 0;
    }
    std::uint64_t v;
    std::memcpy(&v, at, 8);
    at += 8;
    return v;
  }
  std::string str() {
    auto n = u64();
    if (!ok || static_cast<std::uint64_t>(end - at) < n) {
      ok = false;
      return {};
    }
    std::string s(at, n);
    at += n;
    return s;
  }
  std::vector<std::string> list() {
    auto n = u64();
    std::vector<std::string> items;
    for (std::uint64_t i = 0; ok && i < n; ++i)
      items.push_back(str());
    return items;
  }
};

enum : std::uint64_t { event_started = 1, event_exited = 2, event_failed = 3, event_ready = 4 };

void send_event(int fd, std::uint64_t kind, std::uint64_t id, std::int64_t value,
                const std::string& message = {}) {
  std::string out;
  put_u64(out, kind);
  put_u64(out, id);
  put_u64(out, static_cast<std::uint64_t>(value));
  put_str(out, message);
  while (send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// -- the spawner process ---------------------------------------------------------

/// What the task's child needs, on the spawner's stack.
struct child_args {
  const process_spec* spec;
  char* const* argv;
  char* const* envp;
  int log_fd;
  int null_fd;
  /// The task's cgroup.procs (-1: none); the child moves itself in.
  int cgroup_fd;
  /// Set by the child (shared memory) when that failed.
  int cgroup_errno;
};

int child_main(void* raw) {
  auto* args = static_cast<child_args*>(raw);
  prctl(PR_SET_PDEATHSIG, SIGKILL); // should the spawner itself be killed
  // Into its cgroup before exec: everything it starts is born there.
  if (args->cgroup_fd >= 0 && write(args->cgroup_fd, "0", 1) != 1)
    args->cgroup_errno = errno;
  detail::become_task(*args->spec, args->argv, args->envp, args->log_fd, args->null_fd);
}

/// The child's stack: CLONE_VM shares our memory, so it needs one of its own.
/// The spawner is single-threaded and CLONE_VFORK suspends it until the
/// child has exec'd, so one stack serves every task.
char* child_stack_top() {
  constexpr std::size_t size = 1 << 20;
  static char* top = [] {
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED)
      return static_cast<char*>(nullptr);
    mprotect(base, static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), PROT_NONE); // guard page
    return static_cast<char*>(base) + size;
  }();
  return top;
}

/// Starts one task in `slot` (its marker in its environment, in its cgroup
/// when it has one); returns its pid or -errno.
///
/// The child shares the spawner's memory until it execs (clone with CLONE_VM
/// and CLONE_VFORK, as posix_spawn does): no page tables are copied, which
/// makes starting a task about as cheap as it is for make.
int start_task(const process_spec& spec, task_containment::slot& slot) {
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(const_cast<char*>(slot.marker.c_str()));
  envp.push_back(nullptr);
  auto* stack = child_stack_top();
  if (stack == nullptr)
    return -ENOMEM;
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return -errno;
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  child_args args{&spec, argv.data(), envp.data(), log_fd, null_fd, slot.procs_fd, 0};
  // Signals stay blocked until the child has default handlers: none may run
  // a handler on shared memory, and one sent to the new group at once must
  // not meet the spawner's SIG_IGN.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  auto pid = clone(child_main, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  auto err = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  close(log_fd);
  if (null_fd >= 0)
    close(null_fd);
  if (pid < 0)
    return -err;
  setpgid(pid, pid); // the group exists before anyone signals it
  if (args.cgroup_errno != 0)
    slot.cgroup.clear(); // not in it: its marker finds it
  return static_cast<int>(pid);
}


} // namespace

[[noreturn]] void run_spawner(int fd, bool use_cgroups) {
  // Its own process group: a signal to the worker's group (a terminal's
  // Ctrl-C, `kill -- -pgid`) leaves the spawner to clean up after the worker.
  setpgid(0, 0);
  prctl(PR_SET_NAME, "cafflow-spawner");
  auto containment = task_containment::setup(use_cgroups);
  // Nothing of the worker's but the socket and the standard streams.
  detail::close_from(std::max(fd, STDERR_FILENO) + 1);
  // The worker's termination signals are the worker's business: the spawner
  // ends when the worker's end of the socket closes.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_SETMASK, &chld, nullptr); // only SIGCHLD, and that one for signalfd
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
  send_event(fd, event_ready, 0, getpid(), containment.description());
  struct running {
    std::uint64_t id;
    task_containment::slot slot;
  };
  std::map<int, running> tasks; // by pid
  std::vector<char> buf(max_message);
  auto reap = [&] {
    for (;;) {
      // Peek first: while the ended task is an unreaped zombie its pid, and
      // so its group id, cannot be reused — the group kill hits only its own.
      siginfo_t info{};
      if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
        return;
      pid_t pid = info.si_pid;
      // A task: what it left behind in its group ends with it, and what
      // left the group (its cgroup, or whatever carries its marker). Else an
      // orphan of a running task (the spawner is their subreaper): reaped
      // only — its group may still belong to that task.
      auto it = tasks.find(pid);
      if (it != tasks.end()) {
        kill(-pid, SIGKILL);
        containment.kill_all(it->second.slot);
      }
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (it != tasks.end()) {
        send_event(fd, event_exited, it->second.id, status);
        tasks.erase(it);
      }
    }
  };
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
    // Cgroups of ended tasks go once their last process is gone.
    if (poll(fds, 2, containment.tidy() ? 100 : -1) < 0 && errno != EINTR)
      break;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof(info)) < 0 && errno == EINTR) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto n = recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) {
        if (n < 0 && errno == EINTR)
          continue;
        break; // the worker is gone
      }
      reader r{buf.data(), buf.data() + n};
      auto id = r.u64();
      process_spec spec;
      spec.argv = r.list();
      spec.env = r.list();
      spec.work_dir = r.str();
      spec.log_path = r.str();
      if (!r.ok || spec.argv.empty()) {
        send_event(fd, event_failed, id, 0, "malformed spawn request");
        continue;
      }
      auto slot = containment.prepare(id);
      auto pid = start_task(spec, slot);
      if (pid < 0) {
        containment.kill_all(slot); // nothing to kill: removes its cgroup
        send_event(fd, event_failed, id, 0,
                   "cannot start the task: " + std::string(std::strerror(-pid)));
      } else {
        // The cgroup goes to the worker, which kills it should the spawner die.
        send_event(fd, event_started, id, pid, slot.cgroup);
        tasks[pid] = running{id, std::move(slot)};
      }
    }
  }
  // No worker: no task may go on, nor anything it started.
  for (auto& [pid, task] : tasks) {
    kill(-pid, SIGKILL);
    containment.kill_all(task.slot);
  }
  while (!tasks.empty()) {
    int status = 0;
    auto pid = waitpid(-1, &status, 0);
    if (pid < 0 && errno != EINTR)
      break;
    tasks.erase(pid);
  }
  // Their cgroups, once empty (the killed processes exit within moments).
  for (int round = 0; round < 100 && containment.tidy(); ++round)
    poll(nullptr, 0, 10);
  _exit(0);
}


expected<std::unique_ptr<spawner_client>> spawner_client::start(const std::string& program,
                                                                const std::string& label,
                                                                bool task_cgroups) {
  auto fail = [&](const std::string& what) {
    return make_error(ec::exec_error, "cannot start the task spawner '" + program + "': " + what);
  };
  if (access(program.c_str(), X_OK) != 0)
    return fail(std::strerror(errno));
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return fail(std::string("socketpair: ") + std::strerror(errno));
  // Everything the child needs is built before fork: the parent may have
  // threads, so the child does only async-signal-safe things until exec.
  constexpr int child_fd = 3;
  std::vector<std::string> args{"cafflow-spawner", "--fd", std::to_string(child_fd), "--worker",
                                label};
  if (!task_cgroups)
    args.push_back("--no-cgroups");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto pid = fork();
  if (pid < 0) {
    auto err = errno;
    close(fds[0]);
    close(fds[1]);
    return fail(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    if (fds[1] == child_fd)
      fcntl(child_fd, F_SETFD, 0); // keep it across exec
    else
      dup2(fds[1], child_fd); // the copy has no FD_CLOEXEC
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  // Ready when it says so; gone when the socket closes first.
  pollfd ready{fds[0], POLLIN, 0};
  char buf[4096];
  ssize_t n = -1;
  if (poll(&ready, 1, 10000) == 1)
    n = recv(fds[0], buf, sizeof(buf), 0);
  reader r{buf, buf + std::max<ssize_t>(n, 0)};
  if (n <= 0 || r.u64() != event_ready) {
    close(fds[0]);
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return fail(n < 0 ? "it did not report ready within 10 s" : "it exited at once");
  }
  r.u64(); // id
  r.u64(); // pid
  auto client = std::unique_ptr<spawner_client>(new spawner_client(fds[0], static_cast<int>(pid)));
  client->containment_ = r.str();
  return client;
}

std::string default_spawner_program() {
  std::error_code err;
  auto self = std::filesystem::read_symlink("/proc/self/exe", err);
  if (err)
    return "cafflow-spawner";
  return (self.parent_path() / "cafflow-spawner").string();
}

spawner_client::~spawner_client() {
  // Closing our end tells the spawner to kill what still runs and exit.
  closing_ = true;
  shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable())
    reader_.join();
  close(fd_);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

spawner_client::event_handler spawner_client::handler_of(std::uint64_t id, int pgid,
                                                         const std::string& cgroup, bool last) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = tasks_.find(id);
  if (it == tasks_.end())
    return {};
  auto handler = it->second.on_event;
  if (last) {
    tasks_.erase(it);
  } else if (pgid > 0) {
    it->second.pgid = pgid;
    it->second.cgroup = cgroup;
  }
  return handler;
}

void spawner_client::spawner_died(const std::string& why) {
  std::map<std::uint64_t, task> orphans;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    orphans.swap(tasks_);
  }
  for (auto& [id, t] : orphans) {
    // Nobody reaps the task now: kill its tree here, as the spawner would have.
    if (t.pgid > 0)
      signal_group(t.pgid, SIGKILL);
    if (t.cgroup.empty() || !kill_cgroup(t.cgroup))
      kill_marked(std::string(task_marker_variable) + "=" + std::to_string(pid_) + "-"
                  + std::to_string(id));
    t.on_event(spawn_event{spawn_event::kind::spawner_gone, t.pgid, 0, why});
  }
}

void spawner_client::listen(std::function<void(std::string)> on_gone) {
  reader_ = std::thread([this, on_gone = std::move(on_gone)] {
    std::vector<char> buf(max_message);
    for (;;) {
      auto n = recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        if (closing_)
          return; // we ended it: the spawner cleans up
        auto why = n == 0 ? std::string("the task spawner exited")
                          : std::string("the task spawner is unreachable: ") + std::strerror(errno);
        spawner_died(why);
        on_gone(why);
        return;
      }
      reader r{buf.data(), buf.data() + n};
      auto kind = r.u64();
      auto id = r.u64();
      auto value = static_cast<std::int64_t>(r.u64());
      spawn_event e;
      e.message = r.str();
      if (!r.ok)
        continue;
      std::string cgroup;
      if (kind == event_started) {
        e.what = spawn_event::kind::started;
        e.pgid = static_cast<int>(value);
        cgroup = std::move(e.message); // not for the handler
        e.message.clear();
      } else if (kind == event_exited) {
        e.what = spawn_event::kind::exited;
        e.status = static_cast<int>(value);
      } else {
        e.what = spawn_event::kind::failed;
      }
      if (auto handler = handler_of(id, e.pgid, cgroup, e.what != spawn_event::kind::started))
        handler(std::move(e));
    }
  });
}

expected<void> spawner_client::spawn(const process_spec& spec, event_handler on_event) {
  std::uint64_t id;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    id = next_id_++;
  }
  std::string out;
  put_u64(out, id);
  put_list(out, spec.argv);
  put_list(out, spec.env);
  put_str(out, spec.work_dir);
  put_str(out, spec.log_path);
  if (out.size() > max_message)
    return make_error(ec::exec_error, "the task's command line and environment are larger than "
                                        + std::to_string(max_message) + " bytes");
  // Known before the spawner can answer: its events find their handler.
  {
    std::lock_guard<std::mutex> guard{mutex_};
    tasks_.emplace(id, task{std::move(on_event), 0, {}});
  }
  // Not under the lock: a full socket blocks this send until the spawner
  // reads, and the spawner may first have to hand events to the reader.
  ssize_t sent;
  while ((sent = send(fd_, out.data(), out.size(), MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (sent < 0) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (tasks_.erase(id) == 0)
      return {}; // the spawner died meanwhile, and the handler was told so
    return make_error(ec::exec_error,
                      std::string("the task spawner is gone: ") + std::strerror(errno));
  }
  return {};
}

} // namespace cafflow
