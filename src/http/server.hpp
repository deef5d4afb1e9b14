// The HTTP server: one thread reads requests from every connection (epoll)
// with per-request deadlines and a connection limit, checks the bearer token
// (http/auth.hpp) after the headers, and hands complete requests to a few
// handler threads; their answers are written back by the reading thread.
//
// Why not Poco's HTTPServer: it is thread-per-connection, so 16 half-open
// connections (slowloris) took all 16 threads and the API stopped answering;
// its receive timeout is per read, so a client that sends a byte now and
// then holds a thread forever; and it parses leniently (a second
// Content-Length was accepted). Here an open connection costs a socket and
// a buffer, not a thread, and requests are read strictly
// (http/request_reader.hpp): whatever is malformed gets a 4xx.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "defaults.hpp"
#include "expected.hpp"
#include "http/api.hpp"
#include "http/auth.hpp"

namespace cafflow {

/// A TCP socket listening on an address. Bound without SO_REUSEPORT: while
/// one server listens on a port, a second one fails to bind it (instead of
/// the kernel splitting the connections between the two).
class http_listener {
public:
  /// Binds and listens; the error names the address and the reason.
  static expected<std::shared_ptr<http_listener>> open(const host_port& address);
  ~http_listener();
  http_listener(const http_listener&) = delete;
  http_listener& operator=(const http_listener&) = delete;

  int fd() const { return fd_; }
  const host_port& address() const { return address_; }

private:
  http_listener(int fd, host_port address) : fd_(fd), address_(std::move(address)) {}
  int fd_;
  host_port address_;
};

class http_server {
public:
  using handler = std::function<http_response(const http_request&)>;

  struct options {
    host_port address;
    /// Threads running the handler.
    int max_threads = 16;
    std::size_t max_body_bytes = 1 << 20;
    /// Connections open at once (defaults.hpp: what happens at the limit).
    int max_connections = defaults::http::max_connections;
    /// A request's line and headers must arrive within this from their first byte.
    std::chrono::milliseconds header_timeout{defaults::http::header_timeout_ms};
    /// Its body within this from the end of the headers.
    std::chrono::milliseconds body_timeout{defaults::http::body_timeout_ms};
    /// A connection may be idle this long between requests.
    std::chrono::milliseconds keep_alive_timeout{defaults::http::keep_alive_timeout_ms};
    /// Checked before the handler sees a request (every route alike).
    auth_settings auth;
    /// A socket already listening on `address`; none = start() binds one.
    std::shared_ptr<http_listener> listener;
  };

  http_server(options opts, handler h);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds (unless a listener was given) and starts serving; fails when the
  /// address cannot be bound.
  expected<void> start();

  /// Stops accepting, closes every connection and waits for running handlers.
  void stop();

  /// What the server did so far (logged when it stops).
  struct counters {
    std::uint64_t accepted = 0;
    std::uint64_t requests = 0;
    /// Requests refused while reading them (4xx from http/request_reader).
    std::uint64_t malformed = 0;
    /// Requests or connections not received in time (408, or closed idle).
    std::uint64_t timed_out = 0;
    /// Connections closed to make room for a new one.
    std::uint64_t evicted = 0;
    /// Answered 503 because no connection or handler was free.
    std::uint64_t busy = 0;
  };
  counters stats() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// An HTTP/1.1 response as bytes: status line, Content-Type, Content-Length,
/// Connection (close unless `keep_alive`) and the extra headers, then the
/// body unless `head_only` (an answer to HEAD).
std::string serialize_response(const http_response& response, bool keep_alive, bool head_only);

} // namespace cafflow
