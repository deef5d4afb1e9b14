#include "xml/db_links.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("db_links");

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
