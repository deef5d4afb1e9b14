#include "cli/daemon_args.hpp"

#include <cstdlib>
#include <sstream>

#include <CLI/CLI.hpp>

#include "version.hpp"

namespace cafflow {

const char* to_string(role r) {
  switch (r) {
    case role::master: return "master";
    case role::standby: return "standby";
    case role::worker: return "worker";
    case role::http: return "http";
  }
  return "unknown";
}

expected<daemon_args> parse_daemon_args(int argc, char** argv) {
  daemon_args args;
  CLI::App app{"cafflowd — one role of a cafflow cluster per process", "cafflowd"};
  std::string role_name;
  app.add_option("--role", role_name, "master, standby, worker or http")->required();
  app.add_option("--conf", args.conf, "configuration file (default: $CAFFLOW_CONF)");
  app.add_option("--address", args.address,
                 "which configured address this process serves (host:port)");
  app.add_option("--set", args.overrides, "override a config key: section.key=value");
  app.add_flag("--foreground", args.foreground, "also log to stderr");
  app.set_version_flag("--version", std::string("cafflowd ") + version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    std::ostringstream out, err;
    args.exit_code = app.exit(e, out, err);
    std::fputs(out.str().c_str(), stdout);
    args.done = true;
    return args;
  } catch (const CLI::ParseError& e) {
    return make_error(ec::invalid_argument, e.what());
  }
  if (role_name == "master")
    args.role = role::master;
  else if (role_name == "standby")
    args.role = role::standby;
  else if (role_name == "worker")
    args.role = role::worker;
  else if (role_name == "http")
    args.role = role::http;
  else
    return make_error(ec::invalid_argument,
                      "--role: unknown role '" + role_name + "' (expected master, standby, worker or http)");
  if (args.conf.empty())
    if (const char* env = std::getenv("CAFFLOW_CONF"); env != nullptr)
      args.conf = env;
  return args;
}

expected<host_port> role_address(const config& cfg, const daemon_args& args) {
  switch (args.role) {
    case role::master:
      if (!args.address.empty() && args.address != cfg.cluster.master.to_string())
        return make_error(ec::invalid_argument, "--address " + args.address
                                                  + " is not cluster.master ("
                                                  + cfg.cluster.master.to_string() + ")");
      return cfg.cluster.master;
    case role::standby:
      if (cfg.cluster.standby.host.empty())
        return make_error(ec::invalid_argument,
                          "--role standby: no standby is configured (set cluster.standby)");
      if (!args.address.empty() && args.address != cfg.cluster.standby.to_string())
        return make_error(ec::invalid_argument, "--address " + args.address
                                                  + " is not cluster.standby ("
                                                  + cfg.cluster.standby.to_string() + ")");
      return cfg.cluster.standby;
    case role::http:
      if (!args.address.empty() && args.address != cfg.cluster.http.to_string())
        return make_error(ec::invalid_argument, "--address " + args.address
                                                  + " is not cluster.http ("
                                                  + cfg.cluster.http.to_string() + ")");
      return cfg.cluster.http;
    case role::worker: {
      if (args.address.empty())
        return cfg.cluster.workers.front();
      for (const auto& w : cfg.cluster.workers)
        if (w.to_string() == args.address)
          return w;
      std::string listed;
      for (const auto& w : cfg.cluster.workers)
        listed += (listed.empty() ? "" : ", ") + w.to_string();
      return make_error(ec::invalid_argument, "--address " + args.address
                                                + " is not in cluster.workers (" + listed + ")");
    }
  }
  return make_error(ec::invalid_argument, "unknown role");
}

std::string log_file_name(const daemon_args& args, const host_port& address) {
  return std::string(to_string(args.role)) + "-" + std::to_string(address.port) + ".log";
}

} // namespace cafflow
