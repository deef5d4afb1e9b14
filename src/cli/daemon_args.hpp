// The command line of the daemon: cafflowd --role ROLE [--conf FILE] ...
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "expected.hpp"

namespace cafflow {

/// standby: a master that waits for the master lease (docs/OPERATIONS.md, "High availability");
/// both master roles take it when it is free and act as the active master.
enum class role { master, standby, worker, http };

/// Whether `r` runs the master (the active one or the standby).
inline bool is_master_role(role r) { return r == role::master || r == role::standby; }

const char* to_string(role r);

struct daemon_args {
  cafflow::role role = role::master;
  /// The config file; empty = $CAFFLOW_CONF, then no file (defaults).
  std::string conf;
  /// Which configured address this process is (workers: one of
  /// cluster.workers; default: the role's first address).
  std::string address;
  /// "section.key=value" overrides.
  std::vector<std::string> overrides;
  /// Also log to stderr.
  bool foreground = false;
  /// --help or --version was answered; exit with `exit_code`.
  bool done = false;
  int exit_code = 0;
};

/// Parses the daemon's arguments; help and version are printed here.
expected<daemon_args> parse_daemon_args(int argc, char** argv);

/// The address this process serves for its role (validated against the config).
expected<host_port> role_address(const config& cfg, const daemon_args& args);

/// The name of this process's log file: "<role>-<port>.log".
std::string log_file_name(const daemon_args& args, const host_port& address);

} // namespace cafflow
