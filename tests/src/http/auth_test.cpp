#include "http/auth.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cafflow;
using nlohmann::json;

namespace {

http_request request(const std::string& method, const std::string& target) {
  http_request r;
  r.method = method;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos)
    r.query = target.substr(q + 1);
  return r;
}

/// True when the request may proceed.
bool allowed(const auth_settings& s, const std::string& method, const std::string& target,
             const std::string& authorization = {}) {
  return !authorize(s, request(method, target), authorization).has_value();
}

std::string header(const http_response& r, const std::string& name) {
  for (const auto& [key, value] : r.headers)
    if (key == name)
      return value;
  return {};
}

const auth_settings with_token{"s3cret", true};

} // namespace

TEST_SUITE_BEGIN("auth");

TEST_CASE("without a token every request passes") {
  auth_settings none;
  CHECK(allowed(none, "POST", "/api/v1/workflows/w/run"));
  CHECK(allowed(none, "GET", "/akkaflow/cluster?action=shutdown"));
  CHECK(allowed(none, "DELETE", "/metrics", "Bearer whatever"));
  none.open_reads = false;
  CHECK(allowed(none, "GET", "/api/v1/health"));
}

TEST_CASE("a mutating request needs the right bearer token") {
  auto missing = authorize(with_token, request("POST", "/api/v1/workflows/w/run"), "");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(missing->content_type == "application/json");
  CHECK(header(*missing, "WWW-Authenticate").rfind("Bearer", 0) == 0);
  auto error = json::parse(missing->body)["error"].get<std::string>();
  CHECK(error.find("missing token: POST /api/v1/workflows/w/run needs the header "
                   "'Authorization: Bearer <token>'")
        != std::string::npos);

  auto wrong = authorize(with_token, request("POST", "/api/v1/workflows/w/run"), "Bearer s3cre");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(header(*wrong, "WWW-Authenticate").find(R"(error="invalid_token")") != std::string::npos);
  CHECK(json::parse(wrong->body)["error"] == "wrong token in the Authorization header");

  CHECK(allowed(with_token, "POST", "/api/v1/workflows/w/run", "Bearer s3cret"));
  // The scheme is case-insensitive (RFC 7235); white space around is fine.
  CHECK(allowed(with_token, "POST", "/api/v1/workflows/w/run", "  bearer   s3cret "));
  CHECK_FALSE(allowed(with_token, "POST", "/api/v1/workflows/w/run", "Bearer s3cret2"));
  CHECK_FALSE(allowed(with_token, "POST", "/api/v1/workflows/w/run", "Bearer S3CRET"));
  CHECK_FALSE(allowed(with_token, "POST", "/api/v1/workflows/w/run", "Bearer"));
  CHECK_FALSE(allowed(with_token, "POST", "/api/v1/workflows/w/run", "Bearer "));
  CHECK_FALSE(allowed(with_token, "POST", "/api/v1/workflows/w/run", "Basic czNjcmV0"));
  for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS"})
    CHECK_FALSE(allowed(with_token, method, "/api/v1/workflows/w"));
}

TEST_CASE("a bare token in the header is refused without being echoed") {
  auto bare = authorize(with_token, request("POST", "/api/v1/workflows/w/run"), "s3cret");
  REQUIRE(bare);
  CHECK(bare->status == 401);
  CHECK(bare->body.find("s3cret") == std::string::npos);
  CHECK(bare->body.find("must be 'Bearer <token>'") != std::string::npos);
}

TEST_CASE("open reads: GET and HEAD pass but akkaflow requests that change things do not") {
  CHECK(allowed(with_token, "GET", "/api/v1/health"));
  CHECK(allowed(with_token, "HEAD", "/api/v1/instances"));
  CHECK(allowed(with_token, "GET", "/metrics"));
  CHECK(allowed(with_token, "GET", "/akkaflow/cluster?action=get"));
  CHECK(allowed(with_token, "GET", "/akkaflow/workflow/w?action=get"));
  // akkaflow's scripts start, kill and reset with GET.
  CHECK_FALSE(allowed(with_token, "GET", "/akkaflow/workflow/w?action=run&day=1"));
  CHECK_FALSE(allowed(with_token, "GET", "/akkaflow/workflow/instance/01?action=kill"));
  CHECK_FALSE(allowed(with_token, "GET", "/akkaflow/workflows?action=reset"));
  CHECK_FALSE(allowed(with_token, "GET", "/akkaflow/cluster?action=shutdown"));
  // Disguises count as changes: an encoded path, a second action, no action.
  CHECK_FALSE(allowed(with_token, "GET", "/%61kkaflow/workflow/w?action=run"));
  CHECK_FALSE(allowed(with_token, "GET", "/akkaflow/cluster?action=get&action=shutdown"));
  CHECK_FALSE(allowed(with_token, "GET", "/akkaflow/workflow/w"));
  CHECK_FALSE(allowed(with_token, "POST", "/akkaflow/cluster?action=get"));
  CHECK(allowed(with_token, "GET", "/akkaflow/workflow/w?action=run", "Bearer s3cret"));
}

TEST_CASE("closed reads: every request needs the token") {
  auth_settings closed{"s3cret", false};
  CHECK_FALSE(allowed(closed, "GET", "/api/v1/health"));
  CHECK_FALSE(allowed(closed, "GET", "/metrics"));
  CHECK_FALSE(allowed(closed, "GET", "/akkaflow/cluster?action=get"));
  CHECK_FALSE(allowed(closed, "HEAD", "/"));
  CHECK(allowed(closed, "GET", "/api/v1/health", "Bearer s3cret"));
  CHECK(allowed(closed, "GET", "/metrics", "Bearer s3cret"));
}

TEST_CASE("is_read") {
  CHECK(is_read(request("GET", "/api/v1/workflows")));
  CHECK(is_read(request("HEAD", "/api/v1/workflows")));
  CHECK_FALSE(is_read(request("POST", "/api/v1/workflows/w/run")));
  CHECK_FALSE(is_read(request("get", "/api/v1/workflows")));
  CHECK_FALSE(is_read(request("GET", "/akkaflow/workflow/w?action=trigger")));
}

TEST_CASE("secrets compare by content whatever their lengths") {
  CHECK(secrets_equal("s3cret", "s3cret"));
  CHECK(secrets_equal("", ""));
  CHECK_FALSE(secrets_equal("s3cret", "s3creT"));
  CHECK_FALSE(secrets_equal("s3cret", "s3cret "));
  CHECK_FALSE(secrets_equal("s3cret", ""));
  CHECK_FALSE(secrets_equal(std::string(1000, 'a'), std::string(999, 'a')));
}

TEST_SUITE_END();
