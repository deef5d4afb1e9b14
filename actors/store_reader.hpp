// store_reader: answers the API's read queries from its own connection, so
// reads never wait behind the writer (SQLite WAL, MySQL MVCC).
#pragma once

#include <memory>

#include "actors.hpp"
#include "store/store.hpp"

namespace cafflow {

struct store_reader_state {
  static constexpr const char* name = "store_reader";
  std::shared_ptr<store> db;
};

/// Spawn detached: queries block.
store_reader_actor::behavior_type
store_reader(store_reader_actor::stateful_pointer<store_reader_state> self,
             std::shared_ptr<store> db);

} // namespace cafflow
