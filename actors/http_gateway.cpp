#include "http_gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "api_relay.hpp"
#include "http/akkaflow.hpp"
#include "http/definitions.hpp"
#include "http/metrics.hpp"
#include "http/page.hpp"
#include "instance_follower.hpp"
#include "log.hpp"
#include "store/store.hpp"
#include "store/store_url.hpp"
#include "system.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <mutex>

namespace cafflow {

namespace {

using http_gateway_ptr = http_gateway_actor::stateful_pointer<http_gateway_state>;

/// The API's view of the cluster: blocking requests to the gateway, made
/// from Poco's handler threads, and the store for the cluster view.
class gateway_backend final : public api_backend {
public:
  gateway_backend(caf::actor_system& sys, http_gateway_actor gateway,
                  std::chrono::milliseconds timeout, std::shared_ptr<store> db,
                  std::string cluster_name)
    : sys_(sys), gateway_(std::move(gateway)), timeout_(timeout), db_(std::move(db)),
      cluster_name_(std::move(cluster_name)) {}

  expected<health_record> health() override { return ask<health_record>(atom::health::value); }

  expected<cluster_view> cluster() override {
    if (!db_)
      return make_error(ec::store_error, "the http server has no store connection (its log "
                                         "says why)");
    // Poco serves requests on several threads; the store is not thread-safe.
    std::lock_guard<std::mutex> lock(db_mutex_);
    auto lease = db_->read_lease();
    if (!lease)
      return lease.error();
    auto nodes = db_->master_nodes();
    if (!nodes)
      return nodes.error();
    auto view = make_cluster_view(*lease, *nodes, now_ms());
    view.cluster = cluster_name_;
    return view;
  }

  expected<std::vector<alert_record>> alerts(const alert_filter& filter) override {
    if (!db_)
      return make_error(ec::store_error, "the http server has no store connection (its log "
                                         "says why)");
    std::lock_guard<std::mutex> lock(db_mutex_);
    return db_->alerts(filter);
  }

  expected<std::optional<alert_record>> alert(std::int64_t id) override {
    if (!db_)
      return make_error(ec::store_error, "the http server has no store connection (its log "
                                         "says why)");
    std::lock_guard<std::mutex> lock(db_mutex_);
    return db_->alert(id);
  }

  expected<std::vector<workflow_record>> workflows() override {
    return ask<std::vector<workflow_record>>(atom::workflows::value);
  }

  expected<std::vector<workflow_record>> known_workflows() override {
    return ask<std::vector<workflow_record>>(atom::workflows::value, true);
  }

  expected<workflow_page> workflows_page(const workflow_filter& filter, std::uint64_t offset,
                                         std::uint64_t limit) override {
    return ask<workflow_page>(atom::workflows::value, filter, offset, limit);
  }

  expected<std::vector<xml_file_record>> xml_files() override {
    return ask<std::vector<xml_file_record>>(atom::files::value);
  }

  expected<std::vector<instance_record>> instances(const instance_filter& filter) override {
    return ask<std::vector<instance_record>>(atom::instances::value, filter);
  }

  expected<instance_record> instance(const std::string& id) override {
    return ask<instance_record>(atom::instance::value, id);
  }

  expected<workflow_detail> workflow(const std::string& name) override {
    return ask<workflow_detail>(atom::workflow::value, name);
  }

  expected<std::string> start(const start_request& request) override {
    // The master starts nothing it stores after this answer gave up waiting
    // (a second less than the wait: host clocks differ a little).
    auto r = request;
    r.deadline = now_ms() + std::max<std::int64_t>(timeout_.count() - 1000, timeout_.count() / 2);
    return ask<std::string>(atom::run::value, r);
  }

  expected<std::vector<execution_record>> executions(const std::string& id) override {
    return ask<std::vector<execution_record>>(atom::executions::value, id);
  }

  expected<void> rerun(const std::string& id, const rerun_request& request) override {
    return ask_ok(atom::rerun::value, id, request);
  }

  expected<void> mark(const std::string& id, const mark_request& request) override {
    return ask_ok(atom::mark::value, id, request);
  }

  expected<void> coordinate(const std::string& name, const std::string& action) override {
    // An empty name means every coordinator to the master: only
    // reset_coordinators() may ask for that.
    if (name.empty())
      return make_error(ec::unknown_workflow, "no workflow or coordinator named '' is loaded");
    return ask_ok(atom::coordinate::value, name, action);
  }

  expected<void> reset_coordinators() override {
    return ask_ok(atom::coordinate::value, std::string(), std::string("reset"));
  }

  expected<void> kill(const std::string& id) override { return ask_ok(atom::kill::value, id); }

  expected<std::string> fire_coordinator(const std::string& name) override {
    return ask<std::string>(atom::fire::value, name);
  }

  expected<void> delete_instance(const std::string& id) override {
    return ask_ok(atom::erase::value, id);
  }

  expected<void> shutdown() override { return ask_ok(atom::shutdown::value); }

  expected<log_chunk> node_log(const std::string& id, const std::string& node, int attempt,
                               std::int64_t offset) override {
    return ask<log_chunk>(atom::log::value, id, node, attempt, offset);
  }

  expected<dependency_report> instance_dependencies(const std::string& id) override {
    return ask<dependency_report>(atom::dependency::value, id);
  }

  expected<dependency_report> workflow_dependencies(const std::string& name,
                                                    timestamp logical_time) override {
    return ask<dependency_report>(atom::dependency::value, name, logical_time);
  }

  expected<backfill_record> create_backfill(const backfill_request& request) override {
    return ask<backfill_record>(atom::backfill::value, request);
  }

  expected<std::vector<backfill_record>> backfills(const std::string& state, int limit) override {
    return ask<std::vector<backfill_record>>(atom::backfills::value, state, limit);
  }

  expected<backfill_record> backfill(const std::string& id) override {
    return ask<backfill_record>(atom::backfill::value, id);
  }

  expected<backfill_record> cancel_backfill(const std::string& id) override {
    return ask<backfill_record>(atom::cancel::value, id);
  }

  expected<metrics_snapshot> metrics() override {
    return ask<metrics_snapshot>(atom::metrics::value);
  }

  expected<workflow_version_record> workflow_version(const std::string& name,
                                                     int version) override {
    return ask<workflow_version_record>(atom::workflow::value, name, version);
  }

  expected<void> follow_instance(const std::string& id, bool with_nodes,
                                 std::shared_ptr<http_sink> sink) override {
    instance_follower_config cfg;
    cfg.gateway = gateway_;
    cfg.instance = id;
    cfg.with_nodes = with_nodes;
    cfg.sink = std::move(sink);
    cfg.request_timeout = timeout_;
    sys_.spawn(instance_follower, std::move(cfg));
    return {};
  }

private:
  /// The gateway's API handlers take `local_only` after the atom: only this
  /// process can call them. The request is checked against the interface
  /// here; the round trip is one untyped function (ask_message).
  template <class T, class Atom, class... Ts>
  expected<T> ask(Atom op, const Ts&... xs) {
    static_assert(
      std::is_same<caf::response_type_t<http_gateway_actor::signatures, Atom, local_only,
                                        typename caf::detail::implicit_conversions<Ts>::type...>,
                   caf::detail::type_list<T>>::value,
      "the API does not answer this request with T");
    auto answer = ask_message(caf::make_message(op, local_only{}, xs...));
    if (!answer)
      return answer.error();
    if (!answer->template match_elements<T>())
      return make_error(ec::unspecified, "the master answered with another type than expected: "
                                        + quoted_excerpt(caf::to_string(*answer), 200));
    return answer->template move_if_unshared<T>(0);
  }

  /// Sends one request to the gateway and waits for its answer.
  expected<caf::message> ask_message(caf::message request) {
    expected<caf::message> result = make_error(ec::timeout, "no answer from the master");
    caf::scoped_actor self{sys_};
    self->request(caf::actor_cast<caf::actor>(gateway_), timeout_, std::move(request))
      .receive([&](caf::error& err) { result = from_caf(err); },
               caf::others >> [&](caf::message_view& answer) -> caf::result<caf::message> {
                 result = answer.move_content_to_message();
                 return caf::message{};
               });
    return result;
  }

  /// A request answered with atom::ok.
  template <class... Ts>
  expected<void> ask_ok(const Ts&... xs) {
    auto done = ask<atom::ok>(xs...);
    if (!done)
      return done.error();
    return {};
  }

  caf::actor_system& sys_;
  http_gateway_actor gateway_;
  std::chrono::milliseconds timeout_;
  std::mutex db_mutex_;
  std::shared_ptr<store> db_;
  std::string cluster_name_;
};

/// All configured master addresses, for messages: "a or b".
std::string master_names(const http_gateway_config& cfg) {
  std::vector<std::string> names;
  for (const auto& address : cfg.masters)
    names.push_back(address.to_string());
  return join(names, " or ");
}

/// Connects to the master at the current address. A failure moves on to the
/// next address: at once while this round has untried addresses (after a
/// failover the standby answers there), else after reconnect_interval.
void connect(http_gateway_ptr self) {
  auto& st = self->state;
  if (st.master || st.connecting || st.cfg.masters.empty())
    return;
  st.connecting = true;
  auto address = st.cfg.masters[st.current];
  auto failed = [self, address](const std::string& why) {
    auto& st = self->state;
    st.log->debug("connecting to the master at {} failed: {}", address.to_string(), why);
    st.connecting = false;
    st.master = nullptr;
    st.session = credential{};
    st.round_errors.push_back(address.to_string() + " (" + why + ")");
    st.current = (st.current + 1) % st.cfg.masters.size();
    if (st.round_errors.size() < st.cfg.masters.size()) {
      connect(self);
      return;
    }
    auto every = std::max<long>(1, 30000 / std::max<long>(1, st.cfg.reconnect_interval.count()));
    if (st.failed_rounds++ % every == 0)
      st.log->warn("cannot reach the master at {}; retrying every {} ms",
                   join(st.round_errors, " or "), st.cfg.reconnect_interval.count());
    st.round_errors.clear();
    self->delayed_send(self, st.cfg.reconnect_interval, atom::connect::value, local_only{});
  };
  connect_remote<master_gate_actor>(
    self, address, st.cfg.connect_timeout,
    [self, address, failed](master_gate_actor master) {
      auto& st = self->state;
      // Both prove their role (security/handshake.hpp); the API is served
      // in the session this opens.
      auto hello = st.cfg.auth->hello();
      self->request(master, st.cfg.request_timeout, atom::hello::value, hello)
        .then(
          [self, address, failed, master, hello](challenge_msg& challenge) {
            auto& st = self->state;
            auto proof = st.cfg.auth->answer(hello, challenge);
            if (!proof) {
              st.log->error("the master at {} is refused: {}", address.to_string(),
                            proof.error().message);
              failed(proof.error().message);
              return;
            }
            self->request(master, st.cfg.request_timeout, atom::login::value, *proof)
              .then(
                [self, address, master](credential& session) {
                  auto& st = self->state;
                  st.connecting = false;
                  st.round_errors.clear();
                  st.failed_rounds = 0;
                  self->monitor(master);
                  st.master = master;
                  st.session = std::move(session);
                  st.log->info("connected to the master at {}{}", address.to_string(),
                               st.cfg.auth->enabled() ? "" : " (TLS off)");
                },
                [failed](caf::error& err) { failed(to_string(from_caf(err))); });
          },
          [failed](caf::error& err) { failed(to_string(from_caf(err))); });
    },
    [failed](const caf::error& err) { failed(to_string(from_caf(err))); });
}

caf::error no_master(http_gateway_ptr self) {
  return make_caf_error(ec::master_unreachable,
                        "the master at " + master_names(self->state.cfg) + " is not reachable");
}

/// One API request from this process's HTTP threads, passed on to the
/// master gate in this server's session.
caf::result<caf::message> relay_to_gate(http_gateway_ptr self, caf::message msg) {
  auto& st = self->state;
  if (!is_api_request(msg, true) || !msg.match_element<local_only>(1))
    return make_caf_error(ec::invalid_request, "the http gateway relays API requests only, not "
                                                 + quoted_excerpt(caf::to_string(msg), 200));
  if (!st.master)
    return no_master(self);
  // A request of the gateway's own: only the gateway (whose handlers take
  // local_only) ever becomes known to other processes.
  return relay_request(self, st.master, with_second(msg, caf::make_message(st.session)),
                       st.cfg.request_timeout);
}

/// The gateway's own handlers (checked against http_gateway_own_actor);
/// every other message is an API request to relay (relay_to_gate).
http_gateway_actor::behavior_type make_behavior(http_gateway_ptr self) {
  self->set_default_handler(
    [self](caf::scheduled_actor*, caf::message_view& view) -> caf::result<caf::message> {
      return relay_to_gate(self, view.move_content_to_message());
    });
  http_gateway_own_actor::behavior_type own{
    [self](atom::connect, local_only) { connect(self); },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"master", st.master ? "connected" : "disconnected"},
              {"master_address", st.master ? st.cfg.masters[st.current].to_string() : ""},
              {"masters", master_names(st.cfg)},
              {"listen", st.cfg.server.address.to_string()}};
    },
  };
  return {http_gateway_actor::behavior_type::unsafe_init{}, std::move(own.unbox())};
}

} // namespace

http_gateway_actor::behavior_type
http_gateway(http_gateway_actor::stateful_pointer<http_gateway_state> self,
             http_gateway_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("http");
  auto backend = std::make_shared<gateway_backend>(
    self->system(), caf::actor_cast<http_gateway_actor>(self), st.cfg.request_timeout,
    std::move(st.cfg.db), st.cfg.cluster_name);
  // akkaflow's cluster?action=shutdown stops this role too, once its answer
  // is out (from the server's thread; the address is weak: the server is
  // the gateway's own).
  if (st.cfg.akkaflow.allow_shutdown && !st.cfg.akkaflow.on_cluster_stopped)
    st.cfg.akkaflow.on_cluster_stopped = [addr = self->address(), log = st.log] {
      log->warn("the cluster stops (akkaflow's /akkaflow/cluster?action=shutdown): the http "
                "server stops after its answer");
      if (auto hdl = caf::actor_cast<caf::actor>(addr))
        caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    };
  st.server = std::make_unique<http_server>(
    st.cfg.server, [backend, akkaflow = st.cfg.akkaflow,
                    auth = st.cfg.server.auth](const http_request& req) {
      if (is_page_path(req.path))
        return handle_page(req, auth);
      if (req.path == "/metrics")
        return handle_metrics(*backend, req);
      if (auto changed = handle_definition_api(*backend, req, akkaflow))
        return *changed;
      return is_akkaflow_path(req.path) ? handle_akkaflow(*backend, req, akkaflow)
                                        : handle_api(*backend, req);
    });
  if (st.cfg.masters.empty()) {
    // spawn_http always has the master; a literal config may lack it.
    st.log->critical("no master address to connect to");
    st.server.reset();
    self->quit(make_caf_error(ec::invalid_config, "the http gateway has no master address"));
  } else if (auto started = st.server->start(); !started) {
    // The process cannot do its job: end with the reason (main exits 1).
    st.log->critical("{}", started.error().message);
    st.server.reset();
    self->quit(to_caf(started.error()));
  } else {
    st.log->info("serving HTTP on http://{} (the web page: http://{}/)",
                 st.cfg.server.address.to_string(), st.cfg.server.address.to_string());
    const auto& host = st.cfg.server.address.host;
    if (st.cfg.server.auth.token.empty() && host != "127.0.0.1" && host != "localhost"
        && host != "::1")
      st.log->warn("no [http] token is set: anyone who can reach {} may start, kill and rerun "
                   "instances (docs/OPERATIONS.md \"Security\")",
                   st.cfg.server.address.to_string());
    connect(self);
  }
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    if (st.master && down.source == st.master.address()) {
      // The standby takes over at the next address: look there first.
      auto lost = st.cfg.masters[st.current];
      st.current = (st.current + 1) % st.cfg.masters.size();
      st.log->warn("lost the master at {}: {}; connecting to {}", lost.to_string(),
                   self->system().render(down.reason), st.cfg.masters[st.current].to_string());
      st.master = nullptr;
      st.session = credential{};
      connect(self);
    }
  });
  return make_behavior(self);
}

expected<http_gateway_actor> spawn_http(caf::actor_system& sys, const config& cfg,
                                        std::shared_ptr<const tls::authenticator> auth) {
  http_gateway_config gc;
  gc.auth = std::move(auth);
  gc.masters = cfg.master_addresses();
  gc.cluster_name = cfg.cluster.name;
  gc.server.address = cfg.cluster.http;
  gc.server.max_threads = cfg.http.max_threads;
  gc.server.max_body_bytes = cfg.http.max_body_bytes;
  gc.akkaflow.xmlconfig = cfg.paths.xmlconfig;
  gc.akkaflow.db_links = cfg.paths.db_links;
  gc.akkaflow.file_links = cfg.paths.file_links;
  gc.akkaflow.allow_shutdown = cfg.http.allow_shutdown;
  gc.server.max_connections = cfg.http.max_connections;
  gc.server.header_timeout = std::chrono::milliseconds(cfg.http.header_timeout_ms);
  gc.server.body_timeout = std::chrono::milliseconds(cfg.http.body_timeout_ms);
  gc.server.keep_alive_timeout = std::chrono::milliseconds(cfg.http.keep_alive_timeout_ms);
  gc.server.auth = auth_settings{cfg.http.token, cfg.http.open_reads};
  // Bound before any actor runs: a port in use fails the start, and cafflowd
  // says so on stderr.
  auto listener = http_listener::open(gc.server.address);
  if (!listener)
    return listener.error();
  gc.server.listener = std::move(*listener);
  gc.reconnect_interval = std::chrono::milliseconds(cfg.worker.reconnect_interval_ms);
  gc.connect_timeout = std::chrono::milliseconds(cfg.caf.connect_timeout_ms);
  gc.request_timeout = std::chrono::milliseconds(cfg.http.request_timeout_ms);
  // Its own connection, read-only in effect: the cluster view must answer
  // while no master does. The masters migrate the schema, never the http process.
  auto logger = log::get("http");
  auto url = parse_store_url(cfg.store.url, cfg.home);
  auto db = url ? open_store(*url, cfg.store.busy_timeout_ms)
                : expected<std::unique_ptr<store>>(url.error());
  if (db) {
    gc.db = std::move(*db);
    logger->info("reading the masters' lease from store {}", url->redacted());
  } else {
    logger->warn("cannot open the store: {}; GET /api/v1/cluster shows only what the master "
                 "answers",
                 db.error().message);
  }
  return sys.spawn(http_gateway, std::move(gc));
}

} // namespace cafflow
