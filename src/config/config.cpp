#include "config/config.hpp"

#include <cctype>
#include <filesystem>
#include <functional>
#include <unistd.h>

#include "config/ini.hpp"
#include "defaults.hpp"
#include "schedule/cron.hpp"
#include "store/store_url.hpp"
#include "util/files.hpp"
#include "util/tz.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace cafflow {

namespace fs = std::filesystem;

namespace {

/// Applies one raw value to the config; returns an error message or "".
using applier = std::function<std::string(config&, const std::string&)>;

struct key_def {
  config_key info;
  applier apply;
};

/// Builds an applier for an int field in [lo, hi].
template <class Field>
applier int_key(Field field, long long lo, long long hi) {
  return [=](config& cfg, const std::string& value) -> std::string {
    long long n = 0;
    if (!parse_int(value, n))
      return "expected a whole number, got '" + value + "'";
    if (n < lo || n > hi)
      return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got "
             + value;
    field(cfg) = static_cast<std::remove_reference_t<decltype(field(cfg))>>(n);
    return {};
  };
}

/// Builds an applier for a bool field (true/yes/on/1, false/no/off/0).
template <class Field>
applier bool_key(Field field) {
  return [=](config& cfg, const std::string& value) -> std::string {
    auto b = to_lower(value);
    if (b == "true" || b == "yes" || b == "on" || b == "1")
      field(cfg) = true;
    else if (b == "false" || b == "no" || b == "off" || b == "0")
      field(cfg) = false;
    else
      return "expected true or false, got '" + value + "'";
    return {};
  };
}

template <class Field>
applier address_key(Field field, bool allow_empty) {
  return [=](config& cfg, const std::string& value) -> std::string {
    if (value.empty() && allow_empty) {
      field(cfg) = host_port{};
      return {};
    }
    auto hp = parse_host_port(value);
    if (!hp)
      return hp.error().message;
    field(cfg) = *hp;
    return {};
  };
}

template <class Field>
applier path_key(Field field) {
  return [=](config& cfg, const std::string& value) -> std::string {
    if (value.empty())
      return "must not be empty";
    field(cfg) = cfg.resolve(value);
    return {};
  };
}

std::vector<key_def> make_key_defs() {
  namespace d = defaults;
  auto str = [](auto n) { return std::to_string(n); };
  std::vector<key_def> defs;
  auto add = [&](const char* section, const char* key, std::string def, const char* help,
                 applier apply) {
    defs.push_back(key_def{config_key{section, key, std::move(def), help}, std::move(apply)});
  };
  // [cluster]
  add("cluster", "name", d::cluster::name, "name of the cluster, shown by the API",
      [](config& cfg, const std::string& v) -> std::string {
        if (v.empty())
          return "must not be empty";
        cfg.cluster.name = v;
        return {};
      });
  add("cluster", "master", d::cluster::master, "CAF address (host:port) of the master",
      address_key([](config& c) -> host_port& { return c.cluster.master; }, false));
  add("cluster", "standby", d::cluster::standby,
      "CAF address of the standby master, empty = none",
      address_key([](config& c) -> host_port& { return c.cluster.standby; }, true));
  add("cluster", "workers", d::cluster::workers,
      "comma-separated CAF addresses, one worker process each",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.cluster.workers.clear();
        for (const auto& item : split_list(v)) {
          auto hp = parse_host_port(item);
          if (!hp)
            return hp.error().message;
          for (const auto& other : cfg.cluster.workers)
            if (other == *hp)
              return "worker " + item + " is listed twice";
          cfg.cluster.workers.push_back(*hp);
        }
        return {};
      });
  add("cluster", "http", d::cluster::http, "HTTP listen address (host:port)",
      address_key([](config& c) -> host_port& { return c.cluster.http; }, false));
  add("cluster", "remote_home", d::cluster::remote_home,
      "install path of cafflow on the other hosts (for start-cluster over ssh); empty = the "
      "same path as here",
      [](config& cfg, const std::string& v) -> std::string {
        if (!v.empty() && v.front() != '/')
          return "expected an absolute path, got '" + v + "'";
        cfg.cluster.remote_home = v;
        return {};
      });
  // [paths]
  add("paths", "home", d::paths::home,
      "root for relative paths; empty = the parent of the config file's directory",
      [](config&, const std::string&) -> std::string { return {}; }); // applied first
  add("paths", "xmlconfig", d::paths::xmlconfig, "folder of workflow XML files",
      path_key([](config& c) -> std::string& { return c.paths.xmlconfig; }));
  add("paths", "data", d::paths::data, "folder for pid files and the SQLite database",
      path_key([](config& c) -> std::string& { return c.paths.data; }));
  add("paths", "logs", d::paths::logs, "folder for role logs and task logs",
      path_key([](config& c) -> std::string& { return c.paths.logs; }));
  add("paths", "db_links", d::paths::db_links, "named database connections (db-link=...)",
      path_key([](config& c) -> std::string& { return c.paths.db_links; }));
  add("paths", "file_links", d::paths::file_links,
      "named file systems (file-link=...; LOCAL and HDFS, SFTP is refused; may be absent)",
      path_key([](config& c) -> std::string& { return c.paths.file_links; }));
  add("paths", "alerts", d::paths::alerts,
      "named alert channels (mail, webhook, command) for alert-to=\"...\" (may be absent)",
      path_key([](config& c) -> std::string& { return c.paths.alerts; }));
  // [schedule]
  add("schedule", "timezone", d::schedule::timezone,
      "zone of cron and time expressions when a workflow names none; empty = this machine's",
      [](config& cfg, const std::string& v) -> std::string {
        if (!v.empty()) {
          auto zone = find_time_zone(v);
          if (!zone)
            return zone.error().message;
        }
        cfg.schedule.timezone = v;
        return {};
      });
  add("schedule", "max_catchup", str(d::schedule::max_catchup),
      "ticks a coordinator runs at most after downtime (catchup all) or keeps waiting for "
      "dependencies",
      int_key([](config& c) -> int& { return c.schedule.max_catchup; }, 1, 100000));
  add("schedule", "max_backfill_items", str(d::schedule::max_backfill_items),
      "instances one backfill may plan at most (with its downstream); larger plans are refused",
      int_key([](config& c) -> int& { return c.schedule.max_backfill_items; }, 1, 10000000));
  add("schedule", "flag_reset_cron", d::schedule::flag_reset_cron,
      "cron at which every dependency flag is cleared; empty = never",
      [](config& cfg, const std::string& v) -> std::string {
        if (!v.empty()) {
          auto cron = cron_expr::parse(v);
          if (!cron)
            return cron.error().message;
          // Not an akkaflow file: six fields or a phrase would be ambiguous here.
          if (cron->akkaflow_reading())
            return cron->note();
        }
        cfg.schedule.flag_reset_cron = v;
        return {};
      });
  // [store]
  add("store", "url", d::store::url, "sqlite:PATH or mysql://user:password@host:port/db",
      [](config& cfg, const std::string& v) -> std::string {
        auto url = parse_store_url(v, cfg.home);
        if (!url)
          return url.error().message;
        cfg.store.url = url->type == store_url::backend::sqlite ? "sqlite:" + url->path : v;
        return {};
      });
  add("store", "busy_timeout_ms", str(d::store::busy_timeout_ms),
      "milliseconds SQLite waits for a lock",
      int_key([](config& c) -> int& { return c.store.busy_timeout_ms; }, 0, 600000));
  add("store", "max_pending_writes", str(d::store::max_pending_writes),
      "writes kept in memory while the database is unreachable; above this no new work starts",
      int_key([](config& c) -> int& { return c.store.max_pending_writes; }, 1000, 100000000));
  // [params]
  add("params", "undefined", d::params::undefined,
      "an undefined ${param:X}: error (refuse the run) or keep (leave it as written)",
      [](config& cfg, const std::string& v) -> std::string {
        if (v != "error" && v != "keep")
          return "expected error or keep, got '" + v + "'";
        cfg.params.keep_undefined = v == "keep";
        return {};
      });
  // [master]
  add("master", "rescan_interval_s", str(d::master::rescan_interval_s),
      "seconds between two full rescans of xmlconfig",
      int_key([](config& c) -> int& { return c.master.rescan_interval_s; }, 1, 3600));
  add("master", "request_timeout_ms", str(d::master::request_timeout_ms),
      "milliseconds a request inside the master may take",
      int_key([](config& c) -> int& { return c.master.request_timeout_ms; }, 100, 600000));
  add("master", "worker_timeout_ms", str(d::master::worker_timeout_ms),
      "milliseconds without a heartbeat after which a worker is lost",
      int_key([](config& c) -> int& { return c.master.worker_timeout_ms; }, 200, 3600000));
  add("master", "max_attachment_bytes", str(d::master::max_attachment_bytes),
      "largest total size of an attempt's attachments",
      int_key([](config& c) -> std::size_t& { return c.master.max_attachment_bytes; }, 0,
              1LL << 32));
  add("master", "max_xml_bytes", str(d::master::max_xml_bytes),
      "largest workflow file loaded from xmlconfig; larger ones are refused and not stored",
      int_key([](config& c) -> std::size_t& { return c.master.max_xml_bytes; }, 1024,
              1LL << 30));
  add("master", "drain_grace_s", str(d::master::drain_grace_s),
      "seconds a stopping master waits for running attempts to finish; 0 = stop at once",
      int_key([](config& c) -> int& { return c.master.drain_grace_s; }, 0, 86400));
  add("master", "max_sub_workflow_depth", str(d::master::max_sub_workflow_depth),
      "levels of sub-workflows that may nest; a deeper child is not started and its node fails",
      int_key([](config& c) -> int& { return c.master.max_sub_workflow_depth; }, 1, 1000));
  add("master", "lease_ttl_ms", str(d::master::lease_ttl_ms),
      "milliseconds the master lease lasts after a renewal (standby takeover time)",
      int_key([](config& c) -> int& { return c.master.lease_ttl_ms; }, 500, 600000));
  add("master", "lease_renew_ms", str(d::master::lease_renew_ms),
      "milliseconds between two renewals of the master lease",
      int_key([](config& c) -> int& { return c.master.lease_renew_ms; }, 100, 300000));
  add("master", "lease_margin_ms", str(d::master::lease_margin_ms),
      "milliseconds before its lease ends at which a master that could not renew stops acting",
      int_key([](config& c) -> int& { return c.master.lease_margin_ms; }, 0, 300000));
  add("master", "failover_hook", d::master::failover_hook,
      "command run when this master takes over from another one; empty = none",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.master.failover_hook = v;
        return {};
      });
  // [worker]
  add("worker", "slots", str(d::worker::slots), "attempts a worker runs at once",
      int_key([](config& c) -> int& { return c.worker.slots; }, 1, 10000));
  add("worker", "reconnect_interval_ms", str(d::worker::reconnect_interval_ms),
      "milliseconds between attempts to reach the master",
      int_key([](config& c) -> int& { return c.worker.reconnect_interval_ms; }, 10, 60000));
  add("worker", "kill_grace_s", str(d::worker::kill_grace_s),
      "seconds between SIGTERM and SIGKILL when a task is killed",
      int_key([](config& c) -> int& { return c.worker.kill_grace_s; }, 0, 3600));
  add("worker", "groups", d::worker::groups, "groups of this worker, for worker-group=\"...\"",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.worker.groups = split_list(v);
        return {};
      });
  add("worker", "heartbeat_interval_ms", str(d::worker::heartbeat_interval_ms),
      "milliseconds between two heartbeats to the master",
      int_key([](config& c) -> int& { return c.worker.heartbeat_interval_ms; }, 50, 600000));
  add("worker", "lease_s", str(d::worker::lease_s),
      "seconds without a master after which running tasks are killed",
      int_key([](config& c) -> int& { return c.worker.lease_s; }, 1, 86400));
  add("worker", "drain_grace_s", str(d::worker::drain_grace_s),
      "seconds a stopping worker lets running tasks finish before killing them; 0 = at once",
      int_key([](config& c) -> int& { return c.worker.drain_grace_s; }, 0, 86400));
  add("worker", "host", d::worker::host,
      "host name announced for host=\"...\" placement; empty = the host of its address",
      [](config& cfg, const std::string& v) -> std::string {
        for (unsigned char c : v)
          if (std::isspace(c) || c == ',' || c == '"')
            return "expected a host name without spaces, commas or quotes, got '" + v + "'";
        cfg.worker.host = v;
        return {};
      });
  add("worker", "task_cgroups", d::worker::task_cgroups ? "true" : "false",
      "run each task in a cgroup of its own where the host allows it (else: tracked by an "
      "environment marker)",
      bool_key([](config& c) -> bool& { return c.worker.task_cgroups; }));
  // [http]
  add("http", "request_timeout_ms", str(d::http::request_timeout_ms),
      "milliseconds the http server waits for the master",
      int_key([](config& c) -> int& { return c.http.request_timeout_ms; }, 100, 600000));
  add("http", "max_threads", str(d::http::max_threads), "threads answering requests (one more reads all connections)",
      int_key([](config& c) -> int& { return c.http.max_threads; }, 1, 1024));
  add("http", "max_body_bytes", str(d::http::max_body_bytes), "largest request body accepted",
      int_key([](config& c) -> std::size_t& { return c.http.max_body_bytes; }, 1024,
              1LL << 30));
  add("http", "max_connections", str(d::http::max_connections),
      "connections open at once; when all are taken idle and slow ones make room, else 503",
      int_key([](config& c) -> int& { return c.http.max_connections; }, 1, 1000000));
  add("http", "header_timeout_ms", str(d::http::header_timeout_ms),
      "milliseconds a request's line and headers may take to arrive (then 408)",
      int_key([](config& c) -> int& { return c.http.header_timeout_ms; }, 100, 3600000));
  add("http", "body_timeout_ms", str(d::http::body_timeout_ms),
      "milliseconds a request body may take to arrive after the headers (then 408)",
      int_key([](config& c) -> int& { return c.http.body_timeout_ms; }, 100, 3600000));
  add("http", "keep_alive_timeout_ms", str(d::http::keep_alive_timeout_ms),
      "milliseconds a connection may stay idle between requests",
      int_key([](config& c) -> int& { return c.http.keep_alive_timeout_ms; }, 100, 3600000));
  add("http", "token", d::http::token,
      "shared secret: when set, requests that change something need 'Authorization: Bearer "
      "<token>'; empty = no authentication",
      [](config& cfg, const std::string& v) -> std::string {
        // A header value cannot carry these, so such a token could never match.
        for (unsigned char c : v)
          if (c < 0x21 || c == 0x7f)
            return "must not contain spaces or control characters";
        cfg.http.token = v;
        return {};
      });
  add("http", "open_reads", d::http::open_reads ? "true" : "false",
      "true: reads (GET, HEAD) need no token; false: every request needs it",
      bool_key([](config& c) -> bool& { return c.http.open_reads; }));
  add("http", "allow_shutdown", d::http::allow_shutdown ? "true" : "false",
      "true: akkaflow's /akkaflow/cluster?action=shutdown (with the token) stops the cluster: "
      "the master and its workers drain and exit, the http server exits after its answer; "
      "needs [http] token (true without one is a config error); false: it is refused with 403",
      bool_key([](config& c) -> bool& { return c.http.allow_shutdown; }));
  // [tls]
  add("tls", "enabled", d::tls::enabled ? "true" : "false",
      "true: mutual TLS between the cluster's processes, messages checked against the sender's "
      "role; false: plain TCP, anyone who reaches a CAF port is believed",
      bool_key([](config& c) -> bool& { return c.tls.enabled; }));
  add("tls", "dir", d::tls::dir,
      "folder of ca.pem, ca.key and <role>.pem/.key; empty = <paths.data>/tls",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.tls.dir = v.empty() ? cfg.resolve(cfg.paths.data + "/tls") : cfg.resolve(v);
        return {};
      });
  for (auto [key, help] : {std::pair{"ca", "the CA bundle instead of dir/ca.pem"},
                           std::pair{"cert", "this process's certificate instead of dir/<role>.pem"},
                           std::pair{"key", "this process's key instead of dir/<role>.key"}}) {
    std::string name = key;
    add("tls", key, "", help, [name](config& cfg, const std::string& v) -> std::string {
      auto& field = name == "ca" ? cfg.tls.ca : name == "cert" ? cfg.tls.cert : cfg.tls.key;
      field = v.empty() ? std::string{} : cfg.resolve(v);
      return {};
    });
  }
  // [mail]
  auto text_key = [](std::string mail_settings::*field) {
    return [field](config& cfg, const std::string& v) -> std::string {
      cfg.mail.*field = v;
      return {};
    };
  };
  add("mail", "server", d::mail::server,
      "host:port of the SMTP server; empty = write mail as .eml files under <logs>/mail/",
      [](config& cfg, const std::string& v) -> std::string {
        if (!v.empty()) {
          auto hp = parse_host_port(v);
          if (!hp)
            return hp.error().message;
        }
        cfg.mail.server = v;
        return {};
      });
  add("mail", "from", d::mail::from, "the sender address",
      [](config& cfg, const std::string& v) -> std::string {
        if (v.find('@') == std::string::npos)
          return "expected an e-mail address, got '" + v + "'";
        cfg.mail.from = v;
        return {};
      });
  add("mail", "user", d::mail::user, "SMTP user; empty = no authentication",
      text_key(&mail_settings::user));
  add("mail", "password", d::mail::password, "SMTP password (or password_file)",
      text_key(&mail_settings::password));
  add("mail", "password_file", d::mail::password_file, "a file holding the SMTP password",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.mail.password_file = v.empty() ? v : cfg.resolve(v);
        return {};
      });
  add("mail", "security", d::mail::security, "none, starttls or tls",
      [](config& cfg, const std::string& v) -> std::string {
        if (v != "none" && v != "starttls" && v != "tls")
          return "expected none, starttls or tls; got '" + v + "'";
        cfg.mail.security = v;
        return {};
      });
  add("mail", "timeout_s", str(d::mail::timeout_s),
      "seconds a connection to the SMTP server and each exchange may take",
      int_key([](config& c) -> int& { return c.mail.timeout_s; }, 1, 3600));
  add("mail", "ca_file", d::mail::ca_file,
      "CA certificates (PEM) the server's certificate must chain to; empty = the system's",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.mail.ca_file = v.empty() ? v : cfg.resolve(v);
        return {};
      });
  // [odbc]
  auto driver_key = [](std::string& (*field)(config&)) {
    return [field](config& cfg, const std::string& v) -> std::string {
      if (v.empty())
        return "must not be empty (the name of the driver's section in odbcinst.ini)";
      if (v.find_first_of("{};") != std::string::npos)
        return "must not contain {, } or ; (got '" + v + "')";
      field(cfg) = v;
      return {};
    };
  };
  add("odbc", "oracle_driver", d::odbc::oracle_driver,
      "the ODBC driver (its section name in odbcinst.ini) that ORACLE db links and "
      "jdbc:oracle:thin:@ urls connect through",
      driver_key([](config& c) -> std::string& { return c.odbc.oracle_driver; }));
  add("odbc", "hive_driver", d::odbc::hive_driver,
      "the ODBC driver (its section name in odbcinst.ini) that HIVE db links and jdbc:hive2:// "
      "urls connect through",
      driver_key([](config& c) -> std::string& { return c.odbc.hive_driver; }));
  // [hdfs]
  add("hdfs", "command", d::hdfs::command,
      "the Hadoop client the workers run for HDFS ends of a transfer and file-monitors on HDFS "
      "links (<command> dfs -get/-put/-ls)",
      [](config& cfg, const std::string& v) -> std::string {
        if (trim(v).empty())
          return "must not be empty";
        cfg.hdfs.command = trim(v);
        return {};
      });
  // [alert]
  add("alert", "enabled", d::alert::enabled ? "true" : "false",
      "false: no alert is recorded or sent",
      bool_key([](config& c) -> bool& { return c.alert.enabled; }));
  add("alert", "system_to", d::alert::system_to,
      "channels of paths.alerts for worker lost, failover, store degraded and invalid files",
      [](config& cfg, const std::string& v) -> std::string {
        cfg.alert.system_to = split_list(v);
        return {};
      });
  add("alert", "base_url", d::alert::base_url,
      "the HTTP server's address as users reach it, for links in alerts; empty = no links",
      [](config& cfg, const std::string& v) -> std::string {
        if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
          return "expected an http:// or https:// URL, got '" + v + "'";
        cfg.alert.base_url = v;
        return {};
      });
  add("alert", "max_per_window", str(d::alert::max_per_window),
      "messages one channel sends at most per window (the last one is a digest)",
      int_key([](config& c) -> int& { return c.alert.max_per_window; }, 1, 100000));
  add("alert", "window_s", str(d::alert::window_s), "seconds of the rate-limit window",
      int_key([](config& c) -> int& { return c.alert.window_s; }, 1, 86400));
  add("alert", "quiet_s", str(d::alert::quiet_s),
      "seconds without a new alert after which the last message of a window goes",
      int_key([](config& c) -> int& { return c.alert.quiet_s; }, 0, 86400));
  add("alert", "retry_initial_s", str(d::alert::retry_initial_s),
      "seconds before the first retry of a failed delivery (doubled each time)",
      int_key([](config& c) -> int& { return c.alert.retry_initial_s; }, 1, 86400));
  add("alert", "retry_max_s", str(d::alert::retry_max_s), "longest wait between two tries",
      int_key([](config& c) -> int& { return c.alert.retry_max_s; }, 1, 86400));
  add("alert", "max_attempts", str(d::alert::max_attempts),
      "tries before an alert is given up (status failed); 0 = never",
      int_key([](config& c) -> int& { return c.alert.max_attempts; }, 0, 1000000));
  add("alert", "poll_ms", str(d::alert::poll_ms), "milliseconds between two looks at the outbox",
      int_key([](config& c) -> int& { return c.alert.poll_ms; }, 50, 60000));
  // [retention]
  add("retention", "days", str(d::retention::days),
      "days an ended instance with its nodes and attempts is kept; 0 = forever",
      int_key([](config& c) -> int& { return c.retention.days; }, 0, 100000));
  add("retention", "log_days", str(d::retention::log_days),
      "days a worker keeps an instance's task logs after the last write; 0 = forever",
      int_key([](config& c) -> int& { return c.retention.log_days; }, 0, 100000));
  add("retention", "work_dir_days", str(d::retention::work_dir_days),
      "days a worker keeps an instance's work directories after the last write; 0 = forever",
      int_key([](config& c) -> int& { return c.retention.work_dir_days; }, 0, 100000));
  add("retention", "xml_versions", str(d::retention::xml_versions),
      "stored versions kept per workflow (and those running instances use); 0 = all",
      int_key([](config& c) -> int& { return c.retention.xml_versions; }, 0, 1000000));
  add("retention", "batch", str(d::retention::batch),
      "rows or directories removed in one go",
      int_key([](config& c) -> int& { return c.retention.batch; }, 1, 100000));
  add("retention", "interval_s", str(d::retention::interval_s),
      "seconds between two rounds of pruning",
      int_key([](config& c) -> int& { return c.retention.interval_s; }, 1, 604800));
  // [log]
  add("log", "level", d::log::level, "trace, debug, info, warn, error or off",
      [](config& cfg, const std::string& v) -> std::string {
        static const std::vector<std::string> levels{"trace", "debug", "info",
                                                     "warn",  "error", "off"};
        for (const auto& level : levels)
          if (v == level) {
            cfg.log.level = v;
            return {};
          }
        return "expected one of trace, debug, info, warn, error, off; got '" + v + "'";
      });
  add("log", "max_file_bytes", str(d::log::max_file_bytes), "size at which a role's log rotates",
      int_key([](config& c) -> std::size_t& { return c.log.max_file_bytes; }, 4096, 1LL << 40));
  add("log", "max_files", str(d::log::max_files), "rotated log files kept per role",
      int_key([](config& c) -> int& { return c.log.max_files; }, 1, 1000));
  // [caf]
  add("caf", "heartbeat_interval_ms", str(d::caf::heartbeat_interval_ms),
      "milliseconds between middleman heartbeats, 0 = off; same on all nodes",
      int_key([](config& c) -> int& { return c.caf.heartbeat_interval_ms; }, 0, 60000));
  add("caf", "connection_timeout_ms", str(d::caf::connection_timeout_ms),
      "milliseconds of silence after which a peer is unreachable",
      int_key([](config& c) -> int& { return c.caf.connection_timeout_ms; }, 0, 600000));
  add("caf", "connect_timeout_ms", str(d::caf::connect_timeout_ms),
      "milliseconds a connect to a remote node may take",
      int_key([](config& c) -> int& { return c.caf.connect_timeout_ms; }, 100, 600000));
  add("caf", "scheduler_threads", str(d::caf::scheduler_threads),
      "threads of the CAF scheduler, 0 = number of cores",
      int_key([](config& c) -> int& { return c.caf.scheduler_threads; }, 0, 256));
  return defs;
}

const std::vector<key_def>& key_defs() {
  static const auto defs = make_key_defs();
  return defs;
}

std::string upper_env(std::string text) {
  for (auto& c : text)
    c = c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

struct raw_value {
  std::string value;
  std::string origin;
};

} // namespace

expected<host_port> parse_host_port(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return make_error(ec::invalid_config,
                      "expected host:port, got '" + std::string(text) + "'");
  long long port = 0;
  if (!parse_int(text.substr(colon + 1), port) || port < 1 || port > 65535)
    return make_error(ec::invalid_config,
                      "invalid port in '" + std::string(text) + "' (expected 1..65535)");
  return host_port{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

std::string config::resolve(const std::string& path) const {
  fs::path p(path);
  if (p.is_absolute())
    return p.lexically_normal().string();
  return (fs::path(home) / p).lexically_normal().string();
}

std::string config_key::env_name() const {
  return "CAFFLOW_" + upper_env(section) + "_" + upper_env(key);
}

const std::vector<config_key>& config_keys() {
  static const auto keys = [] {
    std::vector<config_key> result;
    for (const auto& def : key_defs())
      result.push_back(def.info);
    return result;
  }();
  return keys;
}

std::vector<std::pair<std::string, std::string>> process_environment() {
  std::vector<std::pair<std::string, std::string>> result;
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    std::string item(*env);
    auto eq = item.find('=');
    if (eq != std::string::npos)
      result.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return result;
}

namespace {

/// A `[pools]` entry (`name = size`, from the file or as pools.NAME=SIZE on
/// the command line): a problem, or "".
std::string add_pool(config& cfg, const std::string& name, const std::string& value,
                     const std::string& origin) {
  bool good_name = !name.empty() && name.size() <= 64;
  for (char c : name)
    good_name = good_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!good_name)
    return origin + ": pool name '" + name
           + "' must be 1 to 64 letters, digits, '_' or '-'";
  long long n = 0;
  if (!parse_int(value, n) || n < 1 || n > 100000)
    return origin + ": pools." + name + " must be a whole number between 1 and 100000, got '"
           + value + "'";
  cfg.pools[name] = static_cast<int>(n);
  return {};
}

} // namespace

expected<config> load_config(const config_sources& sources) {
  const auto& defs = key_defs();
  std::vector<std::string> names;
  std::map<std::string, std::size_t> index; // "section.key" -> def
  for (std::size_t i = 0; i < defs.size(); ++i) {
    auto name = defs[i].info.section + "." + defs[i].info.key;
    index[name] = i;
    names.push_back(name);
  }
  std::map<std::string, raw_value> values;
  for (const auto& def : defs)
    values[def.info.section + "." + def.info.key] = raw_value{def.info.default_value, "default"};
  std::vector<std::string> problems;
  auto unknown_key = [&](const std::string& name, const std::string& origin) {
    auto hint = did_you_mean(name, names);
    problems.push_back(origin + ": unknown key '" + name + "'"
                       + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  };
  config cfg;
  // 1. The file.
  if (!sources.file.empty()) {
    std::error_code err;
    auto absolute = fs::absolute(sources.file, err).lexically_normal();
    auto text = read_file(absolute.string());
    if (!text)
      return make_error(ec::invalid_config, "config file: " + text.error().message);
    auto entries = parse_ini(*text, sources.file);
    if (!entries)
      return entries.error();
    std::map<std::string, std::string> seen;
    for (const auto& entry : *entries) {
      auto name = entry.section + "." + entry.key;
      if (entry.section == "pools") {
        if (cfg.pools.count(entry.key) != 0)
          problems.push_back(entry.origin + ": pool '" + entry.key + "' is already defined");
        else if (auto problem = add_pool(cfg, entry.key, entry.value, entry.origin);
                 !problem.empty())
          problems.push_back(problem);
        continue;
      }
      if (index.count(name) == 0) {
        unknown_key(name, entry.origin);
        continue;
      }
      if (auto it = seen.find(name); it != seen.end()) {
        problems.push_back(entry.origin + ": key '" + name + "' is already set at "
                           + it->second);
        continue;
      }
      seen[name] = entry.origin;
      values[name] = raw_value{entry.value, entry.origin};
    }
    cfg.file = absolute.string();
  }
  // 2. The environment.
  for (const auto& [env_name, env_value] : sources.environment)
    for (const auto& def : defs)
      if (def.info.env_name() == env_name)
        values[def.info.section + "." + def.info.key] =
          raw_value{env_value, "environment " + env_name};
  // 3. The command line.
  for (const auto& item : sources.overrides) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      problems.push_back("command line: expected section.key=value, got '" + item + "'");
      continue;
    }
    auto name = trim(item.substr(0, eq));
    if (starts_with(name, "pools.")) {
      if (auto problem = add_pool(cfg, name.substr(6), trim(item.substr(eq + 1)), "command line");
          !problem.empty())
        problems.push_back(problem);
      continue;
    }
    if (index.count(name) == 0) {
      unknown_key(name, "command line");
      continue;
    }
    values[name] = raw_value{trim(item.substr(eq + 1)), "command line"};
  }
  // 4. Home first: every relative path depends on it.
  const auto& home = values["paths.home"];
  if (!home.value.empty()) {
    fs::path p(home.value);
    if (!p.is_absolute() && !cfg.file.empty())
      p = fs::path(cfg.file).parent_path() / p;
    cfg.home = fs::absolute(p).lexically_normal().string();
  } else if (!cfg.file.empty()) {
    cfg.home = fs::path(cfg.file).parent_path().parent_path().string();
  } else {
    cfg.home = fs::current_path().string();
  }
  if (!cfg.home.empty() && cfg.home.size() > 1 && cfg.home.back() == '/')
    cfg.home.pop_back();
  // 5. Every key, in table order.
  for (const auto& def : defs) {
    auto name = def.info.section + "." + def.info.key;
    const auto& raw = values[name];
    auto problem = def.apply(cfg, raw.value);
    if (!problem.empty())
      problems.push_back(raw.origin + ": " + name + ": " + problem);
    cfg.effective.emplace_back(name, raw.value);
  }
  for (auto& [name, value] : cfg.effective) {
    if (name == "paths.home")
      value = cfg.home;
    else if (name == "paths.xmlconfig")
      value = cfg.paths.xmlconfig;
    else if (name == "paths.data")
      value = cfg.paths.data;
    else if (name == "paths.logs")
      value = cfg.paths.logs;
    else if (name == "paths.db_links")
      value = cfg.paths.db_links;
    else if (name == "paths.file_links")
      value = cfg.paths.file_links;
    else if (name == "paths.alerts")
      value = cfg.paths.alerts;
    else if (name == "store.url")
      value = cfg.store.url;
    else if (name == "tls.dir")
      value = cfg.tls.dir;
    else if (name == "tls.ca")
      value = cfg.tls.ca;
    else if (name == "tls.cert")
      value = cfg.tls.cert;
    else if (name == "tls.key")
      value = cfg.tls.key;
  }
  if (problems.empty() && cfg.tls.enabled) {
    auto given = !cfg.tls.ca.empty() + !cfg.tls.cert.empty() + !cfg.tls.key.empty();
    if (given != 0 && given != 3)
      problems.push_back(values["tls.ca"].origin
                         + ": tls.ca, tls.cert and tls.key: set all three or none (none = the "
                           "files of tls.dir)");
  }
  if (problems.empty()
      && cfg.master.lease_renew_ms + cfg.master.lease_margin_ms >= cfg.master.lease_ttl_ms)
    problems.push_back(values["master.lease_renew_ms"].origin
                       + ": master.lease_renew_ms: " + std::to_string(cfg.master.lease_renew_ms)
                       + " + master.lease_margin_ms " + std::to_string(cfg.master.lease_margin_ms)
                       + " must be below master.lease_ttl_ms "
                       + std::to_string(cfg.master.lease_ttl_ms)
                       + " (the master renews before it must stop acting)");
  if (problems.empty() && !cfg.cluster.standby.host.empty()
      && cfg.cluster.standby == cfg.cluster.master)
    problems.push_back(values["cluster.standby"].origin + ": cluster.standby: "
                       + cfg.cluster.standby.to_string() + " is also cluster.master");
  if (problems.empty() && !cfg.mail.password.empty() && !cfg.mail.password_file.empty())
    problems.push_back(values["mail.password_file"].origin
                       + ": mail.password_file: give mail.password or mail.password_file, not both");
  if (problems.empty() && cfg.http.allow_shutdown && cfg.http.token.empty())
    problems.push_back(values["http.allow_shutdown"].origin
                       + ": http.allow_shutdown = true needs http.token: without a token anyone "
                         "who reaches the HTTP port could stop the cluster (set [http] token, or "
                         "leave allow_shutdown false and use sbin/stop-cluster)");
  if (problems.empty() && cfg.cluster.workers.empty())
    problems.push_back(values["cluster.workers"].origin
                       + ": cluster.workers: at least one worker is required");
  if (!problems.empty())
    return make_error(ec::invalid_config, join(problems, "\n"));
  return cfg;
}

std::vector<host_port> config::master_addresses() const {
  std::vector<host_port> result{cluster.master};
  if (!cluster.standby.host.empty())
    result.push_back(cluster.standby);
  return result;
}

expected<void> prepare_paths(const config& cfg, bool needs_xmlconfig) {
  std::error_code err;
  if (needs_xmlconfig && !fs::is_directory(cfg.paths.xmlconfig, err))
    return make_error(ec::invalid_config, "paths.xmlconfig: '" + cfg.paths.xmlconfig
                                            + "' is not a directory");
  for (auto [key, dir] : {std::pair{"paths.data", &cfg.paths.data},
                          std::pair{"paths.logs", &cfg.paths.logs}}) {
    fs::create_directories(*dir, err);
    if (err || !fs::is_directory(*dir))
      return make_error(ec::invalid_config, std::string(key) + ": cannot create directory '"
                                              + *dir + "': " + err.message());
    if (::access(dir->c_str(), W_OK) != 0)
      return make_error(ec::invalid_config,
                        std::string(key) + ": directory '" + *dir + "' is not writable");
  }
  return {};
}

} // namespace cafflow
