// Chaos test of high availability (docs/OPERATIONS.md, "High availability"), bounded in time: a
// master, a standby, two workers and the http server on one store; a steady
// stream of chains and fan-outs whose tasks log every run to a file of their
// own, and a seconds cron; meanwhile the active master is SIGKILLed or frozen
// (SIGSTOP, then SIGCONT past its lease), now and then a worker or the http
// server too. At the end every instance is terminal and nothing ran twice.
//
// The short form runs in sbin/test; bench/failover.sh runs the long form:
//   CAFFLOW_CHAOS_ROUNDS  disruptions of the active master (default 4)
//   CAFFLOW_CHAOS_SEED    random seed (default: time)
//   CAFFLOW_CHAOS_REPORT  file for the measured failover times (JSON)
//   CAFFLOW_CHAOS_STORE   a mysql:// URL instead of SQLite
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

namespace fs = std::filesystem;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

/// A shell action that logs "S attempt ms" and "E attempt ms" into
/// runs/<instance>.<node> around its workload (0.3 s of sleep: long enough
/// that failovers hit running tasks), and retries (a killed worker's attempt
/// is lost and must be retried, never run twice at once).
std::string action(const std::string& name, const std::string& to, const std::string& runs) {
  auto file = runs + "/$CAFFLOW_INSTANCE_ID." + name;
  return "<action name=\"" + name + "\" retry-times=\"5\" interval=\"1\"><shell><command><![CDATA["
         "echo \"S $CAFFLOW_ATTEMPT $(date +%s%3N)\" >> " + file + "; sleep 0.3; echo \"E "
         "$CAFFLOW_ATTEMPT $(date +%s%3N)\" >> " + file + "]]></command></shell><ok to=\"" + to
         + "\"/></action>";
}

std::string chain_xml(const std::string& runs) {
  return "<work-flow name=\"chain\"><start name=\"s\" to=\"a\"/>" + action("a", "b", runs)
         + action("b", "c", runs) + action("c", "e", runs) + "<end name=\"e\"/></work-flow>";
}

std::string fan_xml(const std::string& runs) {
  std::string xml = "<work-flow name=\"fan\"><start name=\"s\" to=\"f\"/><fork name=\"f\">";
  for (int i = 1; i <= 4; ++i)
    xml += "<path to=\"p" + std::to_string(i) + "\"/>";
  xml += "</fork>";
  for (int i = 1; i <= 4; ++i)
    xml += action("p" + std::to_string(i), "j", runs);
  return xml + "<join name=\"j\" to=\"z\"/>" + action("z", "e", runs)
         + "<end name=\"e\"/></work-flow>";
}

std::string tick_xml(const std::string& runs) {
  return "<work-flow name=\"tick\"><coordinator><depend-list cron=\"@seconds */2 * * * * *\"/>"
         "</coordinator><start name=\"s\" to=\"t\"/>" + action("t", "e", runs)
         + "<end name=\"e\"/></work-flow>";
}

/// One line of a task's run file.
struct mark {
  char kind = 'S';
  int attempt = 0;
  timestamp at = 0;
};

std::vector<mark> read_marks(const std::string& path) {
  std::vector<mark> result;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    mark m;
    fields >> m.kind >> m.attempt >> m.at;
    if (fields)
      result.push_back(m);
  }
  return result;
}

/// The time (ms) at which the master of `epoch` dispatched its first
/// attempt, from the master logs (0 = not found).
timestamp first_dispatch(cluster& c, std::uint64_t epoch) {
  auto needle = "first attempt of epoch " + std::to_string(epoch) + " dispatched at ";
  for (const auto& entry : fs::directory_iterator(c.dir("logs"))) {
    auto name = entry.path().filename().string();
    if (name.rfind("master-", 0) != 0 && name.rfind("standby-", 0) != 0)
      continue;
    auto text = read_file(entry.path().string());
    auto at = text.find(needle);
    if (at == std::string::npos)
      continue;
    // "...dispatched at 2026-11-22T00:39:53.500Z: key -> worker w"
    auto start = at + needle.size();
    auto iso = text.substr(start, text.find(' ', start) - start);
    if (!iso.empty() && iso.back() == ':')
      iso.pop_back();
    timestamp t = 0;
    if (parse_utc_time(iso, t))
      return t;
  }
  return 0;
}

struct view {
  std::uint64_t epoch = 0;
  std::string active;
};

/// The lease's epoch and the active master, from the http server (which
/// reads the store when no master answers).
view cluster_view(cluster& c) {
  auto r = c.api("GET", "/api/v1/cluster");
  view v;
  if (r.status != 200)
    return v;
  auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body["epoch"].is_number())
    return v;
  v.epoch = body["epoch"].get<std::uint64_t>();
  if (body["master_reachable"] != true)
    return v;
  for (const auto& m : body["masters"])
    if (m["role"] == "active")
      v.active = m["address"].get<std::string>();
  return v;
}

double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

} // namespace

TEST_CASE("chaos: masters killed and frozen under load, nothing lost or run twice") {
  auto rounds = env_int("CAFFLOW_CHAOS_ROUNDS", 4);
  auto seed = static_cast<unsigned>(env_int("CAFFLOW_CHAOS_SEED", static_cast<int>(now_ms() % 100000)));
  MESSAGE("chaos: " << rounds << " rounds, seed " << seed);
  std::mt19937 rng(seed);
  cluster_options opts(2, 4);
  opts.standby = true;
  bool sqlite = true;
  if (const char* url = std::getenv("CAFFLOW_CHAOS_STORE"); url != nullptr && *url != '\0') {
    opts.extra_ini = "[store]\nurl = " + std::string(url) + "\n";
    sqlite = false;
  }
  cluster c(std::move(opts));
  // Info is enough (the failover lines are info), and keeps logs small.
  write_file(c.conf(), std::regex_replace(read_file(c.conf()), std::regex("level = debug"),
                                          "level = info"));
  auto runs = c.dir("runs");
  fs::create_directories(runs);
  c.add_workflow("chain.xml", chain_xml(runs));
  c.add_workflow("fan.xml", fan_xml(runs));
  c.add_workflow("tick.xml", tick_xml(runs));
  c.start();
  REQUIRE(wait_until([&] { return cluster_view(c).active == c.master_address(); }));

  // A steady stream of runs; during a failover they are refused (503) and
  // tried again.
  std::mutex mtx;
  std::vector<std::string> ids;
  std::atomic<bool> submitting{true};
  // Joined on every way out (a failed REQUIRE throws past it).
  struct joiner {
    std::atomic<bool>& flag;
    std::thread thread;
    ~joiner() {
      flag = false;
      if (thread.joinable())
        thread.join();
    }
  };
  joiner submitter{submitting, std::thread([&] {
    int n = 0;
    while (submitting) {
      auto wf = n % 3 == 2 ? "fan" : "chain";
      auto r = c.api("POST", std::string("/api/v1/workflows/") + wf + "/run", "{}");
      if (r.status == 201) {
        std::lock_guard<std::mutex> guard(mtx);
        ids.push_back(json::parse(r.body)["instance_id"].get<std::string>());
        ++n;
      }
      // The next one once fewer than 6 are running or queued (none while no
      // master answers): a steady load, whatever the machine's speed.
      wait_until(
        [&] {
          if (!submitting)
            return true;
          auto view = c.api("GET", "/api/v1/cluster");
          auto body = json::parse(view.body, nullptr, false);
          if (view.status != 200 || !body.is_object() || !body["instances"].is_object())
            return false;
          return body["instances"]["running"].get<int>() + body["instances"]["queued"].get<int>()
                 < 6;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(100));
    }
  })};

  std::vector<double> failover_s;
  json events = json::array();
  auto process_of = [&](const std::string& address) {
    return address == c.master_address() ? c.master() : c.standby();
  };
  auto restart = [&](const std::string& address) {
    if (address == c.master_address())
      c.start_master();
    else
      c.start_standby();
  };
  // Task runs started so far (one file per instance and node).
  auto task_files = [&] {
    return std::distance(fs::directory_iterator(runs), fs::directory_iterator{});
  };
  for (int round = 0; round < rounds; ++round) {
    // The next disruption once the cluster has made progress: 4 to 9 more
    // tasks started since the last one.
    auto progress = task_files() + 4 + static_cast<long>(rng() % 6);
    CHECK_MESSAGE(wait_until([&] { return task_files() >= progress; }, std::chrono::seconds(60)),
                  "round " << round << ": no progress\n" << c.logs());
    auto before = cluster_view(c);
    REQUIRE_MESSAGE(!before.active.empty(), "no active master before round " << round << "\n"
                                                                               << c.logs());
    auto* victim = process_of(before.active);
    // Every third round freezes the master instead of killing it.
    bool freeze = round % 3 == 1;
    auto t0 = now_ms();
    if (freeze) {
      victim->signal(SIGSTOP);
    } else {
      victim->signal(SIGKILL);
      victim->wait();
    }
    // Now and then a worker or the http server goes down too.
    if (round % 4 == 3) {
      auto w = rng() % 2;
      c.worker(w)->signal(SIGKILL);
      c.worker(w)->wait();
      c.start_worker(w);
    } else if (round % 4 == 2) {
      c.http()->signal(SIGKILL);
      c.http()->wait();
      c.start_http();
    }
    view after;
    auto took_over = [&] {
      after = cluster_view(c);
      return after.epoch > before.epoch && !after.active.empty() && after.active != before.active;
    };
    // On SQLite a master frozen inside a commit holds the database's write
    // lock until it wakes up (docs/OPERATIONS.md): the standby cannot take
    // over then. So a freeze ends after 12 s at most, and on SQLite the old
    // master may simply go on; every check at the end still holds.
    auto switched = wait_until(took_over, std::chrono::seconds(freeze ? 12 : 30));
    if (!switched && freeze && sqlite) {
      victim->signal(SIGCONT);
      MESSAGE("round " << round << ": frozen inside a SQLite commit, no takeover");
      events.push_back(json{{"round", round}, {"action", "SIGSTOP"}, {"from", before.active},
                            {"to", nullptr}, {"epoch", before.epoch}});
      continue;
    }
    REQUIRE_MESSAGE(switched, "round " << round << ": no takeover\n" << c.logs());
    timestamp dispatched = 0;
    wait_until([&] { return (dispatched = first_dispatch(c, after.epoch)) != 0; },
               std::chrono::seconds(20));
    json event{{"round", round}, {"action", freeze ? "SIGSTOP" : "SIGKILL"},
               {"from", before.active}, {"to", after.active}, {"epoch", after.epoch}};
    if (dispatched != 0) {
      event["failover_s"] = static_cast<double>(dispatched - t0) / 1000.0;
      if (!freeze)
        failover_s.push_back(static_cast<double>(dispatched - t0) / 1000.0);
    }
    events.push_back(event);
    MESSAGE("round " << round << ": " << event.dump());
    if (freeze) {
      // The old master wakes up: it must step down (and restart as standby).
      victim->signal(SIGCONT);
    } else {
      restart(before.active);
    }
  }
  submitting = false;
  submitter.thread.join();

  // Every instance ends; the workers and the store agree on what ran.
  std::vector<std::string> all;
  {
    std::lock_guard<std::mutex> guard(mtx);
    all = ids;
  }
  REQUIRE(!all.empty());
  std::map<std::string, int> statuses;
  int tasks_checked = 0;
  // What must stay 0: attempts run more than once, attempts that ran but are
  // not stored, attempts of one node at once, cron ticks fired twice,
  // instances that did not end.
  int duplicates = 0, unrecorded = 0, concurrent = 0, double_ticks = 0, unfinished = 0;
  for (const auto& id : all) {
    json inst;
    try {
      inst = c.wait_for(id, std::chrono::seconds(120));
    } catch (const std::exception& e) {
      ++unfinished;
      FAIL_CHECK("instance " << id << " did not end: " << e.what());
      continue;
    }
    ++statuses[inst["status"].get<std::string>()];
    CHECK_MESSAGE(inst["status"] == "succeeded", id << " ended " << inst["status"]);
    for (const auto& node : inst["nodes"]) {
      if (node["kind"] != "action")
        continue;
      auto name = node["name"].get<std::string>();
      auto marks = read_marks(runs + "/" + id + "." + name);
      std::map<int, int> starts;
      for (const auto& m : marks)
        if (m.kind == 'S')
          ++starts[m.attempt];
      std::set<int> recorded;
      for (const auto& a : node["attempts"])
        recorded.insert(a["number"].get<int>());
      CAPTURE(id);
      CAPTURE(name);
      for (const auto& [attempt, count] : starts) {
        duplicates += count > 1 ? 1 : 0;
        unrecorded += recorded.count(attempt) == 0 ? 1 : 0;
        CHECK_MESSAGE(count == 1, "attempt " << attempt << " ran " << count << " times");
        CHECK_MESSAGE(recorded.count(attempt) == 1, "attempt " << attempt << " ran but is not stored");
      }
      for (const auto& a : node["attempts"])
        if (a["status"] == "succeeded" || a["status"] == "failed") {
          CHECK_MESSAGE(starts.count(a["number"].get<int>()) == 1,
                        "stored attempt " << a["number"] << " never ran");
          // Dispatched by some master of this run.
          CHECK(a["epoch"].get<int>() >= 1);
        }
      // No two attempts of a node at once: each ends before the next starts.
      std::map<int, std::pair<timestamp, timestamp>> spans;
      for (const auto& m : marks)
        (m.kind == 'S' ? spans[m.attempt].first : spans[m.attempt].second) = m.at;
      timestamp last_end = 0;
      for (const auto& [attempt, span] : spans) {
        concurrent += span.first < last_end ? 1 : 0;
        CHECK_MESSAGE(span.first >= last_end, "attempt " << attempt << " started before the "
                                                            "previous one ended");
        last_end = span.second != 0 ? span.second : span.first;
      }
      ++tasks_checked;
    }
  }
  // The cron: no logical time fired twice.
  auto ticks = c.get("/api/v1/instances?workflow=tick&limit=1000")["instances"];
  std::map<std::string, int> per_tick;
  for (const auto& t : ticks)
    ++per_tick[t["logical_time"].dump()];
  for (const auto& [at, count] : per_tick) {
    double_ticks += count > 1 ? 1 : 0;
    CHECK_MESSAGE(count == 1, "tick " << at << " fired " << count << " times");
  }
  MESSAGE("instances: " << all.size() << ", tasks checked: " << tasks_checked << ", ticks: "
                        << ticks.size() << ", statuses: " << json(statuses).dump());
  if (const char* report = std::getenv("CAFFLOW_CHAOS_REPORT"); report != nullptr && *report) {
    json out{{"seed", seed},
             {"rounds", rounds},
             {"instances", all.size()},
             {"tasks_checked", tasks_checked},
             {"ticks", ticks.size()},
             {"statuses", statuses},
             {"duplicates", duplicates},
             {"unrecorded", unrecorded},
             {"concurrent", concurrent},
             {"double_ticks", double_ticks},
             {"unfinished", unfinished},
             {"failover_s", failover_s},
             {"median_failover_s", median(failover_s)},
             {"events", events}};
    write_file(report, out.dump(2) + "\n");
  }
  CHECK(c.stop());
}
