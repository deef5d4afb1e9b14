// The SQL text of a transfer's load per link type (src/db/dialect.hpp).
#include "db/dialect.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("dialect");

TEST_CASE("is-pre-truncate empties with DELETE in the load's transaction and on Hive with TRUNCATE TABLE") {
  for (const char* type : {"SQLITE", "MYSQL", "POSTGRESQL", "ORACLE", "ODBC"}) {
    CAPTURE(type);
    CHECK(empty_table_sql(type, "dw.orders") == "DELETE FROM dw.orders");
  }
  CHECK(empty_table_sql("HIVE", "dw.orders") == "TRUNCATE TABLE dw.orders");
}

TEST_CASE("identifiers and literals are quoted per link type") {
  CHECK(quote_identifier("MYSQL", "dw.order`s") == "`dw`.`order``s`");
  CHECK(quote_identifier("HIVE", "c1") == "`c1`");
  CHECK(quote_identifier("POSTGRESQL", "a\"b") == "\"a\"\"b\"");
  CHECK(quote_literal("MYSQL", "it's a\\b") == "'it''s a\\\\b'");
  CHECK(quote_literal("HIVE", "a\\b") == "'a\\\\b'");
  CHECK(quote_literal("SQLITE", "it's a\\b") == "'it''s a\\b'");
}

TEST_CASE("a missing target table is created with the link type's column types") {
  std::vector<load_column> columns{{"id", "integer"}, {"price", "real"}, {"at", "timestamp"},
                                   {"name", "text"}};
  CHECK(create_table_sql("HIVE", "orders", columns)
        == "CREATE TABLE orders (`id` BIGINT, `price` DOUBLE, `at` TIMESTAMP, `name` STRING)");
  CHECK(create_table_sql("ORACLE", "orders", columns)
        == "CREATE TABLE orders (\"id\" NUMBER(19), \"price\" BINARY_DOUBLE, \"at\" TIMESTAMP, "
           "\"name\" VARCHAR2(4000))");
  CHECK(create_table_sql("SQLITE", "orders", columns)
        == "CREATE TABLE orders (\"id\" INTEGER, \"price\" REAL, \"at\" TEXT, \"name\" TEXT)");
  CHECK(column_type("MYSQL", "timestamp") == "DATETIME");
  CHECK(column_type("POSTGRESQL", "blob") == "BYTEA");
  CHECK(column_type("ODBC", "text") == "VARCHAR(4000)");
}

TEST_CASE("rows go in with INSERT and into PostgreSQL with COPY") {
  std::vector<load_column> columns{{"id", "integer"}, {"name", "text"}};
  CHECK(insert_prefix_sql("MYSQL", "t", columns) == "INSERT INTO t (`id`, `name`) VALUES ");
  CHECK(insert_prefix_sql("ORACLE", "t", columns) == "INSERT INTO t (\"id\", \"name\") VALUES ");
  CHECK(copy_from_stdin_sql("s.t", columns)
        == "COPY s.t (\"id\", \"name\") FROM STDIN WITH (FORMAT csv)");
}

TEST_SUITE_END();
