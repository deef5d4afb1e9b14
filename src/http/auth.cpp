#include "http/auth.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "http/akkaflow.hpp"
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

} // namespace cafflow
