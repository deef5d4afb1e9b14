// An actor system for actor tests (no network), a scoped actor to talk to
// it, and mock peers that implement cafflow's interfaces and forward what
// they receive to a probe.
#pragma once

#include <chrono>
#include <string>

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include "actors.hpp"
#include "dispatcher.hpp"

namespace cafflow::test {

struct actor_fixture {
  static caf::actor_system_config& prepare(caf::actor_system_config& cfg) {
    cafflow::add_message_types(cfg);
    cfg.set("scheduler.max-threads", size_t{2});
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{prepare(cfg)};
  caf::scoped_actor self{sys};

  /// Receives one message with `handlers`, failing the test after 10 s.
  template <class... Fs>
  void expect(Fs... handlers) {
    self->receive(handlers..., caf::after(std::chrono::seconds(10)) >>
                                 [] { FAIL("no message within 10 s"); });
  }
};

/// A dispatcher's settings with this epoch (and heartbeat timeout).
inline dispatcher_config dispatcher_settings(std::uint64_t epoch,
                                             std::chrono::milliseconds worker_timeout
                                             = std::chrono::milliseconds(5000)) {
  dispatcher_config cfg;
  cfg.epoch = epoch;
  cfg.worker_timeout = worker_timeout;
  return cfg;
}

/// A worker (as the dispatcher sees it: its link) that forwards (run,
/// worker id, spec), (kill, ...) and (ack, key) to `probe`.
inline worker_link_actor::behavior_type recording_worker(worker_link_actor::pointer,
                                                         std::string id, caf::actor probe) {
  return {
    [=](atom::run, attempt_spec& spec) { caf::anon_send(probe, atom::run::value, id, spec); },
    [=](atom::kill, const std::string& instance, const std::string& node, int attempt,
        std::uint64_t) {
      caf::anon_send(probe, atom::kill::value, id, attempt_key(instance, node, attempt));
    },
    [=](atom::ack, const std::string& key) { caf::anon_send(probe, atom::ack::value, id, key); },
    [=](atom::shutdown) { caf::anon_send(probe, atom::shutdown::value, id); },
    [](atom::log, const std::string&, const std::string&, int, std::int64_t,
       std::int64_t) -> caf::result<log_chunk> { return log_chunk{}; },
  };
}

/// A runner that forwards every report to `probe`.
inline instance_runner_actor::behavior_type recording_runner(instance_runner_actor::pointer,
                                                             caf::actor probe) {
  return {
    [](atom::start) {},
    [=](atom::report, attempt_report& r) { caf::anon_send(probe, atom::report::value, r); },
    [](atom::retry, std::uint64_t) {},
    [](atom::timeout, std::uint64_t, int) {},
    [](atom::timeout) {},
    [](atom::alert, std::uint64_t, int) {},
    [](atom::alert) {},
    [](atom::kill, const std::string&) {},
    [](atom::mark, const std::string&, bool, const std::string&) -> caf::result<atom::ok> {
      return atom::ok::value;
    },
    [](atom::status) { return status_map{}; },
  };
}

} // namespace cafflow::test
