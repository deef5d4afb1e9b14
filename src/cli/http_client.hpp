// A blocking HTTP/1.1 client for the CLI and the tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "expected.hpp"

namespace cafflow {

/// Header fields (name, value), in order.
using http_headers = std::vector<std::pair<std::string, std::string>>;

struct client_response {
  int status = 0;
  std::string body;
  /// Every header of the answer. (The initializer lets callers build a
  /// response from status and body alone.)
  http_headers headers{};

  /// The first header `name` (case-insensitive), or "".
  std::string header(const std::string& name) const;
};

/// Sends one request to `address` and reads the whole answer. Fails (with
/// ec::master_unreachable) when the server cannot be reached in time.
/// `headers` are sent as given (e.g. `bearer(token)`).
expected<client_response> http_call(const host_port& address, const std::string& method,
                                    const std::string& path, const std::string& body = {},
                                    int timeout_ms = 10000, const http_headers& headers = {});

/// The Authorization header for a token ("Bearer <token>"); none for "".
http_headers bearer(const std::string& token);

/// Percent-encodes one path segment or query value.
std::string url_encode(const std::string& text);

} // namespace cafflow
