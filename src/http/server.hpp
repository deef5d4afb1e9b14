// The HTTP server (Poco::Net): reads requests, enforces limits and the
// bearer token (http/auth.hpp), and passes each one to a handler function.
// Thread-per-connection, bounded.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "expected.hpp"
#include "http/api.hpp"
#include "http/auth.hpp"

namespace cafflow {

class http_server {
public:
  using handler = std::function<http_response(const http_request&)>;

  struct options {
    host_port address;
    int max_threads = 16;
    std::size_t max_body_bytes = 1 << 20;
    /// Checked before the handler sees a request (every route alike).
    auth_settings auth;
  };

  http_server(options opts, handler h);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and starts serving; fails when the address cannot be bound.
  expected<void> start();

  /// Stops accepting and waits for running requests.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace cafflow
