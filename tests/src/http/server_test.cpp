#include "http/server.hpp"

#include <atomic>
#include <thread>
#include <vector>
#include <stdexcept>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "raw_http.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A server on a free loopback port whose handler echoes method, path,
/// query and body (and throws for /throw), stopped when it goes away.
struct server_fixture {
  std::atomic<int> handled{0};
  std::unique_ptr<http_server> server;
  std::string address;

  explicit server_fixture(http_server::options opts = {}) {
    opts.address = host_port{"127.0.0.1", static_cast<std::uint16_t>(free_port())};
    address = opts.address.to_string();
    server = std::make_unique<http_server>(opts, [this](const http_request& r) {
      ++handled;
      if (r.path == "/throw")
        throw std::runtime_error("boom");
      http_response out;
      out.content_type = "text/plain";
      out.body = r.method + " " + r.path + "?" + r.query + " " + r.body;
      return out;
    });
    REQUIRE(server->start());
  }
};

} // namespace

TEST_SUITE_BEGIN("http_server");

TEST_CASE("requests sent one behind the other on a connection are answered in order") {
  server_fixture f;
  raw_connection c(f.address);
  c.send("GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
         "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
         "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  for (const auto* want : {"GET /a?x=1 ", "POST /b? xyz", "POST /c? hi"}) {
    auto r = c.read_response(std::chrono::seconds(10));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == want);
    CHECK(r->headers["connection"] == "keep-alive");
  }
}

TEST_CASE("HEAD gets the length of the body but not the body") {
  server_fixture f;
  raw_connection c(f.address);
  c.send("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  auto head = c.read_response(std::chrono::seconds(10), true);
  REQUIRE(head);
  CHECK(head->headers["content-length"] == "9"); // "HEAD /a? "
  auto next = c.read_response(std::chrono::seconds(10));
  REQUIRE(next);
  CHECK(next->body == "GET /b? "); // the HEAD answer had no body in the way
}

TEST_CASE("Expect: 100-continue gets a 100 before the body is sent") {
  server_fixture f;
  raw_connection c(f.address);
  c.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  // The interim answer arrives before the body is sent.
  auto interim = c.read_response(std::chrono::seconds(10), false, true);
  REQUIRE(interim);
  CHECK(interim->status == 100);
  c.send("ok");
  auto r = c.read_response(std::chrono::seconds(10));
  REQUIRE(r);
  CHECK(r->body == "POST /a? ok");
}

TEST_CASE("without the token: 401, the body read and dropped, the connection kept") {
  http_server::options o;
  o.auth = auth_settings{"s3cret", true};
  server_fixture f(o);
  raw_connection c(f.address);
  c.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
         "POST /a HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer s3cret\r\nContent-Length: 2\r\n\r\nok");
  auto refused = c.read_response(std::chrono::seconds(10));
  REQUIRE(refused);
  CHECK(refused->status == 401);
  CHECK(refused->headers["www-authenticate"].find("Bearer") == 0);
  auto allowed = c.read_response(std::chrono::seconds(10));
  REQUIRE(allowed);
  CHECK(allowed->body == "POST /a? ok");
  CHECK(f.handled == 1);
  // A client that waits for "100 Continue" is refused at once and closed.
  raw_connection waiting(f.address);
  waiting.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto r = waiting.read_response(std::chrono::seconds(10));
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(waiting.closed_by_server(std::chrono::seconds(10)));
}

TEST_CASE("a body larger than the limit is a 413 the client sees while still sending") {
  http_server::options o;
  o.max_body_bytes = 1024;
  server_fixture f(o);
  raw_connection c(f.address);
  c.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n");
  c.send(std::string(200000, 'x'));
  auto r = c.read_response(std::chrono::seconds(10));
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->headers["connection"] == "close");
  CHECK(f.handled == 0);
}

TEST_CASE("a handler that throws is a 500 and the server goes on") {
  server_fixture f;
  auto r = raw_request(f.address, "GET /throw HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->body.find("boom") != std::string::npos);
  r = raw_request(f.address, "GET /fine HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("connections beyond the limit: the slowest reader makes room, counted") {
  http_server::options o;
  o.max_connections = 2;
  server_fixture f(o);
  raw_connection a(f.address), b(f.address);
  a.send("GET /a HTTP/1.1\r\n");
  b.send("GET /b HTTP/1.1\r\n");
  REQUIRE(wait_until([&] { return f.server->stats().accepted == 2; }));
  auto r = raw_request(f.address, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.server->stats().evicted >= 1);
  // One of the two was closed to make room (answered 503 when its request
  // had begun to arrive).
  CHECK((a.closed_by_server(std::chrono::seconds(10)) || b.closed_by_server(std::chrono::seconds(1))));
}

TEST_CASE("a second listener on the port fails, naming the address") {
  auto port = static_cast<std::uint16_t>(free_port());
  auto first = http_listener::open(host_port{"127.0.0.1", port});
  REQUIRE(first);
  auto second = http_listener::open(host_port{"127.0.0.1", port});
  REQUIRE_FALSE(second);
  CHECK(second.error().message
        == "cannot listen on 127.0.0.1:" + std::to_string(port)
             + ": Address already in use (another process listens on this port)");
}

TEST_CASE("stop returns with connections open and idle, half-read and waiting") {
  server_fixture f;
  raw_connection idle(f.address), half(f.address);
  half.send("GET /a HTTP/1.1\r\nHost");
  REQUIRE(wait_until([&] { return f.server->stats().accepted == 2; }));
  f.server->stop();
  CHECK(idle.closed_by_server(std::chrono::seconds(10)));
  CHECK(half.closed_by_server(std::chrono::seconds(10)));
}

namespace {

/// A server whose /events streams numbered events from a thread of its own
/// (as the gateway's followers do from actors) until the client leaves or
/// `count` are written; other paths answer "plain".
struct stream_fixture {
  std::unique_ptr<http_server> server;
  std::string address;
  std::vector<std::thread> producers;
  std::atomic<int> written{0};
  std::atomic<bool> producer_saw_close{false};
  int count = 3;
  std::chrono::milliseconds pause{20};

  stream_fixture() {
    http_server::options opts;
    opts.address = host_port{"127.0.0.1", static_cast<std::uint16_t>(free_port())};
    address = opts.address.to_string();
    server = std::make_unique<http_server>(opts, [this](const http_request& r) {
      http_response out;
      if (r.path != "/events") {
        out.content_type = "text/plain";
        out.body = "plain";
        return out;
      }
      out.content_type = "text/event-stream";
      out.stream = [this](std::shared_ptr<http_sink> sink) {
        producers.emplace_back([this, sink] {
          for (int i = 0; count < 0 || i < count; ++i) {
            if (!sink->write(sse_event("n", std::to_string(i)))) {
              producer_saw_close = true;
              return;
            }
            ++written;
            std::this_thread::sleep_for(pause);
          }
          sink->close();
        });
      };
      return out;
    });
    REQUIRE(server->start());
  }

  ~stream_fixture() {
    server->stop();
    for (auto& t : producers)
      t.join();
  }
};

} // namespace

TEST_CASE("a streamed response sends its head, then each piece as it is written, then closes") {
  stream_fixture f;
  raw_connection c(f.address);
  c.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n");
  auto head = c.read_until("\r\n\r\n", std::chrono::seconds(10));
  REQUIRE(head);
  CHECK(head->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head->find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(head->find("Content-Length") == std::string::npos); // the body ends with the connection
  CHECK(head->find("Connection: close\r\n") != std::string::npos);
  for (int i = 0; i < 3; ++i) {
    auto event = c.read_until("\n\n", std::chrono::seconds(10));
    REQUIRE(event);
    CHECK(*event == "event: n\ndata: " + std::to_string(i) + "\n\n");
  }
  CHECK(c.closed_by_server(std::chrono::seconds(10)));
}

TEST_CASE("a client that leaves a stream stops its producer - other requests still work") {
  stream_fixture f;
  f.count = -1; // endless
  f.pause = std::chrono::milliseconds(5);
  {
    raw_connection c(f.address);
    c.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(c.read_until("data: 2\n\n", std::chrono::seconds(10)));
  } // closed here
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!f.producer_saw_close && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(f.producer_saw_close);
  auto plain = raw_request(f.address, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(plain);
  CHECK(plain->body == "plain");
}

TEST_CASE("HEAD of a streamed route gets the head only") {
  stream_fixture f;
  raw_connection c(f.address);
  c.send("HEAD /events HTTP/1.1\r\nHost: h\r\n\r\n");
  auto head = c.read_until("\r\n\r\n", std::chrono::seconds(10));
  REQUIRE(head);
  CHECK(head->rfind("HTTP/1.1 200", 0) == 0);
  CHECK(c.closed_by_server(std::chrono::seconds(10)));
  CHECK(f.written == 0);
}

TEST_CASE("a stream ends when the server stops: its sink refuses further writes") {
  auto f = std::make_unique<stream_fixture>();
  f->count = -1;
  raw_connection c(f->address);
  c.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(c.read_until("data: 0\n\n", std::chrono::seconds(10)));
  f.reset(); // stops the server and joins the producer, which must see the end
}

TEST_SUITE_END();
