#include "system.hpp"

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/function_view.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "cli/cli.hpp"
#include "log.hpp"

namespace cafflow {

system_config::system_config(const config& cfg, const tls::tls_files* tls) {
  load<caf::io::middleman>();
  if (tls != nullptr) {
    // Every session reads these files when it starts (their content was
    // checked at startup: CAF aborts on an unreadable one).
    load<caf::openssl::manager>();
    openssl_certificate = tls->cert;
    openssl_key = tls->key;
    openssl_cafile = tls->ca;
  }
  cafflow::add_message_types(*this);
  using std::chrono::milliseconds;
  // Heartbeats detect frozen or partitioned peers; they must be set on every
  // node, which is why they come from the shared config file (STACK.md).
  set("middleman.heartbeat-interval",
      caf::timespan{milliseconds(cfg.caf.heartbeat_interval_ms)});
  set("middleman.connection-timeout",
      caf::timespan{milliseconds(cfg.caf.connection_timeout_ms)});
  // Lowest remote latency and no idle CPU on small machines (STACK.md).
  set("middleman.workers", size_t{0});
  // Fewer private threads: the middleman's utility actors run on the
  // scheduler instead of being detached (see exit_after below for why).
  set("middleman.attach-utility-actors", true);
  set("scheduler.policy", caf::atom("sharing"));
  if (cfg.caf.scheduler_threads > 0)
    set("scheduler.max-threads", static_cast<size_t>(cfg.caf.scheduler_threads));
}

caf::io::middleman_actor connector(caf::actor_system& sys) {
  return sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                   : sys.middleman().actor_handle();
}

expected<std::uint16_t> publish_at(caf::actor_system& sys, const caf::strong_actor_ptr& handle,
                                   std::set<std::string> interface, const host_port& address) {
  // Through the middleman actor of the connections (TLS or not), with the
  // handle's typed interface, which peers check when they connect. No
  // SO_REUSEPORT: a second process cannot share the port (CAF's reuse flag
  // is SO_REUSEADDR, for a quick restart).
  auto publish = caf::make_function_view(connector(sys));
  auto port = publish(caf::publish_atom::value, address.port, handle, std::move(interface),
                      address.host, true);
  if (!port)
    return make_error(ec::invalid_config,
                      "cannot listen on " + address.to_string() + ": " + sys.render(port.error()));
  return *port;
}

namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1); // internal: wakes the signal thread at exit
  return set;
}

} // namespace

void block_termination_signals() {
  auto set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A task's closed pipe must not kill a daemon.
  std::signal(SIGPIPE, SIG_IGN);
}

bool wait_for_stop_signal(std::chrono::milliseconds timeout) {
  auto set = termination_signals();
  sigdelset(&set, SIGUSR1);
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>(timeout.count() % 1000) * 1000000L};
  siginfo_t info;
  int sig = sigtimedwait(&set, &info, &ts);
  if (sig > 0) {
    log::get("main")->info("received signal {} ({}), stopping", sig, strsignal(sig));
    return true;
  }
  return false;
}

void restart_process() {
  std::error_code err;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", err);
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');)
    args.push_back(arg);
  if (err || args.empty())
    return;
  // CAF's sockets and the store's connections must not outlive the exec.
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", err)) {
    auto fd = std::atoi(entry.path().filename().c_str());
    if (fd > 2)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
}

void exit_after(int code, std::chrono::milliseconds grace) {
  std::thread([code, grace] {
    std::this_thread::sleep_for(grace);
    std::fprintf(stderr, "cafflowd: the actor system did not finish shutting down within %lld ms "
                         "(CAF 0.17 issue #1196); exiting\n",
                 static_cast<long long>(grace.count()));
    std::_Exit(code);
  }).detach();
}

int run_until_shutdown(caf::actor_system& sys, const caf::actor& root) {
  auto logger = log::get("main");
  std::thread signal_thread([&sys, root, logger] {
    auto set = termination_signals();
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0)
        continue;
      if (sig == SIGUSR1)
        return;
      logger->info("received signal {} ({}), shutting down", sig, strsignal(sig));
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    }
  });
  caf::error reason;
  {
    caf::scoped_actor self{sys};
    self->monitor(root);
    self->receive([&](const caf::down_msg& down) { reason = down.reason; });
  }
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  if (is_fenced(reason)) {
    logger->warn("stopped: {}", from_caf(reason).message);
    return exit_code::demoted;
  }
  if (!reason || reason == caf::exit_reason::user_shutdown
      || reason == caf::exit_reason::normal) {
    logger->info("stopped");
    return 0;
  }
  logger->error("stopped on error: {}", sys.render(reason));
  return 1;
}

} // namespace cafflow
