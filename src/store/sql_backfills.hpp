// The SQL of the backfill tables (sql/*/0010_backfills.sql), internal to
// src/store/: free functions over a session, called by sql_store inside its
// transactions and snapshots (retries, fencing and errors stay there).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>

#include "store/sql_common.hpp"
#include "store/store.hpp"

namespace cafflow::sql {

/// Upserts backfill rows, many per statement.
void put_backfills(Poco::Data::Session& s, dialect d, const std::vector<const backfill_put*>& rows);

/// Upserts backfill items, many per statement.
void put_backfill_items(Poco::Data::Session& s, dialect d,
                        const std::vector<const backfill_item_put*>& rows);

/// store::backfills().
std::vector<backfill_record> read_backfills(Poco::Data::Session& s, const std::string& state,
                                            int limit);

/// store::backfill().
std::optional<backfill_record> read_backfill(Poco::Data::Session& s, const std::string& id);

/// store::unfinished_backfills().
std::vector<backfill_record> read_unfinished_backfills(Poco::Data::Session& s);

/// store::latest_statuses().
std::map<timestamp, std::string> read_latest_statuses(Poco::Data::Session& s,
                                                      const std::string& workflow,
                                                      timestamp from, timestamp to);

} // namespace cafflow::sql
