// The REST API (/api/v1): routing, validation and JSON, independent of how
// the answers are obtained (an api_backend) and of the HTTP server.
#pragma once

#include <cstddef>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "expected.hpp"
#include "model/alert.hpp"
#include "model/metrics.hpp"
#include "model/records.hpp"
#include "model/scheduling.hpp"
#include "store/store.hpp"

namespace cafflow {


struct http_request {
  std::string method;
  /// The request carried a valid token (header or the page's cookie); set by
  /// the server (http/auth.hpp).
  bool authenticated = false;
  /// The path without the query, still percent-encoded.
  std::string path;
  /// The raw query string (after '?').
  std::string query;
  std::string body;
  /// The header fields as sent (name, value), set by the server.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The value of the first header field named `name` (any case), "" when none.
  std::string header(std::string_view name) const;
};

/// Where the body of a streamed response goes (server-sent events). Safe to
/// use from any thread; once the client left or the server stopped, writes
/// return false and the producer should stop.
class http_sink {
public:
  virtual ~http_sink() = default;
  /// Queues bytes for the client; false when nobody will read them.
  virtual bool write(std::string bytes) = 0;
  /// Ends the response: the connection closes once everything is written.
  virtual void close() = 0;
  /// False once the client left or the server stopped.
  virtual bool open() const = 0;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers (name, value).
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the body is streamed: the server sends the head (no
  /// Content-Length, the connection closes at the end), then calls this
  /// with the sink that takes the body. `body` is ignored.
  std::function<void(std::shared_ptr<http_sink>)> stream;
  /// When set, the server closes the connection after this response and
  /// calls this (on its own thread) once the response is written, or the
  /// client has gone: e.g. the http role stops after answering akkaflow's
  /// cluster?action=shutdown.
  std::function<void()> after_sent;
};

/// What the API needs from the cluster. Implementations may block.
class api_backend {
public:
  virtual ~api_backend() = default;
  virtual expected<health_record> health() = 0;
  /// The lease and the masters from the store; answers while no master does.
  virtual expected<cluster_view> cluster() = 0;
  virtual expected<std::vector<workflow_record>> workflows() = 0;
  /// Every workflow ever loaded: the active ones and those whose file is
  /// gone (status "removed"). Without an override: the active ones.
  virtual expected<std::vector<workflow_record>> known_workflows() { return workflows(); }
  /// The workflows that pass `filter`, `limit` of them (0 = all) from
  /// `offset` on, and how many pass. Without an override: filtered from
  /// workflows() or known_workflows() (a master pages where they are).
  virtual expected<workflow_page> workflows_page(const workflow_filter& filter,
                                                 std::uint64_t offset, std::uint64_t limit);
  /// Every file of xmlconfig with its status and diagnostics.
  virtual expected<std::vector<xml_file_record>> xml_files() = 0;
  virtual expected<std::vector<instance_record>> instances(const instance_filter& filter) = 0;
  virtual expected<instance_record> instance(const std::string& id) = 0;
  /// One workflow with its coordinator and the workflows downstream of it.
  virtual expected<workflow_detail> workflow(const std::string& name) = 0;
  /// Starts an instance (manual run, trigger or lineage); returns its id
  /// (for a lineage run: the root's).
  virtual expected<std::string> start(const start_request& request) = 0;
  /// Runs an ended instance again under its id.
  virtual expected<void> rerun(const std::string& id, const rerun_request& request) = 0;
  /// The executions of an instance, by number. Without an override:
  /// unsupported.
  virtual expected<std::vector<execution_record>> executions(const std::string& id) {
    (void)id;
    return make_error(ec::unspecified, "executions are not supported here");
  }
  /// Marks a node of an instance succeeded or failed; the instance goes on.
  /// Without an override: unsupported.
  virtual expected<void> mark(const std::string& id, const mark_request& request) {
    (void)id;
    (void)request;
    return make_error(ec::unspecified, "marking nodes is not supported here");
  }
  /// Pauses, resumes or resets a coordinator (action "pause", "resume" or "reset").
  virtual expected<void> coordinate(const std::string& name, const std::string& action) = 0;
  /// Resets every coordinator: no dependency is ready afterwards (akkaflow's
  /// /akkaflow/workflows?action=reset). Without an override: unsupported.
  virtual expected<void> reset_coordinators() {
    return make_error(ec::unspecified, "resetting every coordinator is not supported here");
  }
  /// Kills a running or waiting instance.
  virtual expected<void> kill(const std::string& id) = 0;
  /// Fires a coordinator (a standalone one or a workflow's) now, as its cron
  /// tick would; returns the instances started (comma-separated, "" when
  /// none). Without an override: unsupported.
  virtual expected<std::string> fire_coordinator(const std::string& name) {
    (void)name;
    return make_error(ec::unspecified, "firing a coordinator is not supported here");
  }
  /// Deletes an ended instance with its nodes, attempts and executions; a
  /// running or queued one is a conflict. Without an override: unsupported.
  virtual expected<void> delete_instance(const std::string& id) {
    (void)id;
    return make_error(ec::unspecified, "deleting instances is not supported here");
  }
  /// Stops the master: it drains and exits (answers before it stops).
  /// Without an override: unsupported.
  virtual expected<void> shutdown() {
    return make_error(ec::unspecified, "stopping the master is not supported here");
  }
  /// A piece of a node's log; attempt 0 = the last one.
  virtual expected<log_chunk> node_log(const std::string& id, const std::string& node,
                                       int attempt, std::int64_t offset) = 0;
  /// The date-window dependencies of an instance, or of a workflow at a
  /// logical time (0 = its next fire). Without an override: unsupported.
  virtual expected<dependency_report> instance_dependencies(const std::string&) {
    return make_error(ec::unspecified, "dependencies are not supported here");
  }
  virtual expected<dependency_report> workflow_dependencies(const std::string&, timestamp) {
    return make_error(ec::unspecified, "dependencies are not supported here");
  }
  /// Creates a backfill, or plans it only (request.dry_run); returns it with
  /// its items. Without an override: unsupported.
  virtual expected<backfill_record> create_backfill(const backfill_request&) {
    return make_error(ec::unspecified, "backfills are not supported here");
  }
  /// Backfills, newest first, with their counts: all (`state` "") or in `state`.
  virtual expected<std::vector<backfill_record>> backfills(const std::string&, int) {
    return make_error(ec::unspecified, "backfills are not supported here");
  }
  /// One backfill with its items.
  virtual expected<backfill_record> backfill(const std::string&) {
    return make_error(ec::unspecified, "backfills are not supported here");
  }
  /// Cancels a backfill: its items not started are cancelled, its running
  /// instances killed.
  virtual expected<backfill_record> cancel_backfill(const std::string&) {
    return make_error(ec::unspecified, "backfills are not supported here");
  }
  /// A stored version of a workflow with its XML.
  virtual expected<workflow_version_record> workflow_version(const std::string& name,
                                                             int version) {
    (void)name;
    (void)version;
    return make_error(ec::unspecified, "workflow versions are not supported here");
  }
  /// Sends the instance's state (as GET /api/v1/instances/{id}, without
  /// its nodes unless `with_nodes`) to `sink` as a server-sent event now and
  /// after each change, until it ends or the client leaves; returns at once
  /// (the events come from elsewhere). Without an override: unsupported.
  virtual expected<void> follow_instance(const std::string& id, bool with_nodes,
                                         std::shared_ptr<http_sink> sink) {
    (void)id;
    (void)with_nodes;
    (void)sink;
    return make_error(ec::unspecified, "following an instance is not supported here");
  }
  /// The master's numbers for GET /metrics (http/metrics.hpp). Without an
  /// override: unsupported (a 500).
  virtual expected<metrics_snapshot> metrics() {
    return make_error(ec::unspecified, "metrics are not supported here");
  }
  /// The alert outbox and history (from the store: answers while no master
  /// does). Without an override: unsupported (a 500).
  virtual expected<std::vector<alert_record>> alerts(const alert_filter&) {
    return make_error(ec::unspecified, "alerts are not supported here");
  }
  virtual expected<std::optional<alert_record>> alert(std::int64_t) {
    return make_error(ec::unspecified, "alerts are not supported here");
  }
};

/// The workflows of `list` that pass `filter`, in their order.
std::vector<workflow_record> filter_workflows(const std::vector<workflow_record>& list,
                                              const workflow_filter& filter);

/// The cluster view of `lease` and `nodes` at `now`: the nodes by address,
/// plus the lease holder when it has no row; the holder is "active" while its
/// lease has not expired, every other master (and an expired holder) "standby".
cluster_view make_cluster_view(const lease_record& lease,
                               const std::vector<master_node_record>& nodes, timestamp now);

/// Answers one request. Never throws.
http_response handle_api(api_backend& backend, const http_request& request);

/// A JSON error response: {"error": message}.
http_response error_response(int status, const std::string& message);

/// `text` with its %-escapes decoded ('+' as a space when `plus_is_space`);
/// throws Poco::SyntaxException on a malformed escape.
std::string decode(const std::string& text, bool plus_is_space);

/// "/a/b/c" as its decoded segments {"a", "b", "c"} (a trailing slash adds
/// nothing); throws Poco::SyntaxException on a malformed escape.
std::vector<std::string> segments(const std::string& path);

/// One server-sent event (`event` and `id` may be empty): every line of
/// `data` becomes a `data:` line, so that a line break in it cannot end
/// the event early.
std::string sse_event(const std::string& event, const std::string& data,
                      const std::string& id = "");

/// The HTTP status for an error code.
int http_status(ec code);

} // namespace cafflow
