#include "actions/metadata_sql.hpp"

#include "util/strings.hpp"

namespace cafflow::metadata_sql {

namespace {

std::string oracle_owner(const std::string& schema_literal) {
  return schema_literal.empty() ? std::string("SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')")
                                : "UPPER(" + schema_literal + ")";
}

} // namespace

std::string oracle_table_comment(const std::string& schema_literal,
                                 const std::string& name_literal) {
  return "SELECT comments FROM all_tab_comments WHERE owner = " + oracle_owner(schema_literal)
         + " AND table_name = UPPER(" + name_literal + ")";
}

std::string oracle_columns(const std::string& schema_literal, const std::string& name_literal) {
  return "SELECT c.column_name, c.data_type, cc.comments FROM all_tab_columns c "
         "LEFT JOIN all_col_comments cc ON cc.owner = c.owner AND cc.table_name = c.table_name "
         "AND cc.column_name = c.column_name WHERE c.owner = "
         + oracle_owner(schema_literal) + " AND c.table_name = UPPER(" + name_literal
         + ") ORDER BY c.column_id";
}

std::string hive_columns(const std::string& table) { return "DESCRIBE " + table; }

std::string hive_table_comment(const std::string& table) {
  return "SHOW TBLPROPERTIES " + table + "('comment')";
}

std::string hive_comment_of(const std::string& answer) {
  auto text = trim(answer);
  return text.find("does not have property") != std::string::npos ? std::string{} : text;
}

bool hive_columns_end(const std::string& column_name) {
  auto name = trim(column_name);
  return name.empty() || name[0] == '#';
}

std::string set_table_comment(const std::string& type, const std::string& table,
                              const std::string& comment_literal) {
  if (type == "HIVE")
    return "ALTER TABLE " + table + " SET TBLPROPERTIES ('comment' = " + comment_literal + ")";
  return "COMMENT ON TABLE " + table + " IS " + comment_literal;
}

std::string set_column_comment(const std::string& type, const std::string& table,
                               const std::string& column_ident, const std::string& column_type,
                               const std::string& comment_literal) {
  if (type == "HIVE")
    return "ALTER TABLE " + table + " CHANGE COLUMN " + column_ident + " " + column_ident + " "
           + column_type + " COMMENT " + comment_literal;
  return "COMMENT ON COLUMN " + table + "." + column_ident + " IS " + comment_literal;
}

bool names_fold_case(const std::string& type) { return type == "ORACLE" || type == "HIVE"; }

} // namespace cafflow::metadata_sql
