// <sql db-link>: statements split as the database's client would, run in one
// transaction on the link, rolled back on any error; each statement logged
// with its rows and time; SIGTERM cancels the running one on its server.
#include <chrono>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "db/connection.hpp"
#include "util/strings.hpp"

namespace cafflow {

#ifdef CAFFLOW_EXEC

namespace {

/// The first line of a statement's code (comments left out), shortened, for the log.
std::string excerpt(const std::string& statement) {
  auto code = split_statements(statement, sql_dialect::generic, true);
  const auto& sql = code.empty() ? statement : code.front().text;
  auto line = sql.substr(0, sql.find('\n'));
  if (line.size() > 80)
    line = line.substr(0, 77) + "...";
  return line + (line.size() < sql.size() && line.size() <= 80 ? " ..." : "");
}

} // namespace

void run_statements(exec_context& ctx, db_connection& db, const std::string& text,
                    const std::string& what, std::size_t* rows_out) {
  auto statements = split_statements(text, db.dialect());
  std::size_t total = 0;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const auto& s = statements[i];
    ctx.cancel->check();
    auto start = std::chrono::steady_clock::now();
    std::size_t rows = 0;
    ctx.cancel->set_hook(db.canceller());
    try {
      rows = db.execute(s.text);
    } catch (const std::exception& e) {
      ctx.cancel->clear_hook();
      ctx.cancel->check();
      throw std::runtime_error(what + "statement " + std::to_string(i + 1) + " of "
                               + std::to_string(statements.size()) + " (line "
                               + std::to_string(s.line) + ": " + excerpt(s.text)
                               + ") failed: " + db_error_text(e));
    }
    ctx.cancel->clear_hook();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
    total += rows;
    ctx.log(what + "statement " + std::to_string(i + 1) + "/" + std::to_string(statements.size())
            + " (line " + std::to_string(s.line) + "): " + std::to_string(rows) + " rows, "
            + std::to_string(ms) + " ms: " + excerpt(s.text));
  }
  if (rows_out != nullptr)
    *rows_out = total;
}

std::unique_ptr<db_connection> connect_link(exec_context& ctx, const std::string& name) {
  auto link = find_db_link(ctx.site.db_links, name);
  if (!link)
    throw std::runtime_error(link.error().message);
  auto db = db_connection::open(*link, ctx.site.home);
  if (!db)
    throw std::runtime_error(db.error().message);
  if (!(*db)->password().empty())
    ctx.secrets.push_back((*db)->password());
  ctx.log("connected to db link '" + name + "' (" + link->type + ")");
  return std::move(*db);
}

std::unique_ptr<db_connection> connect_spec_link(exec_context& ctx, const nlohmann::json& where) {
  auto it = where.find("inline_link");
  if (it == where.end() || !it->is_object())
    return connect_link(ctx, where.value("db_link", std::string{}));
  db_link link;
  link.type = it->value("type", std::string{});
  link.jdbc_url = it->value("jdbc_url", std::string{});
  link.username = it->value("username", std::string{});
  link.password = it->value("password", std::string{});
  link.name = link.jdbc_url;
  if (!link.password.empty())
    ctx.secrets.push_back(link.password);
  auto db = db_connection::open(link, ctx.site.home);
  if (!db)
    throw std::runtime_error(ctx.redact(db.error().message));
  ctx.log("connected to " + link.jdbc_url + " (" + link.type + ", written in the action)");
  return std::move(*db);
}

#endif // CAFFLOW_EXEC

#ifndef CAFFLOW_EXEC

nlohmann::json inline_link_json(const std::optional<inline_db_link>& link) {
  if (!link)
    return nullptr;
  return {{"type", link->type},
          {"jdbc_url", link->jdbc_url},
          {"username", link->username},
          {"password", link->password}};
}

action_kind sql_kind() {
  action_kind kind;
  kind.name = "sql";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& sql = body_as<sql_action>(body);
    auto link = expand_for(ctx, sql.db_link);
    if (!link)
      return link.error();
    auto text = expand_for(ctx, sql.sql);
    if (!text)
      return text.error();
    spec.payload = nlohmann::json{{"db_link", *link},
                                  {"sql", *text},
                                  {"inline_link", inline_link_json(sql.inline_link)}}
                     .dump();
    return {};
  };
  kind.command = exec_command;
  kind.exec = true;
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void sql_runner(exec_context& ctx) {
  auto db = connect_spec_link(ctx, ctx.spec);
  auto text = ctx.spec.at("sql").get<std::string>();
  std::size_t rows = 0;
  try {
    db->begin();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start a transaction on db link '" + db->link().name
                             + "': " + db_error_text(e));
  }
  try {
    run_statements(ctx, *db, text, "", &rows);
    db->commit();
  } catch (...) {
    db->rollback();
    ctx.log("rolled back");
    throw;
  }
  ctx.log("committed");
  ctx.result = {{"statements", split_statements(text, db->dialect()).size()}, {"rows", rows}};
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
