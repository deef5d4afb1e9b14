#include "exec/child.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace cafflow {

namespace {

/// This process's environment with `extra` ("NAME=value") replacing or
/// adding to it.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::set<std::string> replaced;
  for (const auto& item : extra)
    replaced.insert(item.substr(0, item.find('=')));
  std::vector<std::string> result;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string item(*e);
    if (replaced.count(item.substr(0, item.find('='))) == 0)
      result.push_back(std::move(item));
  }
  result.insert(result.end(), extra.begin(), extra.end());
  return result;
}

} // namespace

expected<child_output> run_child(const std::vector<std::string>& argv,
                                 const child_options& options) {
  if (argv.empty())
    return make_error(ec::exec_error, "no program to run");
  // Everything the child needs is built here: after the fork it only execs.
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env;
  std::vector<char*> envp;
  if (!options.env.empty()) {
    env = environment_with(options.env);
    for (auto& item : env)
      envp.push_back(item.data());
    envp.push_back(nullptr);
  }
  const char* dir = options.work_dir.empty() ? nullptr : options.work_dir.c_str();
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0)
    return make_error(ec::exec_error, std::string("cannot create a pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return make_error(ec::exec_error, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]})
      ::close(fd);
    return make_error(ec::exec_error, std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Async-signal-safe only from here on.
    if (options.own_group)
      ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (options.merge_stderr)
      ::dup2(out[1], 2);
    detail::close_from(3);
    if (dir != nullptr && ::chdir(dir) != 0) {
      const char msg[] = "cannot enter the working directory\n";
      (void) !::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    if (envp.empty()) {
      if (std::strchr(args[0], '/') != nullptr)
        ::execv(args[0], args.data());
      else
        ::execvp(args[0], args.data());
    } else {
      if (std::strchr(args[0], '/') != nullptr)
        ::execve(args[0], args.data(), envp.data());
      else
        ::execvpe(args[0], args.data(), envp.data());
    }
    const char msg[] = "cannot start the program\n";
    (void) !::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  if (options.own_group)
    ::setpgid(pid, pid);
  ::close(in[0]);
  ::close(out[1]);
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  child_output result;
  std::size_t written = 0;
  bool in_open = true;
  if (options.input.empty()) {
    ::close(in[1]);
    in_open = false;
  }
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds(options.timeout_ms);
  bool killed = false;
  auto kill_it = [&] {
    killed = true;
    ::kill(options.own_group ? -pid : pid, SIGKILL);
  };
  // Time to give up (the deadline passed, or the caller stops it)? Kills it then.
  auto over = [&] {
    if (killed)
      return true;
    if (options.timeout_ms > 0 && clock::now() >= deadline) {
      result.timed_out = true;
      kill_it();
    } else if (options.stop && options.stop()) {
      result.stopped = true;
      kill_it();
    }
    return killed;
  };
  auto wait_ms = [&] {
    long long wait = options.stop ? 200 : 1000;
    if (options.timeout_ms > 0)
      wait = std::min<long long>(
        wait, std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                       deadline - clock::now())
                                       .count()));
    return static_cast<int>(wait);
  };
  std::string pending;
  auto take = [&](const char* data, std::size_t size) {
    if (result.output.size() < options.max_output)
      result.output.append(data, std::min(size, options.max_output - result.output.size()));
    if (!options.on_line)
      return;
    pending.append(data, size);
    std::size_t at;
    while ((at = pending.find('\n')) != std::string::npos) {
      options.on_line(pending.substr(0, at));
      pending.erase(0, at + 1);
    }
  };
  bool out_open = true;
  while (out_open && !over()) {
    pollfd fds[2];
    int n = 0;
    fds[n++] = pollfd{out[0], POLLIN, 0};
    if (in_open)
      fds[n++] = pollfd{in[1], POLLOUT, 0};
    int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms());
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    if (fds[0].revents != 0) {
      char buffer[4096];
      auto got = ::read(out[0], buffer, sizeof buffer);
      if (got > 0)
        take(buffer, static_cast<std::size_t>(got));
      else if (got == 0 || errno != EINTR)
        out_open = false;
    }
    if (in_open && n == 2 && fds[1].revents != 0) {
      auto put = ::write(in[1], options.input.data() + written, options.input.size() - written);
      if (put > 0)
        written += static_cast<std::size_t>(put);
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == options.input.size()) {
        ::close(in[1]);
        in_open = false;
      }
    }
  }
  if (in_open)
    ::close(in[1]);
  ::close(out[0]);
  if (!pending.empty() && options.on_line)
    options.on_line(pending);
  // It may live on after closing its output: the deadline and stop still hold.
  int status = 0;
  while (true) {
    auto reaped = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (reaped == pid || (reaped < 0 && errno != EINTR))
      break;
    if (reaped == 0 && !over())
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20, wait_ms())));
  }
  // Whatever the program left in its group goes with it.
  if (options.own_group)
    ::kill(-pid, SIGKILL);
  result.status = decode_wait_status(status);
  return result;
}

expected<child_output> run_child(const std::vector<std::string>& argv, const std::string& input,
                                 int timeout_ms) {
  child_options options;
  options.input = input;
  options.timeout_ms = timeout_ms;
  return run_child(argv, options);
}

} // namespace cafflow
