// A blocking HTTP/1.1 client for the CLI and the tests.
#pragma once

#include <string>

#include "config/config.hpp"
#include "expected.hpp"

namespace cafflow {

struct client_response {
  int status = 0;
  std::string body;
};

/// Sends one request to `address` and reads the whole answer. Fails (with
/// ec::master_unreachable) when the server cannot be reached in time.
expected<client_response> http_call(const host_port& address, const std::string& method,
                                    const std::string& path, const std::string& body = {},
                                    int timeout_ms = 10000);

/// Percent-encodes one path segment or query value.
std::string url_encode(const std::string& text);

} // namespace cafflow
