#include "http/page.hpp"

#include <map>

#include <Poco/Exception.h>
#include <nlohmann/json.hpp>

#include "defaults.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

struct asset {
  std::string_view content;
  std::string etag;
  std::string type;
};

/// The embedded files by path, with their ETags (computed once).
const std::map<std::string, asset>& assets() {
  static const std::map<std::string, asset> table = [] {
    std::map<std::string, asset> result;
    for (const auto& f : detail::embedded_web_files())
      result[f.path] = asset{f.content,
                             "\"" + content_hash(std::string(f.content)).substr(0, 20) + "\"",
                             content_type_of(f.path)};
    return result;
  }();
  return table;
}

http_response json_answer(int status, const nlohmann::json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump() + "\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

void add_security_headers(http_response& r) {
  // Everything the page loads comes from here: no CDN, no inline script.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self' "
                         "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
}

/// True when an If-None-Match value names `etag`.
bool etag_matches(const std::string& if_none_match, const std::string& etag) {
  if (trim(if_none_match) == "*")
    return true;
  for (const auto& item : split_list(if_none_match, ',')) {
    auto tag = item.rfind("W/", 0) == 0 ? item.substr(2) : item;
    if (tag == etag)
      return true;
  }
  return false;
}

http_response serve_file(const http_request& request, const std::string& file) {
  const auto& table = assets();
  auto it = table.find(file);
  if (it == table.end())
    return error_response(404, "no such file of the page: " + quoted_excerpt(request.path));
  const auto& a = it->second;
  http_response r;
  r.content_type = a.type;
  // Revalidated every time (a 304 costs a round trip, not the file): the
  // page a new cafflowd serves is never mixed with an old cached script.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", a.etag);
  add_security_headers(r);
  if (etag_matches(request.header("If-None-Match"), a.etag)) {
    r.status = 304;
    return r;
  }
  r.body = std::string(a.content);
  return r;
}

http_response login(const http_request& request, const auth_settings& auth) {
  if (request.method != "POST") {
    auto r = error_response(405, "method not allowed; use POST");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (auth.token.empty())
    return json_answer(200, {{"token_required", false}});
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("token")
      || !body["token"].is_string())
    return error_response(400, "the body must be a JSON object like {\"token\": \"...\"}");
  if (!secrets_equal(body["token"].get<std::string>(), auth.token))
    return error_response(401, "wrong token");
  auto r = json_answer(200, {{"token_required", true}, {"authenticated", true}});
  r.headers.emplace_back("Set-Cookie", std::string(session_cookie) + "="
                                         + session_value(auth.token)
                                         + "; Path=/; Max-Age=2592000; HttpOnly; "
                                           "SameSite=Strict");
  return r;
}

http_response logout(const http_request& request) {
  if (request.method != "POST") {
    auto r = error_response(405, "method not allowed; use POST");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  auto r = json_answer(200, {{"authenticated", false}});
  r.headers.emplace_back("Set-Cookie", std::string(session_cookie)
                                         + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  return r;
}

} // namespace

bool is_page_path(const std::string& path) {
  return path == "/" || path == "/index.html" || path == "/favicon.ico"
         || path.rfind("/ui/", 0) == 0;
}

std::string content_type_of(const std::string& path) {
  static const std::map<std::string, std::string> types{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
  };
  auto dot = path.rfind('.');
  if (dot != std::string::npos && path.find('/', dot) == std::string::npos) {
    auto it = types.find(to_lower(path.substr(dot)));
    if (it != types.end())
      return it->second;
  }
  return "application/octet-stream";
}

http_response handle_page(const http_request& request, const auth_settings& auth) {
  try {
    if (request.path == "/ui/login")
      return login(request, auth);
    if (request.path == "/ui/logout")
      return logout(request);
    if (request.method != "GET" && request.method != "HEAD") {
      auto r = error_response(405, "method not allowed; use GET");
      r.headers.emplace_back("Allow", "GET");
      return r;
    }
    if (request.path == "/ui/session")
      return json_answer(200, {{"token_required", !auth.token.empty()},
                               {"open_reads", auth.token.empty() || auth.open_reads},
                               {"authenticated", request.authenticated}});
    if (request.path == "/" || request.path == "/index.html")
      return serve_file(request, "index.html");
    if (request.path == "/favicon.ico")
      return serve_file(request, "favicon.svg");
    // /ui/<file>: looked up among the embedded files only, but a path that
    // tries to leave web/ is refused as such.
    auto parts = segments(request.path);
    if (parts.size() < 2)
      return error_response(404, "no such file of the page: " + quoted_excerpt(request.path));
    std::string file;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const auto& part = parts[i];
      if (part.empty() || part == "." || part == ".." || part.find('\\') != std::string::npos
          || part.find('\0') != std::string::npos)
        return error_response(400, "the path " + quoted_excerpt(request.path)
                                     + " is not a file of the page (it may not contain '.', "
                                       "'..', empty segments or backslashes)");
      file += (i > 1 ? "/" : "") + part;
    }
    return serve_file(request, file);
  } catch (const Poco::SyntaxException&) {
    return error_response(400, "malformed percent-encoding in " + quoted_excerpt(request.path));
  }
}

} // namespace cafflow
