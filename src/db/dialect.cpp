#include "db/dialect.hpp"

#include "util/strings.hpp"

namespace cafflow {

namespace {

bool backquotes(const std::string& db_type) { return db_type == "MYSQL" || db_type == "HIVE"; }

/// The quoted names of `columns`, comma separated.
std::string column_list(const std::string& db_type, const std::vector<load_column>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i)
    out += (i ? ", " : "") + quote_identifier(db_type, columns[i].name);
  return out;
}

} // namespace

std::string quote_identifier(const std::string& db_type, const std::string& name) {
  char q = backquotes(db_type) ? '`' : '"';
  std::string out;
  for (const auto& part : split(name, '.')) {
    if (!out.empty())
      out += '.';
    out += q;
    for (char c : part) {
      if (c == q)
        out += q;
      out += c;
    }
    out += q;
  }
  return out;
}

std::string quote_literal(const std::string& db_type, const std::string& value) {
  std::string out = "'";
  bool backslashes = backquotes(db_type);
  for (char c : value) {
    if (c == '\'')
      out += '\'';
    else if (backslashes && c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

std::string column_type(const std::string& db_type, const std::string& neutral) {
  if (db_type == "SQLITE")
    return neutral == "integer" ? "INTEGER" : neutral == "real" ? "REAL"
           : neutral == "blob"  ? "BLOB"    : "TEXT";
  if (db_type == "MYSQL")
    return neutral == "integer"     ? "BIGINT"
           : neutral == "real"      ? "DOUBLE"
           : neutral == "date"      ? "DATE"
           : neutral == "time"      ? "TIME"
           : neutral == "timestamp" ? "DATETIME"
           : neutral == "blob"      ? "MEDIUMBLOB"
                                    : "TEXT";
  if (db_type == "POSTGRESQL")
    return neutral == "integer"     ? "BIGINT"
           : neutral == "real"      ? "DOUBLE PRECISION"
           : neutral == "date"      ? "DATE"
           : neutral == "time"      ? "TIME"
           : neutral == "timestamp" ? "TIMESTAMP"
           : neutral == "blob"      ? "BYTEA"
                                    : "TEXT";
  if (db_type == "ORACLE")
    return neutral == "integer"     ? "NUMBER(19)"
           : neutral == "real"      ? "BINARY_DOUBLE"
           : neutral == "date"      ? "DATE"
           : neutral == "timestamp" ? "TIMESTAMP"
           : neutral == "blob"      ? "BLOB"
                                    : "VARCHAR2(4000)";
  if (db_type == "HIVE")
    return neutral == "integer"     ? "BIGINT"
           : neutral == "real"      ? "DOUBLE"
           : neutral == "date"      ? "DATE"
           : neutral == "timestamp" ? "TIMESTAMP"
           : neutral == "blob"      ? "BINARY"
                                    : "STRING";
  return neutral == "integer" ? "INTEGER" : neutral == "real" ? "DOUBLE PRECISION"
                                                              : "VARCHAR(4000)";
}

std::string create_table_sql(const std::string& db_type, const std::string& table,
                             const std::vector<load_column>& columns) {
  std::string ddl = "CREATE TABLE " + table + " (";
  for (std::size_t i = 0; i < columns.size(); ++i)
    ddl += (i ? ", " : "") + quote_identifier(db_type, columns[i].name) + " "
           + column_type(db_type, columns[i].type);
  return ddl + ")";
}

std::string empty_table_sql(const std::string& db_type, const std::string& table) {
  if (db_type == "HIVE")
    return "TRUNCATE TABLE " + table;
  return "DELETE FROM " + table;
}

std::string insert_prefix_sql(const std::string& db_type, const std::string& table,
                              const std::vector<load_column>& columns) {
  return "INSERT INTO " + table + " (" + column_list(db_type, columns) + ") VALUES ";
}

std::string copy_from_stdin_sql(const std::string& table, const std::vector<load_column>& columns) {
  return "COPY " + table + " (" + column_list("POSTGRESQL", columns) + ") FROM STDIN WITH (FORMAT csv)";
}

} // namespace cafflow
