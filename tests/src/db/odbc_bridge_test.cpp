// akkaflow's Oracle and Hive JDBC urls turned into ODBC connection strings.
#include <doctest/doctest.h>

#include "db/odbc_bridge.hpp"
#include "xml/db_links.hpp"

using namespace cafflow;

TEST_SUITE_BEGIN("odbc_bridge");

TEST_CASE("an Oracle SID url becomes a TNS descriptor for the configured driver") {
  auto s = odbc_connection_string("ORACLE", "jdbc:oracle:thin:@db1.example.com:1521:ORCL",
                                  "Oracle 21 ODBC driver", "scott", "tiger");
  REQUIRE(s);
  CHECK(*s == "Driver=Oracle 21 ODBC driver;DBQ={(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST="
              "db1.example.com)(PORT=1521))(CONNECT_DATA=(SID=ORCL)))};UID=scott;PWD=tiger;");
}

TEST_CASE("an Oracle service url becomes EZConnect") {
  auto s = odbc_connection_string("ORACLE", "jdbc:oracle:thin:@//db1:1522/sales.example.com",
                                  "Oracle", "u", "");
  REQUIRE(s);
  CHECK(*s == "Driver=Oracle;DBQ=//db1:1522/sales.example.com;UID=u;");
  // EZConnect without the slashes, and without a port (1521).
  auto bare = parse_bridged_url("ORACLE", "jdbc:oracle:thin:@db1/orclpdb");
  REQUIRE(bare);
  CHECK(bare->host == "db1");
  CHECK(bare->port == "1521");
  CHECK(bare->database == "orclpdb");
  CHECK(bare->service);
}

TEST_CASE("a Hive url becomes host port schema and the auth mechanism of its credentials") {
  auto s = odbc_connection_string("HIVE", "jdbc:hive2://hs2.example.com:10000/dw", "Hive", "etl",
                                  "p;w}");
  REQUIRE(s);
  CHECK(*s == "Driver=Hive;Host=hs2.example.com;Port=10000;Schema=dw;HiveServerType=2;"
              "AuthMech=3;UID=etl;PWD={p;w}}};");
  auto user_only = odbc_connection_string("HIVE", "jdbc:hive2://hs2:10001", "Cloudera ODBC "
                                          "Driver for Apache Hive 64-bit", "etl", "");
  REQUIRE(user_only);
  CHECK(*user_only == "Driver=Cloudera ODBC Driver for Apache Hive 64-bit;Host=hs2;Port=10001;"
                      "Schema=default;HiveServerType=2;AuthMech=2;UID=etl;");
  auto anonymous = odbc_connection_string("HIVE", "jdbc:hive2://hs2/db;transportMode=binary",
                                          "Hive", "", "");
  REQUIRE(anonymous);
  CHECK(*anonymous == "Driver=Hive;Host=hs2;Port=10000;Schema=db;HiveServerType=2;AuthMech=0;");
}

TEST_CASE("bad bridged urls and a missing driver name are refused with the forms accepted") {
  auto oracle = parse_bridged_url("ORACLE", "jdbc:oracle:oci:@db1:1521:X");
  REQUIRE_FALSE(oracle);
  CHECK(oracle.error().message
        == "'jdbc:oracle:oci:@db1:1521:X' is not like jdbc:oracle:thin:@host:port:SID or "
           "jdbc:oracle:thin:@//host:port/service");
  auto zk = parse_bridged_url("HIVE", "jdbc:hive2://zk1:2181,zk2:2181/;serviceDiscoveryMode=zk");
  REQUIRE_FALSE(zk);
  CHECK(zk.error().message.find("is not like jdbc:hive2://host:port/database") != std::string::npos);
  auto no_driver = odbc_connection_string("ORACLE", "jdbc:oracle:thin:@h:1521:X", "", "", "");
  REQUIRE_FALSE(no_driver);
  CHECK(no_driver.error().message == "no ODBC driver is configured for ORACLE "
                                     "(odbc.oracle_driver is empty)");
  CHECK(odbc_driver_key("HIVE") == "odbc.hive_driver");
  CHECK(odbc_driver_key("MYSQL").empty());
}

TEST_CASE("inline jdbc urls of Oracle and Hive have their types") {
  auto oracle = inline_jdbc_type("jdbc:oracle:thin:@db:1521:orcl");
  REQUIRE(oracle);
  CHECK(oracle->type == "ORACLE");
  auto hive = inline_jdbc_type("jdbc:hive2://h:10000/default");
  REQUIRE(hive);
  CHECK(hive->type == "HIVE");
  auto bad = inline_jdbc_type("jdbc:oracle:thin:db");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("is not like jdbc:oracle:thin:@host:port:SID") != std::string::npos);
  auto other = inline_jdbc_type("jdbc:sqlserver://h:1433");
  REQUIRE_FALSE(other);
  CHECK(other.error().message.find("Oracle (jdbc:oracle:thin:@) or Hive (jdbc:hive2://)")
        != std::string::npos);
}

TEST_CASE("db_links.xml takes ORACLE and HIVE links with a warning naming the driver key") {
  auto r = parse_db_links(R"(<db-links>
  <link name="ora" type="ORACLE" jdbc-url="jdbc:oracle:thin:@db:1521:orcl" username="u" password="p"/>
  <link name="hive" type="HIVE" jdbc-url="jdbc:hive2://h:10000/dw" username="u"/>
  <link name="badora" type="ORACLE" jdbc-url="jdbc:oracle:thin:db"/>
</db-links>)", "db_links.xml");
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(r.diagnostics[0].to_string()
        == "db_links.xml:2:3: warning: db link 'ora' (ORACLE) connects through ODBC: the workers "
           "need the ODBC driver named by odbc.oracle_driver in cafflow.ini (docs/MIGRATING.md)");
  CHECK(r.diagnostics[1].to_string().find("warning: db link 'hive' (HIVE) connects through "
                                          "ODBC") != std::string::npos);
  CHECK(r.diagnostics[2].to_string()
        == "db_links.xml:4:3: error: db link 'badora': jdbc-url 'jdbc:oracle:thin:db' is not like "
           "jdbc:oracle:thin:@host:port:SID or jdbc:oracle:thin:@//host:port/service");
  CHECK(r.types().at("ora") == "ORACLE");
}
