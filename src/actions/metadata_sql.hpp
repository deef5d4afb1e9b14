#pragma once
// The statements of <metadata> per database type (MYSQL, POSTGRESQL, ORACLE,
// HIVE) that are plain text: the reads of Oracle's and Hive's catalogs and
// the comment statements. Values come already quoted for the link's dialect
// (db_connection::quote_literal, quote_ident). No database is touched here.

#include <string>
#include <vector>

namespace cafflow::metadata_sql {

/// Oracle: the table's comment (one row, one column; no row: no such table)
/// for `name` in `schema` ("" = the session's current schema). Unquoted
/// names are upper case in Oracle's catalog, as akkaflow read them.
std::string oracle_table_comment(const std::string& schema_literal,
                                 const std::string& name_literal);

/// Oracle: the columns (name, type, comment) in their order.
std::string oracle_columns(const std::string& schema_literal, const std::string& name_literal);

/// Hive: the columns: `DESCRIBE table` (name, type, comment; its rows after
/// the first empty or '#' name are partition and detail sections).
std::string hive_columns(const std::string& table);

/// Hive: the table's comment (the last column of the first row; Hive
/// answers a sentence instead when the table has none, see hive_comment_of).
std::string hive_table_comment(const std::string& table);

/// The comment of SHOW TBLPROPERTIES t('comment')'s answer: "" when Hive
/// says the property is not set.
std::string hive_comment_of(const std::string& answer);

/// Whether a row of DESCRIBE ends the column list.
bool hive_columns_end(const std::string& column_name);

/// The statement that sets the table's comment (POSTGRESQL, ORACLE, HIVE).
std::string set_table_comment(const std::string& type, const std::string& table,
                              const std::string& comment_literal);

/// The statement that sets a column's comment (POSTGRESQL, ORACLE, HIVE;
/// Hive restates the column's type).
std::string set_column_comment(const std::string& type, const std::string& table,
                               const std::string& column_ident, const std::string& column_type,
                               const std::string& comment_literal);

/// Whether column names compare without case (ORACLE, HIVE: their catalogs
/// keep unquoted names upper or lower case).
bool names_fold_case(const std::string& type);

} // namespace cafflow::metadata_sql
