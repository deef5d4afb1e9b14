// cafflowd: one role of a cafflow cluster (master, worker or http) per process.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/cli.hpp"
#include "cli/daemon_args.hpp"
#include "config/config.hpp"
#include "daemon.hpp"
#include "exec/spawner.hpp"
#include "log.hpp"
#include "security/node_tls.hpp"

namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "cafflowd: %s\n", message.c_str());
  return code;
}

} // namespace

int main(int argc, char** argv) {
  using namespace cafflow;
  // Before any thread exists (spdlog starts one), so all inherit the mask.
  block_termination_signals();
  auto args = parse_daemon_args(argc, argv);
  if (!args)
    return fail(exit_code::usage, args.error().message);
  if (args->done)
    return args->exit_code;
  auto cfg = load_config(config_sources{args->conf, process_environment(), args->overrides});
  if (!cfg)
    return fail(exit_code::config, cfg.error().message);
  auto address = role_address(*cfg, *args);
  if (!address)
    return fail(exit_code::usage, address.error().message);
  if (auto paths = prepare_paths(*cfg, is_master_role(args->role)); !paths)
    return fail(exit_code::config, paths.error().message);
  // A worker's task spawner starts now, before this process has threads.
  std::shared_ptr<spawner_client> spawner;
  if (args->role == role::worker) {
    auto started = spawner_client::start(default_spawner_program(), address->to_string(),
                                         cfg->worker.task_cgroups);
    if (!started)
      return fail(exit_code::failed, started.error().message);
    spawner = std::move(*started);
  }
  auto log_file = std::filesystem::path(cfg->paths.logs) / log_file_name(*args, *address);
  if (auto logging = log::init({log_file.string(), cfg->log.level, cfg->log.max_file_bytes,
                                cfg->log.max_files, args->foreground});
      !logging)
    return fail(exit_code::config, logging.error().message);
  auto logger = log::get("main");
  logger->info("cafflowd {} starting at {} (config {})", to_string(args->role),
               address->to_string(), cfg->file.empty() ? "defaults" : cfg->file);
  if (spawner)
    logger->info("tasks are contained by {}", spawner->containment());
  // Certificates before any connection: created where they may be, checked
  // always (CAF aborts the process on a certificate it cannot read later).
  std::vector<std::string> tls_notes;
  auto cert_role = cert_role_of(args->role);
  auto auth = prepare_tls(*cfg, cert_role, address->host, tls_notes);
  for (const auto& note : tls_notes)
    logger->info("tls: {}", note);
  if (!auth) {
    logger->critical("{}", auth.error().message);
    return fail(exit_code::config, auth.error().message);
  }
  auto tls_files = tls_files_for(*cfg, cert_role);
  if (cfg->tls.enabled)
    logger->info("tls: mutual TLS with {} ({} certificate {})", tls_files.ca,
                 tls::to_string(cert_role), tls_files.cert);
  else
    logger->warn("{}", tls_off_warning(*cfg));
  // The actor system lives in the actors' library (no CAF in this file).
  return run_role(*cfg, args->role, *address, std::move(spawner),
                  std::make_shared<const tls::authenticator>(std::move(*auth)),
                  cfg->tls.enabled ? &tls_files : nullptr);
}
