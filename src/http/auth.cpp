#include "http/auth.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "http/akkaflow.hpp"
#include "http/page.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

Poco::DigestEngine::Digest sha256(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return engine.digest();
}

http_response unauthorized(const std::string& message, bool invalid_token) {
  auto r = error_response(401, message);
  // RFC 6750 §3: the scheme, and the error code when a token was presented.
  r.headers.emplace_back("WWW-Authenticate", invalid_token
                                               ? R"(Bearer realm="cafflow", error="invalid_token")"
                                               : R"(Bearer realm="cafflow")");
  return r;
}

} // namespace

bool secrets_equal(std::string_view a, std::string_view b) {
  // Hashing first gives two strings of the same length, so the loop below
  // runs the same number of rounds whatever the lengths and contents are.
  auto x = sha256(a);
  auto y = sha256(b);
  unsigned char diff = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    diff |= static_cast<unsigned char>(x[i] ^ y[i]);
  return diff == 0 && x.size() == y.size();
}

bool is_read(const http_request& request) {
  if (request.method != "GET" && request.method != "HEAD")
    return false;
  // akkaflow's routes start runs, kills and resets on GET.
  return !is_akkaflow_path(request.path) || is_akkaflow_read(request);
}

std::optional<http_response> authorize(const auth_settings& settings,
                                       const http_request& request,
                                       std::string_view authorization) {
  if (settings.token.empty())
    return std::nullopt;
  if (settings.open_reads && is_read(request))
    return std::nullopt;
  auto header = trim(authorization);
  if (header.empty())
    return unauthorized("missing token: " + request.method + " " + request.path
                          + " needs the header 'Authorization: Bearer <token>' (the token is "
                            "[http] token of the server's configuration)",
                        false);
  auto space = header.find_first_of(" \t");
  // The header is not echoed: a client that sent the bare token would find it
  // in the answer (and in whatever logs the answer).
  if (to_lower(header.substr(0, space)) != "bearer")
    return unauthorized("the Authorization header must be 'Bearer <token>' (another scheme or "
                        "no scheme was given)",
                        false);
  auto token = space == std::string::npos ? std::string()
                                          : trim(std::string_view(header).substr(space));
  if (token.empty())
    return unauthorized("the Authorization header has no token after 'Bearer'", false);
  if (!secrets_equal(token, settings.token))
    return unauthorized("wrong token in the Authorization header", true);
  return std::nullopt;
}

std::string session_value(std::string_view token) {
  return Poco::DigestEngine::digestToHex(sha256("cafflow page session:" + std::string(token)));
}

std::string cookie_value(std::string_view cookie_header, std::string_view name) {
  std::size_t start = 0;
  while (start < cookie_header.size()) {
    auto end = cookie_header.find(';', start);
    auto item = trim(cookie_header.substr(start, end == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : end - start));
    auto eq = item.find('=');
    if (eq != std::string::npos && trim(std::string_view(item).substr(0, eq)) == name)
      return trim(std::string_view(item).substr(eq + 1));
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return {};
}

std::optional<http_response> authorize_request(const auth_settings& settings,
                                               const http_request& request,
                                               bool& authenticated) {
  authenticated = false;
  if (settings.token.empty()) {
    authenticated = true;
    return std::nullopt;
  }
  bool open = is_page_path(request.path) || (settings.open_reads && is_read(request));
  auto header = request.header("Authorization");
  if (!header.empty()) {
    auth_settings strict{settings.token, false};
    auto refused = authorize(strict, request, header);
    authenticated = !refused;
    if (refused && !open)
      return refused;
    return std::nullopt;
  }
  auto cookie = cookie_value(request.header("Cookie"), session_cookie);
  if (!cookie.empty()) {
    if (secrets_equal(cookie, session_value(settings.token))) {
      if (!is_read(request) && !is_page_path(request.path)
          && request.header(page_header).empty())
        return error_response(403, "a request with the page's session cookie that changes "
                                   "something must carry the header "
                                   + std::string(page_header)
                                   + " (protection against cross-site requests)");
      authenticated = true;
      return std::nullopt;
    }
    if (!open)
      return unauthorized("the page's session is not valid (was the token changed?): log in "
                          "again",
                          true);
    return std::nullopt;
  }
  if (open)
    return std::nullopt;
  return authorize(settings, request, "");
}

} // namespace cafflow
