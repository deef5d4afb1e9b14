#include "worker.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "exec/outbox.hpp"
#include "exec/retention.hpp"
#include "http/auth.hpp"
#include "log.hpp"
#include "system.hpp"
#include "task_runner.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

using worker_ptr = worker_actor::stateful_pointer<worker_state>;

/// Sends a report to the master (through its gate, in the session).
void send_report(worker_ptr self, attempt_report report) {
  auto& st = self->state;
  if (st.registered)
    self->send(st.master, atom::report::value, st.session, std::move(report));
}

/// Sends the unacknowledged final reports not in `sent` to the master.
void flush_outbox(worker_ptr self, const std::set<std::string>& sent) {
  auto& st = self->state;
  for (const auto& [key, report] : st.outbox)
    if (sent.count(key) == 0)
      send_report(self, report);
}

/// Handles a message of a master when it carries this worker's session
/// credential: only the master this worker registered with knows it. The
/// master's first orders can overtake its answer to the registration (they
/// travel separately): while a registration is under way they wait for the
/// answer (a bounded number), then are checked again.
void from_master(worker_ptr self, const credential& c, const char* what,
                 std::function<void()> handle) {
  auto& st = self->state;
  if (st.registered && secrets_equal(c.token, st.session.token)) {
    handle();
    return;
  }
  constexpr std::size_t max_held = 10000;
  if (st.registering && st.held.size() < max_held) {
    st.held.emplace_back([self, c, what, handle = std::move(handle)]() mutable {
      from_master(self, c, what, std::move(handle));
    });
    return;
  }
  constexpr std::uint64_t every = 100;
  if (st.refused++ % every == 0)
    st.log->warn("refused a {} without the credential of this worker's session ({} refused "
                 "so far)",
                 what, st.refused);
}

/// The registration is answered (or failed): what waited for it is checked now.
void release_held(worker_ptr self) {
  auto& st = self->state;
  st.registering = false;
  auto held = std::move(st.held);
  st.held.clear();
  for (auto& f : held)
    f();
}

void schedule_connect(worker_ptr self) {
  self->delayed_send(self, self->state.cfg.reconnect_interval, atom::connect::value,
                     local_only{});
}

const host_port& master_address(const worker_state& st) {
  return st.cfg.masters[st.current % st.cfg.masters.size()];
}

/// The next master address; true when a round over all of them is complete.
bool next_master(worker_state& st) {
  st.current = (st.current + 1) % st.cfg.masters.size();
  return st.current == 0;
}

/// Forgets the master (it is gone, or another one took over).
void drop_master(worker_ptr self) {
  auto& st = self->state;
  if (st.master)
    self->demonitor(st.master.address());
  st.master = nullptr;
  st.registered = false;
  st.registering = false;
  st.held.clear();
  st.session = credential{};
  st.missed_heartbeats = 0;
  if (st.masterless_since == 0)
    st.masterless_since = now_ms();
}

void connect(worker_ptr self) {
  auto& st = self->state;
  if (st.master || st.connecting || st.stopping)
    return;
  st.connecting = true;
  auto address = master_address(st);
  connect_remote<master_gate_actor>(
    self, address, st.cfg.connect_timeout,
    [self](master_gate_actor master) {
      auto& st = self->state;
      st.connecting = false;
      self->monitor(master);
      st.master = master;
      auto fail = [self](const std::string& why) {
        auto& st = self->state;
        st.log->warn("registration with the master at {} failed: {}",
                     master_address(st).to_string(), why);
        drop_master(self);
        next_master(st);
        schedule_connect(self);
      };
      // Both prove their role (security/handshake.hpp), then the worker
      // registers with what runs here and what ended unacknowledged: a
      // restarted master re-attaches the one and applies the other.
      auto hello = st.cfg.auth->hello();
      self->request(master, st.cfg.request_timeout, atom::hello::value, hello)
        .then(
          [self, master, hello, fail](challenge_msg& challenge) {
            auto& st = self->state;
            auto proof = st.cfg.auth->answer(hello, challenge);
            if (!proof) {
              fail(proof.error().message);
              return;
            }
            auto info = st.cfg.info;
            for (const auto& [key, report] : st.running_reports)
              info.claims.push_back(report);
            std::set<std::string> claimed;
            for (const auto& [key, report] : st.outbox) {
              info.claims.push_back(report);
              claimed.insert(key);
            }
            st.registering = true;
            self->request(master, st.cfg.request_timeout, atom::register_::value,
                          std::move(*proof), std::move(info), caf::actor_cast<worker_actor>(self))
              .then(
                [self, claimed](credential& session, std::uint64_t epoch) {
                  auto& st = self->state;
                  st.masterless_since = 0;
                  st.lease_expired = false;
                  st.registered = true;
                  st.session = std::move(session);
                  st.epoch = std::max(st.epoch, epoch);
                  st.failed_connects = 0;
                  st.log->info("registered with the master at {} (epoch {}, {} slots, {} "
                               "unacknowledged reports{})",
                               master_address(st).to_string(), epoch, st.cfg.info.slots,
                               st.outbox.size(), st.cfg.auth->enabled() ? "" : ", TLS off");
                  // Results that ended while registering were in no claim.
                  flush_outbox(self, claimed);
                  release_held(self);
                },
                [self, fail](caf::error& err) {
                  release_held(self);
                  fail(to_string(from_caf(err)));
                });
          },
          [self, fail](caf::error& err) { fail(to_string(from_caf(err))); });
    },
    [self, address](const caf::error& err) {
      auto& st = self->state;
      st.log->debug("connecting to the master at {} failed: {}", address.to_string(),
                    to_string(from_caf(err)));
      st.connecting = false;
      // Say it once, then every ~30 s: a worker may well start before its master.
      auto every = std::max<long>(1, 30000 / std::max<long>(1, st.cfg.reconnect_interval.count()));
      if (st.failed_connects++ % every == 0)
        st.log->warn("cannot reach the master at {}: {}; retrying every {} ms",
                     address.to_string(), to_string(from_caf(err)),
                     st.cfg.reconnect_interval.count());
      // The other address at once (a standby that took over), then a pause
      // after each round.
      if (next_master(st))
        schedule_connect(self);
      else
        connect(self);
    });
}

/// A heartbeat to the master; without a master, the lease is checked.
void heartbeat(worker_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.cfg.heartbeat_interval, atom::heartbeat::value, local_only{});
  if (!st.registered) {
    if (st.masterless_since == 0)
      st.masterless_since = now_ms();
    auto without = std::chrono::milliseconds(now_ms() - st.masterless_since);
    if (!st.lease_expired && without >= st.cfg.lease && !st.running.empty()) {
      // The master may already have given these attempts to other workers:
      // stop them rather than let two copies run.
      st.lease_expired = true;
      st.log->warn("no master for {} s (lease {} s): killing {} running tasks",
                   without.count() / 1000, st.cfg.lease.count(), st.running.size());
      for (auto& [key, runner] : st.running)
        self->send(runner, atom::kill::value);
    }
    return;
  }
  double load = 0;
  getloadavg(&load, 1);
  self->request(st.master, st.cfg.heartbeat_interval * 3, atom::heartbeat::value, st.session,
                st.cfg.info.id, static_cast<int>(st.running.size()), load)
    .then(
      [self](bool known) {
        auto& st = self->state;
        st.missed_heartbeats = 0;
        if (known || !st.master)
          return;
        // The master declared us lost (a pause, a partition): register again.
        st.log->warn("the master no longer knows this worker; registering again");
        drop_master(self);
        connect(self);
      },
      [self](const caf::error&) {
        // A crashed master shows through its monitor; a frozen one (SIGSTOP,
        // a partition) only here: after three unanswered heartbeats, look
        // for the active master again.
        auto& st = self->state;
        if (!st.master || ++st.missed_heartbeats < 3)
          return;
        st.log->warn("the master at {} answers no heartbeats; looking for the active master",
                     master_address(st).to_string());
        drop_master(self);
        next_master(st);
        connect(self);
      });
}

/// Reads a piece of an attempt's log. The path is built from the attempt,
/// never taken from the request, and must stay inside the task log folder.
caf::result<log_chunk> read_log(worker_ptr self, const std::string& instance,
                                const std::string& node, int attempt, std::int64_t offset,
                                std::int64_t max) {
  auto& st = self->state;
  namespace fs = std::filesystem;
  // The API refuses such names already; a worker trusts no sender.
  for (const auto* part : {&instance, &node})
    if (auto problem = log_name_problem(*part); !problem.empty())
      return make_caf_error(ec::invalid_request, "invalid log name: " + problem);
  if (attempt < 1 || offset < 0 || max < 0)
    return make_caf_error(ec::invalid_request, "invalid log request: attempt "
                                                 + std::to_string(attempt) + ", offset "
                                                 + std::to_string(offset));
  auto path = fs::path(task_log_path(st.cfg.dirs, instance, node, attempt)).lexically_normal();
  auto root = fs::path(st.cfg.dirs.logs).lexically_normal();
  auto rel = path.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..")
    return make_caf_error(ec::invalid_request, "invalid log name");
  // Nor through a link: the log must be a file that really lies inside.
  std::error_code path_err, root_err, status_err;
  auto real = fs::canonical(path, path_err);
  auto real_root = fs::canonical(root, root_err);
  auto inside = real.lexically_relative(real_root);
  if (!path_err && !root_err
      && (!fs::is_regular_file(fs::symlink_status(path, status_err)) || inside.empty()
          || *inside.begin() == ".."))
    return make_caf_error(ec::invalid_request, "invalid log name: it is not a file inside the "
                                               "task log directory");
  log_chunk chunk;
  chunk.instance_id = instance;
  chunk.node = node;
  chunk.attempt = attempt;
  chunk.worker = st.cfg.info.id;
  chunk.offset = offset;
  chunk.running = st.running.count(attempt_key(instance, node, attempt)) != 0;
  std::error_code err;
  auto size = fs::file_size(path, err);
  if (err)
    return make_caf_error(ec::unknown_instance, "worker " + st.cfg.info.id + " has no log of "
                                                  + attempt_key(instance, node, attempt));
  chunk.size = static_cast<std::int64_t>(size);
  offset = std::clamp<std::int64_t>(offset, 0, chunk.size);
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  chunk.content.resize(static_cast<std::size_t>(std::min(max, chunk.size - offset)));
  in.read(chunk.content.data(), static_cast<std::streamsize>(chunk.content.size()));
  chunk.content.resize(static_cast<std::size_t>(in.gcount()));
  chunk.offset = offset;
  chunk.next_offset = offset + static_cast<std::int64_t>(chunk.content.size());
  return chunk;
}

/// Keeps the results no master acknowledged in the outbox file, for the
/// next master (they are claimed when the worker registers again).
void save_outbox_file(worker_ptr self) {
  auto& st = self->state;
  if (st.cfg.outbox_file.empty())
    return;
  std::vector<attempt_report> reports;
  for (const auto& [key, report] : st.outbox)
    reports.push_back(report);
  if (auto saved = save_outbox(st.cfg.outbox_file, reports); !saved)
    st.log->error("{} unacknowledged results are lost: {}", reports.size(),
                  saved.error().message);
  else if (!reports.empty())
    st.log->info("{} results no master acknowledged are kept in {} for the next master",
                 reports.size(), st.cfg.outbox_file);
}

void maybe_quit(worker_ptr self) {
  auto& st = self->state;
  if (!st.stopping || !st.running.empty())
    return;
  // While a master is there and the drain lasts, results wait for their
  // acknowledgement; the others go to the outbox file.
  if (!st.outbox.empty() && st.registered && !st.tasks_stopped)
    return;
  save_outbox_file(self);
  st.log->info("all tasks ended; worker stops");
  self->quit(caf::exit_reason::user_shutdown);
}

/// Stops the tasks still running (SIGTERM, SIGKILL after the kill grace);
/// each ends killed.
void stop_tasks(worker_ptr self, const char* why) {
  auto& st = self->state;
  if (st.tasks_stopped)
    return;
  st.tasks_stopped = true;
  if (!st.running.empty())
    st.log->warn("{}: {} running tasks get SIGTERM, SIGKILL after {} s", why, st.running.size(),
                 st.cfg.kill_grace.count());
  for (auto& [key, runner] : st.running)
    self->send_exit(runner, caf::exit_reason::user_shutdown);
  maybe_quit(self);
}

/// A stop request (SIGTERM): no new attempts; running ones may finish within
/// the drain grace, their results reaching the master or the outbox file;
/// then what is left is stopped. A second request stops the tasks at once.
void begin_drain(worker_ptr self) {
  auto& st = self->state;
  if (st.stopping) {
    stop_tasks(self, "stopping at once (a second stop request)");
    return;
  }
  st.stopping = true;
  if (st.registered)
    self->send(st.master, atom::drain::value, st.session, st.cfg.info.id);
  if (st.cfg.drain_grace.count() == 0) {
    stop_tasks(self, "stopping (worker.drain_grace_s = 0)");
    return;
  }
  st.log->info("stopping: no new attempts; {} running tasks may finish within {} s",
               st.running.size(), st.cfg.drain_grace.count());
  self->delayed_send(self, st.cfg.drain_grace, atom::drain::value, local_only{});
  maybe_quit(self);
}

/// Runs an attempt a master sent (within the slots), as a task_runner.
/// Removes one batch of the instance folders of task logs and work
/// directories nobody wrote to for longer than [retention] allows (never
/// those of running attempts or of results not acknowledged yet); the next
/// batch follows in a second while there is more, else after the interval.
void prune(worker_ptr self) {
  auto& st = self->state;
  std::set<std::string> keep;
  for (const auto& [key, report] : st.running_reports)
    keep.insert(safe_file_name(report.instance_id));
  for (const auto& [key, report] : st.outbox)
    keep.insert(safe_file_name(report.instance_id));
  auto now = now_ms();
  std::size_t removed = 0;
  bool more = false;
  std::vector<std::string> problems;
  for (auto [root, days] : {std::pair{st.cfg.dirs.logs, st.cfg.log_days},
                            std::pair{st.cfg.dirs.work, st.cfg.work_dir_days}}) {
    auto stale =
      stale_instance_dirs(root, retention_cutoff(now, days), st.cfg.prune_batch, keep);
    more = more || stale.size() == st.cfg.prune_batch;
    removed += remove_dirs(stale, problems);
  }
  for (const auto& problem : problems)
    st.log->warn("retention: {}", problem);
  st.pruned += removed;
  if (removed > 0)
    st.log->info("retention: removed {} instance folders of task logs and work directories "
                 "(log_days {}, work_dir_days {})",
                 removed, st.cfg.log_days, st.cfg.work_dir_days);
  auto next = more && problems.empty() ? std::chrono::seconds(1) : st.cfg.prune_interval;
  self->delayed_send(self, next, atom::prune::value, local_only{});
}

void run_attempt(worker_ptr self, attempt_spec spec) {
  auto& st = self->state;
  auto key = attempt_key(spec.instance_id, spec.node, spec.attempt);
  if (spec.epoch < st.epoch) {
    st.log->warn("{} rejected: epoch {} is older than {}", key, spec.epoch, st.epoch);
    return;
  }
  if (st.running.count(key) != 0 || st.outbox.count(key) != 0) {
    st.log->warn("{} dispatched twice; ignoring the second dispatch", key);
    return;
  }
  if (st.stopping || static_cast<int>(st.running.size()) >= st.cfg.info.slots) {
    attempt_report report;
    report.instance_id = spec.instance_id;
    report.node = spec.node;
    report.attempt = spec.attempt;
    report.worker = st.cfg.info.id;
    report.epoch = spec.epoch;
    report.outcome = "lost";
    report.message = st.stopping ? "the worker is shutting down" : "the worker has no free slot";
    report.started = report.finished = now_ms();
    st.outbox[key] = report;
    send_report(self, report);
    return;
  }
  task_runner_config tc;
  tc.parent = caf::actor_cast<worker_actor>(self);
  tc.spawner = st.spawner;
  tc.worker_id = st.cfg.info.id;
  tc.dirs = st.cfg.dirs;
  tc.base_env = st.base_env;
  tc.kill_grace = st.cfg.kill_grace;
  tc.spec = std::move(spec);
  attempt_report claim;
  claim.instance_id = tc.spec.instance_id;
  claim.node = tc.spec.node;
  claim.attempt = tc.spec.attempt;
  claim.worker = st.cfg.info.id;
  claim.epoch = tc.spec.epoch;
  claim.outcome = "running";
  claim.started = now_ms();
  auto runner = self->spawn(task_runner, std::move(tc));
  self->monitor(runner);
  st.running.emplace(key, runner);
  st.running_reports.emplace(key, std::move(claim));
}

/// Stops an attempt a master asked to kill.
void kill_attempt(worker_ptr self, const std::string& instance, const std::string& node,
                  int attempt, std::uint64_t epoch) {
  auto& st = self->state;
  if (epoch < st.epoch) {
    st.log->warn("kill of {} rejected: epoch {} is older than {}",
                 attempt_key(instance, node, attempt), epoch, st.epoch);
    return;
  }
  auto it = st.running.find(attempt_key(instance, node, attempt));
  if (it != st.running.end())
    self->send(it->second, atom::kill::value);
}

} // namespace

worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self,
                                   worker_config cfg, std::shared_ptr<spawner_client> spawner) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.spawner = std::move(spawner);
  st.spawner->listen([handle = caf::actor_cast<caf::actor_addr>(self)](std::string why) {
    if (auto worker = caf::actor_cast<worker_actor>(handle))
      caf::anon_send(worker, atom::exited::value, local_only{}, std::move(why));
  });
  st.log = log::get("worker");
  for (const auto& [name, value] : process_environment())
    st.base_env.push_back(name + "=" + value);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    if (st.master && down.source == st.master.address()) {
      st.log->warn("lost the master at {}: {}", master_address(st).to_string(),
                   self->system().render(down.reason));
      drop_master(self);
      // The standby takes over where the master was: try the other address first.
      next_master(st);
      connect(self);
      maybe_quit(self); // a draining worker keeps its results in the outbox file
      return;
    }
    // A task runner ended; its final report came before (or it died).
    for (auto it = st.running.begin(); it != st.running.end(); ++it) {
      if (it->second.address() != down.source)
        continue;
      st.log->error("task runner of {} died without a report: {}", it->first,
                    self->system().render(down.reason));
      st.running_reports.erase(it->first);
      st.running.erase(it);
      break;
    }
    maybe_quit(self);
  });
  self->set_exit_handler([self](const caf::exit_msg&) { begin_drain(self); });
  std::string masters;
  for (const auto& m : st.cfg.masters)
    masters += (masters.empty() ? "" : " or ") + m.to_string();
  st.log->info("worker {} up: host {}, {} slots, master at {}", st.cfg.info.id,
               st.cfg.info.host, st.cfg.info.slots, masters);
  for (auto& report : st.cfg.saved_outbox)
    st.outbox[attempt_key(report.instance_id, report.node, report.attempt)] = std::move(report);
  st.cfg.saved_outbox.clear();
  if (!st.outbox.empty())
    st.log->info("{} results of the previous run wait for the master", st.outbox.size());
  st.masterless_since = now_ms();
  connect(self);
  self->delayed_send(self, st.cfg.heartbeat_interval, atom::heartbeat::value, local_only{});
  if (st.cfg.log_days > 0 || st.cfg.work_dir_days > 0)
    self->delayed_send(self, st.cfg.first_prune, atom::prune::value, local_only{});
  return {
    [self](atom::run, const credential& c, attempt_spec& spec) {
      from_master(self, c, "run", [self, spec = std::move(spec)]() mutable {
        run_attempt(self, std::move(spec));
      });
    },
    [self](atom::kill, const credential& c, std::string& instance, std::string& node,
           int attempt, std::uint64_t epoch) {
      from_master(self, c, "kill", [self, instance, node, attempt, epoch] {
        kill_attempt(self, instance, node, attempt, epoch);
      });
    },
    [self](atom::ack, const credential& c, std::string& key) {
      from_master(self, c, "ack", [self, key] { self->state.outbox.erase(key); });
    },
    [self](atom::report, local_only, attempt_report& report) {
      auto& st = self->state;
      auto key = attempt_key(report.instance_id, report.node, report.attempt);
      if (is_final_outcome(report.outcome)) {
        st.running.erase(key);
        st.running_reports.erase(key);
        st.outbox[key] = report;
      } else if (report.outcome == "running") {
        st.running_reports[key] = report;
      }
      send_report(self, std::move(report));
      maybe_quit(self);
    },
    [self](atom::exited, local_only, const std::string& why) {
      // Without its spawner the worker can neither start nor watch tasks (the
      // spawner's client has killed those that ran): stop, to be restarted.
      self->state.log->critical("the task spawner is gone ({}); the worker stops", why);
      save_outbox_file(self);
      self->quit(make_caf_error(ec::exec_error, "the task spawner is gone: " + why));
    },
    [self](atom::connect, local_only) { connect(self); },
    [self](atom::drain, local_only) { stop_tasks(self, "the drain grace is over"); },
    [self](atom::heartbeat, local_only) { heartbeat(self); },
    [self](atom::prune, local_only) { prune(self); },
    [self](atom::log, const credential& c, const std::string& instance, const std::string& node,
           int attempt, std::int64_t offset, std::int64_t max) -> caf::result<log_chunk> {
      auto& st = self->state;
      if (!st.registered || !secrets_equal(c.token, st.session.token))
        return make_caf_error(ec::invalid_request, "refused: not this worker's master");
      return read_log(self, instance, node, attempt, offset, max);
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"id", st.cfg.info.id},
              {"slots", std::to_string(st.cfg.info.slots)},
              {"running", std::to_string(st.running.size())},
              {"outbox", std::to_string(st.outbox.size())},
              {"master", st.registered ? "registered" : "disconnected"},
              {"tls", st.cfg.auth->enabled() ? "on" : "off"},
              {"epoch", std::to_string(st.epoch)},
              {"pruned", std::to_string(st.pruned)}};
    },
  };
}

expected<worker_actor> spawn_worker(caf::actor_system& sys, const config& cfg,
                                    const host_port& address,
                                    std::shared_ptr<spawner_client> spawner,
                                    std::shared_ptr<const tls::authenticator> auth) {
  if (!spawner)
    return make_error(ec::exec_error, "a worker needs its task spawner");
  worker_config wc;
  wc.info.id = address.to_string();
  wc.info.host = cfg.worker.host.empty() ? address.host : cfg.worker.host;
  wc.info.slots = cfg.worker.slots;
  wc.info.groups = cfg.worker.groups;
  wc.info.pid = static_cast<int>(::getpid());
  wc.auth = std::move(auth);
  wc.listen = address;
  wc.masters = cfg.master_addresses();
  // Task files are per worker, so several workers can share one host.
  auto tag = address.host + "_" + std::to_string(address.port);
  wc.dirs.work = (std::filesystem::path(cfg.paths.data) / "work" / tag).string();
  wc.dirs.logs = (std::filesystem::path(cfg.paths.logs) / "tasks").string();
  wc.dirs.site = make_task_site(cfg);
  wc.reconnect_interval = std::chrono::milliseconds(cfg.worker.reconnect_interval_ms);
  wc.connect_timeout = std::chrono::milliseconds(cfg.caf.connect_timeout_ms);
  wc.request_timeout = std::chrono::milliseconds(cfg.master.request_timeout_ms);
  wc.kill_grace = std::chrono::seconds(cfg.worker.kill_grace_s);
  wc.heartbeat_interval = std::chrono::milliseconds(cfg.worker.heartbeat_interval_ms);
  wc.lease = std::chrono::seconds(cfg.worker.lease_s);
  wc.drain_grace = std::chrono::seconds(cfg.worker.drain_grace_s);
  wc.outbox_file =
    (std::filesystem::path(cfg.paths.data) / "work" / (tag + ".outbox.json")).string();
  wc.log_days = cfg.retention.log_days;
  wc.work_dir_days = cfg.retention.work_dir_days;
  wc.prune_batch = static_cast<std::size_t>(cfg.retention.batch);
  wc.prune_interval = std::chrono::seconds(cfg.retention.interval_s);
  wc.first_prune = std::min(wc.first_prune, wc.prune_interval);
  auto saved = take_outbox(wc.outbox_file);
  if (!saved)
    return saved.error();
  // The actor keeps them (and saves them again when it stops, also when
  // publishing fails below).
  wc.saved_outbox = std::move(*saved);
  auto handle = sys.spawn(worker, std::move(wc), std::move(spawner));
  auto port = publish_at(sys, handle, address);
  if (!port) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    return make_error(ec::invalid_config, "cluster.workers: " + port.error().message);
  }
  return handle;
}

} // namespace cafflow
