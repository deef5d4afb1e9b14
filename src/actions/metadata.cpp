// <metadata table db-link from>: sets table and column comments on MySQL/
// MariaDB, PostgreSQL, and (through ODBC, as akkaflow did through JDBC)
// Oracle and Hive (akkaflow's <table-comment>, <column-comment>),
// optionally copying those of another table first (`from`); then reads the
// table's metadata back — its comment and every column's name, type and
// comment — and keeps it with the attempt, where the API shows it.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "actions/metadata_sql.hpp"
#include "db/connection.hpp"
#include "util/strings.hpp"

namespace cafflow {

#ifdef CAFFLOW_EXEC

namespace {

struct column_info {
  std::string name;
  std::string type;
  std::string comment;
  bool nullable = true;
  std::string default_value;
  bool has_default = false;
  std::string extra;
};

column_info column_of(std::string name, std::string type, std::string comment) {
  column_info c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.comment = std::move(comment);
  return c;
}

struct table_info {
  std::string comment;
  std::vector<column_info> columns;
};

std::pair<std::string, std::string> split_table(const std::string& table) {
  auto dot = table.find('.');
  if (dot == std::string::npos)
    return {"", table};
  return {table.substr(0, dot), table.substr(dot + 1)};
}

Poco::Data::RecordSet query(db_connection& db, const std::string& sql) {
  Poco::Data::Statement s(db.session());
  s << sql;
  s.execute();
  return Poco::Data::RecordSet(s);
}

std::string text_at(Poco::Data::RecordSet& rs, std::size_t col, std::size_t row) {
  return rs.isNull(col, row) ? std::string{} : rs.value(col, row).convert<std::string>();
}

table_info read_table(db_connection& db, const std::string& table) {
  auto [schema, name] = split_table(table);
  table_info info;
  if (db.type() == "MYSQL") {
    auto where_schema = schema.empty() ? std::string("DATABASE()") : db.quote_literal(schema);
    auto t = query(db, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                         + where_schema + " AND TABLE_NAME = " + db.quote_literal(name));
    if (t.rowCount() == 0)
      throw std::runtime_error("table " + table + " does not exist");
    info.comment = text_at(t, 0, 0);
    auto c = query(db, "SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_COMMENT, IS_NULLABLE, "
                       "COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                         + where_schema + " AND TABLE_NAME = " + db.quote_literal(name)
                         + " ORDER BY ORDINAL_POSITION");
    for (std::size_t r = 0; r < c.rowCount(); ++r) {
      column_info col;
      col.name = text_at(c, 0, r);
      col.type = text_at(c, 1, r);
      col.comment = text_at(c, 2, r);
      col.nullable = text_at(c, 3, r) == "YES";
      col.has_default = !c.isNull(4, r);
      col.default_value = text_at(c, 4, r);
      col.extra = text_at(c, 5, r);
      info.columns.push_back(std::move(col));
    }
    return info;
  }
  if (db.type() == "ORACLE") {
    auto schema_literal = schema.empty() ? std::string{} : db.quote_literal(schema);
    auto name_literal = db.quote_literal(name);
    auto t = query(db, metadata_sql::oracle_table_comment(schema_literal, name_literal));
    if (t.rowCount() == 0)
      throw std::runtime_error("table " + table + " does not exist");
    info.comment = text_at(t, 0, 0);
    auto c = query(db, metadata_sql::oracle_columns(schema_literal, name_literal));
    for (std::size_t r = 0; r < c.rowCount(); ++r)
      info.columns.push_back(column_of(text_at(c, 0, r), text_at(c, 1, r), text_at(c, 2, r)));
    return info;
  }
  if (db.type() == "HIVE") {
    // DESCRIBE fails on a table that does not exist.
    auto c = query(db, metadata_sql::hive_columns(table));
    for (std::size_t r = 0; r < c.rowCount(); ++r) {
      if (metadata_sql::hive_columns_end(text_at(c, 0, r)))
        break;
      info.columns.push_back(column_of(trim(text_at(c, 0, r)), trim(text_at(c, 1, r)),
                                       trim(text_at(c, 2, r))));
    }
    auto t = query(db, metadata_sql::hive_table_comment(table));
    if (t.rowCount() > 0)
      info.comment = metadata_sql::hive_comment_of(text_at(t, t.columnCount() - 1, 0));
    return info;
  }
  // PostgreSQL
  auto regclass = db.quote_literal(table);
  auto t = query(db, "SELECT COALESCE(obj_description(to_regclass(" + regclass
                       + "), 'pg_class'), ''), to_regclass(" + regclass + ") IS NOT NULL");
  if (t.rowCount() == 0 || text_at(t, 1, 0) == "false" || text_at(t, 1, 0) == "0")
    throw std::runtime_error("table " + table + " does not exist");
  info.comment = text_at(t, 0, 0);
  auto c = query(db, "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), "
                     "COALESCE(col_description(a.attrelid, a.attnum), '') FROM pg_attribute a "
                     "WHERE a.attrelid = to_regclass("
                       + regclass + ") AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
  for (std::size_t r = 0; r < c.rowCount(); ++r)
    info.columns.push_back(column_of(text_at(c, 0, r), text_at(c, 1, r), text_at(c, 2, r)));
  return info;
}

void set_table_comment(exec_context& ctx, db_connection& db, const std::string& table,
                       const std::string& comment) {
  auto sql = db.type() == "MYSQL"
               ? "ALTER TABLE " + table + " COMMENT = " + db.quote_literal(comment)
               : metadata_sql::set_table_comment(db.type(), table, db.quote_literal(comment));
  db.execute(sql);
  ctx.log("table comment of " + table + " set");
}

void set_column_comment(exec_context& ctx, db_connection& db, const std::string& table,
                        const table_info& info, const std::string& column,
                        const std::string& comment) {
  const column_info* col = nullptr;
  bool fold = metadata_sql::names_fold_case(db.type());
  for (const auto& c : info.columns)
    if (c.name == column || (fold && to_lower(c.name) == to_lower(column)))
      col = &c;
  if (col == nullptr)
    throw std::runtime_error("column '" + column + "' is not in table " + table);
  std::string sql;
  if (db.type() == "MYSQL") {
    // MySQL sets a column comment only with the column's whole definition.
    if (to_lower(col->extra).find("generated") != std::string::npos)
      throw std::runtime_error("column '" + column + "' of " + table
                               + " is a generated column; cafflow does not rewrite those");
    sql = "ALTER TABLE " + table + " MODIFY COLUMN " + db.quote_ident(column) + " " + col->type
          + (col->nullable ? " NULL" : " NOT NULL")
          + (col->has_default ? " DEFAULT " + col->default_value : "")
          + (col->extra.empty() ? "" : " " + col->extra) + " COMMENT " + db.quote_literal(comment);
  } else {
    sql = metadata_sql::set_column_comment(db.type(), table, db.quote_ident(col->name), col->type,
                                           db.quote_literal(comment));
  }
  db.execute(sql);
  ctx.log("comment of " + table + "." + column + " set");
}

} // namespace

#endif // CAFFLOW_EXEC

#ifndef CAFFLOW_EXEC

action_kind metadata_kind() {
  action_kind kind;
  kind.name = "metadata";
  kind.check = [](const action_body& body, const kind_check_context& ctx) {
    return check_link_types(ctx, {body_as<metadata_action>(body).db_link},
                            {"MYSQL", "POSTGRESQL", "ORACLE", "HIVE"}, "<metadata>");
  };
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& m = body_as<metadata_action>(body);
    nlohmann::json doc;
    for (auto [name, text] : {std::pair{"table", &m.table}, std::pair{"db_link", &m.db_link},
                              std::pair{"from", &m.from},
                              std::pair{"table_comment", &m.table_comment}}) {
      auto expanded = expand_for(ctx, *text);
      if (!expanded)
        return expanded.error();
      doc[name] = *expanded;
    }
    doc["columns"] = nlohmann::json::array();
    for (const auto& [column, comment] : m.column_comments) {
      auto expanded = expand_for(ctx, comment);
      if (!expanded)
        return expanded.error();
      doc["columns"].push_back({{"name", column}, {"comment", *expanded}});
    }
    spec.payload = doc.dump();
    return {};
  };
  kind.command = exec_command;
  kind.exec = true;
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void metadata_runner(exec_context& ctx) {
  const auto& spec = ctx.spec;
  auto link = spec.at("db_link").get<std::string>();
  auto table = spec.at("table").get<std::string>();
  auto db = connect_link(ctx, link);
  if (db->type() != "MYSQL" && db->type() != "POSTGRESQL" && db->type() != "ORACLE"
      && db->type() != "HIVE")
    throw std::runtime_error("<metadata> needs a MYSQL, POSTGRESQL, ORACLE or HIVE db link; '"
                             + link + "' is " + db->type());
  bool pg = db->type() == "POSTGRESQL";
  try {
    if (pg)
      db->begin();
    auto info = read_table(*db, table);
    // Comments copied from another table first; the action's own win.
    std::string table_comment = spec.value("table_comment", std::string{});
    std::vector<std::pair<std::string, std::string>> columns;
    if (auto from = spec.value("from", std::string{}); !from.empty()) {
      auto source = read_table(*db, from);
      ctx.log("copying the comments of " + from);
      if (table_comment.empty())
        table_comment = source.comment;
      for (const auto& c : source.columns)
        for (const auto& mine : info.columns)
          if (mine.name == c.name && !c.comment.empty())
            columns.emplace_back(c.name, c.comment);
    }
    for (const auto& c : spec.value("columns", nlohmann::json::array())) {
      auto name = c.at("name").get<std::string>();
      auto comment = c.at("comment").get<std::string>();
      bool replaced = false;
      for (auto& [n, text] : columns)
        if (n == name) {
          text = comment;
          replaced = true;
        }
      if (!replaced)
        columns.emplace_back(name, comment);
    }
    if (!table_comment.empty())
      set_table_comment(ctx, *db, table, table_comment);
    for (const auto& [name, comment] : columns)
      set_column_comment(ctx, *db, table, info, name, comment);
    if (pg)
      db->commit();
    // The record: what the table says now.
    auto now = read_table(*db, table);
    nlohmann::json record{{"db_link", link},
                          {"table", table},
                          {"table_comment", now.comment},
                          {"columns", nlohmann::json::array()}};
    for (const auto& c : now.columns)
      record["columns"].push_back(
        {{"name", c.name}, {"type", c.type}, {"comment", c.comment}});
    ctx.result = std::move(record);
  } catch (const std::runtime_error&) {
    db->rollback();
    throw;
  } catch (const std::exception& e) {
    db->rollback();
    throw std::runtime_error("metadata of " + table + ": " + db_error_text(e));
  }
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
