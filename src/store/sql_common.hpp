// What the SQL files of the store share (internal to src/store/): the
// dialect, multi-row upserts and reading values of a RecordSet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

namespace cafflow::sql {

enum class dialect { sqlite, mysql };

/// The columns of a table that cafflow upserts, its key first.
struct table_spec {
  std::string table;
  std::vector<std::string> keys;
  std::vector<std::string> columns;
};

/// INSERT of `rows` rows that updates `columns` when a row with the same key
/// exists.
std::string upsert(dialect d, const table_spec& t, std::size_t rows);

/// Rows per INSERT: one statement to parse for many rows, far below the
/// placeholder limits of SQLite (32766) and MySQL (65535). MySQL needs it
/// most: a bound vector costs it one round trip per row (STACK.md).
constexpr std::size_t rows_per_statement = 100;

/// A column's value as text ("" for NULL) and as a number (0 for NULL).
std::string text(const Poco::Dynamic::Var& v);
std::int64_t number(const Poco::Dynamic::Var& v);

} // namespace cafflow::sql
