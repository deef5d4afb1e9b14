// The web page: the files of web/ embedded at build time (cmake/EmbedWeb.cmake),
// served under / by the http role with content types and ETags, and the
// page's login (a cookie instead of the Authorization header).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/api.hpp"
#include "http/auth.hpp"

namespace cafflow {

namespace detail {

/// One embedded file: its path below web/ and its bytes.
struct web_file {
  std::string path;
  std::string_view content;
};

/// Every file of web/, by path (generated).
const std::vector<web_file>& embedded_web_files();

} // namespace detail

/// True for the page's paths: "/", "/index.html", "/favicon.ico" and
/// everything below "/ui/".
bool is_page_path(const std::string& path);

/// The Content-Type of a file by its extension.
std::string content_type_of(const std::string& path);

/// Answers a request for the page: GET/HEAD of "/" (the app) and of
/// "/ui/<file>" (its assets, ETag and If-None-Match: 304), POST
/// /ui/login ({"token": "..."}: sets the session cookie when right), POST
/// /ui/logout, GET /ui/session (whether a token is needed and given). An
/// unknown file is a 404; a path that leaves web/ ("..") a 400.
http_response handle_page(const http_request& request, const auth_settings& auth);

} // namespace cafflow
