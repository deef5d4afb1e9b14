// The REST API (/api/v1): routing, validation and JSON, independent of how
// the answers are obtained (an api_backend) and of the HTTP server.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/records.hpp"
#include "model/scheduling.hpp"

namespace cafflow {

struct http_request {
  std::string method;
  /// The path without the query, still percent-encoded.
  std::string path;
  /// The raw query string (after '?').
  std::string query;
  std::string body;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers (name, value).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// What the API needs from the cluster. Implementations may block.
class api_backend {
public:
  virtual ~api_backend() = default;
  virtual expected<health_record> health() = 0;
  virtual expected<std::vector<workflow_record>> workflows() = 0;
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
  /// Pauses, resumes or resets a coordinator (action "pause", "resume" or "reset").
  virtual expected<void> coordinate(const std::string& name, const std::string& action) = 0;
  /// Kills a running or waiting instance.
  virtual expected<void> kill(const std::string& id) = 0;
  /// A piece of a node's log; attempt 0 = the last one.
  virtual expected<log_chunk> node_log(const std::string& id, const std::string& node,
                                       int attempt, std::int64_t offset) = 0;
};

/// Answers one request. Never throws.
http_response handle_api(api_backend& backend, const http_request& request);

/// A JSON error response: {"error": message}.
http_response error_response(int status, const std::string& message);

/// The HTTP status for an error code.
int http_status(ec code);

} // namespace cafflow
