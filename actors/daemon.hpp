// The process of a cafflowd: its signals, its restart and its end, and the
// run of one role in it. No CAF in here: cafflowd.cpp compiles without it.
#pragma once

#include <chrono>
#include <memory>

#include "cli/daemon_args.hpp"
#include "config/config.hpp"
#include "exec/spawner.hpp"
#include "security/handshake.hpp"
#include "security/pki.hpp"

namespace cafflow {

/// Blocks termination signals in the calling thread; call before the actor
/// system starts so every thread inherits the mask and sigwait() sees them.
void block_termination_signals();

/// Waits up to `timeout` for a termination signal (SIGTERM, SIGINT, SIGHUP;
/// blocked by block_termination_signals); true when one came.
bool wait_for_stop_signal(std::chrono::milliseconds timeout);

/// Replaces this process with a fresh run of the same program and arguments
/// (same pid), e.g. a master that lost its lease restarting as standby. Every
/// descriptor but 0-2 is closed on exec. Returns only when exec failed.
void restart_process();

/// Ends the process with `code` if the actor system has not finished its
/// destruction `grace` after this call. CAF 0.17 can hang in ~actor_system,
/// waiting for a detached actor's private thread (actor-framework#1196,
/// fixed in 0.18). Call it once every root actor is down and logs are
/// flushed: nothing is left to lose.
void exit_after(int code, std::chrono::milliseconds grace);

/// Runs role `r` serving `address` in this process until it stops: starts
/// the actor system (with TLS when `tls` is set), spawns and publishes the
/// role's root actor (a worker gets the task spawner forked at startup; a
/// master or standby first waits for the master lease), tells systemd, waits
/// for a stop signal or the root's end, and shuts down. A master that lost its
/// lease starts again as a standby (restart_process). `auth` proves this
/// process's role to others and checks theirs. Returns main()'s exit code.
int run_role(const config& cfg, role r, const host_port& address,
             std::shared_ptr<spawner_client> spawner,
             std::shared_ptr<const tls::authenticator> auth, const tls::tls_files* tls);

} // namespace cafflow
