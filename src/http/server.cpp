#include "http/server.hpp"

#include "defaults.hpp"
#include "http/request_reader.hpp"
#include "log.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cafflow {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::uint32_t readable = EPOLLIN;

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Error";
  }
}

/// A header value from a handler, safe to write (no line breaks).
std::string header_value(const std::string& value) {
  std::string result = value;
  for (auto& c : result)
    if (c == '\r' || c == '\n')
      c = ' ';
  return result;
}

std::string errno_text(int err) { return std::strerror(err); }

} // namespace

std::string serialize_response(const http_response& response, bool keep_alive, bool head_only) {
  for (const auto& [name, value] : response.headers)
    if (to_lower(name) == "connection" && to_lower(value) == "close")
      keep_alive = false;
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " "
                    + reason_phrase(response.status) + "\r\n";
  out += "Content-Type: " + header_value(response.content_type) + "\r\n";
  // A streamed body ends when the connection closes.
  if (response.stream)
    keep_alive = false;
  else
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : response.headers) {
    auto lower = to_lower(name);
    if (lower == "connection" || lower == "content-length" || lower == "content-type")
      continue;
    out += header_value(name) + ": " + header_value(value) + "\r\n";
  }
  out += "\r\n";
  if (!head_only && !response.stream)
    out += response.body;
  return out;
}

// -- the listening socket ----------------------------------------------------------

expected<std::shared_ptr<http_listener>> http_listener::open(const host_port& address) {
  auto fail = [&](const std::string& why) {
    return make_error(ec::http_error, "cannot listen on " + address.to_string() + ": " + why);
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto port = std::to_string(address.port);
  if (int rc = getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(),
                           &hints, &found);
      rc != 0)
    return fail(std::string("cannot resolve the host: ") + gai_strerror(rc));
  std::string why = "no address to bind";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0) {
      why = errno_text(errno);
      continue;
    }
    // SO_REUSEADDR lets a restarted server bind at once although connections
    // of the last one linger in TIME_WAIT; it never lets two servers listen
    // on one port (SO_REUSEPORT would, and the kernel would split the
    // connections between them).
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      auto err = errno;
      why = errno_text(err);
      if (err == EADDRINUSE)
        why += " (another process listens on this port)";
      ::close(fd);
      continue;
    }
    freeaddrinfo(found);
    return std::shared_ptr<http_listener>(new http_listener(fd, address));
  }
  freeaddrinfo(found);
  return fail(why);
}

http_listener::~http_listener() {
  if (fd_ >= 0)
    ::close(fd_);
}

// -- the server ----------------------------------------------------------------------

namespace {

/// What a handler thread or a stream's producer hands the reading thread.
struct answer {
  enum class kind {
    /// A whole response.
    full,
    /// The head of a streamed response (the connection streams from now on).
    stream_head,
    /// A piece of a streamed body.
    stream_data,
    /// The end of a streamed body.
    stream_end,
  };
  std::uint64_t conn = 0;
  std::string bytes;
  bool close = false;
  kind what = kind::full;
  /// For a stream's head: cleared by the reading thread when the connection closes.
  std::shared_ptr<std::atomic<bool>> alive;
  /// A full answer's http_response::after_sent.
  std::function<void()> after_sent;
};

/// The answers for the reading thread, and how to wake it. Shared with the
/// sinks of streamed responses, which may outlive the server.
struct answer_hub {
  std::mutex mutex;
  std::vector<answer> ready;
  /// Set (under the mutex) before wake_fd is closed.
  bool stopped = false;
  int wake_fd = -1;

  /// Queues `a` and wakes the reading thread; false once stopped.
  bool post(answer a) {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopped)
      return false;
    ready.push_back(std::move(a));
    std::uint64_t one = 1;
    while (::write(wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    return true;
  }
};

/// The body of a streamed response, from any thread.
class server_sink final : public http_sink {
public:
  server_sink(std::shared_ptr<answer_hub> hub, std::uint64_t conn,
              std::shared_ptr<std::atomic<bool>> alive)
    : hub_(std::move(hub)), conn_(conn), alive_(std::move(alive)) {}

  bool write(std::string bytes) override {
    if (!alive_->load())
      return false;
    return hub_->post(answer{conn_, std::move(bytes), false, answer::kind::stream_data, {}, {}});
  }

  void close() override {
    if (alive_->load())
      hub_->post(answer{conn_, {}, true, answer::kind::stream_end, {}, {}});
  }

  bool open() const override {
    if (!alive_->load())
      return false;
    std::lock_guard<std::mutex> lock(hub_->mutex);
    return !hub_->stopped;
  }

private:
  std::shared_ptr<answer_hub> hub_;
  std::uint64_t conn_;
  std::shared_ptr<std::atomic<bool>> alive_;
};

/// Bytes of a streamed body that may wait for a client that does not read
/// (more: it is cut off).
constexpr std::size_t max_stream_backlog = 8u << 20;

} // namespace

struct http_server::impl {
  options opts;
  handler h;
  std::shared_ptr<spdlog::logger> log = log::get("http");

  int epoll_fd = -1;
  /// Wakes the reading thread: answers are ready, or stop().
  int wake_fd = -1;
  /// Closed and reopened to accept (and answer) a connection when the
  /// process has no descriptor left.
  int spare_fd = -1;
  std::thread io;
  std::vector<std::thread> workers;
  std::atomic<bool> stopping{false};
  bool running = false;

  // -- connections (the reading thread only) --

  enum class conn_state {
    /// Reading a request (or idle between two).
    reading,
    /// A handler works on its request.
    handling,
    /// Writing the answer.
    writing,
    /// Answered and closed for writing; reading what the client still sends
    /// until it closes, so that it sees the answer (a close with unread data
    /// would reset the connection).
    lingering,
    /// Sending a streamed body as its producer hands it over.
    streaming,
  };

  struct connection {
    int fd = -1;
    std::uint64_t id = 0;
    std::string peer;
    conn_state state = conn_state::reading;
    request_reader reader;
    /// A byte of the request being read arrived (its header deadline runs).
    bool request_started = false;
    /// The head of the request being read is complete.
    bool head_done = false;
    /// The request is refused (401): its body is read and dropped, then this is the answer.
    std::optional<http_response> refused;
    bool keep_alive = true;
    bool head_only = false;
    std::string out;
    std::size_t out_pos = 0;
    /// Close (lingering) once `out` is written.
    bool close_after = false;
    std::size_t lingered = 0;
    /// When the current state's deadline passes.
    clock::time_point deadline;
    /// When the connection entered its current wait (oldest is evicted first).
    clock::time_point since;
    std::uint32_t events = 0;
    /// The request being read carried a right token or session cookie.
    bool authenticated = false;
    /// While streaming: cleared when the connection closes (the producer stops).
    std::shared_ptr<std::atomic<bool>> alive;
    /// Called once the answer being written is out (or the connection closes).
    std::function<void()> after_sent;

    explicit connection(request_limits limits) : reader(limits) {}
  };

  std::map<std::uint64_t, std::unique_ptr<connection>> conns;
  std::map<int, std::uint64_t> by_fd;
  std::uint64_t next_id = 1;
  std::size_t lingering = 0;
  /// Connections with a request already received behind the one answered.
  std::vector<std::uint64_t> ready_input;
  clock::time_point last_sweep;
  clock::time_point last_busy_log;
  std::uint64_t busy_since_log = 0;

  // -- handler threads --

  struct job {
    std::uint64_t conn = 0;
    http_request request;
    bool keep_alive = true;
    bool head_only = false;
  };
  std::mutex mutex; // guards jobs, stats_
  std::condition_variable job_ready;
  std::deque<job> jobs;
  std::shared_ptr<answer_hub> hub = std::make_shared<answer_hub>();
  counters stats_;

  request_limits limits() const {
    request_limits l;
    l.max_request_line = defaults::http::max_request_line_bytes;
    l.max_header_bytes = defaults::http::max_header_bytes;
    l.max_header_fields = defaults::http::max_header_fields;
    l.max_body = opts.max_body_bytes;
    return l;
  }

  void count(std::uint64_t counters::*field) {
    std::lock_guard<std::mutex> lock(mutex);
    ++(stats_.*field);
  }

  void wake() {
    std::lock_guard<std::mutex> lock(hub->mutex);
    if (wake_fd < 0)
      return;
    std::uint64_t one = 1;
    while (::write(wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }

  void watch(connection& c, std::uint32_t events) {
    if (c.events == events)
      return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
  }

  void close_connection(std::uint64_t id) {
    auto it = conns.find(id);
    if (it == conns.end())
      return;
    if (it->second->state == conn_state::lingering)
      --lingering;
    if (it->second->alive)
      *it->second->alive = false;
    if (auto done = std::move(it->second->after_sent))
      done();
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, it->second->fd, nullptr);
    ::close(it->second->fd);
    conns.erase(it);
  }

  /// Connections that count against max_connections (lingering ones do not).
  std::size_t open_connections() const { return conns.size() - lingering; }

  // -- writing --

  /// Writes what it can of `c.out`; false when the connection was closed.
  bool flush(connection& c) {
    while (c.out_pos < c.out.size()) {
      auto n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        bool reads = c.state == conn_state::reading || c.state == conn_state::streaming;
        watch(c, (reads ? readable : 0u) | EPOLLOUT);
        return true;
      }
      if (n <= 0) {
        close_connection(c.id);
        return false;
      }
      c.out_pos += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.out_pos = 0;
    if (c.state == conn_state::writing)
      return written(c);
    watch(c, c.state == conn_state::reading || c.state == conn_state::lingering
                  || c.state == conn_state::streaming
                ? readable
                : 0u);
    return true;
  }

  /// The answer is out: the next request, or the end.
  bool written(connection& c) {
    auto now = clock::now();
    if (auto done = std::move(c.after_sent)) {
      c.after_sent = nullptr;
      done();
    }
    if (c.close_after) {
      if (lingering >= static_cast<std::size_t>(opts.max_connections)) {
        close_connection(c.id);
        return false;
      }
      ::shutdown(c.fd, SHUT_WR);
      c.state = conn_state::lingering;
      ++lingering;
      c.deadline = now + std::chrono::seconds(2);
      watch(c, EPOLLIN);
      return true;
    }
    c.state = conn_state::reading;
    c.reader.next_request();
    c.head_done = false;
    c.request_started = c.reader.started();
    c.refused.reset();
    c.since = now;
    c.deadline = now + (c.request_started ? opts.header_timeout : opts.keep_alive_timeout);
    watch(c, EPOLLIN);
    // A request the client sent right behind the last one: read by the loop.
    if (c.reader.buffered() > 0)
      ready_input.push_back(c.id);
    return true;
  }

  /// Answers `c` with `bytes`; closes afterwards when `close`.
  bool send_answer(connection& c, std::string bytes, bool close) {
    c.state = conn_state::writing;
    c.close_after = close;
    c.out += bytes;
    c.deadline = clock::now() + std::chrono::milliseconds(defaults::http::write_timeout_ms);
    return flush(c);
  }

  bool respond(connection& c, const http_response& r, bool close) {
    close = close || !c.keep_alive;
    return send_answer(c, serialize_response(r, !close, c.head_only), close);
  }

  // -- reading --

  /// Reads requests from the bytes `c` received; false when it was closed.
  bool read_requests(connection& c) {
    while (c.state == conn_state::reading) {
      auto step = c.reader.advance();
      if (step == request_reader::step::more) {
        if (!c.request_started && c.reader.started()) {
          c.request_started = true;
          c.deadline = clock::now() + opts.header_timeout;
        }
        return true;
      }
      if (step == request_reader::step::refused) {
        count(&counters::malformed);
        const auto& why = c.reader.refusal();
        log->debug("refused a request from {}: {} {}", c.peer, why.status, why.message);
        c.head_only = false;
        return respond(c, error_response(why.status, why.message), true);
      }
      if (step == request_reader::step::head) {
        if (!on_head(c))
          return false;
        continue;
      }
      // The whole request is here.
      if (c.refused)
        return respond(c, *c.refused, false);
      return dispatch(c);
    }
    return true;
  }

  /// The head is read: the token, the size, "100 Continue".
  bool on_head(connection& c) {
    const auto& head = c.reader.head();
    c.head_done = true;
    c.keep_alive = head.keep_alive;
    c.head_only = head.method == "HEAD";
    c.deadline = clock::now() + opts.body_timeout;
    http_request r;
    r.method = head.method;
    r.path = head.path;
    r.query = head.query;
    r.headers = head.fields;
    bool too_large = head.content_length.value_or(0) > opts.max_body_bytes;
    // Before anything else looks at the request, its body included.
    if (auto refused = authorize_request(opts.auth, r, c.authenticated)) {
      log->info("refused {} {} from {}: no token or a wrong one", r.method, r.path, c.peer);
      // A client that waits for "100 Continue" never sends the body; one
      // whose body is larger than any we take is not worth reading.
      if (too_large || head.expect_continue)
        return respond(c, *refused, true);
      c.refused = std::move(*refused);
      c.reader.discard_body();
      return true;
    }
    if (too_large) {
      auto answer = error_response(413, "request body larger than "
                                          + std::to_string(opts.max_body_bytes) + " bytes");
      return respond(c, answer, true);
    }
    if (head.expect_continue && head.has_body()) {
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      return flush(c);
    }
    return true;
  }

  /// Hands the complete request to a handler thread (or answers 503).
  bool dispatch(connection& c) {
    job j;
    j.conn = c.id;
    const auto& head = c.reader.head();
    j.request.method = head.method;
    j.request.path = head.path;
    j.request.query = head.query;
    j.request.headers = head.fields;
    j.request.authenticated = c.authenticated;
    j.request.body = c.reader.take_body();
    j.keep_alive = c.keep_alive;
    j.head_only = c.head_only;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++stats_.requests;
      if (jobs.size() < defaults::http::max_waiting_requests) {
        jobs.push_back(std::move(j));
        job_ready.notify_one();
        j.conn = 0;
      } else {
        ++stats_.busy;
      }
    }
    if (j.conn != 0) {
      log_busy("every handler thread is busy and "
               + std::to_string(defaults::http::max_waiting_requests) + " requests wait");
      return respond(c, busy_response("every handler thread is busy"), false);
    }
    c.state = conn_state::handling;
    // Nothing more is read until the answer is out; a peer that resets the
    // connection still shows as EPOLLHUP/EPOLLERR.
    watch(c, 0);
    return true;
  }

  http_response busy_response(const std::string& why) {
    auto r = error_response(503, "the HTTP server is busy (" + why + "); try again");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  void log_busy(const std::string& why) {
    ++busy_since_log;
    auto now = clock::now();
    if (now - last_busy_log >= std::chrono::seconds(10)) {
      log->warn("answered 503 to {} request(s) or connection(s): {} (http.max_threads = {}, "
                "http.max_connections = {})",
                busy_since_log, why, opts.max_threads, opts.max_connections);
      busy_since_log = 0;
      last_busy_log = now;
    }
  }

  /// Reads what arrived on `c`.
  void on_readable(connection& c) {
    char buf[64 * 1024];
    // A fair share per wake-up; level-triggered epoll comes back for the rest.
    for (int round = 0; round < 4; ++round) {
      auto n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0) {
        // The client is gone (or done sending while we wait for more).
        close_connection(c.id);
        return;
      }
      if (c.state == conn_state::lingering) {
        c.lingered += static_cast<std::size_t>(n);
        if (c.lingered > 64u << 20) {
          close_connection(c.id);
          return;
        }
        continue;
      }
      if (c.state != conn_state::reading)
        return;
      c.reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      if (!read_requests(c) || c.state != conn_state::reading)
        return;
    }
  }

  // -- accepting --

  /// Makes room for one more connection: closes an idle one, else the one
  /// that has been reading its request longest. False when every connection
  /// is waiting for a handler or writing.
  bool evict() {
    connection* idle = nullptr;
    connection* slow = nullptr;
    for (auto& [id, c] : conns) {
      if (c->state != conn_state::reading)
        continue;
      auto& pick = c->reader.started() ? slow : idle;
      if (pick == nullptr || c->since < pick->since)
        pick = c.get();
    }
    auto* victim = idle != nullptr ? idle : slow;
    if (victim == nullptr)
      return false;
    count(&counters::evicted);
    log->debug("closing the connection from {} ({}) to make room for a new one", victim->peer,
               victim == idle ? "idle" : "its request is incomplete");
    if (victim == idle) {
      close_connection(victim->id);
    } else {
      victim->head_only = false;
      respond(*victim, busy_response("too many open connections"), true);
    }
    return true;
  }

  void accept_connections() {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      int fd = ::accept4(opts.listener->fd(), reinterpret_cast<sockaddr*>(&addr), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        if (errno == EMFILE || errno == ENFILE) {
          refuse_without_descriptors();
          return;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          log->warn("cannot accept a connection on {}: {}", opts.address.to_string(),
                    errno_text(errno));
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++stats_.accepted;
      }
      if (open_connections() >= static_cast<std::size_t>(opts.max_connections) && !evict()) {
        count(&counters::busy);
        log_busy(std::to_string(opts.max_connections) + " connections wait for an answer");
        auto& c = add_connection(fd, addr);
        respond(c, busy_response("too many open connections"), true);
        continue;
      }
      add_connection(fd, addr);
    }
  }

  connection& add_connection(int fd, const sockaddr_storage& addr) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<connection>(limits());
    c->fd = fd;
    c->id = next_id++;
    c->peer = peer_name(addr);
    c->since = clock::now();
    c->deadline = c->since + opts.header_timeout;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    c->events = EPOLLIN;
    auto& ref = *c;
    conns.emplace(c->id, std::move(c));
    return ref;
  }

  /// No descriptor is left for a new connection: accept it with the spare
  /// one, answer 503 and close it, rather than leave it waiting.
  void refuse_without_descriptors() {
    if (spare_fd >= 0) {
      ::close(spare_fd);
      spare_fd = -1;
    }
    int fd = ::accept4(opts.listener->fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      auto bytes = serialize_response(busy_response("no file descriptor is free"), false, false);
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      count(&counters::busy);
    }
    log_busy("the process has no file descriptor left");
    spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }

  static std::string peer_name(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (addr.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      port = ntohs(in->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* in = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
      port = ntohs(in->sin6_port);
    }
    return std::string(host) + ":" + std::to_string(port);
  }

  // -- deadlines --

  void sweep(clock::time_point now) {
    std::vector<std::uint64_t> expired;
    for (auto& [id, c] : conns)
      if (c->state != conn_state::handling && c->state != conn_state::streaming
          && c->deadline <= now)
        expired.push_back(id);
    for (auto id : expired) {
      auto it = conns.find(id);
      if (it == conns.end())
        continue;
      auto& c = *it->second;
      if (c.state == conn_state::reading && c.reader.started()) {
        count(&counters::timed_out);
        log->debug("the request from {} did not arrive in time", c.peer);
        c.head_only = false;
        respond(c, error_response(408, c.head_done
                                         ? "the request body did not arrive within "
                                             + std::to_string(opts.body_timeout.count()) + " ms"
                                         : "the request line and headers did not arrive within "
                                             + std::to_string(opts.header_timeout.count())
                                             + " ms"),
                true);
        continue;
      }
      if (c.state == conn_state::reading)
        count(&counters::timed_out);
      close_connection(id);
    }
  }

  // -- answers from the handler threads --

  void take_answers() {
    std::uint64_t value;
    while (::read(wake_fd, &value, sizeof value) < 0 && errno == EINTR) {
    }
    std::vector<answer> ready;
    {
      std::lock_guard<std::mutex> lock(hub->mutex);
      ready.swap(hub->ready);
    }
    for (auto& a : ready) {
      auto it = conns.find(a.conn);
      auto* c = it == conns.end() ? nullptr : it->second.get();
      switch (a.what) {
        case answer::kind::full:
          if (c != nullptr && c->state == conn_state::handling) {
            c->after_sent = std::move(a.after_sent);
            send_answer(*c, std::move(a.bytes), a.close);
          } else if (a.after_sent) {
            a.after_sent(); // the client went away meanwhile
          }
          break;
        case answer::kind::stream_head:
          if (c == nullptr || c->state != conn_state::handling) {
            *a.alive = false;
            break;
          }
          c->state = conn_state::streaming;
          c->alive = std::move(a.alive);
          c->out += a.bytes;
          flush(*c);
          break;
        case answer::kind::stream_data:
          if (c == nullptr || c->state != conn_state::streaming)
            break;
          c->out += a.bytes;
          if (c->out.size() - c->out_pos > max_stream_backlog) {
            log->info("closing the event stream to {}: it does not read ({} bytes wait)",
                      c->peer, c->out.size() - c->out_pos);
            close_connection(c->id);
            break;
          }
          flush(*c);
          break;
        case answer::kind::stream_end:
          if (c == nullptr || c->state != conn_state::streaming)
            break;
          c->state = conn_state::writing;
          c->close_after = true;
          c->deadline = clock::now() + std::chrono::milliseconds(defaults::http::write_timeout_ms);
          flush(*c);
          break;
      }
    }
  }

  void run_io() {
    pthread_setname_np(pthread_self(), "http");
    std::vector<epoll_event> events(256);
    for (;;) {
      int timeout = conns.empty() ? -1 : 100;
      int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), timeout);
      if (n < 0 && errno != EINTR) {
        log->critical("the HTTP server stops: epoll_wait failed: {}", errno_text(errno));
        return;
      }
      for (int i = 0; i < n; ++i) {
        auto key = events[static_cast<std::size_t>(i)].data.u64;
        auto what = events[static_cast<std::size_t>(i)].events;
        if (key == 0) {
          accept_connections();
          continue;
        }
        if (key == UINT64_MAX) {
          if (stopping)
            return;
          take_answers();
          continue;
        }
        auto it = conns.find(key);
        if (it == conns.end())
          continue;
        auto& c = *it->second;
        if ((what & (EPOLLHUP | EPOLLERR)) && c.state == conn_state::handling) {
          close_connection(key); // reset by the peer: nobody reads the answer
          continue;
        }
        if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          on_readable(c);
          if (conns.count(key) == 0)
            continue;
        }
        if ((what & EPOLLOUT) && !c.out.empty())
          flush(c);
      }
      while (!ready_input.empty()) {
        auto ids = std::move(ready_input);
        ready_input.clear();
        for (auto id : ids)
          if (auto it = conns.find(id);
              it != conns.end() && it->second->state == conn_state::reading)
            read_requests(*it->second);
      }
      auto now = clock::now();
      if (now - last_sweep >= std::chrono::milliseconds(100)) {
        last_sweep = now;
        sweep(now);
      }
    }
  }

  void run_worker(int index) {
    pthread_setname_np(pthread_self(), ("http-" + std::to_string(index)).c_str());
    for (;;) {
      job j;
      {
        std::unique_lock<std::mutex> lock(mutex);
        job_ready.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping)
          return;
        j = std::move(jobs.front());
        jobs.pop_front();
      }
      http_response r;
      try {
        r = h(j.request);
      } catch (const std::exception& e) {
        r = error_response(500, std::string("internal error: ") + e.what());
      }
      bool close = !j.keep_alive || r.stream || r.after_sent;
      for (const auto& [name, value] : r.headers)
        close = close || (to_lower(name) == "connection" && to_lower(value) == "close");
      if (!r.stream || j.head_only) {
        auto after = r.after_sent;
        if (!hub->post(answer{j.conn, serialize_response(r, !close, j.head_only), close,
                              answer::kind::full, {}, after})
            && after)
          after(); // the server stops: nobody will write it
        continue;
      }
      // The head first, then whatever the producer writes, in order.
      auto alive = std::make_shared<std::atomic<bool>>(true);
      if (!hub->post(answer{j.conn, serialize_response(r, false, false), false,
                            answer::kind::stream_head, alive, {}}))
        continue;
      try {
        r.stream(std::make_shared<server_sink>(hub, j.conn, alive));
      } catch (const std::exception& e) {
        log->error("a streamed response failed to start: {}", e.what());
        *alive = false;
      }
    }
  }

  /// Makes room for the connections in the process's descriptor limit.
  void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
      return;
    // Connections, as many lingering ones, and the rest of the process.
    auto wanted = static_cast<rlim_t>(opts.max_connections) * 2 + 256;
    if (limit.rlim_cur >= wanted)
      return;
    auto raised = limit;
    raised.rlim_cur = std::min(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0 || raised.rlim_cur < wanted)
      log->warn("the process may open {} files (ulimit -n), fewer than http.max_connections = {} "
                "needs ({}): beyond that new connections are answered 503",
                raised.rlim_cur, opts.max_connections, wanted);
  }

  void close_all() {
    for (auto& [id, c] : conns) {
      if (c->alive)
        *c->alive = false;
      ::close(c->fd);
    }
    conns.clear();
    lingering = 0;
    {
      // Sinks of streams may still post: they find the hub stopped.
      std::lock_guard<std::mutex> lock(hub->mutex);
      hub->stopped = true;
      hub->ready.clear();
      hub->wake_fd = -1;
    }
    for (int* fd : {&epoll_fd, &wake_fd, &spare_fd})
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
  }
};

http_server::http_server(options opts, handler h) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
  impl_->h = std::move(h);
}

http_server::~http_server() { stop(); }

expected<void> http_server::start() {
  auto& d = *impl_;
  if (d.running)
    return {};
  if (!d.opts.listener) {
    auto listener = http_listener::open(d.opts.address);
    if (!listener)
      return listener.error();
    d.opts.listener = std::move(*listener);
  }
  d.raise_descriptor_limit();
  d.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  d.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  d.spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  {
    std::lock_guard<std::mutex> lock(d.hub->mutex);
    d.hub->stopped = false;
    d.hub->wake_fd = d.wake_fd;
  }
  if (d.epoll_fd < 0 || d.wake_fd < 0) {
    auto err = errno;
    d.close_all();
    return make_error(ec::http_error, "cannot serve HTTP on " + d.opts.address.to_string() + ": "
                                        + errno_text(err));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  ::epoll_ctl(d.epoll_fd, EPOLL_CTL_ADD, d.opts.listener->fd(), &ev);
  ev.data.u64 = UINT64_MAX;
  ::epoll_ctl(d.epoll_fd, EPOLL_CTL_ADD, d.wake_fd, &ev);
  d.stopping = false;
  try {
    for (int i = 0; i < std::max(1, d.opts.max_threads); ++i)
      d.workers.emplace_back([&d, i] { d.run_worker(i); });
    d.io = std::thread([&d] { d.run_io(); });
  } catch (const std::system_error& e) {
    d.stopping = true;
    d.job_ready.notify_all();
    for (auto& t : d.workers)
      t.join();
    d.workers.clear();
    d.close_all();
    return make_error(ec::http_error, "cannot start the HTTP server's threads: "
                                        + std::string(e.what()));
  }
  d.running = true;
  return {};
}

void http_server::stop() {
  if (!impl_ || !impl_->running)
    return;
  auto& d = *impl_;
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    d.stopping = true;
  }
  d.wake();
  d.job_ready.notify_all();
  d.io.join();
  for (auto& t : d.workers)
    t.join();
  d.workers.clear();
  d.close_all();
  d.opts.listener.reset();
  d.running = false;
  auto n = stats();
  d.log->info("HTTP server on {} stopped: {} connections, {} requests, {} malformed, {} not "
              "received in time, {} closed to make room, {} answered 503 for lack of room",
              d.opts.address.to_string(), n.accepted, n.requests, n.malformed, n.timed_out,
              n.evicted, n.busy);
}

http_server::counters http_server::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->stats_;
}

} // namespace cafflow
