// The SQL of the alert outbox (table alert, migration 0008), for both
// dialects: free functions the SQL store forwards to (sql_store.cpp), so that
// the store class does not grow with every table. Callers run them inside
// their own transaction and error handling; they throw Poco exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/alert.hpp"

namespace Poco::Data {
class Session;
}

namespace cafflow {

/// Inserts `rows`; a row whose dedup key is stored already is skipped.
void sql_insert_alerts(Poco::Data::Session& s, bool mysql,
                       const std::vector<const alert_record*>& rows);

/// The rows that match `filter`, newest first.
std::vector<alert_record> sql_select_alerts(Poco::Data::Session& s, bool mysql,
                                            const alert_filter& filter);

/// One row by id.
std::optional<alert_record> sql_select_alert(Poco::Data::Session& s, bool mysql,
                                             std::int64_t id);

/// Pending rows due at `now`, oldest first, at most `limit`.
std::vector<alert_record> sql_due_alerts(Poco::Data::Session& s, bool mysql, timestamp now,
                                         int limit);

/// Writes the delivery state (status, attempts, next_at, sent_at, sent_with,
/// answer) of each row, by id.
void sql_update_alerts(Poco::Data::Session& s, const std::vector<alert_record>& rows);

} // namespace cafflow
