// Bearer-token authentication of HTTP requests: which requests need the token
// ([http] token, [http] open_reads) and whether a request carries it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/api.hpp"

namespace cafflow {

/// How the HTTP server authenticates requests.
struct auth_settings {
  /// The shared secret; empty = no authentication at all.
  std::string token;
  /// Reads (see `is_read`) need no token even when one is set.
  bool open_reads = true;
};

/// True when the request only reads: GET or HEAD, and for the akkaflow
/// routes (which change things on GET) only their `action=get`.
bool is_read(const http_request& request);

/// Checks a request against the settings. `authorization` is the value of
/// its Authorization header ("" when absent). Answers nothing when the
/// request may proceed, else the 401 to send (with `WWW-Authenticate`).
std::optional<http_response> authorize(const auth_settings& settings,
                                       const http_request& request,
                                       std::string_view authorization);

/// Compares two secrets in time that depends on neither their contents nor
/// their lengths (both are hashed first).
bool secrets_equal(std::string_view a, std::string_view b);

} // namespace cafflow
