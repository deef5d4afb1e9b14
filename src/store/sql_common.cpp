#include "store/sql_common.hpp"

#include <Poco/Types.h>

#include "util/strings.hpp"

namespace cafflow::sql {

std::string upsert(dialect d, const table_spec& t, std::size_t rows) {
  std::vector<std::string> all = t.keys;
  all.insert(all.end(), t.columns.begin(), t.columns.end());
  std::string tuple = "(";
  for (std::size_t i = 0; i < all.size(); ++i)
    tuple += i == 0 ? "?" : ", ?";
  tuple += ")";
  std::string sql = "INSERT INTO " + t.table + " (" + join(all, ", ") + ") VALUES ";
  for (std::size_t r = 0; r < rows; ++r)
    sql += r == 0 ? tuple : ", " + tuple;
  std::vector<std::string> sets;
  for (const auto& c : t.columns)
    sets.push_back(d == dialect::sqlite ? c + " = excluded." + c : c + " = VALUES(" + c + ")");
  if (d == dialect::sqlite)
    sql += " ON CONFLICT (" + join(t.keys, ", ") + ") DO UPDATE SET " + join(sets, ", ");
  else
    sql += " ON DUPLICATE KEY UPDATE " + join(sets, ", ");
  return sql;
}

std::string text(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? std::string{} : v.convert<std::string>();
}

std::int64_t number(const Poco::Dynamic::Var& v) {
  return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

} // namespace cafflow::sql
