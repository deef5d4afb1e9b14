#include "master_gate.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "api_relay.hpp"
#include "log.hpp"
#include "system.hpp"
#include "util/strings.hpp"
#include "worker_link.hpp"

namespace cafflow {

namespace {

using master_gate_ptr = master_gate_actor::stateful_pointer<master_gate_state>;

/// Logs a refusal (the first ones, then every 100th: a flood of them must
/// not flood the log) and makes the error the sender gets.
caf::error refuse(master_gate_ptr self, std::uint64_t& counter, const std::string& why) {
  auto n = ++counter;
  if (n <= 20 || n % 100 == 0)
    self->state.log->warn("refused ({} so far): {}", n, why);
  return make_caf_error(ec::invalid_request, "refused: " + why);
}

/// The worker session of a credential, when it may send as worker `id`
/// (empty: any worker id).
master_gate_state::worker_session* worker_of(master_gate_ptr self, const credential& c,
                                             const std::string& id = {}) {
  auto* s = self->state.workers.find(c);
  if (s == nullptr || (!id.empty() && s->worker_id != id))
    return nullptr;
  return s;
}

bool is_http(master_gate_ptr self, const credential& c) { return self->state.https.find(c) != nullptr; }

/// The host a worker id (its address, "host:port") names.
std::string host_of(const std::string& worker_id) {
  auto colon = worker_id.rfind(':');
  return colon == std::string::npos ? worker_id : worker_id.substr(0, colon);
}

/// One API request of an http session, passed on to the master; the answer
/// goes back the same way (the master never answers another process itself).
caf::result<caf::message> relay_to_master(master_gate_ptr self, caf::message msg) {
  auto& st = self->state;
  if (!is_api_request(msg, true) || !msg.match_element<credential>(1))
    return refuse(self, st.refused_messages,
                  "a message that is none of the gate's: "
                    + quoted_excerpt(caf::to_string(msg), 200));
  if (!is_http(self, msg.get_as<credential>(1)))
    return refuse(self, st.refused_messages,
                  "an API request without the credential of an http session");
  if (!st.master)
    return make_caf_error(ec::master_unreachable, "the master is starting");
  return relay_request(self, st.master, without_second(msg), st.cfg.request_timeout);
}

/// The gate's own handlers (checked against master_gate_own_actor); every
/// other message is an API request to relay (relay_to_master).
master_gate_actor::behavior_type make_behavior(master_gate_ptr self) {
  self->set_default_handler(
    [self](caf::scheduled_actor*, caf::message_view& view) -> caf::result<caf::message> {
      return relay_to_master(self, view.move_content_to_message());
    });
  master_gate_own_actor::behavior_type own{
    [self](atom::hello, hello_msg& hello) -> caf::result<challenge_msg> {
      auto& st = self->state;
      st.log->debug("hello of a {} ({})", hello.role, st.master ? "serving" : "starting");
      if (!st.master)
        return make_caf_error(ec::master_unreachable, "the master is starting");
      auto answer = st.cfg.auth->challenge(hello, now_ms());
      if (!answer)
        return refuse(self, st.refused_handshakes, "a hello: " + answer.error().message);
      auto nonce = answer->first.nonce;
      st.pending.add(nonce, answer->first, std::move(answer->second));
      return std::move(answer->first);
    },
    [self](atom::register_, auth_proof& proof, worker_info& info,
           worker_actor& handle) -> caf::result<credential, std::uint64_t> {
      auto& st = self->state;
      auto pending = st.pending.take(proof.nonce, now_ms());
      if (!pending)
        return refuse(self, st.refused_handshakes,
                      "a registration of " + info.id + " that answers no open challenge");
      auto role = st.cfg.auth->check(pending->second, pending->first, proof);
      if (!role)
        return refuse(self, st.refused_handshakes,
                      "a registration of " + info.id + ": " + role.error().message);
      if (*role != tls::cert_role::worker)
        return refuse(self, st.refused_handshakes,
                      "a " + std::string(to_string(*role)) + " certificate cannot register a "
                        + "worker (" + info.id + ")");
      const auto& cert_host = pending->second.host;
      if (st.cfg.auth->enabled() && cert_host != host_of(info.id))
        return refuse(self, st.refused_handshakes,
                      "a worker certificate of host " + cert_host + " cannot register worker "
                        + info.id + " (its certificate must name the host of its address)");
      if (!handle)
        return refuse(self, st.refused_handshakes, "a registration without the worker's handle");
      // The same process again (it lost and found this master) keeps its
      // session and link: the dispatcher then knows it for the same worker.
      const auto& fingerprint = pending->second.fingerprint;
      std::string token;
      worker_link_actor link;
      st.workers.for_each([&](const std::string& t, master_gate_state::worker_session& s) {
        if (s.handle == handle) {
          token = t;
          link = s.link;
        }
      });
      if (!token.empty()) {
        auto* s = st.workers.find(credential{token});
        if (s->fingerprint != fingerprint || s->worker_id != info.id)
          return refuse(self, st.refused_handshakes,
                        "a registration of " + info.id + " for the process of another worker");
        s->down_since = 0;
      } else {
        token = st.workers.open(
          master_gate_state::worker_session{info.id, handle, {}, fingerprint, 0});
        link = self->spawn(worker_link, handle, credential{token},
                           caf::actor_cast<master_gate_actor>(self));
        st.workers.find(credential{token})->link = link;
        self->monitor(handle);
      }
      auto rp = self->make_response_promise<credential, std::uint64_t>();
      auto id = info.id;
      self->request(st.dispatcher, st.cfg.request_timeout, atom::register_::value,
                    std::move(info), link)
        .then([rp, token](std::uint64_t epoch) mutable { rp.deliver(credential{token}, epoch); },
              [self, rp, id](caf::error& err) mutable {
                self->state.log->error("registration of worker {} failed: {}", id,
                                       self->system().render(err));
                rp.deliver(std::move(err));
              });
      return rp;
    },
    [self](atom::login, auth_proof& proof) -> caf::result<credential> {
      auto& st = self->state;
      auto pending = st.pending.take(proof.nonce, now_ms());
      if (!pending)
        return refuse(self, st.refused_handshakes, "a login that answers no open challenge");
      auto role = st.cfg.auth->check(pending->second, pending->first, proof);
      if (!role)
        return refuse(self, st.refused_handshakes, "a login: " + role.error().message);
      if (*role != tls::cert_role::http)
        return refuse(self, st.refused_handshakes,
                      "a " + std::string(to_string(*role)) + " certificate cannot log in as "
                        + "the http server");
      // An http server logs in once per connection; old sessions of a peer
      // that is gone go with its connection (down handler).
      constexpr std::size_t max_http_sessions = 256;
      if (st.https.size() >= max_http_sessions)
        return refuse(self, st.refused_handshakes, "too many http sessions");
      auto peer = self->current_sender();
      auto token = st.https.open(
        master_gate_state::http_session{caf::actor_cast<caf::actor_addr>(peer), now_ms()});
      if (peer)
        self->monitor(peer);
      st.log->info("http server logged in ({})", pending->second.subject.empty()
                                                   ? "TLS off"
                                                   : pending->second.subject);
      return credential{token};
    },
    [self](atom::report, const credential& c, attempt_report& report) {
      auto& st = self->state;
      if (!worker_of(self, c, report.worker)) {
        refuse(self, st.refused_messages,
               "a report for worker " + report.worker + " without its session's credential");
        return;
      }
      self->send(st.dispatcher, atom::report::value, std::move(report));
    },
    [self](atom::heartbeat, const credential& c, std::string& id, int running,
           double load) -> caf::result<bool> {
      auto& st = self->state;
      // An unknown credential (a session of a previous master, or none):
      // "not registered", so that a real worker registers again.
      if (!worker_of(self, c, id))
        return false;
      auto rp = self->make_response_promise<bool>();
      self->request(st.dispatcher, st.cfg.request_timeout, atom::heartbeat::value, std::move(id),
                    running, load)
        .then([rp](bool known) mutable { rp.deliver(known); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](atom::drain, const credential& c, std::string& id) {
      auto& st = self->state;
      if (!worker_of(self, c, id)) {
        refuse(self, st.refused_messages, "a drain of worker " + id + " without its credential");
        return;
      }
      self->send(st.dispatcher, atom::drain::value, std::move(id));
    },
    [self](atom::start, local_only, master_actor& master, dispatcher_actor& dispatcher) {
      auto& st = self->state;
      st.master = std::move(master);
      st.dispatcher = std::move(dispatcher);
    },
    [self](atom::log, local_only, worker_actor& worker, credential& c, std::string& instance,
           std::string& node, int attempt, std::int64_t offset,
           std::int64_t max) -> caf::result<log_chunk> {
      auto rp = self->make_response_promise<log_chunk>();
      self->request(worker, self->state.cfg.request_timeout, atom::log::value, std::move(c),
                    std::move(instance), std::move(node), attempt, offset, max)
        .then([rp](log_chunk& chunk) mutable { rp.deliver(std::move(chunk)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"tls", st.cfg.auth->enabled() ? "on" : "off"},
              {"worker_sessions", std::to_string(st.workers.size())},
              {"http_sessions", std::to_string(st.https.size())},
              {"pending_handshakes", std::to_string(st.pending.size())},
              {"refused_messages", std::to_string(st.refused_messages)},
              {"refused_handshakes", std::to_string(st.refused_handshakes)}};
    },
  };
  return {master_gate_actor::behavior_type::unsafe_init{}, std::move(own.unbox())};
}

} // namespace

master_gate_actor::behavior_type
master_gate(master_gate_actor::stateful_pointer<master_gate_state> self, master_gate_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("gate");
  if (!st.cfg.auth->enabled())
    st.log->warn("TLS is off: roles are taken on trust");
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& st = self->state;
    // A worker's connection is gone: the dispatcher decides what it means
    // (lost now, or a moment to come back after this master was paused).
    st.workers.for_each([&](const std::string&, master_gate_state::worker_session& s) {
      if (s.handle.address() == down.source && s.down_since == 0) {
        s.down_since = now_ms();
        if (st.dispatcher)
          self->send(st.dispatcher, atom::disconnect::value, s.worker_id,
                     self->system().render(down.reason));
      }
    });
    // Sessions of workers gone for long leave for good (with their links).
    auto now = now_ms();
    st.workers.close_if([&](master_gate_state::worker_session& s) {
      if (s.down_since == 0 || now - s.down_since < 600000)
        return false;
      self->send_exit(s.link, caf::exit_reason::user_shutdown);
      return true;
    });
    st.https.close_if(
      [&](const master_gate_state::http_session& s) { return s.peer == down.source; });
  });
  return make_behavior(self);
}

} // namespace cafflow
