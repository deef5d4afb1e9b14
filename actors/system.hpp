// The actor system of a cafflow process: its CAF configuration, the way
// nodes connect to each other, and the wait for shutdown.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "config/config.hpp"
#include "daemon.hpp"
#include "security/pki.hpp"
#include "type_ids.hpp"

namespace cafflow {

/// CAF settings derived from cafflow's [caf] section, the middleman, and
/// every message type. Identical on every node. With `tls`, every connection
/// of the process is mutual TLS (CAF's OpenSSL module) with these files.
class system_config : public caf::actor_system_config {
public:
  explicit system_config(const config& cfg, const tls::tls_files* tls = nullptr);
};

/// The middleman actor that makes this process's connections: the OpenSSL
/// one when the system has TLS, else the plain one.
caf::io::middleman_actor connector(caf::actor_system& sys);

/// Publishes `handle` on `address` (with TLS when the system has it). Fails,
/// naming the address, when it cannot listen there.
expected<std::uint16_t> publish_at(caf::actor_system& sys, const caf::strong_actor_ptr& handle,
                                   std::set<std::string> interface, const host_port& address);

template <class Handle>
expected<std::uint16_t> publish_at(caf::actor_system& sys, const Handle& handle,
                                   const host_port& address) {
  return publish_at(sys, caf::actor_cast<caf::strong_actor_ptr>(handle),
                    sys.message_types(handle), address);
}

/// Connects to the actor published at `address`, failing after `timeout`
/// (remote_actor() has no timeout, STACK.md). Calls `on_ok` with the handle
/// when the peer publishes an actor of interface `Handle`, else `on_error`.
template <class Handle, class Self, class OnOk, class OnError>
void connect_remote(Self* self, const host_port& address, std::chrono::milliseconds timeout,
                    OnOk on_ok, OnError on_error) {
  auto mm = connector(self->system());
  auto expected_ifs = self->system().template message_types<Handle>();
  self->request(mm, timeout, caf::connect_atom::value, address.host, address.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) mutable {
        if (!ptr) {
          on_error(make_caf_error(ec::master_unreachable,
                                  "nothing is published at " + address.to_string()));
          return;
        }
        if (!self->system().assignable(ifs, expected_ifs)) {
          std::string diff;
          for (const auto& x : ifs)
            if (expected_ifs.count(x) == 0)
              diff += " +" + x;
          for (const auto& x : expected_ifs)
            if (ifs.count(x) == 0)
              diff += " -" + x;
          on_error(make_caf_error(ec::master_unreachable,
                                  "the actor at " + address.to_string()
                                    + " speaks another interface (a different cafflow "
                                      "version or role?):"
                                    + diff.substr(0, 400)));
          return;
        }
        on_ok(caf::actor_cast<Handle>(std::move(ptr)));
      },
      [=](caf::error& err) mutable { on_error(err); });
}

/// Waits until `root` terminates or SIGTERM/SIGINT arrives (then asks `root`
/// to shut down and waits for it). Returns the exit code for main().
int run_until_shutdown(caf::actor_system& sys, const caf::actor& root);

} // namespace cafflow
