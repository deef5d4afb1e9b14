#include "xml/db_links.hpp"

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <regex>

#include <pugixml.hpp>

#include "db/odbc_bridge.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "xml/positions.hpp"

namespace cafflow {

const std::vector<std::string>& supported_db_link_types() {
  // ORACLE and HIVE connect through the ODBC driver named in [odbc].
  static const std::vector<std::string> types{"SQLITE", "MYSQL", "POSTGRESQL", "ODBC", "ORACLE",
                                              "HIVE"};
  return types;
}

std::map<std::string, std::string> db_links_result::types() const {
  std::map<std::string, std::string> result;
  for (const auto& link : links)
    result.emplace(link.name, link.type);
  return result;
}

const db_link* db_links_result::find(const std::string& name) const {
  for (const auto& link : links)
    if (link.name == name)
      return &link;
  return nullptr;
}

expected<std::string> db_link_password(const db_link& link) {
  if (!link.password_env.empty()) {
    const char* value = std::getenv(link.password_env.c_str());
    if (value == nullptr)
      return make_error(ec::invalid_config, "db link '" + link.name + "': password-env names '"
                                              + link.password_env
                                              + "', which is not set in this process's environment");
    return std::string(value);
  }
  if (!link.password_file.empty()) {
    auto text = read_file(link.password_file);
    if (!text)
      return make_error(ec::invalid_config, "db link '" + link.name
                                              + "': cannot read its password-file: "
                                              + text.error().message);
    auto end = text->find_first_of("\r\n");
    return text->substr(0, end);
  }
  return link.password;
}

std::set<std::string> db_links_result::names() const {
  std::set<std::string> result;
  for (const auto& link : links)
    result.insert(link.name);
  return result;
}

std::optional<jdbc_server_url> parse_jdbc_server_url(const std::string& url) {
  static const std::regex pattern(R"(jdbc:([a-z0-9]+)://([^/:?]+)(?::(\d+))?/([^/?]+)(\?.*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, pattern))
    return std::nullopt;
  return jdbc_server_url{m[1], m[2], m[3].matched ? std::string(m[3]) : std::string{}, m[4]};
}

std::string jdbc_url_form(const std::string& type) {
  if (type == "MYSQL")
    return "jdbc:mysql://host:port/database";
  if (type == "POSTGRESQL")
    return "jdbc:postgresql://host:port/database";
  if (type == "SQLITE")
    return "jdbc:sqlite:/path/to/file.db";
  if (type == "ODBC")
    return "jdbc:odbc:DSN or jdbc:odbc:Driver=...;Database=...";
  return {};
}

bool has_jdbc_url_form(const std::string& type, const std::string& url) {
  if (type == "MYSQL" || type == "POSTGRESQL") {
    auto parts = parse_jdbc_server_url(url);
    return parts && parts->scheme == (type == "MYSQL" ? "mysql" : "postgresql");
  }
  for (auto [file_type, prefix] : {std::pair{"SQLITE", "jdbc:sqlite:"}, std::pair{"ODBC", "jdbc:odbc:"}})
    if (type == file_type)
      return starts_with(url, prefix) && url.size() > std::string(prefix).size();
  return false;
}

db_links_result parse_db_links(const std::string& xml, const std::string& file) {
  db_links_result result;
  xml_positions positions(xml);
  auto error = [&](source_pos pos, std::string msg, std::string attribute = {}) {
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, file, pos, std::move(msg), std::move(attribute)});
  };
  auto warning = [&](source_pos pos, std::string msg) {
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::warning, file, pos, std::move(msg)});
  };
  pugi::xml_document doc;
  auto status = doc.load_buffer(xml.data(), xml.size());
  if (!status) {
    error(positions.at(status.offset), std::string("malformed XML: ") + status.description());
    return result;
  }
  auto root = doc.document_element();
  if (std::string(root.name()) != "db-links") {
    error(positions.of(root), "expected <db-links> as the root element, got <" + std::string(root.name())
                          + ">");
    return result;
  }
  std::set<std::string> seen;
  for (auto child : root.children()) {
    if (child.type() != pugi::node_element)
      continue;
    if (std::string(child.name()) != "link") {
      error(positions.of(child), "unknown element <" + std::string(child.name())
                             + "> in <db-links> (expected <link>)");
      continue;
    }
    db_link link;
    link.pos = positions.of(child);
    for (auto attr : child.attributes()) {
      std::string name = attr.name();
      // desc: akkaflow 2.9+ (a description shown in its UI).
      static const std::vector<std::string> known{"name",     "type",          "jdbc-url",
                                                  "username", "password",      "password-file",
                                                  "password-env", "desc"};
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        auto hint = did_you_mean(name, known);
        error(link.pos, "unknown attribute '" + name + "' on <link>"
                          + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
    link.name = trim(child.attribute("name").value());
    link.type = to_upper(trim(child.attribute("type").value()));
    link.jdbc_url = trim(child.attribute("jdbc-url").value());
    link.username = child.attribute("username").value();
    link.password = child.attribute("password").value();
    link.desc = child.attribute("desc").value();
    link.password_file = trim(child.attribute("password-file").value());
    link.password_env = trim(child.attribute("password-env").value());
    if (!link.password_file.empty()) {
      std::filesystem::path p(link.password_file);
      if (p.is_relative())
        link.password_file =
          (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
    }
    if (int(child.attribute("password") ? 1 : 0) + (child.attribute("password-file") ? 1 : 0)
          + (child.attribute("password-env") ? 1 : 0)
        > 1)
      error(link.pos, "db link '" + std::string(trim(child.attribute("name").value()))
                        + "': give only one of password, password-file and password-env",
            "password");
    if (link.name.empty()) {
      error(link.pos, "<link> needs the attribute 'name'", "name");
      continue;
    }
    if (!seen.insert(link.name).second)
      error(link.pos, "db link '" + link.name + "' is defined twice", "name");
    if (auto form = jdbc_url_form(link.type); !form.empty()) {
      if (!has_jdbc_url_form(link.type, link.jdbc_url))
        error(link.pos, "db link '" + link.name + "': jdbc-url '" + link.jdbc_url
                          + "' is not like " + form,
              "jdbc-url");
    } else if (is_odbc_bridged(link.type)) {
      if (auto url = parse_bridged_url(link.type, link.jdbc_url); !url)
        error(link.pos, "db link '" + link.name + "': jdbc-url " + url.error().message,
              "jdbc-url");
      else
        warning(link.pos, "db link '" + link.name + "' (" + link.type
                            + ") connects through ODBC: the workers need the ODBC driver named by "
                            + odbc_driver_key(link.type) + " in cafflow.ini (docs/MIGRATING.md)");
    } else if (link.type.empty()) {
      error(link.pos, "db link '" + link.name + "' needs a 'type' ("
                        + join(supported_db_link_types(), ", ") + ")",
            "type");
    } else {
      warning(link.pos, "db link '" + link.name + "' has type " + link.type
                          + ", which this build cannot connect to ("
                          + join(supported_db_link_types(), ", ")
                          + "); workflows using it are refused");
    }
    for (auto props : child.children("properties"))
      for (auto prop : props.children("property"))
        // akkaflow wrote the value as the element's text
        // (<property name="useSSL">false</property>); a value attribute too.
        link.properties[prop.attribute("name").value()] =
          prop.attribute("value") ? std::string(prop.attribute("value").value())
                                  : trim(prop.text().get());
    result.links.push_back(std::move(link));
  }
  return result;
}

expected<jdbc_url_type> inline_jdbc_type(const std::string& jdbc_url) {
  auto url = trim(jdbc_url);
  auto lower = to_lower(url);
  for (auto [type, prefixes] :
       {std::pair{"MYSQL", std::vector<std::string>{"jdbc:mysql:", "jdbc:mariadb:"}},
        std::pair{"POSTGRESQL", std::vector<std::string>{"jdbc:postgresql:"}},
        std::pair{"SQLITE", std::vector<std::string>{"jdbc:sqlite:"}}}) {
    if (std::none_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return starts_with(lower, p); }))
      continue;
    // MariaDB's own scheme connects as MySQL.
    auto as_link = starts_with(url, "jdbc:mariadb:") ? "jdbc:mysql:" + url.substr(13) : url;
    if (!has_jdbc_url_form(type, as_link))
      return make_error(ec::invalid_argument,
                        "'" + url + "' is not like " + jdbc_url_form(type));
    return jdbc_url_type{type, as_link};
  }
  for (const char* type : {"ORACLE", "HIVE"}) {
    if (!starts_with(lower, type == std::string("ORACLE") ? "jdbc:oracle:" : "jdbc:hive2:"))
      continue;
    if (auto parsed = parse_bridged_url(type, url); !parsed)
      return parsed.error();
    return jdbc_url_type{type, url};
  }
  auto scheme = lower.substr(0, lower.find(':', 5));
  return make_error(ec::invalid_argument,
                    "'" + url + "' is a " + (starts_with(lower, "jdbc:") ? scheme : "non-JDBC")
                      + " url; a connection written into an action can be MySQL/MariaDB "
                        "(jdbc:mysql://, jdbc:mariadb://), PostgreSQL (jdbc:postgresql://), "
                        "SQLite (jdbc:sqlite:), Oracle (jdbc:oracle:thin:@) or Hive "
                        "(jdbc:hive2://); for another database define a link in db_links.xml "
                        "and name it with db-link");
}

db_links_result load_db_links(const std::string& path) {
  std::error_code err;
  if (!std::filesystem::exists(path, err))
    return {};
  auto text = read_file(path);
  if (!text) {
    db_links_result result;
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, path, {1, 1}, text.error().message});
    return result;
  }
  return parse_db_links(*text, path);
}

} // namespace cafflow
