#include "exec/process.hpp"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "task_helpers.hpp"

using namespace cafflow;
using cafflow::test::pid_from;
using cafflow::test::shell;
using cafflow::test::temp_dir;

TEST_SUITE_BEGIN("process");

TEST_CASE("exit codes, output and environment") {
  temp_dir dir;
  auto p = spawn_process(shell("echo $GREETING; echo oops >&2; pwd; exit 3", dir));
  REQUIRE(p);
  auto info = decode_wait_status(wait_process(p->pid));
  CHECK(info.exit_code == 3);
  CHECK(info.signal == 0);
  CHECK(info.describe() == "exit code 3");
  CHECK(test::read_file(dir / "out.log") == "hi\noops\n" + dir.path() + "\n");
}

TEST_CASE("a task leads its own process group, and the group can be killed as a whole") {
  temp_dir dir;
  auto p = spawn_process(shell("echo $$ > self.pid; sleep 100 & echo $! > child.pid; wait", dir));
  REQUIRE(p);
  CHECK(pid_from(dir, "self.pid") == p->pgid);
  CHECK(getpgid(p->pgid) == p->pgid);
  auto child = pid_from(dir, "child.pid");
  CHECK(getpgid(child) == p->pgid);
  CHECK(signal_group(p->pgid, SIGKILL));
  auto info = decode_wait_status(wait_process(p->pid));
  CHECK(info.signal == SIGKILL); // the guardian reports the task's own status
  CHECK(info.describe().find("killed by signal 9") == 0);
  CHECK(test::wait_until([&] { return !group_alive(p->pgid); }));
  CHECK_FALSE(test::process_exists(child));
}

TEST_CASE("what a finished task leaves behind in its group is killed") {
  temp_dir dir;
  auto p = spawn_process(shell("(sleep 100 & echo $! > child.pid; wait) & sleep 0.2; exit 0", dir));
  REQUIRE(p);
  auto child = pid_from(dir, "child.pid");
  CHECK(decode_wait_status(wait_process(p->pid)).exit_code == 0);
  CHECK(test::wait_until([&] { return !test::process_exists(child); }));
}

TEST_CASE("when the spawning side dies, the task's whole tree dies with it") {
  temp_dir dir;
  // A throwaway parent spawns the task from a thread, then is SIGKILLed.
  auto parent = fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    auto p = spawn_process(shell("sleep 100 & echo $! > child.pid; echo $$ > self.pid; wait", dir));
    if (p)
      wait_process(p->pid);
    _exit(0);
  }
  auto self = pid_from(dir, "self.pid");
  auto child = pid_from(dir, "child.pid");
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  CHECK(test::wait_until([&] { return !test::process_exists(self) && !test::process_exists(child); }));
}

TEST_CASE("signals blocked in the parent are unblocked in the task") {
  temp_dir dir;
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  auto p = spawn_process(shell("sleep 100", dir));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(p);
  signal_group(p->pgid, SIGTERM);
  CHECK(decode_wait_status(wait_process(p->pid)).signal == SIGTERM);
}

TEST_CASE("poll_process does not block") {
  temp_dir dir;
  auto p = spawn_process(shell("sleep 100", dir));
  REQUIRE(p);
  CHECK_FALSE(poll_process(p->pid).has_value());
  signal_group(p->pgid, SIGKILL);
  CHECK(test::wait_until([&] { return poll_process(p->pid).has_value(); }));
}

TEST_CASE("a program that does not exist exits 127 with a message in the log") {
  temp_dir dir;
  process_spec spec;
  spec.argv = {"/nonexistent/program"};
  spec.log_path = dir / "out.log";
  auto p = spawn_process(spec);
  REQUIRE(p);
  CHECK(decode_wait_status(wait_process(p->pid)).exit_code == 127);
  CHECK(test::read_file(dir / "out.log").find("cannot execute the task") != std::string::npos);
}

TEST_CASE("an unwritable log is an error before anything runs") {
  process_spec spec;
  spec.argv = {"/bin/true"};
  spec.log_path = "/nonexistent/dir/out.log";
  auto p = spawn_process(spec);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("/nonexistent/dir/out.log") != std::string::npos);
}

TEST_CASE("file_tail returns whole lines of the end") {
  temp_dir dir;
  std::string text;
  for (int i = 0; i < 100; ++i)
    text += "line " + std::to_string(i) + "\n";
  test::write_file(dir / "f", text);
  auto tail = file_tail(dir / "f", 30);
  CHECK(tail.size() <= 30);
  CHECK(tail.rfind("line ", 0) == 0);
  CHECK(tail.substr(tail.size() - 8) == "line 99\n");
  CHECK(file_tail(dir / "f", 100000) == text);
  CHECK(file_tail(dir / "missing", 10).empty());
}

TEST_SUITE_END();
