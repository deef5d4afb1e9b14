#include "exec/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cafflow {

namespace {

/// Closes every descriptor from `first` on, in the child (async-signal-safe).
void close_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0)
    return;
#endif
  auto max = sysconf(_SC_OPEN_MAX);
  for (int fd = first; fd < max; ++fd)
    close(fd);
}

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

expected<int> spawn_process(const process_spec& spec) {
  if (spec.argv.empty())
    return make_error(ec::exec_error, "empty command");
  // Everything the child needs is prepared before fork: after fork in a
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
  if (null_fd < 0) {
    close(log_fd);
    return make_error(ec::exec_error, std::string("cannot open /dev/null: ") + strerror(errno));
  }
  auto parent = getpid();
  auto pid = fork();
  if (pid < 0) {
    auto err = errno;
    close(log_fd);
    close(null_fd);
    return make_error(ec::exec_error, std::string("fork failed: ") + strerror(err));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) // the parent died before prctl took effect
      _exit(127);
    // The daemon blocks termination signals for its signal thread; a task
    // must start with a clean slate.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
      signal(sig, SIG_DFL);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close_from(3);
    if (!spec.work_dir.empty() && chdir(spec.work_dir.c_str()) != 0)
      child_fail("cannot enter the work directory");
    execvpe(argv[0], argv.data(), envp.data());
    child_fail("cannot execute the task");
  }
  // Also set the group from the parent, so it exists before we signal it.
  setpgid(pid, pid);
  close(log_fd);
  close(null_fd);
  return static_cast<int>(pid);
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
