// A task that leaves its process group (`setsid -f sleep ...`) still ends
// with its attempt (issue 13): when the task ends, when it times out and
// when its instance is killed — with a cgroup per task (where this host
// allows it) and with the fallback (worker.task_cgroups = false).
#include <csignal>
#include <random>

#include <doctest/doctest.h>

#include "cluster.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A unique `sleep` argument, to find the escaped process by its command line.
std::string unique_sleep() {
  std::random_device rd;
  return "4242." + std::to_string(rd() % 1000000);
}

/// A one-action workflow whose task starts `sleep <arg>` in a session of its
/// own (out of its process group), then runs `then`.
std::string escapee_xml(const std::string& name, const std::string& arg, const std::string& then,
                        const std::string& attrs = {}) {
  return "<work-flow name=\"" + name + "\"><start name=\"s\" to=\"a\"/><action name=\"a\"" + attrs
         + "><shell><command><![CDATA[setsid -f sleep " + arg + " < /dev/null > /dev/null 2>&1; "
         + then + "]]></command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// Whether the escaped `sleep <arg>` itself runs (not a shell naming it).
bool escapee_alive(const std::string& arg) {
  for (auto pid : pids_matching("sleep " + arg))
    if (read_file("/proc/" + std::to_string(pid) + "/cmdline") == "sleep" + std::string(1, '\0')
                                                                   + arg + std::string(1, '\0'))
      return true;
  return false;
}

cluster_options with_cgroups(bool on) {
  cluster_options o(1);
  if (!on)
    o.worker_overrides = {{"worker.task_cgroups=false"}};
  return o;
}

void check_all_three(bool cgroups) {
  cluster c(with_cgroups(cgroups));
  auto ends = unique_sleep(), times_out = unique_sleep(), killed = unique_sleep();
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

  // 1. The task ends at once; what it started in its own session goes too.
  auto id = c.run("ends");
  CHECK(c.wait_for(id)["status"] == "succeeded");
  CHECK(wait_until([&] { return !escapee_alive(ends); }));

  // 2. The attempt times out.
  id = c.run("times_out");
  REQUIRE(wait_until([&] { return escapee_alive(times_out); }));
  CHECK(c.wait_for(id)["status"] == "failed");
  CHECK(wait_until([&] { return !escapee_alive(times_out); }));

  // 3. The instance is killed.
  id = c.run("killed");
  REQUIRE(wait_until([&] { return escapee_alive(killed); }));
  REQUIRE(c.api("POST", "/api/v1/instances/" + id + "/kill").status == 200);
  CHECK(c.wait_for(id)["status"] == "killed");
  CHECK(wait_until([&] { return !escapee_alive(killed); }));
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
  auto arg = unique_sleep();
  c.add_workflow("w.xml", escapee_xml("w", arg, "sleep 600"));
  c.start();
  c.run("w");
  REQUIRE(wait_until([&] { return escapee_alive(arg); }));
  c.worker(0)->signal(SIGKILL);
  CHECK(wait_until([&] { return !escapee_alive(arg); }));
}

TEST_SUITE_END();
