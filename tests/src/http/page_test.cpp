#include "http/page.hpp"

#include <regex>
#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cafflow;

namespace {

http_request get(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  http_request r;
  r.method = "GET";
  r.path = path;
  r.headers = std::move(headers);
  return r;
}

std::string header(const http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name)
      return v;
  return {};
}

} // namespace

TEST_SUITE_BEGIN("http/page");

TEST_CASE("the page's files are embedded and served with their content types") {
  auth_settings open;
  auto index = handle_page(get("/"), open);
  CHECK(index.status == 200);
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.body.find("<!doctype html>") != std::string::npos);
  // Everything index.html loads is there, with the right type.
  std::regex ref(R"re((?:src|href)="(/ui/[^"]+)")re");
  std::set<std::string> seen;
  for (auto it = std::sregex_iterator(index.body.begin(), index.body.end(), ref);
       it != std::sregex_iterator(); ++it)
    seen.insert((*it)[1]);
  CHECK(seen.count("/ui/app.js") == 1);
  CHECK(seen.count("/ui/app.css") == 1);
  for (const auto& path : seen) {
    CAPTURE(path);
    auto r = handle_page(get(path), open);
    CHECK(r.status == 200);
    CHECK(!r.body.empty());
    CHECK(r.content_type == content_type_of(path));
  }
  CHECK(handle_page(get("/ui/app.js"), open).content_type == "text/javascript; charset=utf-8");
  CHECK(handle_page(get("/ui/app.css"), open).content_type == "text/css; charset=utf-8");
  CHECK(handle_page(get("/favicon.ico"), open).content_type == "image/svg+xml");
  CHECK(content_type_of("a/b.unknown") == "application/octet-stream");
  CHECK(content_type_of("no_extension") == "application/octet-stream");
  // No script from elsewhere: the policy allows this origin only.
  CHECK(header(index, "Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  CHECK(index.body.find("http://") == std::string::npos);
  CHECK(index.body.find("https://") == std::string::npos);
}

TEST_CASE("an asset has an ETag - a request that names it gets 304 without the body") {
  auth_settings open;
  auto first = handle_page(get("/ui/app.js"), open);
  auto etag = header(first, "ETag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  CHECK(header(first, "Cache-Control") == "no-cache");
  auto again = handle_page(get("/ui/app.js", {{"if-none-match", etag}}), open);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(header(again, "ETag") == etag);
  auto listed = handle_page(get("/ui/app.js", {{"If-None-Match", "\"x\", W/" + etag}}), open);
  CHECK(listed.status == 304);
  auto other = handle_page(get("/ui/app.js", {{"If-None-Match", "\"stale\""}}), open);
  CHECK(other.status == 200);
  CHECK(other.body == first.body);
  // Another file has another tag.
  CHECK(header(handle_page(get("/ui/app.css"), open), "ETag") != etag);
}

TEST_CASE("unknown files are 404, paths that leave web/ are refused") {
  auth_settings open;
  auto missing = handle_page(get("/ui/nope.js"), open);
  CHECK(missing.status == 404);
  CHECK(missing.body.find("no such file of the page") != std::string::npos);
  for (const auto* path : {"/ui/../CMakeLists.txt", "/ui/%2e%2e/%2e%2e/etc/passwd",
                           "/ui/./app.js", "/ui//app.js", "/ui/a%5C..%5Cb"}) {
    CAPTURE(path);
    auto r = handle_page(get(path), open);
    CHECK(r.status == 400);
    CHECK(r.body.find("not a file of the page") != std::string::npos);
  }
  CHECK(handle_page(get("/ui/%zz"), open).status == 400);
  http_request post = get("/ui/app.js");
  post.method = "POST";
  CHECK(handle_page(post, open).status == 405);
}

TEST_CASE("login sets an HttpOnly SameSite=Strict cookie only for the right token") {
  auth_settings auth{"s3cret", true};
  http_request r = get("/ui/login");
  r.method = "POST";
  r.body = R"({"token":"wrong"})";
  auto wrong = handle_page(r, auth);
  CHECK(wrong.status == 401);
  CHECK(header(wrong, "Set-Cookie").empty());
  r.body = "not json";
  CHECK(handle_page(r, auth).status == 400);
  r.body = R"({"token":"s3cret"})";
  auto right = handle_page(r, auth);
  CHECK(right.status == 200);
  auto cookie = header(right, "Set-Cookie");
  CHECK(cookie.find(std::string(session_cookie) + "=" + session_value("s3cret")) == 0);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  // The cookie is not the token.
  CHECK(cookie.find("s3cret") == std::string::npos);
  CHECK(handle_page(get("/ui/login"), auth).status == 405);

  http_request out = get("/ui/logout");
  out.method = "POST";
  CHECK(header(handle_page(out, auth), "Set-Cookie").find("Max-Age=0") != std::string::npos);

  auto s = nlohmann::json::parse(handle_page(get("/ui/session"), auth).body);
  CHECK(s["token_required"] == true);
  CHECK(s["open_reads"] == true);
  CHECK(s["authenticated"] == false);
  auto none = nlohmann::json::parse(handle_page(get("/ui/session"), auth_settings{}).body);
  CHECK(none["token_required"] == false);
}

TEST_CASE("the page's cookie authenticates - changes need the page's header too (CSRF)") {
  auth_settings auth{"s3cret", false};
  auto cookie = std::string(session_cookie) + "=" + session_value("s3cret");
  bool authenticated = false;
  http_request r;
  r.method = "GET";
  r.path = "/api/v1/workflows";
  // Reads closed: nothing is a 401.
  CHECK(authorize_request(auth, r, authenticated)->status == 401);
  CHECK_FALSE(authenticated);
  r.headers = {{"Cookie", "a=b; " + cookie + "; c=d"}};
  CHECK_FALSE(authorize_request(auth, r, authenticated));
  CHECK(authenticated);
  // A change with the cookie alone (a cross-site form) is refused.
  r.method = "POST";
  r.path = "/api/v1/workflows/w/run";
  auto csrf = authorize_request(auth, r, authenticated);
  REQUIRE(csrf);
  CHECK(csrf->status == 403);
  CHECK(csrf->body.find(page_header) != std::string::npos);
  r.headers.emplace_back(page_header, "1");
  CHECK_FALSE(authorize_request(auth, r, authenticated));
  CHECK(authenticated);
  // A cookie of another token is not a session.
  r.headers = {{"Cookie", std::string(session_cookie) + "=" + session_value("old")},
               {page_header, "1"}};
  CHECK(authorize_request(auth, r, authenticated)->status == 401);
  // The bearer header still works; the page itself needs nothing.
  r.headers = {{"Authorization", "Bearer s3cret"}};
  CHECK_FALSE(authorize_request(auth, r, authenticated));
  CHECK(authenticated);
  http_request page;
  page.method = "GET";
  page.path = "/ui/app.js";
  CHECK_FALSE(authorize_request(auth, page, authenticated));
  CHECK_FALSE(authenticated);
  page.method = "POST";
  page.path = "/ui/login";
  CHECK_FALSE(authorize_request(auth, page, authenticated));
  CHECK(cookie_value("x=1;  " + cookie, session_cookie) == session_value("s3cret"));
  CHECK(cookie_value("cafflow_session_other=1", session_cookie).empty());
}

TEST_SUITE_END();
