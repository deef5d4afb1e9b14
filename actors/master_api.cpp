// The master's answers to the API's larger questions and requests: health,
// metrics, runs, reruns, a workflow's detail, kills and logs
// (actors/master_parts.hpp).
#include "master_parts.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "engine/dag.hpp"
#include "engine/instance_state.hpp"
#include "log.hpp"
#include "model/workflow.hpp"
#include "schedule/lineage.hpp"
#include "util/strings.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow::master_detail {

caf::result<health_record> health_of(self_ptr self) {
  auto& st = self->state;
  auto rp = self->make_response_promise<health_record>();
  self->request(st.dispatcher, st.cfg.request_timeout, atom::workers::value)
    .then(
      [self, rp](std::vector<worker_record>& workers) mutable {
        auto& st = self->state;
        // Briefly: a registry applying a large load answers later; health
        // then shows its last count and says it is loading.
        auto go = [self, rp, workers](status_map& registry) mutable {
          auto& st = self->state;
          health_record h;
          h.cluster = st.cfg.cluster_name;
          h.master = st.cfg.address.to_string();
          h.epoch = st.cfg.epoch;
          h.started = st.started;
          h.workers = std::move(workers);
          if (registry.count("workflows") != 0) {
            h.workflows = std::stoi(registry["workflows"]);
            st.workflows_known = h.workflows;
          } else {
            h.workflows = st.workflows_known;
            h.warnings.push_back("the registry is busy loading workflows; the count of "
                                 "workflows is from its last answer");
          }
          h.running_instances = static_cast<int>(st.runners.size());
          for (const auto& [name, queue] : st.waiting)
            h.queued_instances += static_cast<int>(queue.size());
          h.master_pid = static_cast<int>(::getpid());
          h.store_available = st.store_available;
          h.store_error = st.store_error;
          h.pending_writes = st.pending_writes;
          h.paused = st.paused;
          h.tls = st.cfg.tls;
          if (!st.cfg.tls)
            h.warnings.push_back(st.cfg.tls_warning);
          for (const auto& w : h.workers)
            h.running_attempts += w.running;
          self->request(st.dispatcher, st.cfg.request_timeout, atom::status::value)
            .then(
              [self, rp, h](status_map& d) mutable {
                h.queued_attempts = std::stoi(d["queued"]);
                h.recovering = d["recovering"] == "true";
                for (const auto& [key, value] : d)
                  if (key.rfind("pool:", 0) == 0) {
                    auto slash = value.find('/');
                    auto pool = key.substr(5);
                    h.pool_in_use[pool] = std::stoi(value.substr(0, slash));
                    h.pool_slots[pool] = std::stoi(value.substr(slash + 1));
                  }
                auto& st = self->state;
                // Briefly: a writer stuck on an unreachable database
                // must not make health slow.
                self->request(st.writer, std::chrono::milliseconds(500),
                              atom::status::value)
                  .then(
                    [rp, h](status_map& w) mutable {
                      h.commits = std::stoull(w["commits"]);
                      h.writes = std::stoull(w["writes"]);
                      rp.deliver(std::move(h));
                    },
                    [rp, h](caf::error&) mutable {
                      rp.deliver(std::move(h)); // busy committing: counts unknown
                    });
              },
              [rp](caf::error& err) mutable { rp.deliver(err); });
        };
        self->request(st.registry, std::chrono::milliseconds(500), atom::status::value)
          .then([go](status_map& registry) mutable { go(registry); },
                [go](caf::error&) mutable {
                  status_map none;
                  go(none);
                });
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<metrics_snapshot> metrics_of(self_ptr self) {
  auto& st = self->state;
  auto rp = self->make_response_promise<metrics_snapshot>();
  self->request(st.dispatcher, st.cfg.request_timeout, atom::metrics::value)
    .then(
      [self, rp](dispatch_metrics& d) mutable {
        auto& st = self->state;
        self->request(st.coordinator, st.cfg.request_timeout, atom::metrics::value)
          .then(
            [self, rp, d](coordinator_metrics& c) mutable {
              auto& st = self->state;
              metrics_snapshot m;
              m.epoch = st.cfg.epoch;
              m.failovers = st.cfg.previous_master.empty() ? 0 : 1;
              m.takeover_ms = st.cfg.takeover_ms;
              m.started = st.started;
              m.instances_running = st.runners.size();
              for (const auto& [name, queue] : st.waiting)
                m.instances_queued += queue.size();
              m.instances_ended = st.instances_ended;
              m.store_available = st.store_available;
              m.dispatch = std::move(d);
              m.coordinator = std::move(c);
              // Briefly, as for health: a writer stuck on an unreachable
              // database must not make a scrape slow.
              self->request(st.writer, std::chrono::milliseconds(500), atom::metrics::value)
                .then(
                  [self, rp, m](store_metrics& s) mutable {
                    self->state.last_store_metrics = s;
                    m.store = std::move(s);
                    m.store_writer_answered = true;
                    rp.deliver(std::move(m));
                  },
                  [self, rp, m](caf::error&) mutable {
                    auto& st = self->state;
                    m.store = st.last_store_metrics;
                    if (!st.store_available)
                      m.store.pending_writes = st.pending_writes; // as it last reported
                    rp.deliver(std::move(m));
                  });
            },
            [rp](caf::error& err) mutable { rp.deliver(err); });
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<std::string> start_run(self_ptr self, start_request& req) {
  auto& st = self->state;
  if (auto refused = refusal(self))
    return refused;
  if (req.trigger != "manual" && req.trigger != "trigger" && req.trigger != "lineage")
    return make_caf_error(ec::invalid_argument, "unknown way to start '" + req.trigger
                                                  + "' (expected manual, trigger or lineage)");
  auto rp = self->make_response_promise<std::string>();
  self->request(st.registry, st.cfg.request_timeout, atom::get::value, req.workflow)
    .then(
      [self, rp, req](workflow_ptr wf, workflow_record& def) mutable {
        // A manual or lineage run may name its logical time; a trigger runs now.
        auto logical_time = req.trigger != "trigger" && req.logical_time != 0
                              ? req.logical_time
                              : now_ms();
        catalog::entry e{std::move(wf), std::move(def)};
        auto fail = [rp](const caf::error& err) mutable { rp.deliver(err); };
        if (req.trigger != "lineage") {
          create(
            self, e, req.trigger, logical_time, req.params, {},
            [rp](const std::string& id) mutable { rp.deliver(id); }, fail, req.deadline,
            req.options, req.by);
          return;
        }
        if (!req.options.empty()) {
          rp.deliver(make_caf_error(ec::invalid_argument,
                                    "a lineage run takes no node options (" + describe(req.options)
                                      + ")"));
          return;
        }
        self->request(self->state.coordinator, self->state.cfg.request_timeout,
                      atom::lineage::value)
          .then(
            [self, rp, e, logical_time, req, fail](upstream_map& upstreams) mutable {
              auto plan = lineage_plan(e.record->name, upstreams);
              create(
                self, e, "lineage", logical_time, req.params, {},
                [self, rp, plan, logical_time](const std::string& id) mutable {
                  auto& st = self->state;
                  st.log->info("lineage of {}: {}", id, join(plan.order(), " -> "));
                  plan.start();
                  st.lineages.emplace(id, master_state::lineage_run{std::move(plan),
                                                                    logical_time});
                  st.lineage_of[id] = id;
                  rp.deliver(id);
                },
                fail, req.deadline);
            },
            fail);
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

namespace {

/// Tries a state machine on the stored nodes of an ended instance: a rerun
/// or a marked node that resumes it. An error refuses the request.
using resume_check =
  std::function<expected<void>(instance_state&, std::vector<node_state>, const workflow&)>;

/// Runs an ended instance again under its id (a rerun, or a node marked by
/// hand): loads the workflow version it ran with, lets `check` try it on the
/// stored nodes, then `configure` says what the runner does and how the row
/// reads; answers once the row is durable, and starts it.
void resume_ended(self_ptr self, const std::string& id,
                  caf::typed_response_promise<atom::ok> rp, resume_check check,
                  std::function<void(instance_runner_config&)> configure) {
  with_instance(self, id, rp, [self, rp, id, check, configure](instance_record& r) mutable {
    auto& st = self->state;
    if (r.status == "queued" || r.status == "running") {
      rp.deliver(make_caf_error(ec::conflict, "instance " + id + " has not ended (it is "
                                                + r.status + ")"));
      return;
    }
    self->request(st.reader, st.cfg.request_timeout, atom::workflow::value, r.workflow,
                  r.version)
      .then(
        [self, rp, r, check, configure](workflow_version_record& version) mutable {
          auto& st = self->state;
          // The version the instance ran with, as stored.
          auto parsed = parse_definition(version.xml, version.file);
          if (!parsed.wf) {
            rp.deliver(make_caf_error(ec::conflict, "version " + std::to_string(r.version)
                                                      + " of workflow '" + r.workflow
                                                      + "' no longer parses"));
            return;
          }
          auto wf = std::make_shared<const workflow>(std::move(*parsed.wf));
          auto zone = instance_zone(*wf, r.timezone, st.cfg.default_timezone);
          if (!zone) {
            rp.deliver(to_caf(zone.error()));
            return;
          }
          // Check now, so that a bad request is refused rather than run.
          auto nodes = stored_nodes(*wf, r);
          if (!nodes) {
            rp.deliver(to_caf(nodes.error()));
            return;
          }
          instance_state probe(wf);
          if (auto tried = check(probe, std::move(*nodes), *wf); !tried) {
            rp.deliver(to_caf(tried.error()));
            return;
          }
          if (st.runners.count(r.id) > 0) {
            rp.deliver(make_caf_error(ec::conflict, "instance " + r.id + " is running"));
            return;
          }
          instance_runner_config rc;
          rc.scope.logical_time = r.logical_time;
          rc.scope.zone = *zone;
          rc.scope.keep_undefined = st.cfg.keep_undefined;
          rc.scope.params = r.params;
          rc.base_dir = std::filesystem::path(version.file).parent_path().string();
          rc.wf = std::move(wf);
          if (r.origin.empty())
            r.origin = r.trigger;
          r.trigger = "rerun";
          r.status = "queued";
          r.finished = 0;
          rc.record = std::move(r);
          configure(rc);
          auto row = rc.record;
          row.nodes.clear();
          self->request(st.writer, caf::infinite, atom::commit::value,
                        store_batch{instance_put{std::move(row)}})
            .then(
              [self, rp, rc = std::move(rc)](atom::ok) mutable {
                self->state.log->info("{} {}: {}", rc.record.id, rc.record.workflow,
                                      rc.record.message);
                fill_handles(self, rc);
                admit(self, std::move(rc));
                rp.deliver(atom::ok::value);
              },
              [rp](caf::error& err) mutable { rp.deliver(err); });
        },
        [rp](caf::error& err) mutable { rp.deliver(err); });
  });
}

/// The message of a marked node: "marked succeeded by ann: fixed by hand".
std::string mark_message(const mark_request& req) {
  return "marked " + req.status + (req.by.empty() ? "" : " by " + req.by)
         + (req.reason.empty() ? "" : ": " + req.reason);
}

} // namespace

caf::result<atom::ok> rerun_instance(self_ptr self, const std::string& id, rerun_request& req) {
  auto& st = self->state;
  if (auto refused = refusal(self))
    return refused;
  if (st.runners.count(id) > 0)
    return make_caf_error(ec::conflict, "instance " + id + " is running; kill it or wait "
                                                           "until it ends");
  auto mode = parse_rerun_mode(req.mode);
  if (!mode)
    return to_caf(mode.error());
  auto rp = self->make_response_promise<atom::ok>();
  resume_ended(
    self, id, rp,
    [req, mode = *mode](instance_state& probe, std::vector<node_state> nodes,
                        const workflow&) -> expected<void> {
      auto tried = probe.rerun(std::move(nodes), mode, req.options, now_ms());
      if (!tried)
        return tried.error();
      return {};
    },
    [req](instance_runner_config& rc) {
      rc.rerun = req;
      rc.record.options = req.options;
      rc.record.run_mode = req.mode;
      rc.record.execution += 1;
      rc.record.requested_by = req.by;
      auto shown = describe(req.options);
      rc.record.message =
        "rerun (" + req.mode + (shown.empty() ? "" : " " + shown) + ") requested";
    });
  return rp;
}

caf::result<atom::ok> mark_node(self_ptr self, const std::string& id, mark_request& req) {
  auto& st = self->state;
  if (auto refused = refusal(self))
    return refused;
  if (req.status != "succeeded" && req.status != "failed")
    return make_caf_error(ec::invalid_argument, "a node is marked succeeded or failed, not '"
                                                  + req.status + "'");
  auto message = mark_message(req);
  bool succeeded = req.status == "succeeded";
  if (auto it = st.runners.find(id); it != st.runners.end()) {
    // A running instance: its runner carries it out.
    auto rp = self->make_response_promise<atom::ok>();
    self->request(it->second, st.cfg.request_timeout, atom::mark::value, req.node, succeeded,
                  message)
      .then([rp](atom::ok) mutable { rp.deliver(atom::ok::value); },
            [rp](caf::error& err) mutable { rp.deliver(err); });
    return rp;
  }
  auto rp = self->make_response_promise<atom::ok>();
  resume_ended(
    self, id, rp,
    [req, succeeded, message](instance_state& probe, std::vector<node_state> nodes,
                              const workflow& wf) -> expected<void> {
      auto index = wf.index_of(req.node);
      if (index == workflow::npos)
        return make_error(ec::invalid_argument,
                          "workflow '" + wf.name + "' has no node '" + req.node + "'");
      auto tried = probe.resume_marked(std::move(nodes), index, succeeded, message, now_ms());
      if (!tried)
        return tried.error();
      return {};
    },
    [req, message](instance_runner_config& rc) {
      rc.mark = req;
      rc.mark->reason = message; // the runner writes it as the node's message
      rc.record.options = {};
      rc.record.run_mode = "mark";
      rc.record.execution += 1;
      rc.record.requested_by = req.by;
      rc.record.message = "node '" + req.node + "' " + message;
    });
  return rp;
}

caf::result<workflow_detail> workflow_detail_of(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto rp = self->make_response_promise<workflow_detail>();
  self->request(st.registry, st.cfg.request_timeout, atom::get::value, name)
    .then(
      [self, rp, name](workflow_ptr wf, workflow_record& def) mutable {
        auto& st = self->state;
        self->request(st.coordinator, st.cfg.request_timeout, atom::get::value, name)
          .then(
            [self, rp, wf, def, name](workflow_detail& detail) mutable {
              detail.record = std::move(def);
              auto graph = make_graph(*wf);
              detail.nodes = std::move(graph.nodes);
              detail.edges = std::move(graph.edges);
              // The versions come from the store: without it the rest
              // still answers (versions unknown, and why), in time for
              // the gateway, which waits as long as the master would.
              self->request(self->state.reader, self->state.cfg.request_timeout / 2,
                            atom::versions::value, name)
                .then(
                  [rp, detail](std::vector<workflow_version_view>& versions) mutable {
                    detail.versions = std::move(versions);
                    rp.deliver(std::move(detail));
                  },
                  [self, rp, detail](caf::error& err) mutable {
                    detail.versions_error = from_caf(err).message;
                    if (detail.versions_error.empty())
                      detail.versions_error = self->system().render(err);
                    rp.deliver(std::move(detail));
                  });
            },
            [rp](caf::error& err) mutable { rp.deliver(err); });
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<atom::ok> kill_instance(self_ptr self, const std::string& id) {
  if (stop_instance(self, id, "killed on request"))
    return atom::ok::value;
  // Not running here: unknown (404), or it already ended (409).
  auto rp = self->make_response_promise<atom::ok>();
  with_instance(self, id, rp, [rp, id](instance_record& r) mutable {
    rp.deliver(make_caf_error(ec::conflict, "instance " + id + " is not running (it is "
                                              + r.status + ")"));
  });
  return rp;
}

caf::result<dependency_report> instance_dependencies(self_ptr self, const std::string& id) {
  auto rp = self->make_response_promise<dependency_report>();
  with_instance(self, id, rp, [self, rp, id](instance_record& r) mutable {
    auto& st = self->state;
    // The version it runs when it waits here, else the active definition.
    workflow_ptr wf;
    if (auto g = st.gated.find(id); g != st.gated.end())
      wf = g->second.wf;
    auto ask = [self, rp, id, r](workflow_ptr def) mutable {
      auto& st = self->state;
      self->request(st.waiter, st.cfg.request_timeout, atom::dependency::value, def, r.workflow,
                    r.logical_time, id, r.created != 0 ? r.created : now_ms())
        .then([rp](dependency_report& report) mutable { rp.deliver(std::move(report)); },
              [rp](caf::error& err) mutable { rp.deliver(err); });
    };
    if (wf) {
      ask(wf);
      return;
    }
    self->request(st.registry, st.cfg.request_timeout, atom::get::value, r.workflow)
      .then([ask](workflow_ptr def, workflow_record&) mutable { ask(def); },
            [rp](caf::error& err) mutable { rp.deliver(err); });
  });
  return rp;
}

caf::result<dependency_report> workflow_dependencies(self_ptr self, const std::string& name,
                                                     timestamp logical_time) {
  auto& st = self->state;
  auto rp = self->make_response_promise<dependency_report>();
  auto ask = [self, rp, name](workflow_ptr def, timestamp t) mutable {
    auto& st = self->state;
    self->request(st.waiter, st.cfg.request_timeout, atom::dependency::value, def, name, t,
                  std::string{}, now_ms())
      .then([rp](dependency_report& report) mutable { rp.deliver(std::move(report)); },
            [rp](caf::error& err) mutable { rp.deliver(err); });
  };
  self->request(st.registry, st.cfg.request_timeout, atom::get::value, name)
    .then(
      [self, rp, name, logical_time, ask](workflow_ptr def, workflow_record&) mutable {
        if (logical_time != 0) {
          ask(def, logical_time);
          return;
        }
        // Its coordinator's next fire; now without one.
        auto& st = self->state;
        self->request(st.coordinator, st.cfg.request_timeout, atom::get::value, name)
          .then(
            [ask, def](workflow_detail& d) mutable {
              timestamp next = 0;
              if (d.has_coordinator && !d.coordinator.next_fires.empty())
                next = d.coordinator.next_fires.front();
              ask(def, next != 0 ? next : now_ms());
            },
            [ask, def](caf::error&) mutable { ask(def, now_ms()); });
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<log_chunk> node_log(self_ptr self, const std::string& id, const std::string& node,
                               int attempt, std::int64_t offset) {
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
        [self, rp, id, node, number, offset](worker_link_actor& w) mutable {
          constexpr std::int64_t max_chunk = 1 << 20;
          self->request(w, self->state.cfg.request_timeout, atom::log::value, id, node,
                        number, offset, max_chunk)
            .then([rp](log_chunk& c) mutable { rp.deliver(std::move(c)); },
                  [rp](caf::error& err) mutable { rp.deliver(err); });
        },
        [rp](caf::error& err) mutable { rp.deliver(err); });
  });
  return rp;
}

} // namespace cafflow::master_detail
