// The [store] url: "sqlite:PATH" or "mysql://user:password@host:port/db".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "expected.hpp"

namespace cafflow {

struct store_url {
  enum class backend { sqlite, mysql };
  backend type = backend::sqlite;
  /// sqlite: absolute path of the database file.
  std::string path;
  /// mysql: connection parts.
  std::string user;
  std::string password;
  std::string host;
  std::uint16_t port = 3306;
  std::string database;

  /// The URL with the password replaced by "***", for logs and the API.
  std::string redacted() const;
};

/// Parses a store URL; a relative sqlite path resolves against `home`. The
/// user and password of a mysql URL may be percent-encoded ("p%40ss" for
/// "p@ss").
expected<store_url> parse_store_url(std::string_view url, const std::string& home);

} // namespace cafflow
