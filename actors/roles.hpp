// Starting the root actor of a role.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cli/daemon_args.hpp"
#include "config/config.hpp"
#include "exec/spawner.hpp"
#include "expected.hpp"
#include "security/handshake.hpp"

namespace cafflow {

/// Spawns (and publishes) the root actor of `r` serving `address`; a worker
/// gets the task spawner forked at startup. A master (or standby) first waits
/// for the master lease; a null actor means a stop signal came meanwhile.
/// `auth` proves this process's role to others and checks theirs.
expected<caf::actor> spawn_role(caf::actor_system& sys, const config& cfg, role r,
                                const host_port& address,
                                std::shared_ptr<spawner_client> spawner,
                                std::shared_ptr<const tls::authenticator> auth);

} // namespace cafflow
