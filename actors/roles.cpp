#include "daemon.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "cli/cli.hpp"
#include "defaults.hpp"
#include "http_gateway.hpp"
#include "log.hpp"
#include "master.hpp"
#include "system.hpp"
#include "util/sd_notify.hpp"
#include "worker.hpp"

namespace cafflow {

namespace {

template <class Handle>
expected<caf::actor> erase_type(expected<Handle> handle) {
  if (!handle)
    return handle.error();
  return caf::actor_cast<caf::actor>(std::move(*handle));
}

/// Spawns (and publishes) the root actor of `r`; a null actor means a stop
/// signal came while a master waited for the lease.
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

} // namespace

int run_role(const config& cfg, role r, const host_port& address,
             std::shared_ptr<spawner_client> spawner,
             std::shared_ptr<const tls::authenticator> auth, const tls::tls_files* tls) {
  const auto grace = std::chrono::milliseconds(defaults::caf::shutdown_grace_ms);
  system_config sys_cfg{cfg, tls};
  caf::actor_system sys{sys_cfg};
  auto root = spawn_role(sys, cfg, r, address, std::move(spawner), std::move(auth));
  if (!root) {
    log::get("main")->critical("{}", root.error().message);
    std::fprintf(stderr, "cafflowd: %s\n", root.error().message.c_str());
    return exit_code::failed;
  }
  if (!*root) {
    log::shutdown();
    exit_after(0, grace);
    return 0;
  }
  // systemd (Type=notify): the role is up. A standby said so already while
  // it waited for the lease (election.cpp).
  notify_systemd("READY=1\nSTATUS=" + std::string(to_string(r)) + " at " + address.to_string()
                 + " is up");
  auto code = run_until_shutdown(sys, *root);
  notify_systemd("STOPPING=1");
  if (code == exit_code::demoted) {
    // This master lost its lease: it starts again, as a standby.
    log::get("main")->warn("restarting as a standby");
    log::shutdown();
    restart_process();
    std::fprintf(stderr, "cafflowd: cannot restart itself as a standby\n");
    std::_Exit(exit_code::failed);
  }
  log::shutdown();
  exit_after(code, grace);
  return code;
}

} // namespace cafflow
