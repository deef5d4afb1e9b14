// The text of <metadata>'s Oracle and Hive statements (no such server is in
// Debian: the runs of metadata_test.cpp stop at the missing driver).
#include <doctest/doctest.h>

#include "actions/metadata_sql.hpp"

using namespace cafflow;

TEST_SUITE_BEGIN("metadata");

TEST_CASE("metadata on Oracle reads the catalog of the named or current schema in upper case") {
  CHECK(metadata_sql::oracle_table_comment("", "'orders'")
        == "SELECT comments FROM all_tab_comments WHERE owner = SYS_CONTEXT('USERENV', "
           "'CURRENT_SCHEMA') AND table_name = UPPER('orders')");
  CHECK(metadata_sql::oracle_columns("'dw'", "'orders'")
        == "SELECT c.column_name, c.data_type, cc.comments FROM all_tab_columns c LEFT JOIN "
           "all_col_comments cc ON cc.owner = c.owner AND cc.table_name = c.table_name AND "
           "cc.column_name = c.column_name WHERE c.owner = UPPER('dw') AND c.table_name = "
           "UPPER('orders') ORDER BY c.column_id");
  CHECK(metadata_sql::set_table_comment("ORACLE", "dw.orders", "'all orders'")
        == "COMMENT ON TABLE dw.orders IS 'all orders'");
  CHECK(metadata_sql::set_column_comment("ORACLE", "dw.orders", "\"AMOUNT\"", "NUMBER", "'EUR'")
        == "COMMENT ON COLUMN dw.orders.\"AMOUNT\" IS 'EUR'");
  CHECK(metadata_sql::names_fold_case("ORACLE"));
  CHECK_FALSE(metadata_sql::names_fold_case("POSTGRESQL"));
}

TEST_CASE("metadata on Hive describes the table and restates a column's type with its comment") {
  CHECK(metadata_sql::hive_columns("test.cc") == "DESCRIBE test.cc");
  CHECK(metadata_sql::hive_table_comment("test.cc") == "SHOW TBLPROPERTIES test.cc('comment')");
  CHECK(metadata_sql::hive_comment_of("  visits of users ") == "visits of users");
  CHECK(metadata_sql::hive_comment_of("Table default.cc does not have property: comment").empty());
  CHECK(metadata_sql::hive_columns_end(""));
  CHECK(metadata_sql::hive_columns_end("# Partition Information"));
  CHECK_FALSE(metadata_sql::hive_columns_end("other  "));
  CHECK(metadata_sql::set_table_comment("HIVE", "test.cc", "'visits'")
        == "ALTER TABLE test.cc SET TBLPROPERTIES ('comment' = 'visits')");
  CHECK(metadata_sql::set_column_comment("HIVE", "test.cc", "`other`", "string", "'x'")
        == "ALTER TABLE test.cc CHANGE COLUMN `other` `other` string COMMENT 'x'");
  CHECK(metadata_sql::names_fold_case("HIVE"));
}

TEST_SUITE_END();
