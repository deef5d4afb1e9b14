#include "store/store_url.hpp"

#include <filesystem>

#include "util/strings.hpp"

namespace cafflow {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes (RFC 3986), so that a user or password may contain
/// the characters that delimit the URL ('@', ':', '/', '%').
bool percent_decode(const std::string& text, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size())
      return false;
    auto high = hex_digit(text[i + 1]);
    auto low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0)
      return false;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

} // namespace

std::string store_url::redacted() const {
  if (type == backend::sqlite)
    return "sqlite:" + path;
  return "mysql://" + user + (password.empty() ? "" : ":***") + "@" + host + ":"
         + std::to_string(port) + "/" + database;
}

expected<store_url> parse_store_url(std::string_view url, const std::string& home) {
  store_url result;
  if (starts_with(url, "sqlite:")) {
    std::string path(url.substr(7));
    if (path.empty())
      return make_error(ec::invalid_config, "sqlite URL without a path: '" + std::string(url) + "'");
    std::filesystem::path p(path);
    result.type = store_url::backend::sqlite;
    result.path = p.is_absolute() ? p.lexically_normal().string()
                                  : (std::filesystem::path(home) / p).lexically_normal().string();
    return result;
  }
  if (starts_with(url, "mysql://")) {
    result.type = store_url::backend::mysql;
    auto rest = std::string(url.substr(8));
    auto at = rest.rfind('@');
    if (at == std::string::npos)
      return make_error(ec::invalid_config,
                        "mysql URL needs user@host (mysql://user:password@host:port/db)");
    auto credentials = rest.substr(0, at);
    auto location = rest.substr(at + 1);
    auto colon = credentials.find(':');
    // The password is never part of an error message, not even a bad one.
    if (!percent_decode(credentials.substr(0, colon), result.user))
      return make_error(ec::invalid_config,
                        "mysql URL has an invalid %-escape in its user name (expected %XX)");
    if (colon != std::string::npos
        && !percent_decode(credentials.substr(colon + 1), result.password))
      return make_error(ec::invalid_config,
                        "mysql URL has an invalid %-escape in its password (expected %XX)");
    auto slash = location.find('/');
    if (slash == std::string::npos || slash + 1 == location.size())
      return make_error(ec::invalid_config,
                        "mysql URL needs a database name after '/': '" + result.redacted() + "'");
    result.database = location.substr(slash + 1);
    auto address = location.substr(0, slash);
    auto port_sep = address.rfind(':');
    result.host = address.substr(0, port_sep);
    if (port_sep != std::string::npos) {
      long long port = 0;
      if (!parse_int(address.substr(port_sep + 1), port) || port < 1 || port > 65535)
        return make_error(ec::invalid_config, "mysql URL has an invalid port: '" + address + "'");
      result.port = static_cast<std::uint16_t>(port);
    }
    if (result.user.empty() || result.host.empty())
      return make_error(ec::invalid_config, "mysql URL needs a user and a host");
    return result;
  }
  // Only the scheme: the rest may carry a password.
  auto scheme = url.substr(0, url.find(':'));
  return make_error(ec::invalid_config, "unsupported store URL scheme '" + std::string(scheme)
                                          + "' (expected sqlite:PATH or "
                                            "mysql://user:password@host:port/db)");
}

} // namespace cafflow
