#include "store/store_url.hpp"

#include <filesystem>

#include "util/strings.hpp"

namespace cafflow {

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
      return make_error(ec::invalid_config, "mysql URL needs user@host: '" + std::string(url) + "'");
    auto credentials = rest.substr(0, at);
    auto location = rest.substr(at + 1);
    auto colon = credentials.find(':');
    result.user = credentials.substr(0, colon);
    if (colon != std::string::npos)
      result.password = credentials.substr(colon + 1);
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
  return make_error(ec::invalid_config, "unsupported store URL '" + std::string(url)
                                          + "' (expected sqlite:PATH or "
                                            "mysql://user:password@host:port/db)");
}

} // namespace cafflow
