#include "roles.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "http_gateway.hpp"
#include "master.hpp"
#include "worker.hpp"

namespace cafflow {

namespace {

template <class Handle>
expected<caf::actor> erase_type(expected<Handle> handle) {
  if (!handle)
    return handle.error();
  return caf::actor_cast<caf::actor>(std::move(*handle));
}

} // namespace

expected<caf::actor> spawn_role(caf::actor_system& sys, const config& cfg, role r,
                                const host_port& address,
                                std::shared_ptr<spawner_client> spawner,
                                std::shared_ptr<const tls::authenticator> auth) {
  switch (r) {
    case role::master:
    case role::standby: {
      auto master = spawn_master(sys, cfg, address, auth);
      if (!master)
        return master.error();
      if (!*master)
        return caf::actor{}; // stopped while it waited for the lease
      return caf::actor_cast<caf::actor>(std::move(**master));
    }
    case role::worker: return erase_type(spawn_worker(sys, cfg, address, std::move(spawner), auth));
    case role::http: return erase_type(spawn_http(sys, cfg, auth));
  }
  return make_error(ec::invalid_argument, "unknown role");
}

} // namespace cafflow
