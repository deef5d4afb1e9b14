// The SQL text a transfer sends to the table of a link of each type (SQLITE,
// MYSQL, POSTGRESQL, ORACLE, HIVE, ODBC): quoted identifiers and literals,
// column types, and the statements of a load. Text only, no connection:
// src/actions/transfer.cpp runs them (its load: CREATE TABLE when missing,
// the emptying of is-pre-truncate, INSERT or COPY), tests/src/db read them.
#pragma once

#include <string>
#include <vector>

namespace cafflow {

/// A column of the rows a transfer moves: its name and a neutral type.
struct load_column {
  std::string name;
  /// integer, real, date, time, timestamp, text, blob
  std::string type = "text";
};

/// `name` quoted as an identifier of `db_type` (`a`.`b` on MySQL and Hive,
/// "a"."b" elsewhere; a dot separates the schema).
std::string quote_identifier(const std::string& db_type, const std::string& name);

/// `value` as a string literal of `db_type` (backslashes doubled on MySQL and Hive).
std::string quote_literal(const std::string& db_type, const std::string& value);

/// The column type of `db_type` for a neutral type.
std::string column_type(const std::string& db_type, const std::string& neutral);

/// CREATE TABLE `table` with `columns` in `db_type`'s types.
std::string create_table_sql(const std::string& db_type, const std::string& table,
                             const std::vector<load_column>& columns);

/// The statement that empties `table` before a load (is-pre-truncate):
/// DELETE FROM, inside the load's transaction, so that a failed load leaves
/// the rows as they were; on Hive, which has no transactions and deletes
/// rows of transactional (ACID) tables only, TRUNCATE TABLE.
std::string empty_table_sql(const std::string& db_type, const std::string& table);

/// "INSERT INTO table (columns...) VALUES " (the rows follow).
std::string insert_prefix_sql(const std::string& db_type, const std::string& table,
                              const std::vector<load_column>& columns);

/// PostgreSQL's COPY of `columns` into `table` from CSV on stdin.
std::string copy_from_stdin_sql(const std::string& table, const std::vector<load_column>& columns);

} // namespace cafflow
