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

/// The page's session cookie (http/page.hpp), and the header the page sends
/// with every request that changes something: a form or script of another
/// site cannot send it without CORS, which this server never allows.
constexpr const char* session_cookie = "cafflow_session";
constexpr const char* page_header = "X-Cafflow-Page";

/// The value of the session cookie for `token`: a SHA-256 of it, so that the
/// cookie never holds the token itself.
std::string session_value(std::string_view token);

/// The value of cookie `name` in a Cookie header ("" when absent).
std::string cookie_value(std::string_view cookie_header, std::string_view name);

/// authorize() for a request with its header fields: the Authorization
/// header as there, or the page's session cookie; with the cookie, a request
/// that changes something must also carry `page_header` (403 otherwise:
/// CSRF). The page's own paths pass (its login checks the token itself).
/// Sets `authenticated` when a right token or cookie came (always when no
/// token is configured).
std::optional<http_response> authorize_request(const auth_settings& settings,
                                               const http_request& request,
                                               bool& authenticated);

/// Compares two secrets in time that depends on neither their contents nor
/// their lengths (both are hashed first).
bool secrets_equal(std::string_view a, std::string_view b);

} // namespace cafflow
