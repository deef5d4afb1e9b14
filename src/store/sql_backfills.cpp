#include "store/sql_backfills.hpp"

#include <algorithm>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include "schedule/backfill_plan.hpp"
#include "util/strings.hpp"

namespace cafflow::sql {

namespace {

using Poco::Data::Keywords::bind;
using Int64 = Poco::Int64;

const table_spec backfill_table{"backfills", {"id"},
                                {"workflow", "options", "state", "created_by", "created_at",
                                 "finished_at"}};
const table_spec backfill_item_table{"backfill_items", {"backfill_id", "workflow", "logical_time"},
                                     {"position", "instance_id", "state"}};

void bind_row(Poco::Data::Statement& s, const backfill_put& p) {
  const auto& r = p.record;
  s, bind(r.id), bind(valid_utf8(r.workflow)), bind(valid_utf8(r.options.empty() ? "{}" : r.options)),
    bind(r.state), bind(valid_utf8(r.created_by)), bind(static_cast<Int64>(r.created)),
    bind(static_cast<Int64>(r.finished));
}

void bind_row(Poco::Data::Statement& s, const backfill_item_put& p) {
  const auto& r = p.record;
  s, bind(r.backfill_id), bind(valid_utf8(r.workflow)), bind(static_cast<Int64>(r.logical_time)),
    bind(static_cast<Int64>(r.position)), bind(r.instance_id), bind(r.state);
}

template <class Put>
void put_rows(Poco::Data::Session& session, dialect d, const table_spec& table,
              const std::vector<const Put*>& rows) {
  for (std::size_t first = 0; first < rows.size(); first += rows_per_statement) {
    auto count = std::min(rows_per_statement, rows.size() - first);
    Poco::Data::Statement insert(session);
    insert << upsert(d, table, count);
    for (std::size_t i = first; i < first + count; ++i)
      bind_row(insert, *rows[i]);
    insert.execute();
  }
}

constexpr const char* backfill_columns =
  "id, workflow, options, state, created_by, created_at, finished_at";

std::vector<backfill_record> backfill_rows(Poco::Data::Statement& select) {
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<backfill_record> result;
  for (std::size_t row = 0; row < rs.rowCount(); ++row) {
    backfill_record b;
    b.id = text(rs.value(0, row));
    b.workflow = text(rs.value(1, row));
    b.options = text(rs.value(2, row));
    b.state = text(rs.value(3, row));
    b.created_by = text(rs.value(4, row));
    b.created = number(rs.value(5, row));
    b.finished = number(rs.value(6, row));
    result.push_back(std::move(b));
  }
  return result;
}

/// The items of a backfill in plan order, each with its instance's status.
std::vector<backfill_item_record> items_of(Poco::Data::Session& s, const std::string& id) {
  Poco::Data::Statement select(s);
  std::string backfill = id;
  select << "SELECT i.workflow, i.logical_time, i.position, i.instance_id, i.state, "
            "COALESCE(n.status, '') FROM backfill_items i LEFT JOIN instance n ON n.id = "
            "i.instance_id AND i.instance_id <> '' WHERE i.backfill_id = ? ORDER BY i.position",
    bind(backfill);
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<backfill_item_record> items;
  items.reserve(rs.rowCount());
  for (std::size_t row = 0; row < rs.rowCount(); ++row) {
    backfill_item_record item;
    item.backfill_id = id;
    item.workflow = text(rs.value(0, row));
    item.logical_time = number(rs.value(1, row));
    item.position = static_cast<int>(number(rs.value(2, row)));
    item.instance_id = text(rs.value(3, row));
    item.state = text(rs.value(4, row));
    item.instance_status = text(rs.value(5, row));
    items.push_back(std::move(item));
  }
  return items;
}

} // namespace

void put_backfills(Poco::Data::Session& s, dialect d, const std::vector<const backfill_put*>& rows) {
  put_rows(s, d, backfill_table, rows);
}

void put_backfill_items(Poco::Data::Session& s, dialect d,
                        const std::vector<const backfill_item_put*>& rows) {
  put_rows(s, d, backfill_item_table, rows);
}

std::vector<backfill_record> read_backfills(Poco::Data::Session& s, const std::string& state,
                                            int limit) {
  Poco::Data::Statement select(s);
  std::string wanted = state;
  auto max = static_cast<Int64>(std::max(1, limit));
  select << std::string("SELECT ") + backfill_columns + " FROM backfills"
              + (state.empty() ? " WHERE ? = ''" : " WHERE state = ?")
              + " ORDER BY id DESC LIMIT ?",
    bind(wanted), bind(max);
  auto result = backfill_rows(select);
  if (result.empty())
    return result;
  // Counts by shown state, in one query for the page.
  std::string ids;
  for (std::size_t i = 0; i < result.size(); ++i)
    ids += (i == 0 ? "?" : ", ?");
  Poco::Data::Statement counts(s);
  const std::string started = "CASE WHEN i.instance_id <> '' THEN 'x' ELSE '' END";
  counts << "SELECT i.backfill_id, i.state, " + started
              + ", COALESCE(n.status, ''), COUNT(*) FROM backfill_items i LEFT JOIN instance n ON "
                "n.id = i.instance_id AND i.instance_id <> '' WHERE i.backfill_id IN ("
              + ids + ") GROUP BY i.backfill_id, i.state, " + started + ", COALESCE(n.status, '')";
  for (const auto& b : result)
    counts, bind(b.id);
  counts.execute();
  Poco::Data::RecordSet rs(counts);
  std::map<std::string, backfill_record*> by_id;
  for (auto& b : result)
    by_id[b.id] = &b;
  for (std::size_t row = 0; row < rs.rowCount(); ++row) {
    backfill_item_record item;
    item.state = text(rs.value(1, row));
    item.instance_id = text(rs.value(2, row));
    item.instance_status = text(rs.value(3, row));
    if (auto it = by_id.find(text(rs.value(0, row))); it != by_id.end())
      it->second->counts[item_state(item)] += number(rs.value(4, row));
  }
  return result;
}

std::optional<backfill_record> read_backfill(Poco::Data::Session& s, const std::string& id) {
  Poco::Data::Statement select(s);
  std::string wanted = id;
  select << std::string("SELECT ") + backfill_columns + " FROM backfills WHERE id = ?",
    bind(wanted);
  auto rows = backfill_rows(select);
  if (rows.empty())
    return std::nullopt;
  rows.front().items = items_of(s, id);
  for (const auto& item : rows.front().items)
    ++rows.front().counts[item_state(item)];
  return std::move(rows.front());
}

std::vector<backfill_record> read_unfinished_backfills(Poco::Data::Session& s) {
  Poco::Data::Statement select(s);
  select << std::string("SELECT ") + backfill_columns
              + " FROM backfills WHERE state IN ('planned', 'running') OR (state = 'cancelled' "
                "AND finished_at = 0) ORDER BY id";
  auto result = backfill_rows(select);
  for (auto& b : result)
    b.items = items_of(s, b.id);
  return result;
}

std::map<timestamp, std::string> read_latest_statuses(Poco::Data::Session& s,
                                                      const std::string& workflow,
                                                      timestamp from, timestamp to) {
  Poco::Data::Statement select(s);
  std::string name = workflow;
  auto lo = static_cast<Int64>(from);
  auto hi = static_cast<Int64>(to);
  select << "SELECT logical_time, status FROM instance WHERE workflow = ? AND logical_time >= ? "
            "AND logical_time <= ? ORDER BY id",
    bind(name), bind(lo), bind(hi);
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::map<timestamp, std::string> result;
  for (std::size_t row = 0; row < rs.rowCount(); ++row)
    result[number(rs.value(0, row))] = text(rs.value(1, row)); // later ids win
  return result;
}

} // namespace cafflow::sql
