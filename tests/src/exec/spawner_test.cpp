#include "exec/spawner.hpp"

#include <algorithm>
#include <condition_variable>
#include <fcntl.h>
#include <filesystem>
#include <csignal>
#include <mutex>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "task_helpers.hpp"

using namespace cafflow;
using cafflow::test::pid_from;
using cafflow::test::shell;
using cafflow::test::temp_dir;

namespace {

/// A spawner whose events are collected for inspection, by task number.
struct spawner_fixture {
  std::unique_ptr<spawner_client> client;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<int, spawn_event>> events;
  std::string gone;

  explicit spawner_fixture(bool cgroups = true) {
    auto started = spawner_client::start(CAFFLOW_SPAWNER_BIN, "test", cgroups);
    REQUIRE(started);
    client = std::move(*started);
    client->listen([this](std::string why) {
      std::lock_guard<std::mutex> guard{mutex};
      gone = std::move(why);
      changed.notify_all();
    });
  }

  ~spawner_fixture() { client.reset(); } // before the members its reader uses

  /// Starts a task; its events are filed under `number`.
  bool spawn(int number, const process_spec& spec) {
    return static_cast<bool>(client->spawn(spec, [this, number](spawn_event e) {
      std::lock_guard<std::mutex> guard{mutex};
      events.emplace_back(number, std::move(e));
      changed.notify_all();
    }));
  }

  /// The first event of task `number` of this kind (waits up to 10 s).
  spawn_event next(int number, spawn_event::kind what) {
    std::unique_lock<std::mutex> lock{mutex};
    spawn_event found;
    bool ok = changed.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const auto& [n, e] : events)
        if (n == number && e.what == what) {
          found = e;
          return true;
        }
      return false;
    });
    REQUIRE_MESSAGE(ok, "no such event for task " << number);
    return found;
  }

  /// Why the spawner is gone (waits up to 10 s).
  std::string wait_gone() {
    std::unique_lock<std::mutex> lock{mutex};
    changed.wait_for(lock, std::chrono::seconds(10), [&] { return !gone.empty(); });
    return gone;
  }
};

} // namespace

TEST_SUITE_BEGIN("spawner");

TEST_CASE("a task starts as its own group, ends with its status, writes its log") {
  temp_dir dir;
  spawner_fixture f;
  REQUIRE(f.spawn(7, shell("echo $$ > self.pid; echo $GREETING; echo oops >&2; pwd; exit 3",
                                   dir)));
  auto started = f.next(7, spawn_event::kind::started);
  CHECK(started.pgid == pid_from(dir, "self.pid"));
  auto exited = f.next(7, spawn_event::kind::exited);
  auto info = decode_wait_status(exited.status);
  CHECK(info.exit_code == 3);
  CHECK(info.signal == 0);
  CHECK(test::read_file(dir / "out.log") == "hi\noops\n" + dir.path() + "\n");
}

TEST_CASE("the spawner is a named process in a group of its own, with nothing of ours") {
  // A descriptor of ours that is not close-on-exec must not reach the spawner.
  int leaked = open("/dev/null", O_RDONLY);
  REQUIRE(leaked >= 0);
  spawner_fixture f;
  close(leaked);
  auto proc = "/proc/" + std::to_string(f.client->pid());
  CHECK(getpgid(f.client->pid()) == f.client->pid()); // ready means set up
  CHECK(test::read_file(proc + "/comm") == "cafflow-spawner\n");
  auto cmdline = test::read_file(proc + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  CHECK(cmdline == "cafflow-spawner --fd 3 --worker test ");
  std::vector<std::string> fds;
  for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd"))
    fds.push_back(entry.path().filename().string());
  std::sort(fds.begin(), fds.end());
  CHECK(fds == std::vector<std::string>{"0", "1", "2", "3", "4"}); // + the signalfd
}

TEST_CASE("a spawner program that cannot run is a clear error") {
  auto missing = spawner_client::start("/nonexistent/cafflow-spawner", "test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message
        == "cannot start the task spawner '/nonexistent/cafflow-spawner': No such file or directory");
  auto wrong = spawner_client::start("/bin/true", "test");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message == "cannot start the task spawner '/bin/true': it exited at once");
}

TEST_CASE("what a finished task leaves behind in its group is killed") {
  temp_dir dir;
  spawner_fixture f;
  REQUIRE(f.spawn(1, shell("(sleep 100 & echo $! > child.pid; wait) & sleep 0.2; exit 0",
                                   dir)));
  auto child = pid_from(dir, "child.pid");
  CHECK(decode_wait_status(f.next(1, spawn_event::kind::exited).status).exit_code == 0);
  CHECK(test::wait_until([&] { return !test::process_exists(child); }));
}

TEST_CASE("what a task started out of its group ends with it, with cgroups and without") {
  for (bool cgroups : {true, false}) {
    CAPTURE(cgroups);
    temp_dir dir;
    spawner_fixture f(cgroups);
    CHECK(f.client->containment().find(cgroups ? "cgroup v2 per task" : "process tracking")
          != std::string::npos);
    // A session of its own: no signal to the task's group reaches it.
    REQUIRE(f.spawn(1, shell("setsid -f sh -c 'cut -d\" \" -f6 /proc/$$/stat > escaped.sid; "
                             "echo $$ > escaped.pid; exec sleep 100'; "
                             "while [ ! -s escaped.pid ]; do :; done",
                             dir)));
    auto escaped = pid_from(dir, "escaped.pid");
    CHECK(pid_from(dir, "escaped.sid") == escaped); // a session of its own
    CHECK(decode_wait_status(f.next(1, spawn_event::kind::exited).status).exit_code == 0);
    CHECK(test::wait_until([&] { return !test::process_exists(escaped); }));
  }
}

TEST_CASE("what a task started out of its group ends when the client ends") {
  for (bool cgroups : {true, false}) {
    CAPTURE(cgroups);
    temp_dir dir;
    auto f = std::make_unique<spawner_fixture>(cgroups);
    REQUIRE(f->spawn(1, shell("setsid -f sh -c 'echo $$ > escaped.pid; exec sleep 100'; "
                              "sleep 100", dir)));
    auto escaped = pid_from(dir, "escaped.pid");
    f.reset();
    CHECK(test::wait_until([&] { return !test::process_exists(escaped); }));
  }
}

TEST_CASE("a killed group is reported with its signal") {
  temp_dir dir;
  spawner_fixture f;
  REQUIRE(f.spawn(1, shell("sleep 100", dir)));
  auto started = f.next(1, spawn_event::kind::started);
  CHECK(signal_group(started.pgid, SIGTERM));
  CHECK(decode_wait_status(f.next(1, spawn_event::kind::exited).status).signal == SIGTERM);
}

TEST_CASE("a program that does not exist exits 127, an unwritable log fails at once") {
  temp_dir dir;
  spawner_fixture f;
  process_spec missing;
  missing.argv = {"/nonexistent/program"};
  missing.log_path = dir / "out.log";
  REQUIRE(f.spawn(1, missing));
  CHECK(decode_wait_status(f.next(1, spawn_event::kind::exited).status).exit_code == 127);
  CHECK(test::read_file(dir / "out.log").find("cannot execute the task") != std::string::npos);

  process_spec unwritable;
  unwritable.argv = {"/bin/true"};
  unwritable.log_path = "/nonexistent/dir/out.log";
  REQUIRE(f.spawn(2, unwritable));
  auto failed = f.next(2, spawn_event::kind::failed);
  CHECK(failed.message.find("No such file or directory") != std::string::npos);
}

TEST_CASE("ending the client kills every running task's whole tree") {
  temp_dir dir;
  auto f = std::make_unique<spawner_fixture>();
  REQUIRE(f->spawn(1, shell("sleep 100 & echo $! > child.pid; echo $$ > self.pid; wait",
                                    dir)));
  auto self = pid_from(dir, "self.pid");
  auto child = pid_from(dir, "child.pid");
  auto spawner = f->client->pid();
  f.reset(); // returns once the spawner has exited
  CHECK_FALSE(test::process_exists(spawner));
  CHECK(test::wait_until([&] { return !test::process_exists(self) && !test::process_exists(child); }));
}

TEST_CASE("when the worker is killed, the spawner kills its tasks' whole trees") {
  temp_dir dir;
  // A throwaway "worker" starts a spawner and a task, then is SIGKILLed.
  auto worker = fork();
  REQUIRE(worker >= 0);
  if (worker == 0) {
    auto started = spawner_client::start(CAFFLOW_SPAWNER_BIN, "test");
    if (started)
      (*started)->spawn(shell("sleep 100 & echo $! > child.pid; echo $$ > self.pid; wait", dir),
                        [](spawn_event) {});
    pause();
    _exit(0);
  }
  auto self = pid_from(dir, "self.pid");
  auto child = pid_from(dir, "child.pid");
  kill(worker, SIGKILL);
  waitpid(worker, nullptr, 0);
  CHECK(test::wait_until([&] { return !test::process_exists(self) && !test::process_exists(child); }));
}

TEST_CASE("a killed spawner is reported, and its running tasks' trees are killed") {
  temp_dir dir;
  spawner_fixture f;
  REQUIRE(f.spawn(1, shell("sleep 100 & echo $! > child.pid; echo $$ > self.pid; wait", dir)));
  auto self = pid_from(dir, "self.pid");
  auto child = pid_from(dir, "child.pid");
  f.next(1, spawn_event::kind::started);
  kill(f.client->pid(), SIGKILL);
  CHECK(f.wait_gone() == "the task spawner exited");
  CHECK(f.next(1, spawn_event::kind::spawner_gone).pgid == self);
  CHECK(test::wait_until([&] { return !test::process_exists(self) && !test::process_exists(child); }));
  CHECK_FALSE(f.spawn(2, shell("true", dir)));
}

TEST_CASE("spawns from several threads each get their own events") {
  temp_dir dir;
  spawner_fixture f;
  constexpr int per_thread = 25;
  auto spawn_range = [&](int first) {
    for (int n = first; n < first + per_thread; ++n)
      REQUIRE(f.spawn(n, shell("exit " + std::to_string(n), dir)));
  };
  std::thread a(spawn_range, 1), b(spawn_range, 1 + per_thread);
  a.join();
  b.join();
  for (int n = 1; n <= 2 * per_thread; ++n)
    CHECK(decode_wait_status(f.next(n, spawn_event::kind::exited).status).exit_code == n);
}

TEST_SUITE_END();
