// db-links: password sources, and `cafflow db-link test|list`.
#include <cstdlib>
#include <sstream>

#include "action_harness.hpp"
#include "cli/tools.hpp"
#include "mariadb.hpp"
#include "postgres.hpp"

using namespace cafflow;
using namespace cafflow::test;

TEST_SUITE_BEGIN("db_link");

TEST_CASE("db-link test connects and says what it found and failures name the link but not the password") {
  auto jdbc = fresh_mariadb_jdbc();
  auto& pg = shared_postgres();
  auto pg_url = pg.create_database("linktest", "file-Pw-123");
  temp_dir dir;
  write_file(dir / "secrets/pg.pw", "file-Pw-123\n");
  ::setenv("CAFFLOW_TEST_DW_PW", "cafflow", 1);
  write_file(dir / "conf/db_links.xml",
             "<db-links>"
             "<link name=\"local\" type=\"SQLITE\" jdbc-url=\"jdbc:sqlite:data/x.db\"/>"
             "<link name=\"dw\" type=\"MYSQL\" jdbc-url=\"" + jdbc
               + "\" username=\"cafflow\" password-env=\"CAFFLOW_TEST_DW_PW\"/>"
                 "<link name=\"pg\" type=\"POSTGRESQL\" jdbc-url=\"" + pg_url
               + "\" username=\"linktest\" password-file=\"../secrets/pg.pw\"/>"
                 "<link name=\"bad\" type=\"MYSQL\" jdbc-url=\"" + jdbc
               + "\" username=\"cafflow\" password=\"Inline-Wrong-5\"/>"
                 "<link name=\"noenv\" type=\"MYSQL\" jdbc-url=\"" + jdbc
               + "\" username=\"cafflow\" password-env=\"CAFFLOW_TEST_UNSET_PW\"/>"
                 "</db-links>");
  auto links = dir / "conf/db_links.xml";
  const odbc_drivers drivers{"Oracle", "Hive"};
  for (const char* name : {"local", "dw", "pg"}) {
    std::ostringstream out, err;
    CAPTURE(name);
    CHECK(db_link_test(links, dir.path(), name, drivers, out, err) == 0);
    CAPTURE(err.str());
    CHECK(out.str().find(std::string("db link '") + name + "'") != std::string::npos);
    CHECK(out.str().find("connected in") != std::string::npos);
  }
  std::ostringstream out, err;
  CHECK(db_link_test(links, dir.path(), "bad", drivers, out, err) == 1);
  CHECK(err.str().find("cannot connect to db link 'bad'") != std::string::npos);
  CHECK(err.str().find("Inline-Wrong-5") == std::string::npos);
  std::ostringstream out2, err2;
  CHECK(db_link_test(links, dir.path(), "noenv", drivers, out2, err2) == 1);
  CHECK(err2.str().find("password-env names 'CAFFLOW_TEST_UNSET_PW', which is not set")
        != std::string::npos);
  std::ostringstream out3, err3;
  CHECK(db_link_test(links, dir.path(), "nope", drivers, out3, err3) == 1);
  CHECK(err3.str().find("unknown db-link 'nope'") != std::string::npos);
  std::ostringstream list, list_err;
  CHECK(db_link_list(links, list, list_err) == 0);
  CHECK(list.str().find("dw\tMYSQL\t" + jdbc + "\tcafflow\tpassword from $CAFFLOW_TEST_DW_PW")
        != std::string::npos);
  CHECK(list.str().find("Inline-Wrong-5") == std::string::npos);
}

TEST_CASE("two password sources on one link are an error of db_links.xml") {
  auto r = parse_db_links(R"(<db-links><link name="x" type="MYSQL" jdbc-url="jdbc:mysql://h/db" password="a" password-env="B"/></db-links>)",
                          "db_links.xml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "db link 'x': give only one of password, password-file and password-env");
}

TEST_SUITE_END();

TEST_CASE("db-link test of an ORACLE link names the missing ODBC driver and its config key") {
  temp_dir dir;
  write_file(dir / "db_links.xml",
             R"(<db-links><link name="ora" type="ORACLE" jdbc-url="jdbc:oracle:thin:@db1:1521:ORCL" username="scott" password="Tiger-Secret-9"/></db-links>)");
  // unixODBC is real here: Debian's SQLite ODBC drivers are installed, Oracle's is not.
  auto installed = db_connection::installed_odbc_drivers();
  CAPTURE(join(installed, ", "));
  CHECK(std::find(installed.begin(), installed.end(), "SQLite3") != installed.end());
  std::ostringstream out, err;
  CHECK(db_link_test(dir / "db_links.xml", dir.path(), "ora",
                     odbc_drivers{"Oracle 21 ODBC driver", "Hive"}, out, err) == 1);
  CAPTURE(err.str());
  CHECK(err.str().find("db link 'ora' (ORACLE jdbc:oracle:thin:@db1:1521:ORCL) connects through "
                       "the ODBC driver 'Oracle 21 ODBC driver', which is not installed on this "
                       "worker (unixODBC knows ")
        != std::string::npos);
  CHECK(err.str().find("or set [odbc] oracle_driver in cafflow.ini to the name it has there")
        != std::string::npos);
  CHECK(err.str().find("Tiger-Secret-9") == std::string::npos);
}
