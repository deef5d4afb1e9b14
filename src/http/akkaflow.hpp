// akkaflow's HTTP routes (/akkaflow/...) for users migrating from akkaflow:
// every route its HttpServer served in any release (v1.0 ... 2.12.1), with
// the parameters its sbin/akka-* scripts send (GET with query parameters, POST
// with a form body for add/check), answered with akkaflow's envelope
// {"result": "success"|"fail", "msg": ..., "data": ...} as application/json,
// over the same api_backend as /api/v1. docs/API.md "akkaflow routes" lists
// them with their cafflow meaning.
#pragma once

#include <chrono>
#include <string>

#include "http/api.hpp"

namespace cafflow {

/// What the definition routes (add, check, del of workflows and
/// coordinators) need besides the backend: cafflow's definitions are files,
/// so adding one writes it into xmlconfig and deleting one removes its file.
struct akkaflow_settings {
  /// The master's xmlconfig folder as this process sees it; empty = the
  /// routes that write or remove definition files answer 501.
  std::string xmlconfig;
  /// conf/db_links.xml, for checking db-link names in submitted definitions
  /// (empty = names are not checked).
  std::string db_links;
  /// conf/file_links.xml, for checking file-link names (empty = not checked).
  std::string file_links;
  /// How long add and del wait for the master to load or unload the file
  /// before answering (the answer says when it has not yet).
  std::chrono::milliseconds load_wait{5000};
  /// [http] allow_shutdown: cluster?action=shutdown stops the master;
  /// false = it is refused with 403.
  bool allow_shutdown = false;
};

/// True when a (still percent-encoded) request path is an akkaflow route:
/// its first segment, decoded, is "akkaflow".
bool is_akkaflow_path(const std::string& path);

/// True when an akkaflow request only reads (a workflow's or the cluster's
/// `action=get`, a coordinator's `get`, the waiting list, `today-trigger-left`,
/// `check`); every other akkaflow request changes something, even on GET, and
/// a malformed one counts as changing something.
bool is_akkaflow_read(const http_request& request);

/// Answers one akkaflow request. Never throws.
http_response handle_akkaflow(api_backend& backend, const http_request& request,
                              const akkaflow_settings& settings = {});

/// akkaflow's name of an instance status: queued → W_PREP, running →
/// W_RUNNING, succeeded → W_SUCCESSED, failed → W_FAILED, killed → W_KILLED
/// (anything else is returned upper-cased with a W_ prefix).
std::string akkaflow_status(const std::string& status);

} // namespace cafflow
