#include "store/sql_alerts.hpp"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include "store/sql_common.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::now;

/// The columns of a row as read, in alert_record order. MySQL reads the
/// MEDIUMTEXT event as CHAR(16383): Poco would zero-fill a 64 MB buffer per
/// read otherwise (the alerter keeps events below that size).
std::string columns(bool mysql) {
  return std::string("id, dedup_key, channel, kind, severity, workflow, instance_id, node, "
                     "title, ")
         + (mysql ? "CAST(event AS CHAR(16383))" : "event")
         + ", status, attempts, next_at, created_at, sent_at, sent_with, "
         + (mysql ? "CAST(answer AS CHAR(4096))" : "answer");
}

using sql::number;
using sql::text;

std::vector<alert_record> read_rows(Poco::Data::Statement& select) {
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<alert_record> result;
  for (std::size_t row = 0; row < rs.rowCount(); ++row) {
    alert_record r;
    r.id = number(rs.value(0, row));
    r.dedup_key = text(rs.value(1, row));
    r.channel = text(rs.value(2, row));
    r.kind = text(rs.value(3, row));
    r.severity = text(rs.value(4, row));
    r.workflow = text(rs.value(5, row));
    r.instance_id = text(rs.value(6, row));
    r.node = text(rs.value(7, row));
    r.title = text(rs.value(8, row));
    r.event = text(rs.value(9, row));
    r.status = text(rs.value(10, row));
    r.attempts = static_cast<int>(number(rs.value(11, row)));
    r.next_at = number(rs.value(12, row));
    r.created_at = number(rs.value(13, row));
    r.sent_at = number(rs.value(14, row));
    r.sent_with = number(rs.value(15, row));
    r.answer = text(rs.value(16, row));
    result.push_back(std::move(r));
  }
  return result;
}

} // namespace

void sql_insert_alerts(Poco::Data::Session& s, bool mysql,
                       const std::vector<const alert_record*>& rows) {
  for (const auto* r : rows) {
    auto key = content_hash(r->dedup_key);
    auto channel = valid_utf8(r->channel), kind = r->kind, severity = r->severity;
    auto workflow = valid_utf8(r->workflow), instance = r->instance_id,
         node = valid_utf8(r->node), title = valid_utf8(valid_utf8(r->title).substr(0, 1000)),
         event = valid_utf8(r->event), status = r->status, answer = valid_utf8(r->answer);
    Poco::Int64 attempts = r->attempts, next_at = r->next_at, created = r->created_at,
                sent_at = r->sent_at, sent_with = r->sent_with;
    std::string sql =
      "INSERT INTO alert (dedup_key, channel, kind, severity, workflow, instance_id, node, "
      "title, event, status, attempts, next_at, created_at, sent_at, sent_with, answer) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ";
    sql += mysql ? "ON DUPLICATE KEY UPDATE id = id" : "ON CONFLICT (dedup_key) DO NOTHING";
    s << sql, bind(key), bind(channel), bind(kind), bind(severity), bind(workflow),
      bind(instance), bind(node), bind(title), bind(event), bind(status), bind(attempts),
      bind(next_at), bind(created), bind(sent_at), bind(sent_with), bind(answer), now;
  }
}

std::vector<alert_record> sql_select_alerts(Poco::Data::Session& s, bool mysql,
                                            const alert_filter& filter) {
  Poco::Data::Statement select(s);
  std::string sql = "SELECT " + columns(mysql) + " FROM alert WHERE 1 = 1";
  auto workflow = filter.workflow, status = filter.status;
  Poco::Int64 limit = filter.limit;
  if (!workflow.empty())
    sql += " AND workflow = ?";
  if (!status.empty())
    sql += " AND status = ?";
  sql += " ORDER BY id DESC LIMIT ?";
  select << sql;
  if (!workflow.empty())
    select, bind(workflow);
  if (!status.empty())
    select, bind(status);
  select, bind(limit);
  return read_rows(select);
}

std::optional<alert_record> sql_select_alert(Poco::Data::Session& s, bool mysql,
                                             std::int64_t id) {
  Poco::Data::Statement select(s);
  Poco::Int64 key = id;
  select << "SELECT " + columns(mysql) + " FROM alert WHERE id = ?", bind(key);
  auto rows = read_rows(select);
  if (rows.empty())
    return std::nullopt;
  return rows.front();
}

std::vector<alert_record> sql_due_alerts(Poco::Data::Session& s, bool mysql, timestamp at,
                                         int limit) {
  Poco::Data::Statement select(s);
  Poco::Int64 due = at, max = limit;
  select << "SELECT " + columns(mysql)
              + " FROM alert WHERE status = 'pending' AND next_at <= ? ORDER BY id LIMIT ?",
    bind(due), bind(max);
  return read_rows(select);
}

void sql_update_alerts(Poco::Data::Session& s, const std::vector<alert_record>& rows) {
  for (const auto& r : rows) {
    auto status = r.status, answer = valid_utf8(valid_utf8(r.answer).substr(0, 4000));
    Poco::Int64 attempts = r.attempts, next_at = r.next_at, sent_at = r.sent_at,
                sent_with = r.sent_with, id = r.id;
    s << "UPDATE alert SET status = ?, attempts = ?, next_at = ?, sent_at = ?, sent_with = ?, "
         "answer = ? WHERE id = ?",
      bind(status), bind(attempts), bind(next_at), bind(sent_at), bind(sent_with), bind(answer),
      bind(id), now;
  }
}

} // namespace cafflow
