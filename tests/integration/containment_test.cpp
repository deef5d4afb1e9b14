// A task that leaves its process group (`setsid -f sleep ...`) still ends
// with its attempt (issue 13): when the task ends, when it times out and
// when its instance is killed — with a cgroup per task (where this host
// allows it) and with the fallback (worker.task_cgroups = false).
#include <csignal>

#include <doctest/doctest.h>

#include "cluster.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A one-action workflow whose task starts `sleep 4242` in a session of its
/// own (out of its process group), which writes its pid to `pid_file`; the
/// task waits for that file, then runs `then`.
std::string escapee_xml(const std::string& name, const std::string& pid_file,
                        const std::string& then, const std::string& attrs = {}) {
  return "<work-flow name=\"" + name + "\"><start name=\"s\" to=\"a\"/><action name=\"a\"" + attrs
         + "><shell><command><![CDATA[setsid -f sh -c 'echo $$ > " + pid_file
         + "; exec sleep 4242' < /dev/null > /dev/null 2>&1; while [ ! -s " + pid_file
         + " ]; do :; done; " + then + "]]></command></shell><ok to=\"e\"/></action><end "
           "name=\"e\"/></work-flow>";
}

/// The pid the escaped process wrote (waits for it).
int escapee_pid(const std::string& pid_file) {
  REQUIRE(wait_until([&] { return !read_file(pid_file).empty(); }));
  return std::stoi(read_file(pid_file));
}

/// Whether the escaped process still runs (not a zombie, and not another
/// process that got its pid: its command line names the `sleep 4242`).
bool escapee_alive(int pid) {
  return process_exists(pid)
         && read_file("/proc/" + std::to_string(pid) + "/cmdline").find("4242")
              != std::string::npos;
}

cluster_options with_cgroups(bool on) {
  cluster_options o(1);
  if (!on)
    o.worker_overrides = {{"worker.task_cgroups=false"}};
  return o;
}

void check_all_three(bool cgroups) {
  cluster c(with_cgroups(cgroups));
  auto ends = c.dir("ends.pid"), times_out = c.dir("times_out.pid"), killed = c.dir("killed.pid");
  c.add_workflow("ends.xml", escapee_xml("ends", ends, "echo done"));
  c.add_workflow("times_out.xml", escapee_xml("times_out", times_out, "sleep 600",
                                              " timeout=\"2\" timeout-action=\"fail\""));
  c.add_workflow("killed.xml", escapee_xml("killed", killed, "sleep 600"));
  c.start();
  INFO(c.logs());
  // The worker says how it contains tasks (its log is flushed every second).
  auto log = c.dir("logs/worker-" + c.worker_addresses()[0].substr(
                     c.worker_addresses()[0].rfind(':') + 1) + ".log");
  CHECK(wait_until([&] {
    return read_file(log).find(cgroups ? "tasks are contained by a cgroup v2 per task"
                                       : "tasks are contained by process tracking")
           != std::string::npos;
  }));

  // 1. The task ends; what it started in a session of its own goes too.
  auto id = c.run("ends");
  CHECK(c.wait_for(id)["status"] == "succeeded");
  auto pid = escapee_pid(ends);
  CHECK(wait_until([&] { return !escapee_alive(pid); }));

  // 2. The attempt times out.
  id = c.run("times_out");
  pid = escapee_pid(times_out);
  CHECK(c.wait_for(id)["status"] == "failed");
  CHECK(wait_until([&] { return !escapee_alive(pid); }));

  // 3. The instance is killed (the escaped process runs then: the task
  //    waited for its pid).
  id = c.run("killed");
  pid = escapee_pid(killed);
  REQUIRE(c.api("POST", "/api/v1/instances/" + id + "/kill").status == 200);
  CHECK(c.wait_for(id)["status"] == "killed");
  CHECK(wait_until([&] { return !escapee_alive(pid); }));
}

} // namespace

TEST_SUITE_BEGIN("containment");

TEST_CASE("an escaped process ends with its attempt: task end, timeout and kill (cgroups)") {
  check_all_three(true);
}

TEST_CASE("an escaped process ends with its attempt: task end, timeout and kill (no cgroups)") {
  check_all_three(false);
}

TEST_CASE("escaped processes end with the worker that ran them") {
  cluster c(cluster_options(1));
  auto pid_file = c.dir("w.pid");
  c.add_workflow("w.xml", escapee_xml("w", pid_file, "sleep 600"));
  c.start();
  c.run("w");
  auto pid = escapee_pid(pid_file);
  c.worker(0)->signal(SIGKILL);
  CHECK(wait_until([&] { return !escapee_alive(pid); }));
}

TEST_SUITE_END();
