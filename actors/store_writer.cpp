#include "store_writer.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"

namespace cafflow {

namespace {

using self_ptr = store_writer_actor::stateful_pointer<store_writer_state>;

void queue_flush(self_ptr self) {
  if (self->state.flush_queued)
    return;
  self->state.flush_queued = true;
  self->send(self, atom::commit::value);
}

/// Commits the buffer; on failure keeps it and retries after a backoff.
/// Returns whether everything buffered is committed.
bool commit(self_ptr self) {
  auto& st = self->state;
  st.flush_queued = false;
  if (st.buffer.empty()) {
    for (auto& promise : st.waiting)
      promise.deliver(atom::ok::value);
    st.waiting.clear();
    return true;
  }
  // Rows written several times since the last commit are written once (on a
  // retry the buffer is already coalesced, and stays so).
  st.buffer = coalesce(std::move(st.buffer));
  auto result = st.db->apply(st.buffer);
  if (!result) {
    ++st.failures;
    auto backoff = std::chrono::milliseconds(std::min(5000, 50 << std::min(st.failures, 7)));
    st.log->error("commit of {} writes failed (attempt {}), retrying in {} ms: {}",
                  st.buffer.size(), st.failures, backoff.count(), result.error().message);
    if (st.observer)
      self->send(st.observer, atom::health::value, false, result.error().message,
                 static_cast<std::uint64_t>(st.buffer.size()));
    st.flush_queued = true;
    self->delayed_send(self, backoff, atom::commit::value);
    return false;
  }
  if (st.failures > 0) {
    st.log->info("commit succeeded again after {} failures", st.failures);
    if (st.observer)
      self->send(st.observer, atom::health::value, true, std::string{}, std::uint64_t{0});
  }
  st.failures = 0;
  ++st.commits;
  st.writes += st.buffer.size();
  st.buffer.clear();
  for (auto& promise : st.waiting)
    promise.deliver(atom::ok::value);
  st.waiting.clear();
  return true;
}

} // namespace

store_writer_actor::behavior_type
store_writer(store_writer_actor::stateful_pointer<store_writer_state> self,
             std::shared_ptr<store> db, master_actor observer) {
  self->state.db = std::move(db);
  self->state.observer = std::move(observer);
  self->state.log = log::get("store_writer");
  return {
    [self](atom::put, store_batch& batch) {
      auto& buffer = self->state.buffer;
      std::move(batch.begin(), batch.end(), std::back_inserter(buffer));
      queue_flush(self);
    },
    [self](atom::commit, store_batch& batch) {
      auto& st = self->state;
      std::move(batch.begin(), batch.end(), std::back_inserter(st.buffer));
      st.waiting.push_back(self->make_response_promise<atom::ok>());
      queue_flush(self);
      return st.waiting.back();
    },
    [self](atom::flush) -> caf::result<atom::ok> {
      if (!commit(self))
        return make_caf_error(ec::store_error, std::to_string(self->state.buffer.size())
                                                 + " writes are not committed yet");
      return atom::ok::value;
    },
    [self](atom::commit) { commit(self); },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"commits", std::to_string(st.commits)},
              {"writes", std::to_string(st.writes)},
              {"buffered", std::to_string(st.buffer.size())},
              {"failures", std::to_string(st.failures)}};
    },
  };
}

} // namespace cafflow
