#include "db/odbc_bridge.hpp"

#include <regex>

#include "util/strings.hpp"

namespace cafflow {

bool is_odbc_bridged(const std::string& type) { return type == "ORACLE" || type == "HIVE"; }

std::string odbc_driver_key(const std::string& type) {
  if (type == "ORACLE")
    return "odbc.oracle_driver";
  if (type == "HIVE")
    return "odbc.hive_driver";
  return {};
}

std::string odbc_driver_for(const std::string& type, const odbc_drivers& drivers) {
  if (type == "ORACLE")
    return drivers.oracle;
  if (type == "HIVE")
    return drivers.hive;
  return {};
}

expected<bridged_url> parse_bridged_url(const std::string& type, const std::string& raw) {
  auto url = trim(raw);
  bridged_url b;
  std::smatch m;
  if (type == "ORACLE") {
    // @host:port:SID (the old form), @//host:port/service and @host:port/service (EZConnect).
    static const std::regex sid(R"(jdbc:oracle:thin:@([A-Za-z0-9._-]+):(\d+):([A-Za-z0-9_$#.]+))",
                                std::regex::icase);
    static const std::regex service(
      R"(jdbc:oracle:thin:@(?://)?([A-Za-z0-9._-]+)(?::(\d+))?/([A-Za-z0-9_$#.-]+))",
      std::regex::icase);
    if (std::regex_match(url, m, sid)) {
      b.host = m[1];
      b.port = m[2];
      b.database = m[3];
      b.service = false;
      return b;
    }
    if (std::regex_match(url, m, service)) {
      b.host = m[1];
      b.port = m[2].matched ? std::string(m[2]) : "1521";
      b.database = m[3];
      b.service = true;
      return b;
    }
    return make_error(ec::invalid_argument,
                      "'" + url + "' is not like jdbc:oracle:thin:@host:port:SID or "
                      "jdbc:oracle:thin:@//host:port/service");
  }
  if (type == "HIVE") {
    // Session settings after ';' (principal=..., transportMode=...) are the
    // JDBC driver's; the ODBC driver takes its own in odbcinst.ini/odbc.ini.
    static const std::regex hive(
      R"(jdbc:hive2://([A-Za-z0-9._-]+)(?::(\d+))?(?:/([A-Za-z0-9_]*))?(;[^?#]*)?)",
      std::regex::icase);
    if (std::regex_match(url, m, hive)) {
      b.host = m[1];
      b.port = m[2].matched ? std::string(m[2]) : "10000";
      b.database = m[3].matched && m[3].length() > 0 ? std::string(m[3]) : "default";
      return b;
    }
    return make_error(ec::invalid_argument,
                      "'" + url + "' is not like jdbc:hive2://host:port/database (one HiveServer2; "
                      "ZooKeeper discovery and ?hive-conf are JDBC-only: put them into the ODBC "
                      "driver's settings)");
  }
  return make_error(ec::invalid_argument, "db-link type " + type + " does not go through ODBC");
}

std::string odbc_value(const std::string& value) {
  bool plain = value.find_first_of(";{}=") == std::string::npos
               && (value.empty() || (value.front() != ' ' && value.back() != ' '));
  if (plain)
    return value;
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}')
      out += '}';
  }
  return out + "}";
}

expected<std::string> odbc_connection_string(const std::string& type, const std::string& url,
                                             const std::string& driver,
                                             const std::string& username,
                                             const std::string& password) {
  auto parsed = parse_bridged_url(type, url);
  if (!parsed)
    return parsed.error();
  if (trim(driver).empty())
    return make_error(ec::invalid_config, "no ODBC driver is configured for " + type + " ("
                                            + odbc_driver_key(type) + " is empty)");
  const auto& b = *parsed;
  std::string s = "Driver=" + odbc_value(driver) + ";";
  if (type == "ORACLE") {
    auto dbq = b.service ? "//" + b.host + ":" + b.port + "/" + b.database
                         : "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=" + b.host + ")(PORT="
                             + b.port + "))(CONNECT_DATA=(SID=" + b.database + ")))";
    s += "DBQ=" + odbc_value(dbq) + ";";
  } else {
    s += "Host=" + odbc_value(b.host) + ";Port=" + b.port + ";Schema=" + odbc_value(b.database)
         + ";HiveServerType=2;AuthMech="
         + (username.empty() ? "0" : password.empty() ? "2" : "3") + ";";
  }
  if (!username.empty())
    s += "UID=" + odbc_value(username) + ";";
  if (!password.empty())
    s += "PWD=" + odbc_value(password) + ";";
  return s;
}

} // namespace cafflow
