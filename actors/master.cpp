#include "master.hpp"

#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "dispatcher.hpp"
#include "engine/params.hpp"
#include "instance_runner.hpp"
#include "log.hpp"
#include "model/workflow.hpp"
#include "registry.hpp"
#include "store/store_url.hpp"
#include "store_reader.hpp"
#include "store_writer.hpp"
#include "xml_watcher.hpp"

namespace cafflow {

namespace {

using self_ptr = master_actor::stateful_pointer<master_state>;

/// Stops every component in order: intake, instances, dispatch, registry,
/// then the store writer once it has committed everything.
void shutdown(self_ptr self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  st.log->info("shutting down ({} instances still running)", st.runners.size());
  self->send_exit(st.watcher, caf::exit_reason::user_shutdown);
  for (auto& [id, runner] : st.runners)
    self->send_exit(runner, caf::exit_reason::user_shutdown);
  self->send_exit(st.dispatcher, caf::exit_reason::user_shutdown);
  self->send_exit(st.registry, caf::exit_reason::user_shutdown);
  auto finish = [self, reason]() mutable {
    auto& st = self->state;
    self->send_exit(st.writer, caf::exit_reason::user_shutdown);
    self->send_exit(st.reader, caf::exit_reason::user_shutdown);
    self->quit(reason);
  };
  self->request(st.writer, st.cfg.request_timeout, atom::flush::value)
    .then([finish](atom::ok) mutable { finish(); },
          [self, finish](caf::error& err) mutable {
            self->state.log->error("final store flush failed: {}", self->system().render(err));
            finish();
          });
}

/// Starts an instance whose workflow is below its instance-limit.
void start_instance(self_ptr self, instance_runner_config cfg) {
  auto& st = self->state;
  auto id = cfg.record.id;
  auto workflow = cfg.record.workflow;
  auto runner = self->spawn(instance_runner, std::move(cfg));
  self->monitor(runner);
  st.runners.emplace(id, runner);
  st.runner_workflow.emplace(id, workflow);
  ++st.running_per_workflow[workflow];
  self->send(runner, atom::start::value);
}

/// An instance ended (or its runner died): the next waiting one may start.
void instance_ended(self_ptr self, const std::string& id) {
  auto& st = self->state;
  st.runners.erase(id);
  auto it = st.runner_workflow.find(id);
  if (it == st.runner_workflow.end())
    return;
  auto workflow = it->second;
  st.runner_workflow.erase(it);
  --st.running_per_workflow[workflow];
  auto& queue = st.waiting[workflow];
  if (!queue.empty() && !st.stopping) {
    auto next = std::move(queue.front());
    queue.pop_front();
    st.log->info("{} {} starts: a slot of its instance-limit is free", next.record.id, workflow);
    start_instance(self, std::move(next));
  }
}

/// Reads an instance from the store and gives it to `f`, or the error to `rp`.
template <class Promise, class F>
void with_instance(self_ptr self, const std::string& id, Promise rp, F f) {
  self->request(self->state.reader, self->state.cfg.request_timeout, atom::instance::value, id)
    .then([f](instance_record& r) mutable { f(r); },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}

} // namespace

master_actor::behavior_type master(master_actor::stateful_pointer<master_state> self,
                                   master_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("master");
  st.ids = id_generator{st.cfg.last_instance_id};
  st.started = now_ms();
  st.writer = self->spawn<caf::detached>(store_writer, st.cfg.writer_db);
  st.reader = self->spawn<caf::detached>(store_reader, st.cfg.reader_db);
  st.registry = self->spawn(registry, registry_config{st.cfg.known_workflows, st.writer});
  st.dispatcher = self->spawn(dispatcher, dispatcher_config{st.cfg.epoch, st.cfg.worker_timeout});
  st.watcher = self->spawn(xml_watcher, xml_watcher_config{st.cfg.xmlconfig, st.cfg.db_links,
                                                          st.cfg.rescan_interval, st.registry});
  for (auto component : {caf::actor_cast<caf::actor>(st.writer),
                         caf::actor_cast<caf::actor>(st.reader),
                         caf::actor_cast<caf::actor>(st.registry),
                         caf::actor_cast<caf::actor>(st.dispatcher),
                         caf::actor_cast<caf::actor>(st.watcher)})
    self->monitor(component);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    for (auto it = st.runners.begin(); it != st.runners.end(); ++it)
      if (it->second.address() == down.source) {
        // Runners report `done` before they quit; one still listed died.
        if (!st.stopping)
          st.log->error("{} runner died: {}", it->first, self->system().render(down.reason));
        instance_ended(self, it->first);
        return;
      }
    if (st.stopping)
      return;
    auto core = {st.writer.address(), st.reader.address(), st.registry.address(),
                 st.dispatcher.address(), st.watcher.address()};
    if (std::find(core.begin(), core.end(), down.source) == core.end())
      return; // a runner that already reported done
    // A core component failed: stop rather than run half a master.
    st.log->critical("a core component died ({}); stopping the master",
                     self->system().render(down.reason));
    shutdown(self, down.reason ? down.reason : caf::make_error(caf::exit_reason::unknown));
  });
  self->set_exit_handler([self](const caf::exit_msg& msg) { shutdown(self, msg.reason); });
  st.log->info("master of cluster '{}' up at {} (epoch {})", st.cfg.cluster_name,
               st.cfg.address.to_string(), st.cfg.epoch);
  return {
    [self](atom::health) -> caf::result<health_record> {
      auto& st = self->state;
      auto rp = self->make_response_promise<health_record>();
      self->request(st.dispatcher, st.cfg.request_timeout, atom::workers::value)
        .then(
          [self, rp](std::vector<worker_record>& workers) mutable {
            auto& st = self->state;
            self->request(st.registry, st.cfg.request_timeout, atom::status::value)
              .then(
                [self, rp, workers](status_map& registry) mutable {
                  auto& st = self->state;
                  health_record h;
                  h.cluster = st.cfg.cluster_name;
                  h.master = st.cfg.address.to_string();
                  h.epoch = st.cfg.epoch;
                  h.started = st.started;
                  h.workers = std::move(workers);
                  h.workflows = std::stoi(registry["workflows"]);
                  h.running_instances = static_cast<int>(st.runners.size());
                  for (const auto& [name, queue] : st.waiting)
                    h.queued_instances += static_cast<int>(queue.size());
                  h.master_pid = static_cast<int>(::getpid());
                  for (const auto& w : h.workers)
                    h.running_attempts += w.running;
                  self->request(st.dispatcher, st.cfg.request_timeout, atom::status::value)
                    .then(
                      [rp, h](status_map& d) mutable {
                        h.queued_attempts = std::stoi(d["queued"]);
                        rp.deliver(std::move(h));
                      },
                      [rp](caf::error& err) mutable { rp.deliver(err); });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [self](atom::workflows) {
      return self->delegate(self->state.registry, atom::workflows::value);
    },
    [self](atom::files) { return self->delegate(self->state.registry, atom::files::value); },
    [self](atom::instances, instance_filter& filter) {
      return self->delegate(self->state.reader, atom::instances::value, std::move(filter));
    },
    [self](atom::instance, std::string& id) {
      return self->delegate(self->state.reader, atom::instance::value, std::move(id));
    },
    [self](atom::run, const std::string& name, param_map& params) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.stopping)
        return make_caf_error(ec::master_unreachable, "the master is shutting down");
      auto rp = self->make_response_promise<std::string>();
      self->request(st.registry, st.cfg.request_timeout, atom::get::value, name)
        .then(
          [self, rp, params](workflow_ptr wf, workflow_record& def) mutable {
            auto& st = self->state;
            auto now = now_ms();
            auto zone = workflow_zone(*wf, st.cfg.default_timezone);
            if (!zone) {
              rp.deliver(to_caf(zone.error()));
              return;
            }
            param_scope scope;
            scope.logical_time = now;
            scope.zone = *zone;
            scope.keep_undefined = st.cfg.keep_undefined;
            auto resolved = resolve_params(*wf, params, scope);
            if (!resolved) {
              rp.deliver(to_caf(resolved.error()));
              return;
            }
            scope.params = *resolved;
            auto base_dir = std::filesystem::path(def.file).parent_path().string();
            instance_record record;
            record.id = st.ids.next(now);
            record.workflow = def.name;
            record.version = def.version;
            record.status = "queued";
            record.trigger = "manual";
            record.params = std::move(*resolved);
            record.logical_time = now;
            record.priority = wf->priority;
            record.created = now;
            // The instance and all its nodes are durable before anyone hears of it.
            store_batch batch{instance_put{record}};
            for (std::size_t i = 0; i < wf->nodes.size(); ++i)
              batch.emplace_back(node_put{record.id, static_cast<int>(i),
                                          make_node_record(*wf, i, node_state{})});
            self->request(st.writer, st.cfg.request_timeout, atom::commit::value, std::move(batch))
              .then(
                [self, rp, record, wf, scope, base_dir](atom::ok) mutable {
                  auto& st = self->state;
                  auto id = record.id;
                  auto limit = wf->instance_limit;
                  instance_runner_config rc;
                  rc.record = std::move(record);
                  rc.wf = std::move(wf);
                  rc.scope = std::move(scope);
                  rc.base_dir = std::move(base_dir);
                  rc.max_attachment_bytes = st.cfg.max_attachment_bytes;
                  rc.drain_timeout = st.cfg.kill_grace + std::chrono::seconds(5);
                  rc.dispatcher = st.dispatcher;
                  rc.store = st.writer;
                  rc.master = caf::actor_cast<master_actor>(self);
                  auto& running = st.running_per_workflow[rc.record.workflow];
                  if (running < limit) {
                    start_instance(self, std::move(rc));
                  } else {
                    st.log->info("{} {} waits: {} of its instance-limit {} are running", id,
                                 rc.record.workflow, running, limit);
                    st.waiting[rc.record.workflow].push_back(std::move(rc));
                  }
                  rp.deliver(id);
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [self](atom::register_, worker_info& info,
           worker_actor& worker) -> caf::result<dispatcher_actor, std::uint64_t> {
      auto& st = self->state;
      // Enqueued before the reply, so the dispatcher knows the worker before
      // the worker's first report arrives.
      caf::anon_send(st.dispatcher, atom::register_::value, std::move(info), std::move(worker));
      return {st.dispatcher, st.cfg.epoch};
    },
    [self](atom::done, const std::string& id, const std::string&) { instance_ended(self, id); },
    [self](atom::kill, const std::string& id) -> caf::result<atom::ok> {
      auto& st = self->state;
      if (auto it = st.runners.find(id); it != st.runners.end()) {
        st.log->info("{} killed on request", id);
        self->send(it->second, atom::kill::value, std::string("killed on request"));
        return atom::ok::value;
      }
      for (auto& [name, queue] : st.waiting)
        for (auto it = queue.begin(); it != queue.end(); ++it)
          if (it->record.id == id) {
            auto record = std::move(it->record);
            queue.erase(it);
            record.status = "killed";
            record.finished = now_ms();
            record.message = "killed on request before it started";
            st.log->info("{} killed on request while it waited", id);
            self->send(st.writer, atom::put::value, store_batch{instance_put{std::move(record)}});
            return atom::ok::value;
          }
      // Not running here: unknown (404), or it already ended (409).
      auto rp = self->make_response_promise<atom::ok>();
      with_instance(self, id, rp, [rp, id](instance_record& r) mutable {
        rp.deliver(make_caf_error(ec::conflict, "instance " + id + " is not running (it is "
                                                  + r.status + ")"));
      });
      return rp;
    },
    [self](atom::log, const std::string& id, const std::string& node, int attempt,
           std::int64_t offset) -> caf::result<log_chunk> {
      auto rp = self->make_response_promise<log_chunk>();
      with_instance(self, id, rp, [self, rp, id, node, attempt, offset](instance_record& r) mutable {
        auto n = std::find_if(r.nodes.begin(), r.nodes.end(),
                              [&](const node_record& x) { return x.name == node; });
        if (n == r.nodes.end()) {
          rp.deliver(make_caf_error(ec::unknown_instance,
                                    "instance " + id + " has no node named '" + node + "'"));
          return;
        }
        if (n->attempts.empty()) {
          rp.deliver(make_caf_error(ec::unknown_instance, "node '" + node + "' of instance " + id
                                                            + " has not run (yet)"));
          return;
        }
        auto a = attempt == 0 ? std::prev(n->attempts.end())
                              : std::find_if(n->attempts.begin(), n->attempts.end(),
                                             [&](const attempt_record& x) {
                                               return x.number == attempt;
                                             });
        if (a == n->attempts.end()) {
          rp.deliver(make_caf_error(ec::unknown_instance, "node '" + node + "' has no attempt "
                                                            + std::to_string(attempt)));
          return;
        }
        auto& st = self->state;
        auto number = a->number;
        self->request(st.dispatcher, st.cfg.request_timeout, atom::get::value, a->worker)
          .then(
            [self, rp, id, node, number, offset](worker_actor& w) mutable {
              constexpr std::int64_t max_chunk = 1 << 20;
              self->request(w, self->state.cfg.request_timeout, atom::log::value, id, node,
                            number, offset, max_chunk)
                .then([rp](log_chunk& c) mutable { rp.deliver(std::move(c)); },
                      [rp](caf::error& err) mutable { rp.deliver(err); });
            },
            [rp](caf::error& err) mutable { rp.deliver(err); });
      });
      return rp;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"cluster", st.cfg.cluster_name},
              {"address", st.cfg.address.to_string()},
              {"epoch", std::to_string(st.cfg.epoch)},
              {"running_instances", std::to_string(st.runners.size())},
              {"stopping", st.stopping ? "true" : "false"}};
    },
  };
}

expected<master_actor> spawn_master(caf::actor_system& sys, const config& cfg) {
  auto logger = log::get("master");
  auto url = parse_store_url(cfg.store.url, cfg.home);
  if (!url)
    return url.error();
  auto writer_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!writer_db)
    return writer_db.error();
  if (auto migrated = (*writer_db)->migrate(); !migrated)
    return migrated.error();
  auto interrupted = (*writer_db)->fail_unfinished(
    "interrupted: the master stopped while the instance ran (recovery of running instances "
    "is not implemented yet)",
    now_ms());
  if (!interrupted)
    return interrupted.error();
  if (*interrupted > 0)
    logger->warn("{} instances were interrupted by the previous master's stop; marked failed",
                 *interrupted);
  auto known = (*writer_db)->workflows();
  if (!known)
    return known.error();
  auto last_id = (*writer_db)->last_instance_id();
  if (!last_id)
    return last_id.error();
  auto reader_db = open_store(*url, cfg.store.busy_timeout_ms);
  if (!reader_db)
    return reader_db.error();
  logger->info("store {} ready (schema version {})", url->redacted(),
               (*writer_db)->schema_version().has_value() ? *(*writer_db)->schema_version() : 0);
  master_config mc;
  mc.cluster_name = cfg.cluster.name;
  mc.address = cfg.cluster.master;
  mc.request_timeout = std::chrono::milliseconds(cfg.master.request_timeout_ms);
  mc.xmlconfig = cfg.paths.xmlconfig;
  mc.db_links = cfg.paths.db_links;
  mc.default_timezone = cfg.schedule.timezone;
  mc.keep_undefined = cfg.params.keep_undefined;
  mc.worker_timeout = std::chrono::milliseconds(cfg.master.worker_timeout_ms);
  mc.max_attachment_bytes = cfg.master.max_attachment_bytes;
  mc.kill_grace = std::chrono::seconds(cfg.worker.kill_grace_s);
  mc.rescan_interval = std::chrono::seconds(cfg.master.rescan_interval_s);
  mc.writer_db = std::shared_ptr<store>(std::move(*writer_db));
  mc.reader_db = std::shared_ptr<store>(std::move(*reader_db));
  mc.known_workflows = std::move(*known);
  mc.last_instance_id = std::move(*last_id);
  auto handle = sys.spawn(master, std::move(mc));
  auto port = sys.middleman().publish(handle, cfg.cluster.master.port,
                                      cfg.cluster.master.host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    return make_error(ec::invalid_config, "cluster.master: cannot listen on "
                                            + cfg.cluster.master.to_string() + ": "
                                            + sys.render(port.error()));
  }
  return handle;
}

} // namespace cafflow
