#include "exec/child.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cafflow {

expected<child_output> run_child(const std::vector<std::string>& argv, const std::string& input,
                                 int timeout_ms) {
  if (argv.empty())
    return make_error(ec::exec_error, "no program to run");
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0)
    return make_error(ec::exec_error, std::string("cannot create a pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return make_error(ec::exec_error, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]})
      ::close(fd);
    return make_error(ec::exec_error, std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Async-signal-safe only from here on.
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    detail::close_from(3);
    if (std::strchr(args[0], '/') != nullptr)
      ::execv(args[0], args.data());
    else
      ::execvp(args[0], args.data());
    const char msg[] = "cannot start the program\n";
    (void) !::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(in[0]);
  ::close(out[1]);
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  child_output result;
  std::size_t written = 0;
  bool in_open = true;
  if (input.empty()) {
    ::close(in[1]);
    in_open = false;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool out_open = true;
  while (out_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd fds[2];
    int n = 0;
    fds[n++] = pollfd{out[0], POLLIN, 0};
    if (in_open)
      fds[n++] = pollfd{in[1], POLLOUT, 0};
    int ready = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    if (fds[0].revents != 0) {
      char buffer[4096];
      auto got = ::read(out[0], buffer, sizeof buffer);
      if (got > 0) {
        if (result.output.size() < 65536)
          result.output.append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        out_open = false;
      }
    }
    if (in_open && n == 2 && fds[1].revents != 0) {
      auto put = ::write(in[1], input.data() + written, input.size() - written);
      if (put > 0)
        written += static_cast<std::size_t>(put);
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        ::close(in[1]);
        in_open = false;
      }
    }
  }
  if (in_open)
    ::close(in[1]);
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the program left in its group goes with it.
  ::kill(-pid, SIGKILL);
  result.status = decode_wait_status(status);
  return result;
}

} // namespace cafflow
