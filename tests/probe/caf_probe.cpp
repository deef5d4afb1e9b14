// caf_probe: an insider with a certificate of the cluster's CA (or none),
// for the security tests (tests/integration/security_test.cpp). It connects
// to a master's or a worker's CAF port and tries what a hostile member of the
// cluster could: claim another role, register as another host's worker, call
// the API or forge reports without the right session, send the master's
// internal messages in an http session, give a worker orders,
// and send internal messages to every actor id of the target process. It
// prints one line per outcome; the test checks the cluster afterwards.
//
//   caf_probe [--ca F --cert F --key F | --no-tls] --role R HOST:PORT ACTION [ARG...]
//   ACTION: hello CLAIMED_ROLE | register WORKER_ID | login | api-run WORKER_ID WORKFLOW
//           | api-internal INSTANCE | forge-report WORKER_ID INSTANCE NODE | worker-run MARKER | spray MAX_ID
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>

#include "actors.hpp"
#include "security/handshake.hpp"
#include "system.hpp"

using namespace cafflow;

namespace {

int usage() {
  std::cerr << "usage: caf_probe [--ca F --cert F --key F | --no-tls] --role R HOST:PORT ACTION "
               "[ARG...]\n";
  return 64;
}

std::string describe(const caf::error& err) { return to_string(from_caf(err)); }

template <class Handle>
expected<Handle> connect(caf::actor_system& sys, const host_port& target, bool tls) {
  auto h = tls ? caf::openssl::remote_actor<Handle>(sys, target.host, target.port)
               : sys.middleman().remote_actor<Handle>(target.host, target.port);
  if (!h)
    return make_error(ec::master_unreachable, sys.render(h.error()));
  return *h;
}

/// A proxy for actor `id` of the process of `any` (an actor of that process
/// this one is connected to): what an insider can build with CAF's own API.
caf::actor forge(caf::actor_system& sys, const caf::node_id& node, caf::actor_id id) {
  auto bb = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto* broker = dynamic_cast<caf::io::basp_broker*>(caf::actor_cast<caf::abstract_actor*>(bb));
  if (broker == nullptr)
    return {};
  return caf::actor_cast<caf::actor>(broker->proxy_registry_ptr()->get_or_put(node, id));
}

struct session {
  master_gate_actor gate;
  credential cred;
  std::uint64_t epoch = 0;
};

/// hello + challenge (claiming `claim`), then `finish` with the proof.
template <class Finish>
void handshake(caf::scoped_actor& self, const tls::authenticator& auth,
               const master_gate_actor& gate, const std::string& claim, Finish finish) {
  auto hello = auth.hello();
  hello.role = claim;
  self->request(gate, std::chrono::seconds(10), atom::hello::value, hello)
    .receive(
      [&](challenge_msg& challenge) {
        auto proof = auth.answer(hello, challenge);
        if (!proof) {
          std::cout << "refused-master: " << proof.error().message << std::endl;
          return;
        }
        finish(*proof);
      },
      [&](caf::error& err) { std::cout << "refused: " << describe(err) << std::endl; });
}

std::optional<session> register_as(caf::scoped_actor& self, const tls::authenticator& auth,
                                   const master_gate_actor& gate, const std::string& worker_id) {
  std::optional<session> result;
  handshake(self, auth, gate, "worker", [&](auth_proof& proof) {
    worker_info info;
    info.id = worker_id;
    info.host = "probe";
    info.slots = 4;
    info.pid = static_cast<int>(::getpid());
    // Its own actor as the "worker": it receives what the master sends.
    self->request(gate, std::chrono::seconds(10), atom::register_::value, proof, info,
                  caf::actor_cast<worker_actor>(self))
      .receive(
        [&](credential& c, std::uint64_t epoch) {
          std::cout << "registered " << epoch << std::endl;
          result = session{gate, c, epoch};
        },
        [&](caf::error& err) { std::cout << "refused: " << describe(err) << std::endl; });
  });
  return result;
}

std::optional<session> login(caf::scoped_actor& self, const tls::authenticator& auth,
                             const master_gate_actor& gate) {
  std::optional<session> result;
  handshake(self, auth, gate, "http", [&](auth_proof& proof) {
    self->request(gate, std::chrono::seconds(10), atom::login::value, proof)
      .receive(
        [&](credential& c) {
          std::cout << "logged-in" << std::endl;
          result = session{gate, c, 0};
        },
        [&](caf::error& err) { std::cout << "refused: " << describe(err) << std::endl; });
  });
  return result;
}

} // namespace

int main(int argc, char** argv) {
  alarm(120); // a test tool never hangs a test
  std::string ca, cert, key, role;
  bool tls = true;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string{}; };
    if (a == "--ca")
      ca = next();
    else if (a == "--cert")
      cert = next();
    else if (a == "--key")
      key = next();
    else if (a == "--role")
      role = next();
    else if (a == "--no-tls")
      tls = false;
    else
      rest.push_back(a);
  }
  auto own = tls::parse_cert_role(role);
  if (rest.size() < 2 || !own)
    return usage();
  auto target = parse_host_port(rest[0]);
  if (!target)
    return usage();
  auto action = rest[1];
  auto auth = tls ? tls::authenticator::load(ca, cert, key, *own)
                  : expected<tls::authenticator>(tls::authenticator::disabled(*own));
  if (!auth) {
    std::cerr << "caf_probe: " << auth.error().message << '\n';
    return 78;
  }
  auto cfg = load_config({});
  if (!cfg) {
    std::cerr << "caf_probe: " << cfg.error().message << '\n';
    return 78;
  }
  tls::tls_files files{ca, "", cert, key};
  system_config sys_cfg{*cfg, tls ? &files : nullptr};
  caf::actor_system sys{sys_cfg};
  caf::scoped_actor self{sys};
  if (action == "worker-run") {
    if (rest.size() < 3)
      return usage();
    auto worker = connect<worker_actor>(sys, *target, tls);
    if (!worker) {
      std::cout << "unreachable: " << worker.error().message << std::endl;
      return 0;
    }
    attempt_spec spec;
    spec.instance_id = "0000000000000001";
    spec.workflow = "probe";
    spec.node = "pwned";
    spec.action_type = "shell";
    spec.payload = "touch " + rest[2];
    spec.epoch = 1u << 30;
    // Without a session's credential, and with guessed ones.
    for (const auto& guess : {std::string{}, std::string(32, '0'), std::string("x")})
      self->send(*worker, atom::run::value, credential{guess}, spec);
    self->request(*worker, std::chrono::seconds(5), atom::log::value, credential{}, spec.instance_id,
                  spec.node, 1, std::int64_t{0}, std::int64_t{100})
      .receive([](log_chunk&) { std::cout << "log-answered" << std::endl; },
               [](caf::error& err) { std::cout << "log-refused: " << describe(err) << std::endl; });
    std::cout << "sent" << std::endl;
    return 0;
  }
  if (action == "spray") {
    if (rest.size() < 3)
      return usage();
    auto max_id = std::stoul(rest[2]);
    // Any CAF port (a master's or a worker's): connect, whatever it publishes.
    caf::node_id node;
    self->request(connector(sys), std::chrono::seconds(10), caf::connect_atom::value,
                  target->host, target->port)
      .receive(
        [&](caf::node_id& nid, caf::strong_actor_ptr&, std::set<std::string>&) { node = nid; },
        [&](caf::error& err) { std::cout << "unreachable: " << describe(err) << std::endl; });
    if (!node)
      return 0;
    start_request req;
    req.workflow = rest.size() > 3 ? rest[3] : "probe";
    req.trigger = "manual";
    attempt_report fake;
    fake.instance_id = rest.size() > 4 ? rest[4] : "x";
    fake.node = rest.size() > 5 ? rest[5] : "x";
    fake.attempt = 1;
    fake.outcome = "succeeded";
    worker_info info;
    info.id = "127.0.0.1:1";
    info.slots = 100;
    // Which actors answer at all (a status request): what an insider reaches.
    std::vector<caf::actor_id> reachable;
    for (caf::actor_id id = 1; id <= max_id; ++id) {
      auto victim = forge(sys, node, id);
      if (!victim)
        continue;
      self->request(victim, std::chrono::seconds(5), atom::status::value)
        .receive([&](status_map&) { reachable.push_back(id); },
                 [&](caf::error&) {});
    }
    std::cout << "answered " << reachable.size() << ":";
    for (auto id : reachable)
      std::cout << " " << id;
    std::cout << std::endl;
    std::size_t sent = 0;
    for (caf::actor_id id = 1; id <= max_id; ++id) {
      auto victim = forge(sys, node, id);
      if (!victim)
        continue;
      // What the master, its dispatcher and the workers took from anyone before gates.
      caf::anon_send(victim, atom::lease::value, timestamp{0}, std::string("probe"));
      caf::anon_send(victim, atom::hold::value, true);
      caf::anon_send(victim, atom::drain::value);
      caf::anon_send(victim, atom::run::value, req);
      caf::anon_send(victim, atom::report::value, fake);
      caf::anon_send(victim, atom::heartbeat::value);
      caf::anon_send(victim, atom::exited::value, std::string("probe"));
      self->send(victim, atom::register_::value, info, caf::actor_cast<worker_actor>(self));
      sent += 8;
    }
    std::cout << "sprayed " << sent << std::endl;
    return 0;
  }
  auto gate = connect<master_gate_actor>(sys, *target, tls);
  if (!gate) {
    std::cout << "unreachable: " << gate.error().message << std::endl;
    return 0;
  }
  if (action == "hello") {
    if (rest.size() < 3)
      return usage();
    handshake(self, *auth, *gate, rest[2], [](auth_proof&) { std::cout << "accepted" << std::endl; });
  } else if (action == "register") {
    if (rest.size() < 3)
      return usage();
    register_as(self, *auth, *gate, rest[2]);
  } else if (action == "login") {
    login(self, *auth, *gate);
  } else if (action == "api-run") {
    if (rest.size() < 4)
      return usage();
    auto s = register_as(self, *auth, *gate, rest[2]);
    if (!s)
      return 0;
    start_request req;
    req.workflow = rest[3];
    req.trigger = "manual";
    self->request(*gate, std::chrono::seconds(10), atom::run::value, s->cred, req)
      .receive([](std::string& id) { std::cout << "started " << id << std::endl; },
               [](caf::error& err) { std::cout << "refused: " << describe(err) << std::endl; });
  } else if (action == "api-internal") {
    if (rest.size() < 3)
      return usage();
    auto s = login(self, *auth, *gate);
    if (!s)
      return 0;
    // The master's own message "this instance ended" in an http session: the
    // gate passes on only the API's requests.
    self->request(caf::actor_cast<caf::actor>(*gate), std::chrono::seconds(10),
                  atom::done::value, s->cred, rest[2], std::string("failed"))
      .receive([](caf::error& err) { std::cout << "refused: " << describe(err) << std::endl; },
               caf::others >> [](caf::message_view&) -> caf::result<caf::message> {
                 std::cout << "answered" << std::endl;
                 return caf::message{};
               });
  } else if (action == "forge-report") {
    if (rest.size() < 5)
      return usage();
    auto s = *own == tls::cert_role::http ? login(self, *auth, *gate)
                                          : register_as(self, *auth, *gate, "127.0.0.1:1");
    if (!s)
      return 0;
    attempt_report r;
    r.worker = rest[2];
    r.instance_id = rest[3];
    r.node = rest[4];
    r.attempt = 1;
    r.outcome = "succeeded";
    r.exit_code = 0;
    r.epoch = s->epoch;
    self->send(*gate, atom::report::value, s->cred, r);
    // The gate answers nothing to a report: a heartbeat as that worker says
    // whether the credential counts for it.
    self->request(*gate, std::chrono::seconds(10), atom::heartbeat::value, s->cred, rest[2], 0, 0.0)
      .receive([](bool known) { std::cout << (known ? "heartbeat-known" : "heartbeat-unknown") << std::endl; },
               [](caf::error& err) { std::cout << "refused: " << describe(err) << std::endl; });
    std::cout << "sent" << std::endl;
  } else {
    return usage();
  }
  return 0;
}
