// cafflow's configuration: every key, its default (src/defaults.hpp) and its
// validation. Precedence: defaults < config file < environment < command line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "expected.hpp"
#include "mail/mail.hpp"

namespace cafflow {

/// A "host:port" address.
struct host_port {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const host_port& a, const host_port& b) {
    return a.host == b.host && a.port == b.port;
  }
};

/// Parses "host:port" (port 1..65535).
expected<host_port> parse_host_port(std::string_view text);

/// The validated configuration of one process.
struct config {
  /// The config file that was read (absolute), empty when none.
  std::string file;
  /// Absolute directory that relative paths resolve against.
  std::string home;

  struct {
    std::string name;
    host_port master;
    /// Empty host = no standby.
    host_port standby;
    std::vector<host_port> workers;
    host_port http;
    /// Install path on the other hosts (absolute); empty = the same as here.
    std::string remote_home;
  } cluster;

  /// Absolute paths.
  struct {
    std::string xmlconfig;
    std::string data;
    std::string logs;
    std::string db_links;
    std::string file_links;
    std::string alerts;
  } paths;

  struct {
    /// IANA zone name; empty = the machine's zone.
    std::string timezone;
    int max_catchup = 0;
    int max_backfill_items = 0;
    /// Empty = never.
    std::string flag_reset_cron;
  } schedule;

  struct {
    /// Leave undefined ${param:X} as written instead of refusing the run.
    bool keep_undefined = false;
  } params;

  struct {
    /// As configured; a sqlite: path is made absolute against home.
    std::string url;
    int busy_timeout_ms = 0;
    int max_pending_writes = 0;
  } store;

  struct {
    int rescan_interval_s = 0;
    int request_timeout_ms = 0;
    int worker_timeout_ms = 0;
    std::size_t max_attachment_bytes = 0;
    std::size_t max_xml_bytes = 0;
    int drain_grace_s = 0;
    int max_sub_workflow_depth = 0;
    int lease_ttl_ms = 0;
    int lease_renew_ms = 0;
    int lease_margin_ms = 0;
    /// Empty = none.
    std::string failover_hook;
  } master;

  struct {
    int slots = 0;
    int reconnect_interval_ms = 0;
    int kill_grace_s = 0;
    std::vector<std::string> groups;
    int heartbeat_interval_ms = 0;
    int lease_s = 0;
    int drain_grace_s = 0;
    /// Announced for host="..." placement; empty = the host of its address.
    std::string host;
    /// A cgroup per task where the host allows it.
    bool task_cgroups = true;
  } worker;

  struct {
    int request_timeout_ms = 0;
    int max_threads = 0;
    std::size_t max_body_bytes = 0;
    int max_connections = 0;
    int header_timeout_ms = 0;
    int body_timeout_ms = 0;
    int keep_alive_timeout_ms = 0;
    /// Empty = no authentication.
    std::string token;
    /// Reads need no token even when one is set.
    bool open_reads = true;
    /// akkaflow's cluster?action=shutdown may stop the master.
    bool allow_shutdown = false;
  } http;

  /// [retention]: 0 = keep forever.
  struct {
    int days = 0;
    int log_days = 0;
    int work_dir_days = 0;
    int xml_versions = 0;
    int batch = 0;
    int interval_s = 0;
  } retention;

  /// [mail]: how email actions and alerts send mail.
  mail_settings mail;

  /// [alert]: the alerter of the active master.
  struct {
    bool enabled = true;
    std::vector<std::string> system_to;
    std::string base_url;
    int max_per_window = 0;
    int window_s = 0;
    int quiet_s = 0;
    int retry_initial_s = 0;
    int retry_max_s = 0;
    int max_attempts = 0;
    int poll_ms = 0;
  } alert;

  struct {
    bool enabled = true;
    /// Absolute; the certificates of every role of this host.
    std::string dir;
    /// Absolute when set: the files instead of those in dir.
    std::string ca;
    std::string cert;
    std::string key;
  } tls;

  struct {
    std::string level;
    std::size_t max_file_bytes = 0;
    int max_files = 0;
  } log;

  struct {
    int heartbeat_interval_ms = 0;
    int connection_timeout_ms = 0;
    int connect_timeout_ms = 0;
    int scheduler_threads = 0;
  } caf;

  /// `[pools]`: named slot pools shared by every workflow (`name = size`);
  /// an action with pool="name" runs only while fewer than `size` attempts
  /// of the pool run (docs/SCHEDULING.md "Limits").
  std::map<std::string, int> pools;

  /// Every key ("section.key") with its effective value (paths resolved).
  std::vector<std::pair<std::string, std::string>> effective;

  /// The addresses of the master and the standby (when configured), in the
  /// order workers and the http server try them.
  std::vector<host_port> master_addresses() const;

  /// `path` made absolute against home.
  std::string resolve(const std::string& path) const;
};

/// Where configuration comes from, lowest precedence first after defaults.
struct config_sources {
  /// Path of the INI file; empty = defaults only. A given file must exist.
  std::string file;
  /// Environment variables (name, value); only CAFFLOW_<SECTION>_<KEY> are read.
  std::vector<std::pair<std::string, std::string>> environment;
  /// "section.key=value" items from the command line.
  std::vector<std::string> overrides;
};

/// Reads, merges and validates the configuration. Reports every problem at
/// once, each naming the key and where its value came from.
expected<config> load_config(const config_sources& sources);

/// The environment of this process, for config_sources::environment.
std::vector<std::pair<std::string, std::string>> process_environment();

/// Description of one configuration key.
struct config_key {
  std::string section;
  std::string key;
  std::string default_value;
  std::string help;
  /// CAFFLOW_<SECTION>_<KEY>
  std::string env_name() const;
};

/// Every key cafflow knows, in the order of conf/cafflow.ini.
const std::vector<config_key>& config_keys();

/// Checks the paths a role needs: xmlconfig must be a readable directory (for
/// the master); data and logs are created when missing.
expected<void> prepare_paths(const config& cfg, bool needs_xmlconfig);

} // namespace cafflow
