// akkaflow's HTTP routes (/akkaflow/...) for users migrating from akkaflow:
// the requests its sbin/akka-* scripts send (GET with query parameters),
// answered with akkaflow's envelope {"result": "success"|"fail", "msg": ...,
// "data": ...} as application/json, over the same api_backend as /api/v1.
// docs/API.md "akkaflow routes" lists them with their cafflow meaning.
#pragma once

#include <string>

#include "http/api.hpp"

namespace cafflow {

/// True when a (still percent-encoded) request path is an akkaflow route:
/// its first segment, decoded, is "akkaflow".
bool is_akkaflow_path(const std::string& path);

/// True when an akkaflow request only reads (`action=get` of a workflow or
/// of the cluster); every other akkaflow request changes something, even on
/// GET, and a malformed one counts as changing something.
bool is_akkaflow_read(const http_request& request);

/// Answers one akkaflow request. Never throws.
http_response handle_akkaflow(api_backend& backend, const http_request& request);

/// akkaflow's name of an instance status: queued → W_PREP, running →
/// W_RUNNING, succeeded → W_SUCCESSED, failed → W_FAILED, killed → W_KILLED
/// (anything else is returned upper-cased with a W_ prefix).
std::string akkaflow_status(const std::string& status);

} // namespace cafflow
