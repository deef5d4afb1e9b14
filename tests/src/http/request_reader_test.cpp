#include "http/request_reader.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>

using namespace cafflow;

namespace {

using step = request_reader::step;

/// Reads `bytes` as one request; the reader after the last step.
struct outcome {
  step last = step::more;
  request_head head;
  std::string body;
  request_refusal refusal;
};

outcome read_all(const std::string& bytes, request_limits limits = {}) {
  request_reader reader(limits);
  reader.feed(bytes);
  outcome out;
  for (;;) {
    out.last = reader.advance();
    if (out.last == step::head) {
      out.head = reader.head();
      continue;
    }
    break;
  }
  if (out.last == step::done)
    out.body = reader.take_body();
  out.refusal = reader.refusal();
  return out;
}

/// The status a request is refused with (0 when it is not).
int refused_with(const std::string& bytes, request_limits limits = {}) {
  auto out = read_all(bytes, limits);
  return out.last == step::refused ? out.refusal.status : 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE_BEGIN("request_reader");

TEST_CASE("a plain GET: method, path, query, keep-alive") {
  auto out = read_all("GET /api/v1/instances?limit=5&x=a%20b HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(out.last == step::done);
  CHECK(out.head.method == "GET");
  CHECK(out.head.path == "/api/v1/instances");
  CHECK(out.head.query == "limit=5&x=a%20b");
  CHECK(out.head.keep_alive);
  CHECK(out.head.field("host") == "h");
  CHECK(out.body.empty());
}

TEST_CASE("a body by Content-Length, and one in chunks with extensions and a trailer") {
  auto out = read_all("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  REQUIRE(out.last == step::done);
  CHECK(out.body == "hello");
  out = read_all("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n");
  REQUIRE(out.last == step::done);
  CHECK(out.body == "hello");
}

TEST_CASE("bytes arriving one at a time give the same request") {
  std::string bytes = "POST /x?y=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nabcd\r\n0\r\n\r\n";
  request_reader reader;
  step last = step::more;
  for (char c : bytes) {
    reader.feed(std::string(1, c));
    for (last = reader.advance(); last == step::head; last = reader.advance()) {
    }
    if (last != step::more)
      break;
  }
  REQUIRE(last == step::done);
  CHECK(reader.take_body() == "abcd");
}

TEST_CASE("a second request on the connection is read after the first") {
  request_reader reader;
  reader.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(reader.advance() == step::head);
  REQUIRE(reader.advance() == step::done);
  CHECK(reader.head().path == "/a");
  reader.next_request();
  CHECK(reader.started());
  REQUIRE(reader.advance() == step::head);
  CHECK(reader.head().path == "/b");
}

TEST_CASE("HTTP/1.0 closes unless keep-alive and Connection: close closes HTTP/1.1") {
  CHECK_FALSE(read_all("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  CHECK(read_all("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
  CHECK_FALSE(read_all("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").head.keep_alive);
}

TEST_CASE("an absolute-form target is read as its path") {
  auto out = read_all("GET http://example.com:80/api/v1/health?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(out.last == step::done);
  CHECK(out.head.path == "/api/v1/health");
  CHECK(out.head.query == "x=1");
}

TEST_CASE("two Content-Length headers are refused, equal or not") {
  auto out = read_all("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  REQUIRE(out.last == step::refused);
  CHECK(out.refusal.status == 400);
  CHECK(contains(out.refusal.message, "more than one Content-Length"));
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello") == 400);
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello") == 400);
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
}

TEST_CASE("ambiguous framing is refused") {
  // Both framings: a request smuggling classic.
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 400);
  CHECK(refused_with("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(refused_with("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1\r\n\r\n") == 400); // no Host
}

TEST_CASE("bad chunked encoding is refused") {
  auto chunked = [](const std::string& body) {
    return "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
  };
  CHECK(refused_with(chunked("zz\r\nab\r\n0\r\n\r\n")) == 400);
  CHECK(refused_with(chunked("2\r\nabc\r\n0\r\n\r\n")) == 400);  // longer than its size
  CHECK(refused_with(chunked("2 x\r\nab\r\n0\r\n\r\n")) == 400); // junk after the size
  CHECK(refused_with(chunked("11111111111111111\r\n")) == 400);  // 17 hex digits
  CHECK(refused_with(chunked("\r\n")) == 400);                   // no size at all
  CHECK(refused_with(chunked("2\r\nab\r\n0\r\nbad trailer\r\n\r\n")) == 400);
  request_limits small;
  small.max_body = 4;
  CHECK(refused_with(chunked("3\r\nabc\r\n3\r\nabc\r\n0\r\n\r\n"), small) == 413);
  CHECK(refused_with(chunked("ffffffffffffffff\r\n"), small) == 413);
}

TEST_CASE("malformed request lines and header fields are refused") {
  CHECK(refused_with("GET /\r\n\r\n") == 400);
  CHECK(refused_with("GET  / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1 x\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("G(T / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET / FTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET api HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET * HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1\r\nHost : h\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n") == 400);
  std::string nul = "GET / HTTP/1.1\r\nHost: h\r\nX: a";
  nul += '\0';
  CHECK(refused_with(nul + "b\r\n\r\n") == 400);
  CHECK(refused_with("GET / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n") == 417);
}

TEST_CASE("bad %-escapes, invalid UTF-8 and control characters in the target are refused") {
  auto out = read_all("GET /api/v1/workflows/%zz HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(out.last == step::refused);
  CHECK(out.refusal.status == 400);
  CHECK(contains(out.refusal.message, "malformed %-escape '%zz'"));
  CHECK(refused_with("GET /a% HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET /a%4 HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET /a%ff HTTP/1.1\r\nHost: h\r\n\r\n") == 400);      // not UTF-8
  CHECK(refused_with("GET /a%c0%af HTTP/1.1\r\nHost: h\r\n\r\n") == 400);   // overlong
  CHECK(refused_with("GET /a%0a HTTP/1.1\r\nHost: h\r\n\r\n") == 400);      // control
  CHECK(refused_with("GET /a?x=%ff HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET /a?x=%00 HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(refused_with("GET /a?x=%g1 HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  // Fine: UTF-8 escaped, '+' and reserved characters.
  CHECK(read_all("GET /a/%C3%A9t%C3%A9?x=a+b&y=%26 HTTP/1.1\r\nHost: h\r\n\r\n").last
        == step::done);
  CHECK(target_problem("/caf%E2%82%AC", "").empty());
}

TEST_CASE("size limits: request line 414, head 431, header count 431") {
  request_limits l;
  l.max_request_line = 64;
  l.max_header_bytes = 256;
  l.max_header_fields = 3;
  CHECK(refused_with("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n", l) == 414);
  CHECK(refused_with("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", l) == 431);
  CHECK(refused_with("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", l) == 431);
  // Without a line end the limit applies as well: no unbounded buffering.
  CHECK(refused_with("GET /" + std::string(100, 'a'), l) == 414);
  CHECK(refused_with(std::string(300, '\n'), l) == 431);
}

TEST_CASE("a discarded body is read and dropped") {
  request_reader reader;
  reader.feed("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  REQUIRE(reader.advance() == step::head);
  reader.discard_body();
  REQUIRE(reader.advance() == step::done);
  CHECK(reader.take_body().empty());
}

TEST_CASE("random bytes never crash the reader and end in a known step") {
  std::mt19937 rng(1234);
  const std::string seeds[] = {
    "GET /api/v1/health HTTP/1.1\r\nHost: h\r\n\r\n",
    "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd",
  };
  for (int i = 0; i < 20000; ++i) {
    auto bytes = seeds[static_cast<std::size_t>(i) % 3];
    auto edits = 1 + rng() % 6;
    for (unsigned e = 0; e < edits && !bytes.empty(); ++e) {
      auto at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[at] = static_cast<char>(rng() % 256); break;
        case 1: bytes.erase(at, 1 + rng() % 4); break;
        default: bytes.insert(at, 1, static_cast<char>(rng() % 256)); break;
      }
    }
    auto out = read_all(bytes);
    if (out.last == step::refused) {
      CHECK(out.refusal.status >= 400);
      CHECK(out.refusal.status < 500);
    }
  }
}

TEST_SUITE_END();
