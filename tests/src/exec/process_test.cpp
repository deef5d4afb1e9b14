#include "exec/process.hpp"

#include <csignal>
#include <unistd.h>

#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;

namespace {

process_spec shell(const std::string& command, const temp_dir& dir) {
  process_spec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.env = {"PATH=/usr/bin:/bin", "GREETING=hi"};
  spec.work_dir = dir.path();
  spec.log_path = dir / "out.log";
  return spec;
}

} // namespace

TEST_SUITE_BEGIN("process");

TEST_CASE("exit codes, output and environment") {
  temp_dir dir;
  auto pid = spawn_process(shell("echo $GREETING; echo oops >&2; pwd; exit 3", dir));
  REQUIRE(pid);
  auto info = decode_wait_status(wait_process(*pid));
  CHECK(info.exit_code == 3);
  CHECK(info.signal == 0);
  CHECK(info.describe() == "exit code 3");
  CHECK(test::read_file(dir / "out.log") == "hi\noops\n" + dir.path() + "\n");
}

TEST_CASE("a task leads its own process group, and the group can be killed as a whole") {
  temp_dir dir;
  auto pid = spawn_process(shell("sleep 100 & echo $! > child.pid; wait", dir));
  REQUIRE(pid);
  CHECK(getpgid(*pid) == *pid);
  REQUIRE(test::wait_until([&] { return !test::read_file(dir / "child.pid").empty(); }));
  auto child = std::stoi(test::read_file(dir / "child.pid"));
  CHECK(getpgid(child) == *pid);
  CHECK(signal_group(*pid, SIGKILL));
  auto info = decode_wait_status(wait_process(*pid));
  CHECK(info.signal == SIGKILL);
  CHECK(info.describe().find("killed by signal 9") == 0);
  CHECK(test::wait_until([&] { return !group_alive(*pid); }));
  CHECK_FALSE(test::process_exists(child));
}

TEST_CASE("signals blocked in the parent are unblocked in the task") {
  temp_dir dir;
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  auto pid = spawn_process(shell("sleep 100", dir));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(pid);
  signal_group(*pid, SIGTERM);
  CHECK(decode_wait_status(wait_process(*pid)).signal == SIGTERM);
}

TEST_CASE("poll_process does not block") {
  temp_dir dir;
  auto pid = spawn_process(shell("sleep 100", dir));
  REQUIRE(pid);
  CHECK_FALSE(poll_process(*pid).has_value());
  signal_group(*pid, SIGKILL);
  CHECK(test::wait_until([&] { return poll_process(*pid).has_value(); }));
}

TEST_CASE("a program that does not exist exits 127 with a message in the log") {
  temp_dir dir;
  process_spec spec;
  spec.argv = {"/nonexistent/program"};
  spec.log_path = dir / "out.log";
  auto pid = spawn_process(spec);
  REQUIRE(pid);
  CHECK(decode_wait_status(wait_process(*pid)).exit_code == 127);
  CHECK(test::read_file(dir / "out.log").find("cannot execute the task") != std::string::npos);
}

TEST_CASE("an unwritable log is an error before anything runs") {
  process_spec spec;
  spec.argv = {"/bin/true"};
  spec.log_path = "/nonexistent/dir/out.log";
  auto pid = spawn_process(spec);
  REQUIRE_FALSE(pid);
  CHECK(pid.error().message.find("/nonexistent/dir/out.log") != std::string::npos);
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
