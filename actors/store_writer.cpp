#include "store_writer.hpp"

#include <algorithm>
#include <iterator>

#include <malloc.h>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"

namespace cafflow {

namespace {

using store_writer_ptr = store_writer_actor::stateful_pointer<store_writer_state>;

/// Runs one transaction and records its duration.
template <class F>
auto timed(store_writer_state& st, F transaction) {
  auto start = std::chrono::steady_clock::now();
  auto result = transaction();
  st.commit_latency.observe(
    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

void queue_flush(store_writer_ptr self) {
  if (self->state.flush_queued)
    return;
  self->state.flush_queued = true;
  self->send(self, atom::commit::value);
}

/// A commit failed: everything stays buffered, and is retried after a backoff.
void failed(store_writer_ptr self, const error& err) {
  auto& st = self->state;
  if (err.code == ec::fenced) {
    // Another master holds the lease: nothing of this one may be written
    // any more. The master sees why this writer stopped and steps down.
    st.log->error("write refused: {}", err.message);
    self->quit(to_caf(err));
    return;
  }
  ++st.failures;
  ++st.failed_commits;
  auto backoff = std::chrono::milliseconds(std::min(5000, 50 << std::min(st.failures, 7)));
  auto pending = st.buffer.size() + st.fires.size();
  st.log->error("commit of {} writes failed (attempt {}), retrying in {} ms: {}", pending,
                st.failures, backoff.count(), err.message);
  if (st.observer)
    self->send(st.observer, atom::health::value, false, err.message,
               static_cast<std::uint64_t>(pending));
  st.flush_queued = true;
  self->delayed_send(self, backoff, atom::commit::value);
}

/// Tells the master which instances a commit changed (their followers read
/// them again).
void notify_changed(store_writer_ptr self, const store_batch& committed) {
  if (!self->state.observer)
    return;
  auto ids = changed_instances(committed);
  if (!ids.empty())
    self->send(self->state.observer, atom::changed::value, std::move(ids));
}

/// Commits the writes before the first pending fire (all of them when none
/// is pending) in one transaction. Returns false when that failed.
bool commit_segment(store_writer_ptr self) {
  auto& st = self->state;
  auto end = st.fires.empty() ? st.buffer.size() : st.fires.front().position;
  if (end == 0)
    return true;
  // Rows written several times since the last commit are written once (on a
  // retry the segment is already coalesced, and stays so). Never across a
  // fire: a write after it must stay after it.
  store_batch segment(std::make_move_iterator(st.buffer.begin()),
                      std::make_move_iterator(st.buffer.begin() + static_cast<long>(end)));
  st.buffer.erase(st.buffer.begin(), st.buffer.begin() + static_cast<long>(end));
  // After a large batch (a load of many workflows) the emptied buffer would
  // keep its capacity for the life of the process.
  if (st.buffer.empty() && st.buffer.capacity() > 4096)
    store_batch().swap(st.buffer);
  segment = coalesce(std::move(segment));
  auto result = timed(st, [&] { return st.db->apply(segment); });
  auto kept = result ? 0 : segment.size();
  for (auto& f : st.fires)
    f.position = f.position - end + kept;
  if (!result) {
    st.buffer.insert(st.buffer.begin(), std::make_move_iterator(segment.begin()),
                     std::make_move_iterator(segment.end()));
    failed(self, result.error());
    return false;
  }
  ++st.commits;
  st.writes += segment.size();
  notify_changed(self, segment);
  // A large commit (a load of many workflows with their XML) leaves much
  // memory free once the segment goes: give it back to the system.
  if (segment.size() >= 1000) {
    store_batch().swap(segment);
    ::malloc_trim(0);
  }
  return true;
}

/// Commits the buffer and the pending fires, in the order they came; on
/// failure keeps what is left and retries after a backoff. Returns whether
/// everything is committed.
bool commit(store_writer_ptr self) {
  auto& st = self->state;
  st.flush_queued = false;
  auto had_failures = st.failures > 0;
  for (;;) {
    if (!commit_segment(self))
      return false;
    if (st.fires.empty())
      break;
    auto& f = st.fires.front();
    auto outcome = timed(st, [&] { return st.db->fire(f.record, f.writes); });
    if (!outcome) {
      failed(self, outcome.error());
      return false;
    }
    ++st.commits;
    st.writes += f.writes.size() + 1;
    if (outcome->fired)
      notify_changed(self, f.writes);
    f.promise.deliver(std::move(*outcome));
    st.fires.pop_front();
    for (auto& later : st.fires)
      later.position = 0; // the buffer before them is committed
  }
  if (had_failures) {
    st.log->info("commit succeeded again after {} failures", st.failures);
    if (st.observer)
      self->send(st.observer, atom::health::value, true, std::string{}, std::uint64_t{0});
  }
  st.failures = 0;
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
    [self](atom::fire, fire_record& record, store_batch& writes) {
      auto& st = self->state;
      st.fires.push_back(store_writer_state::pending_fire{
        st.buffer.size(), std::move(record), std::move(writes),
        self->make_response_promise<fire_outcome>()});
      queue_flush(self);
      return st.fires.back().promise;
    },
    [self](atom::flush) -> caf::result<atom::ok> {
      if (!commit(self))
        return make_caf_error(ec::store_error,
                              std::to_string(self->state.buffer.size() + self->state.fires.size())
                                + " writes are not committed yet");
      return atom::ok::value;
    },
    [self](atom::commit) { commit(self); },
    [self](atom::metrics) {
      auto& st = self->state;
      store_metrics m;
      m.commit_latency = st.commit_latency.snapshot();
      m.commit_failures = st.failed_commits;
      m.pending_writes = st.buffer.size() + st.fires.size();
      return m;
    },
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
