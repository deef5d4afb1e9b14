// The REST API (/api/v1): routing, validation and JSON, independent of how
// the answers are obtained (an api_backend) and of the HTTP server.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "expected.hpp"
#include "model/records.hpp"

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
  /// Starts a manual run; returns the new instance id.
  virtual expected<std::string> run(const std::string& workflow, const param_map& params) = 0;
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
