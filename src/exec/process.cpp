#include "exec/process.hpp"

#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <future>
#include <thread>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cafflow {

namespace {

/// Closes every descriptor from `first` on, in the child (async-signal-safe).
/// Writes a message and exits, in the child (async-signal-safe).
[[noreturn]] void child_fail(const char* what) {
  auto err = errno;
  const char* reason = strerror(err); // not strictly async-signal-safe; glibc's is fine here
  (void) !write(STDERR_FILENO, "cafflow: ", 9);
  (void) !write(STDERR_FILENO, what, strlen(what));
  (void) !write(STDERR_FILENO, ": ", 2);
  (void) !write(STDERR_FILENO, reason, strlen(reason));
  (void) !write(STDERR_FILENO, "\n", 1);
  _exit(127);
}

} // namespace

namespace {

/// The task group the guardian watches (set in the guardian after fork).
volatile pid_t guarded_group = 0;

/// The guardian's SIGTERM (its parent thread died): take the task group along.
void guardian_parent_died(int) {
  if (guarded_group > 0)
    kill(-guarded_group, SIGKILL);
  _exit(128 + SIGTERM);
}

} // namespace

namespace detail {

void close_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0)
    return;
#endif
  auto max = sysconf(_SC_OPEN_MAX);
  for (int fd = first; fd < max; ++fd)
    close(fd);
}

[[noreturn]] void become_task(const process_spec& spec, char* const* argv, char* const* envp,
                              int log_fd, int null_fd) {
  setpgid(0, 0);
  // A task starts with a clean slate: default handlers first (signals are
  // still blocked, so none can reach a handler inherited from the daemon),
  // then an empty mask (the daemon blocks termination signals for its
  // signal thread).
  for (int sig = 1; sig < NSIG; ++sig)
    signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  detail::close_from(3);
  if (!spec.work_dir.empty() && chdir(spec.work_dir.c_str()) != 0)
    child_fail("cannot enter the work directory");
  execvpe(argv[0], argv, envp);
  child_fail("cannot execute the task");
}

} // namespace detail

namespace {

/// The guardian, after the first fork. Async-signal-safe: the parent has threads.
[[noreturn]] void guard(pid_t parent, const process_spec& spec, char* const* argv,
                        char* const* envp, int log_fd, int null_fd, int report_fd) {
  // Nothing may reach a handler inherited from the daemon: block everything
  // until this process and the task have their own.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  // Terminal signals meant for the daemon are not the guardian's business.
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction on_term {};
  on_term.sa_handler = guardian_parent_died;
  sigemptyset(&on_term.sa_mask);
  sigaction(SIGTERM, &on_term, nullptr);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  // SIGTERM stays blocked until the task exists, so the handler always has a group.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) // the parent died before prctl took effect
    _exit(127);
  auto task = fork();
  if (task < 0)
    child_fail("cannot start the task");
  if (task == 0) {
    close(report_fd);
    detail::become_task(spec, argv, envp, log_fd, null_fd);
  }
  setpgid(task, task); // also here, so the group exists before anyone signals it
  guarded_group = task;
  std::int32_t reported = task;
  (void) !write(report_fd, &reported, sizeof(reported));
  // Hold nothing of the daemon's: its sockets must close when it does.
  detail::close_from(0);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGTERM && sig != SIGINT && sig != SIGHUP && sig != SIGPIPE)
      signal(sig, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &term, nullptr);
  int status = 0;
  while (waitpid(task, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the task left running in its group ends with it: no orphans.
  kill(-task, SIGKILL);
  if (WIFSIGNALED(status)) {
    // Die the same way, so the waiter sees the task's own status.
    auto sig = WTERMSIG(status);
    struct rlimit no_core {};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, nullptr);
    kill(getpid(), sig);
    _exit(128 + sig);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

} // namespace

expected<process_handle> spawn_process(const process_spec& spec) {
  if (spec.argv.empty())
    return make_error(ec::exec_error, "empty command");
  // Everything the children need is prepared before fork: after fork in a
  // threaded process only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const auto& arg : spec.argv)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& item : spec.env)
    envp.push_back(const_cast<char*>(item.c_str()));
  envp.push_back(nullptr);
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return make_error(ec::exec_error,
                      "cannot open log file '" + spec.log_path + "': " + std::strerror(errno));
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2] = {-1, -1};
  if (null_fd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    auto err = errno;
    close(log_fd);
    if (null_fd >= 0)
      close(null_fd);
    return make_error(ec::exec_error, std::string("cannot prepare the task: ") + strerror(err));
  }
  auto parent = getpid();
  auto guardian = fork();
  if (guardian < 0) {
    auto err = errno;
    for (int fd : {log_fd, null_fd, report[0], report[1]})
      close(fd);
    return make_error(ec::exec_error, std::string("fork failed: ") + strerror(err));
  }
  if (guardian == 0) {
    close(report[0]);
    guard(parent, spec, argv.data(), envp.data(), log_fd, null_fd, report[1]);
  }
  close(log_fd);
  close(null_fd);
  close(report[1]);
  std::int32_t task = 0;
  ssize_t got;
  while ((got = read(report[0], &task, sizeof(task))) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (got != static_cast<ssize_t>(sizeof(task)) || task <= 0) {
    wait_process(guardian);
    return make_error(ec::exec_error, "the task could not be started (fork failed)");
  }
  return process_handle{static_cast<int>(guardian), static_cast<int>(task)};
}

int wait_process(int pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return status;
}

std::optional<int> poll_process(int pid) {
  int status = 0;
  auto result = waitpid(pid, &status, WNOHANG);
  if (result == pid)
    return status;
  if (result < 0 && errno == ECHILD)
    return -1; // not our child (or already reaped)
  return std::nullopt;
}

bool signal_group(int pgid, int sig) { return pgid > 0 && kill(-pgid, sig) == 0; }

bool group_alive(int pgid) { return pgid > 0 && kill(-pgid, 0) == 0; }

std::string exit_info::describe() const {
  if (signal != 0)
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit code " + std::to_string(exit_code);
}

exit_info decode_wait_status(int status) {
  exit_info info;
  if (status < 0) {
    info.exit_code = -1;
  } else if (WIFEXITED(status)) {
    info.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    info.signal = WTERMSIG(status);
    info.exit_code = 128 + info.signal;
  }
  return info;
}

bool process_running(int pid) {
  if (pid <= 0)
    return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return kill(pid, 0) == 0 || errno == EPERM;
  // "pid (comm) S ...": the state follows the last ')' (comm may hold any).
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size())
    return true;
  auto state = line[close + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0)
    return "localhost";
  return name;
}

expected<void> run_in_background(const std::string& command, const std::vector<std::string>& env,
                                 const std::string& log_path,
                                 std::function<void(exit_info)> done) {
  process_spec spec;
  spec.argv = {"/bin/sh", "-c", command};
  for (char** e = environ; *e != nullptr; ++e)
    spec.env.emplace_back(*e);
  spec.env.insert(spec.env.end(), env.begin(), env.end());
  spec.work_dir = "/";
  spec.log_path = log_path;
  // The guardian dies with the thread that spawned it: spawn from the
  // thread that also waits.
  std::promise<expected<void>> started;
  auto outcome = started.get_future();
  std::thread([spec = std::move(spec), done = std::move(done), &started]() mutable {
    auto handle = spawn_process(spec);
    if (!handle) {
      started.set_value(handle.error());
      return;
    }
    started.set_value(expected<void>{});
    auto status = wait_process(handle->pid);
    if (done)
      done(decode_wait_status(status));
  }).detach();
  return outcome.get();
}

std::string file_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return {};
  auto size = static_cast<std::size_t>(in.tellg());
  auto start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string data(size - start, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (start > 0) {
    auto newline = data.find('\n');
    if (newline != std::string::npos && newline + 1 < data.size())
      data.erase(0, newline + 1);
  }
  return data;
}

} // namespace cafflow
