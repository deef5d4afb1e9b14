// The jdbc-url forms of db links: one check for conf/db_links.xml and for
// the connections written into actions. (The links as a worker connects to
// them: tests/src/actions/db_link_test.cpp.)
#include "xml/db_links.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("db_links");

TEST_CASE("a server url has its scheme and host and port and database") {
  auto full = parse_jdbc_server_url("jdbc:mysql://db1.example.org:3307/wf?useSSL=false");
  REQUIRE(full);
  CHECK(full->scheme == "mysql");
  CHECK(full->host == "db1.example.org");
  CHECK(full->port == "3307");
  CHECK(full->database == "wf");
  auto no_port = parse_jdbc_server_url("jdbc:postgresql://dw/sales");
  REQUIRE(no_port);
  CHECK(no_port->scheme == "postgresql");
  CHECK(no_port->port.empty());
  CHECK(no_port->database == "sales");
  for (const char* bad : {"jdbc:mysql://h:port/x", "jdbc:mysql://h/", "jdbc:mysql:h/x",
                          "mysql://h/x", "jdbc:mysql://h/x/y"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_jdbc_server_url(bad));
  }
}

TEST_CASE("each type takes its own url form") {
  CHECK(has_jdbc_url_form("MYSQL", "jdbc:mysql://h:3306/x"));
  CHECK_FALSE(has_jdbc_url_form("MYSQL", "jdbc:postgresql://h:5432/x"));
  CHECK_FALSE(has_jdbc_url_form("MYSQL", "jdbc:mariadb://h:3306/x"));
  CHECK(has_jdbc_url_form("POSTGRESQL", "jdbc:postgresql://h/x"));
  CHECK(has_jdbc_url_form("SQLITE", "jdbc:sqlite:data/x.db"));
  CHECK_FALSE(has_jdbc_url_form("SQLITE", "jdbc:sqlite:"));
  CHECK(has_jdbc_url_form("ODBC", "jdbc:odbc:Driver=SQLite3;Database=/x.db"));
  CHECK_FALSE(has_jdbc_url_form("ODBC", "odbc:dsn"));
  CHECK_FALSE(has_jdbc_url_form("ORACLE", "jdbc:oracle:thin:@h:1521:x"));
  CHECK(jdbc_url_form("MYSQL") == "jdbc:mysql://host:port/database");
  CHECK(jdbc_url_form("ORACLE").empty());
}

TEST_CASE("db_links.xml and a connection written into an action check a url alike") {
  auto link = [](const std::string& type, const std::string& url) {
    auto r = parse_db_links("<db-links><link name=\"l\" type=\"" + type + "\" jdbc-url=\"" + url
                              + "\"/></db-links>",
                            "db_links.xml");
    return r.diagnostics.empty() ? std::string() : r.diagnostics[0].message;
  };
  auto inline_url = [](const std::string& url) {
    auto r = inline_jdbc_type(url);
    return r ? std::string() : r.error().message;
  };
  for (auto [type, url] : {std::pair{"MYSQL", "jdbc:mysql://h:3306/x"},
                           std::pair{"POSTGRESQL", "jdbc:postgresql://h/x"},
                           std::pair{"SQLITE", "jdbc:sqlite:x.db"}}) {
    CAPTURE(url);
    CHECK(link(type, url) == "");
    CHECK(inline_url(url) == "");
    CHECK(inline_jdbc_type(url)->type == type);
  }
  CHECK(link("MYSQL", "jdbc:mysql://h:port/x")
        == "db link 'l': jdbc-url 'jdbc:mysql://h:port/x' is not like jdbc:mysql://host:port/database");
  CHECK(inline_url("jdbc:mysql://h:port/x")
        == "'jdbc:mysql://h:port/x' is not like jdbc:mysql://host:port/database");
  CHECK(link("POSTGRESQL", "jdbc:postgresql:x")
        == "db link 'l': jdbc-url 'jdbc:postgresql:x' is not like jdbc:postgresql://host:port/database");
  CHECK(inline_url("jdbc:postgresql:x")
        == "'jdbc:postgresql:x' is not like jdbc:postgresql://host:port/database");
  CHECK(link("SQLITE", "jdbc:sqlite:")
        == "db link 'l': jdbc-url 'jdbc:sqlite:' is not like jdbc:sqlite:/path/to/file.db");
  CHECK(inline_url("jdbc:sqlite:") == "'jdbc:sqlite:' is not like jdbc:sqlite:/path/to/file.db");
  CHECK(link("ODBC", "jdbc:odbc:")
        == "db link 'l': jdbc-url 'jdbc:odbc:' is not like jdbc:odbc:DSN or "
           "jdbc:odbc:Driver=...;Database=...");
  // An action may write MariaDB's own scheme: it connects as MySQL.
  auto mariadb = inline_jdbc_type("jdbc:mariadb://h:3306/x");
  REQUIRE(mariadb);
  CHECK(mariadb->type == "MYSQL");
  CHECK(mariadb->url == "jdbc:mysql://h:3306/x");
  CHECK(inline_url("jdbc:mariadb://h/") == "'jdbc:mariadb://h/' is not like jdbc:mysql://host:port/database");
}

TEST_CASE("db_links: an error names the attribute at fault") {
  // Names that hold the words of other attributes ("report" holds "port"):
  // the attribute comes from the parser, not from the text of the message.
  auto r = parse_db_links(
    "<db-links>\n"
    "<link type=\"SQLITE\" jdbc-url=\"jdbc:sqlite:a.db\"/>\n"
    "<link name=\"report\" type=\"MYSQL\" jdbc-url=\"jdbc:mysql:/x\"/>\n"
    "<link name=\"passport\" jdbc-url=\"jdbc:sqlite:b.db\"/>\n"
    "<link name=\"typed\" type=\"SQLITE\" jdbc-url=\"jdbc:sqlite:c.db\" password=\"a\" "
    "password-env=\"B\"/>\n"
    "<link name=\"typed\" type=\"SQLITE\" jdbc-url=\"jdbc:sqlite:d.db\"/>\n"
    "<link name=\"pg\" type=\"POSTGRESQL\" jdbc-url=\"jdbc:postgresql:/x\"/>\n"
    "<link name=\"other\" type=\"DB2\" jdbc-url=\"jdbc:db2://h/x\"/>\n"
    "</db-links>\n",
    "db_links.xml");
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& d : r.diagnostics)
    got.emplace_back(d.message, d.attribute);
  REQUIRE(got.size() == 7);
  CHECK(got[0] == std::pair<std::string, std::string>{"<link> needs the attribute 'name'", "name"});
  CHECK(got[1].first.find("db link 'report': jdbc-url 'jdbc:mysql:/x' is not like") == 0);
  CHECK(got[1].second == "jdbc-url");
  CHECK(got[2].first.find("db link 'passport' needs a 'type'") == 0);
  CHECK(got[2].second == "type");
  CHECK(got[3].first == "db link 'typed': give only one of password, password-file and "
                        "password-env");
  CHECK(got[3].second == "password");
  CHECK(got[4] == std::pair<std::string, std::string>{"db link 'typed' is defined twice", "name"});
  CHECK(got[5].second == "jdbc-url");
  // A warning is about the whole link.
  CHECK(r.diagnostics[6].level == diagnostic::severity::warning);
  CHECK(got[6].second == "");
}

TEST_SUITE_END();
