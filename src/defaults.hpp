// All of cafflow's defaults, in one place. conf/cafflow.ini mirrors this file:
// every key there is commented with the value given here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cafflow::defaults {

/// [cluster]
namespace cluster {
/// Name of the cluster; shown by the API and used in process titles.
constexpr const char* name = "cafflow";
/// CAF address (host:port) of the master.
constexpr const char* master = "127.0.0.1:2751";
/// CAF address of the standby master; empty = no standby.
constexpr const char* standby = "";
/// Comma-separated CAF addresses, one worker process each.
constexpr const char* workers = "127.0.0.1:2851";
/// HTTP listen address of the http role.
constexpr const char* http = "127.0.0.1:8090";
/// Where cafflow is installed on the other hosts of [cluster] (start-cluster
/// runs sbin/cafflow-daemon there over ssh); empty = the same path as here.
constexpr const char* remote_home = "";
} // namespace cluster

/// [paths] — relative paths resolve against paths.home.
namespace paths {
/// Project root; empty = the parent of the directory holding the config file.
constexpr const char* home = "";
constexpr const char* xmlconfig = "xmlconfig";
constexpr const char* data = "data";
constexpr const char* logs = "logs";
/// Named database connections for sql, transfer, monitor and metadata actions.
constexpr const char* db_links = "conf/db_links.xml";
/// Named file systems (akkaflow's file_links.xml: LOCAL and HDFS links), read
/// by the master's checks and by the workers when an attempt names a link.
constexpr const char* file_links = "conf/file_links.xml";
/// Named alert channels (mail, webhook, command) for alert-to="...".
constexpr const char* alerts = "conf/alerts.xml";
} // namespace paths

/// [schedule]
namespace schedule {
/// IANA zone of cron and time expressions when a workflow names none; empty =
/// the machine's own zone.
constexpr const char* timezone = "";
/// Ticks one coordinator runs at most after downtime (catchup="all"), and
/// keeps at most while they wait for dependencies.
constexpr int max_catchup = 100;
/// Cron at which every dependency flag is cleared (akkaflow's daily
/// "59 23 * * *" reset); empty = never. Waiting ticks are never dropped.
constexpr const char* flag_reset_cron = "";
/// Instances one backfill may plan at most (its workflow and the downstream
/// ones); a larger plan is refused, naming this key.
constexpr int max_backfill_items = 100000;
/// Instances of one backfill active at once when the request names none.
constexpr int backfill_parallel = 1;
} // namespace schedule

/// [store]
namespace store {
/// sqlite:PATH or mysql://user:password@host:port/db
constexpr const char* url = "sqlite:data/cafflow.db";
/// Milliseconds a SQLite connection waits for a lock before failing.
constexpr int busy_timeout_ms = 5000;
/// Writes buffered while the database is unreachable before the master stops
/// starting new work (it never drops them).
constexpr int max_pending_writes = 100000;
} // namespace store

/// [params]
namespace params {
/// A ${param:X} whose X no run defines: "error" (the run is refused, naming
/// it) or "keep" (left as written, as akkaflow did).
constexpr const char* undefined = "error";
} // namespace params

/// [master]
namespace master {
/// Seconds between two full rescans of the xmlconfig directory (a safety net:
/// inotify reports changes at once).
constexpr int rescan_interval_s = 30;
/// Milliseconds a request from the master to another actor may take.
constexpr int request_timeout_ms = 10000;
/// Milliseconds without a heartbeat after which a worker counts as lost.
constexpr int worker_timeout_ms = 5000;
/// Largest total size of an attempt's attachments, in bytes.
constexpr std::size_t max_attachment_bytes = 16 * 1024 * 1024;
/// Largest workflow file loaded from xmlconfig, in bytes: a larger file is
/// refused (a diagnostic in GET /api/v1/xmlconfig) and never read or stored.
constexpr std::size_t max_xml_bytes = 4 * 1024 * 1024;
/// Seconds a stopping master waits for running attempts to finish (firing
/// and dispatching stopped) before it shuts down; 0 = at once.
constexpr int drain_grace_s = 30;
/// Levels of sub-workflows that may nest (a child of a child ...): a deeper
/// child is not started and its node fails. Only a name that is an
/// expression can recurse; a loop of literal names is refused at load.
constexpr int max_sub_workflow_depth = 8;
/// Milliseconds the master lease lasts after each renewal: a standby takes
/// over this long after the active master last renewed (docs/OPERATIONS.md, "High availability").
constexpr int lease_ttl_ms = 3000;
/// Milliseconds between two renewals of the lease by the active master.
constexpr int lease_renew_ms = 1000;
/// Milliseconds before its lease ends at which a master that could not renew
/// stops firing and dispatching (covers clock differences between hosts).
constexpr int lease_margin_ms = 500;
/// Command run (by /bin/sh) when this master takes over from another one;
/// empty = none. It gets CAFFLOW_EPOCH, CAFFLOW_MASTER, CAFFLOW_PREVIOUS_MASTER.
constexpr const char* failover_hook = "";
} // namespace master

/// [worker]
namespace worker {
/// Attempts a worker runs at once.
constexpr int slots = 4;
/// Milliseconds between two attempts to (re)connect to the master.
constexpr int reconnect_interval_ms = 250;
/// Seconds a killed task gets between SIGTERM and SIGKILL.
constexpr int kill_grace_s = 5;
/// Comma-separated groups this worker belongs to (worker-group="...").
constexpr const char* groups = "";
/// Milliseconds between two heartbeats to the master.
constexpr int heartbeat_interval_ms = 1000;
/// Seconds without a master after which the worker kills its running tasks.
constexpr int lease_s = 30;
/// Seconds a stopping worker lets its running tasks finish before it kills
/// them; 0 = at once.
constexpr int drain_grace_s = 30;
/// Host name the worker announces for host="..." placement; empty = the host
/// part of its address.
constexpr const char* host = "";
/// Run each task in a cgroup (v2) of its own where the host allows it, so
/// that everything it starts ends with it, also what left its process
/// group; false (or no cgroup v2 writable here): the spawner tracks a task's
/// processes by an environment marker instead (docs/OPERATIONS.md).
constexpr bool task_cgroups = true;
} // namespace worker

/// [http]
namespace http {
/// Milliseconds the http server waits for the master to answer.
constexpr int request_timeout_ms = 10000;
/// Threads answering requests; one more thread reads every connection.
constexpr int max_threads = 16;
/// Largest request body accepted, in bytes.
constexpr std::size_t max_body_bytes = 1 << 20;
/// Shared secret of the HTTP API: when set, every request that changes
/// something needs the header "Authorization: Bearer <token>"; empty = no
/// authentication (keep cluster.http on 127.0.0.1 then).
constexpr const char* token = "";
/// Reads (GET and HEAD, akkaflow's action=get) need no token even when one
/// is set; false = every request needs it.
constexpr bool open_reads = true;
/// akkaflow's /akkaflow/cluster?action=shutdown stops the cluster (the master
/// and its workers drain and exit, the http server after its answer); false =
/// it is refused with 403.
constexpr bool allow_shutdown = false;
/// Connections open at once (reading, waiting for an answer, idle between
/// requests). When all are taken, the idle and the slowest reading ones make
/// room for a new one; when none can, it is answered 503.
constexpr int max_connections = 512;
/// Milliseconds a request's line and headers may take to arrive, from their
/// first byte (slow or half-open clients are answered 408 and closed).
constexpr int header_timeout_ms = 10000;
/// Milliseconds a request body may take to arrive, from the end of the headers.
constexpr int body_timeout_ms = 30000;
/// Milliseconds a connection may stay idle between two requests.
constexpr int keep_alive_timeout_ms = 5000;
/// Not a config key: how deeply a JSON request body may nest arrays and
/// objects (deeper: 400).
constexpr std::size_t max_json_depth = 64;
/// Not a config key: largest request line, in bytes (longer: 414).
constexpr std::size_t max_request_line_bytes = 8192;
/// Not a config key: largest request head (line and header fields), in bytes,
/// and most header fields (more: 431).
constexpr std::size_t max_header_bytes = 16384;
constexpr std::size_t max_header_fields = 100;
/// Not a config key: milliseconds an answer may take to be sent (a client
/// that does not read it is cut off).
constexpr int write_timeout_ms = 30000;
/// Not a config key: complete requests waiting for a free handler thread
/// (max_threads); beyond this a request is answered 503 at once.
constexpr std::size_t max_waiting_requests = 256;
} // namespace http

/// [tls] — mutual TLS between the cluster's processes (docs/OPERATIONS.md,
/// "Security").
namespace tls {
/// true: every CAF connection is mutual TLS with certificates of the
/// cluster's CA, and each message is accepted only from the roles that may
/// send it; false: plain TCP, anyone who can reach a CAF port is believed
/// (a warning in every role's log, in /api/v1/health and `cafflow cluster
/// status`).
constexpr bool enabled = true;
/// Folder of the certificates: ca.pem (and ca.key on the host that issues
/// certificates), <role>.pem and <role>.key per role; empty = <paths.data>/tls.
/// Missing files are created at start where the CA key is.
constexpr const char* dir = "";
/// The CA bundle, this process's certificate and its key, instead of those
/// in dir (all three or none).
constexpr const char* ca = "";
constexpr const char* cert = "";
constexpr const char* key = "";
} // namespace tls
/// [mail] — how email actions send mail.
namespace mail {
/// host:port of the SMTP server; empty = no server: mail is written as .eml
/// files under <paths.logs>/mail/.
constexpr const char* server = "";
/// The sender address.
constexpr const char* from = "cafflow@localhost";
/// SMTP user; empty = no authentication.
constexpr const char* user = "";
/// SMTP password (or password_file, a file holding it; not both).
constexpr const char* password = "";
constexpr const char* password_file = "";
/// none, starttls or tls (SMTPS).
constexpr const char* security = "none";
/// Seconds a connection to the server and each exchange may take.
constexpr int timeout_s = 30;
/// CA certificates (PEM) the server's certificate must chain to; empty = the
/// system's.
constexpr const char* ca_file = "";
} // namespace mail

/// [odbc] — the ODBC drivers Oracle and Hive links connect through (akkaflow's
/// jdbc:oracle:thin:@... and jdbc:hive2://... urls; docs/MIGRATING.md): the
/// names of their sections in the worker's odbcinst.ini.
namespace odbc {
/// Oracle's ODBC driver (Instant Client registers e.g. "Oracle 21 ODBC driver").
constexpr const char* oracle_driver = "Oracle";
/// A HiveServer2 ODBC driver (e.g. "Cloudera ODBC Driver for Apache Hive 64-bit").
constexpr const char* hive_driver = "Hive";
} // namespace odbc

/// [hdfs] — HDFS ends of a transfer (akkaflow's hdfs:// paths and HDFS file
/// links) and file-monitors on HDFS links go through the Hadoop client on the
/// worker.
namespace hdfs {
/// The Hadoop client command (a name on PATH or a path): cafflow runs
/// `<command> dfs -get/-put -f/-mkdir -p/-ls ...`.
constexpr const char* command = "hdfs";
} // namespace hdfs

/// [alert] — the alerter of the active master (docs/OPERATIONS.md, "Alerts").
namespace alert {
/// false: no alert is recorded or sent.
constexpr bool enabled = true;
/// Channels of alerts.xml for the cluster's own events (worker lost,
/// failover, store degraded, invalid xmlconfig file); empty = none.
constexpr const char* system_to = "";
/// The HTTP server's address as users reach it, for links in alerts; empty = no links.
constexpr const char* base_url = "";
/// Messages one channel sends at most per window; the last one waits for
/// the storm to calm and lists every alert that waits (a digest).
constexpr int max_per_window = 5;
constexpr int window_s = 60;
/// Seconds without a new alert after which the last message of a window goes.
constexpr int quiet_s = 3;
/// Seconds before the first retry of a failed delivery; doubled each time.
constexpr int retry_initial_s = 2;
/// Longest wait between two tries.
constexpr int retry_max_s = 300;
/// Tries before an alert is given up (status failed); 0 = never give up.
constexpr int max_attempts = 0;
/// Milliseconds between two looks at the outbox.
constexpr int poll_ms = 500;
} // namespace alert

/// Not config keys: how the actions run by cafflow-exec behave.
namespace actions {
/// Seconds between two progress lines of a transfer in its task log.
constexpr int progress_interval_s = 5;
/// Rows a transfer reads and writes at a time (one multi-row INSERT).
constexpr int batch_rows = 1000;
} // namespace actions

/// [retention] — how long history is kept (docs/OPERATIONS.md, "Retention
/// and backup"); 0 = forever. The master prunes the store, each worker its
/// own task logs and work directories, in the background in small batches.
namespace retention {
/// Days an ended instance (with its nodes, attempts and their rows) is kept
/// after it finished.
constexpr int days = 90;
/// Days a worker keeps the task logs of an instance (<paths.logs>/<instance>/)
/// after they were last written.
constexpr int log_days = 90;
/// Days a worker keeps the work directories of an instance
/// (<paths.data>/work/<instance>/) after they were last written.
constexpr int work_dir_days = 7;
/// Stored versions (the XML) kept per workflow: the newest this many; the
/// versions that queued or running instances run are kept too.
constexpr int xml_versions = 20;
/// Rows (instances, versions) or directories removed in one go; the next
/// batch follows after a short pause, so that pruning never holds the store
/// or the disk for long.
constexpr int batch = 200;
/// Seconds between two rounds of pruning (the first one a minute after start, or
/// after this interval when it is shorter).
constexpr int interval_s = 3600;
} // namespace retention

/// [log]
namespace log {
/// trace, debug, info, warn, error
constexpr const char* level = "info";
/// Size at which a role's log file rotates, in bytes.
constexpr std::size_t max_file_bytes = 10 * 1024 * 1024;
/// Rotated files kept per role.
constexpr int max_files = 5;
} // namespace log

/// [caf] — settings of the actor system, identical on every node.
namespace caf {
/// Milliseconds between middleman heartbeats (0 = off). Must be set on all nodes.
constexpr int heartbeat_interval_ms = 200;
/// Milliseconds without traffic after which a peer counts as unreachable.
constexpr int connection_timeout_ms = 2000;
/// Milliseconds a connect to a remote node may take.
constexpr int connect_timeout_ms = 2000;
/// Threads of the CAF scheduler (0 = number of cores).
constexpr int scheduler_threads = 0;
/// Not a config key: milliseconds a stopped process waits for the actor
/// system to wind down before it exits anyway (CAF 0.17 issue #1196).
constexpr int shutdown_grace_ms = 1000;
} // namespace caf

} // namespace cafflow::defaults
