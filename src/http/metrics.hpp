// GET /metrics: the master's numbers in the Prometheus text exposition format
// (version 0.0.4). Rendering is a pure function of a metrics_snapshot; the
// series are listed in docs/OPERATIONS.md ("Metrics").
#pragma once

#include <string>

#include "http/api.hpp"
#include "model/metrics.hpp"

namespace cafflow {

/// The Content-Type of the exposition.
inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Every series of `m`, each family with its HELP and TYPE lines.
std::string render_metrics(const metrics_snapshot& m);

/// Answers GET (and HEAD) /metrics from the backend: 200 with the exposition,
/// 503 when the master does not answer, 405 for other methods, 400 for a
/// query string. Never throws.
http_response handle_metrics(api_backend& backend, const http_request& request);

} // namespace cafflow
