// A bounded, seeded HTTP fuzzer against a real cluster: random methods,
// targets with random bytes and %-escapes, header fields (duplicate or
// conflicting framing among them), bodies (deep JSON among them), one to
// three requests per connection. Every answer must be a well-formed HTTP
// response and none a 5xx but 503 (and akkaflow's documented 501s); the
// http process must live through it and answer normally afterwards.
//   CAFFLOW_HTTP_FUZZ_SEED (default 20261113), CAFFLOW_HTTP_FUZZ_REQUESTS
//   (default 10000) for longer runs.
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "raw_http.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

class request_fuzzer {
public:
  explicit request_fuzzer(std::uint64_t seed) : rng_(seed) {}

  struct request {
    std::string method;
    std::string path;
    std::string bytes;
  };

  request next() {
    request r;
    if (chance(5)) { // pure noise, sometimes after a method
      r.bytes = (chance(50) ? pick(methods()) + " " : std::string()) + noise(1 + below(300));
      return r;
    }
    r.method = method();
    r.path = target();
    auto body = this->body(r.path);
    std::string line = r.method + " " + r.path + " " + version() + "\r\n";
    if (chance(3))
      line = mutate(line);
    r.bytes = line + headers(body) + body;
    return r;
  }

private:
  bool chance(int percent) { return static_cast<int>(below(100)) < percent; }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  template <class T>
  const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

  static const std::vector<std::string>& methods() {
    static const std::vector<std::string> m{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS",
                                            "PATCH", "TRACE", "CONNECT", "get", "BREW"};
    return m;
  }

  std::string noise(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
      s += static_cast<char>(below(256));
    return s;
  }

  std::string method() {
    if (chance(3))
      return noise(1 + below(8));
    return pick(methods());
  }

  std::string version() {
    static const std::vector<std::string> v{"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0",
                                            "HTTP/2.0", "HTTP/1.x", "http/1.1", ""};
    return chance(90) ? "HTTP/1.1" : pick(v);
  }

  std::string escape() {
    static const char* hex = "0123456789abcdefABCDEFgz";
    switch (below(6)) {
      case 0: return "%";
      case 1: return std::string("%") + hex[below(24)];
      case 2: return std::string("%") + hex[below(24)] + hex[below(24)];
      case 3: return "%C3%A9";        // é
      case 4: return "%E2%82";        // a cut sequence
      default: return "%00";
    }
  }

  std::string segment() {
    static const std::vector<std::string> words{
      "fz", "nope", "..", ".", "", "a b", "%2F", "caf\xc3\xa9", "0000000000000001", "a", "log",
      "run", "kill", "rerun", "nodes"};
    std::string s = pick(words);
    for (auto n = below(3); n > 0; --n) {
      auto at = s.empty() ? 0 : below(s.size() + 1);
      s.insert(at, chance(50) ? escape() : noise(1 + below(3)));
    }
    return s;
  }

  std::string target() {
    static const std::vector<std::string> routes{
      "/api/v1/health", "/api/v1/ready", "/api/v1/workflows", "/api/v1/workflows/fz",
      "/api/v1/workflows/fz/run", "/api/v1/workflows/fz/trigger", "/api/v1/workflows/fz/lineage",
      "/api/v1/workflows/fz/pause", "/api/v1/workflows/fz/resume", "/api/v1/xmlconfig",
      "/api/v1/instances", "/api/v1/instances/0000000000000001",
      "/api/v1/instances/0000000000000001/kill", "/api/v1/instances/0000000000000001/rerun",
      "/api/v1/instances/0000000000000001/nodes/a/log", "/api/v1/cluster", "/metrics",
      "/akkaflow/workflow/fz", "/akkaflow/workflow/instance/0000000000000001",
      "/akkaflow/workflows", "/akkaflow/cluster", "/", "*", "http://h/api/v1/health"};
    static const std::vector<std::string> queries{
      "", "", "?action=get", "?action=run", "?action=kill", "?action=del", "?status=all",
      "?limit=5&offset=2", "?limit=-1", "?from=yesterday", "?name=%zz", "?a=1&a=2", "?=x",
      "?attempt=99999999999&offset=1", "?param=k:v&action=run", "?dir=%C3%A9"};
    std::string t = pick(routes);
    if (chance(40)) {
      auto parts = split(t, '/');
      parts[below(parts.size())] = segment();
      t = join(parts, "/");
    }
    t += pick(queries);
    if (chance(15))
      t.insert(below(t.size() + 1), escape());
    if (chance(5))
      t.insert(below(t.size() + 1), noise(1 + below(4)));
    if (chance(2))
      t += std::string(below(10000), 'a');
    return t;
  }

  std::string deep_json() {
    auto depth = 1 + below(chance(50) ? 100 : 100000);
    std::string open, close;
    for (std::uint64_t i = 0; i < depth; ++i) {
      bool object = chance(50);
      open += object ? "{\"k\":" : "[";
      close.insert(0, object ? "}" : "]");
    }
    return "{\"params\":" + open + "1" + (chance(80) ? close : std::string()) + "}";
  }

  std::string body(const std::string& path) {
    switch (below(8)) {
      case 0: return "";
      case 1: return "{}";
      case 2: return deep_json();
      case 3: return noise(below(400));
      case 4: return R"({"params":{"a":"1","b":2,"c":true},"logical_time":"2026-01-01 00:00:00"})";
      case 5: return R"({"mode":"nodes","nodes":["a",7,null]})";
      case 6: return "{\"params\":{\"" + noise(3) + "\":\"" + noise(5) + "\"}}";
      default: return path.find("rerun") != std::string::npos ? R"({"mode":"failed"})"
                                                                : R"({"params":[]})";
    }
  }

  std::string headers(const std::string& body) {
    std::string h;
    if (chance(95))
      h += "Host: fuzz\r\n";
    if (chance(5))
      h += "Host: again\r\n";
    switch (below(20)) {
      case 0: break; // no framing at all
      case 1: h += "Content-Length: " + std::to_string(body.size()) + "\r\nContent-Length: "
                   + std::to_string(body.size() + below(3)) + "\r\n"; break;
      case 2: h += "Transfer-Encoding: chunked\r\n"; break; // and a body that is not chunked
      case 3: h += "Content-Length: " + std::to_string(body.size()) + "\r\nTransfer-Encoding: chunked\r\n"; break;
      case 4: h += "Content-Length: " + noise(1 + below(4)) + "\r\n"; break;
      case 5: h += "Content-Length: " + std::to_string(below(body.size() + 2)) + "\r\n"; break;
      default: h += "Content-Length: " + std::to_string(body.size()) + "\r\n"; break;
    }
    if (chance(10))
      h += "Expect: 100-continue\r\n";
    if (chance(10))
      h += chance(50) ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    if (chance(5))
      h += "Authorization: Bearer " + noise(below(20)) + "\r\n";
    for (auto n = below(4); n > 0; --n)
      h += (chance(80) ? "X-F" + std::to_string(below(100)) : noise(1 + below(6))) + ": "
           + (chance(80) ? std::string("v") : noise(below(30))) + "\r\n";
    if (chance(3))
      h += " folded\r\n";
    if (chance(2))
      h += "X-Long: " + std::string(20000, 'x') + "\r\n";
    return h + (chance(97) ? "\r\n" : "");
  }

  std::string mutate(std::string text) {
    for (auto n = 1 + below(3); n > 0 && !text.empty(); --n) {
      auto at = below(text.size());
      switch (below(3)) {
        case 0: text[at] = static_cast<char>(below(256)); break;
        case 1: text.erase(at, 1 + below(3)); break;
        default: text.insert(at, noise(1 + below(3))); break;
      }
    }
    return text;
  }

  std::mt19937_64 rng_;
};

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

} // namespace

TEST_SUITE_BEGIN("http_fuzz");

TEST_CASE("a seeded HTTP fuzzer gets no 5xx but 503 and the http role lives") {
  auto seed = env_number("CAFFLOW_HTTP_FUZZ_SEED", 20261113);
  auto total = env_number("CAFFLOW_HTTP_FUZZ_REQUESTS", 10000);
  cluster c(cluster_options(1));
  c.add_workflow("fz.xml", chain_xml("fz", {"a"}, c.dir("log")));
  c.start();
  request_fuzzer fuzz(seed);
  std::map<int, int> statuses;
  std::uint64_t sent = 0, answered = 0, closed = 0;
  std::vector<std::string> bad;
  while (sent < total) {
    raw_connection conn(c.http_address());
    // One to three requests on the connection, then the end of sending: a
    // request that is not complete by then is closed, not waited for.
    std::vector<request_fuzzer::request> batch(1 + sent % 3);
    std::string bytes;
    for (auto& r : batch) {
      r = fuzz.next();
      bytes += r.bytes;
    }
    sent += batch.size();
    conn.send(bytes);
    conn.shut_down();
    for (const auto& r : batch) {
      auto response = conn.read_response(std::chrono::seconds(30), r.method == "HEAD");
      if (!response) {
        ++closed;
        break; // refused or incomplete: the server closed the connection
      }
      ++answered;
      ++statuses[response->status];
      bool documented_501 = response->status == 501 && starts_with(r.path, "/akkaflow")
                            && (response->body.find("cafflow does not") != std::string::npos
                                || response->body.find("ignore_node") != std::string::npos);
      if ((response->status >= 500 && response->status != 503 && !documented_501)
          || response->status < 100)
        bad.push_back(std::to_string(response->status) + " for "
                      + quoted_excerpt(bytes, 300) + ": " + response->body);
      if (response->headers["connection"] == "close")
        break;
    }
    if (!bad.empty())
      FAIL("seed " << seed << ": " << bad.front());
    if (!c.http()->running())
      FAIL("the http process died after " << sent << " requests (seed " << seed << "): "
                                          << quoted_excerpt(bytes, 300) << "\n" << c.logs());
  }
  std::string counts;
  for (const auto& [status, n] : statuses)
    counts += " " + std::to_string(status) + ":" + std::to_string(n);
  MESSAGE("seed " << seed << ": " << sent << " requests, " << answered << " answered ("
                  << counts << "), " << closed << " connections closed without an answer");
  CHECK(c.http()->running());
  CHECK(c.api("GET", "/api/v1/health").status == 200);
}

TEST_SUITE_END();
