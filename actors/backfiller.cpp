#include "backfiller.hpp"

#include <algorithm>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"
#include "util/time.hpp"

namespace cafflow {

namespace {

using backfiller_ptr = backfiller_actor::stateful_pointer<backfiller_state>;
using run_t = backfiller_state::run;

/// Writes the backfill row (not its items).
void put_record(backfiller_ptr self, const run_t& r) {
  auto row = r.record;
  row.items.clear();
  row.counts.clear();
  self->send(self->state.cfg.writer, atom::put::value, store_batch{backfill_put{std::move(row)}});
}

void launch(backfiller_ptr self, const std::string& id);

/// Kills an instance of a cancelled backfill (its end comes as `done`).
void kill_instance(backfiller_ptr self, const std::string& backfill, const std::string& instance) {
  auto& st = self->state;
  self->request(st.cfg.master, st.cfg.request_timeout, atom::kill::value, instance)
    .then([](atom::ok) {},
          [self, backfill, instance](caf::error& err) {
            self->state.log->warn("backfill {}: instance {} not killed: {}", backfill, instance,
                                  self->system().render(err));
          });
}

/// Ends a backfill whose items are all over: its final state, once.
void maybe_finish(backfiller_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.runs.find(id);
  if (it == st.runs.end())
    return;
  auto& r = it->second;
  if (r.next < r.record.items.size() || !r.active.empty() || r.launching > 0 || !r.retry.empty())
    return;
  if (r.record.state != "cancelled")
    r.record.state = final_state(r.record.items);
  r.record.finished = now_ms();
  auto p = progress_of(r.record.items);
  st.log->info("backfill {} of {} {}: {} done ({} skipped), {} failed, {} cancelled", id,
               r.record.workflow, r.record.state, p.done, p.skipped, p.failed, p.cancelled);
  put_record(self, r);
  st.runs.erase(it);
}

/// An item's instance ended (or could not be created: `status` failed).
void item_ended(backfiller_ptr self, const std::string& id, std::size_t index,
                const std::string& status) {
  auto& st = self->state;
  auto it = st.runs.find(id);
  if (it == st.runs.end())
    return;
  auto& item = it->second.record.items[index];
  item.instance_status = status;
  if (status != "succeeded")
    st.log->warn("backfill {}: {} at {} {}", id, item.workflow, to_iso8601(item.logical_time),
                 status);
  launch(self, id);
  maybe_finish(self, id);
}

/// Whether an error from the master means "not now" rather than "never".
bool transient(const caf::error& err) {
  if (err.category() != error_category)
    return true; // a timeout, a dead master: the next master resumes anyway
  auto code = static_cast<ec>(err.code());
  return code == ec::store_error || code == ec::master_unreachable || code == ec::timeout;
}

void schedule_retry(backfiller_ptr self) {
  auto& st = self->state;
  if (st.retry_pending)
    return;
  st.retry_pending = true;
  self->delayed_send(self, st.cfg.retry_interval, atom::retry::value);
}

/// The run `id` once a launch of it was answered (nullptr when it is gone).
run_t* launch_answered(backfiller_ptr self, const std::string& id) {
  auto it = self->state.runs.find(id);
  if (it == self->state.runs.end())
    return nullptr;
  --it->second.launching;
  return &it->second;
}

/// Asks the master to create the instance of item `index`.
void start_item(backfiller_ptr self, const std::string& id, std::size_t index) {
  auto& st = self->state;
  auto& r = st.runs.at(id);
  ++r.launching;
  // Marked in memory only (never stored), so that no path starts it twice.
  r.record.items[index].state = "launching";
  auto item = r.record.items[index];
  item.state = "planned";
  // No timeout on our side: the master answers once the instance is durable
  // (or why not); a dead master takes this actor with it.
  self->request(st.cfg.master, caf::infinite, atom::launch::value, item, r.options.params)
    .then(
      [self, id, index](std::string& instance_id) {
        auto& st = self->state;
        auto* run = launch_answered(self, id);
        if (run == nullptr)
          return;
        auto& r = *run;
        auto& item = r.record.items[index];
        item.instance_id = instance_id;
        item.state = "started";
        item.instance_status = "queued";
        r.active.emplace(instance_id, index);
        st.log->debug("backfill {}: {} at {} is instance {}", id, item.workflow,
                      to_iso8601(item.logical_time), instance_id);
        if (r.record.state == "cancelled")
          kill_instance(self, id, instance_id);
      },
      [self, id, index](caf::error& err) {
        auto& st = self->state;
        auto* run = launch_answered(self, id);
        if (run == nullptr)
          return;
        auto& r = *run;
        auto& item = r.record.items[index];
        auto why = self->system().render(err);
        item.state = "planned";
        if (transient(err) && !st.draining && r.record.state != "cancelled") {
          st.log->warn("backfill {}: {} at {} cannot start now ({}); trying again", id,
                       item.workflow, to_iso8601(item.logical_time), why);
          r.retry.push_back(index);
          schedule_retry(self);
          return;
        }
        if (r.record.state == "cancelled" || st.draining) {
          if (r.record.state == "cancelled") {
            item.state = "cancelled";
            self->send(st.cfg.writer, atom::put::value, store_batch{backfill_item_put{item}});
          }
          maybe_finish(self, id);
          return;
        }
        st.log->error("backfill {}: {} at {} cannot start: {}", id, item.workflow,
                      to_iso8601(item.logical_time), why);
        item.state = "failed";
        self->send(st.cfg.writer, atom::put::value, store_batch{backfill_item_put{item}});
        item_ended(self, id, index, "");
      });
}

/// Starts items in plan order while fewer than `parallel` are active.
void launch(backfiller_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.runs.find(id);
  // Nothing starts before the definitions are loaded (a resumed backfill
  // waits for them: its workflows would be unknown).
  if (it == st.runs.end() || st.draining || !st.snapshot)
    return;
  auto& r = it->second;
  if (r.record.state == "cancelled")
    return;
  auto parallel = static_cast<std::size_t>(std::max(1, r.options.parallel));
  while (r.active.size() + r.launching < parallel && r.next < r.record.items.size()) {
    auto index = r.next++;
    if (r.record.items[index].state != "planned")
      continue;
    start_item(self, id, index);
  }
}

/// Takes a stored backfill over: what ran keeps running, what did not starts.
void resume(backfiller_ptr self, backfill_record record) {
  auto& st = self->state;
  auto options = backfill_options_from_json(record.options);
  if (!options) {
    st.log->error("backfill {} cannot resume: {}", record.id, options.error().message);
    return;
  }
  run_t r;
  r.options = std::move(*options);
  for (std::size_t i = 0; i < record.items.size(); ++i) {
    const auto& item = record.items[i];
    if (!item.instance_id.empty() && item.state == "started" && !item_over(item))
      r.active.emplace(item.instance_id, i);
  }
  auto id = record.id;
  auto p = progress_of(record.items);
  st.log->info("backfill {} of {} resumed: {} of {} items done, {} running, {} to start", id,
               record.workflow, p.done, p.planned, p.running, p.waiting);
  r.record = std::move(record);
  if (r.record.state == "planned") {
    r.record.state = "running";
    put_record(self, r);
  }
  if (r.record.state == "cancelled")
    for (const auto& [instance, index] : r.active)
      kill_instance(self, id, instance); // the cancel may not have reached them
  st.runs.emplace(id, std::move(r));
  maybe_finish(self, id); // launched once the definitions are loaded
}

/// The definitions for a plan.
backfill_definitions definitions(const backfiller_state& st) {
  backfill_definitions defs;
  defs.default_timezone = st.cfg.default_timezone;
  for (const auto& [name, e] : st.snapshot->workflows)
    defs.workflows.emplace(name, e.wf);
  defs.coordinators = st.snapshot->coordinators;
  return defs;
}

/// Stores a new backfill with its items and starts it; answers it.
void store_and_start(backfiller_ptr self, backfill_record record, backfill_options options,
                     caf::typed_response_promise<backfill_record> rp) {
  auto& st = self->state;
  store_batch batch{backfill_put{[&] {
    auto row = record;
    row.items.clear();
    return row;
  }()}};
  for (const auto& item : record.items)
    batch.emplace_back(backfill_item_put{item});
  self->request(st.cfg.writer, caf::infinite, atom::commit::value, std::move(batch))
    .then(
      [self, record, options = std::move(options), rp](atom::ok) mutable {
        auto& st = self->state;
        auto id = record.id;
        auto p = progress_of(record.items);
        st.log->info("backfill {} of {}: {} items ({} skipped: done before), parallel {}", id,
                     record.workflow, p.planned, p.skipped, options.parallel);
        for (const auto& item : record.items)
          ++record.counts[item_state(item)];
        rp.deliver(record);
        run_t r;
        r.record = std::move(record);
        r.options = std::move(options);
        st.runs.emplace(id, std::move(r));
        launch(self, id);
        maybe_finish(self, id);
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// Creates (or plans) a backfill.
caf::result<backfill_record> create(backfiller_ptr self, backfill_request& req) {
  auto& st = self->state;
  if (st.draining)
    return make_caf_error(ec::master_unreachable, "the master is shutting down");
  if (!st.snapshot)
    return make_caf_error(ec::master_unreachable,
                          "the master is starting: the workflows are not loaded yet");
  auto options = backfill_options_from_json(req.options);
  if (!options)
    return to_caf(options.error());
  auto steps = plan_backfill(definitions(st), req.workflow, *options, st.cfg.max_items);
  if (!steps)
    return to_caf(steps.error());
  backfill_record record;
  record.id = req.dry_run ? std::string() : st.ids.next(now_ms());
  record.workflow = req.workflow;
  record.options = to_json(*options);
  record.state = req.dry_run ? "planned" : "running";
  record.created_by = req.created_by;
  record.created = now_ms();
  record.items.reserve(steps->size());
  // The range each workflow's steps span, for the --rerun reads.
  std::map<std::string, std::pair<timestamp, timestamp>> spans;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const auto& s = (*steps)[i];
    backfill_item_record item;
    item.backfill_id = record.id;
    item.workflow = s.workflow;
    item.logical_time = s.logical_time;
    item.position = static_cast<int>(i);
    record.items.push_back(std::move(item));
    auto [span, fresh] = spans.emplace(s.workflow, std::pair{s.logical_time, s.logical_time});
    span->second.first = std::min(span->second.first, s.logical_time);
    span->second.second = std::max(span->second.second, s.logical_time);
  }
  auto rp = self->make_response_promise<backfill_record>();
  auto finish = [self, rp, dry_run = req.dry_run,
                 options = *options](backfill_record& record) mutable {
    if (dry_run) {
      for (const auto& item : record.items)
        ++record.counts[item_state(item)];
      rp.deliver(std::move(record));
      return;
    }
    store_and_start(self, std::move(record), std::move(options), rp);
  };
  if (options->rerun == "all") {
    finish(record);
    return rp;
  }
  // --rerun none/failed: what the latest instance of each (workflow,
  // logical time) did decides; one read per workflow.
  auto shared = std::make_shared<backfill_record>(std::move(record));
  auto left = std::make_shared<std::size_t>(spans.size());
  auto failed = std::make_shared<bool>(false);
  auto rerun = options->rerun;
  for (const auto& [workflow, span] : spans) {
    self->request(st.cfg.reader, st.cfg.request_timeout, atom::latest::value, workflow,
                  span.first, span.second)
      .then(
        [shared, left, failed, finish, rerun,
         workflow = workflow](std::map<timestamp, std::string>& latest) mutable {
          if (*failed)
            return;
          for (auto& item : shared->items) {
            if (item.workflow != workflow)
              continue;
            auto found = latest.find(item.logical_time);
            auto status = found == latest.end() ? std::string() : found->second;
            if (!rerun_wanted(rerun, status))
              item.state = "skipped";
          }
          if (--*left == 0)
            finish(*shared);
        },
        [rp, failed](caf::error& err) mutable {
          if (*failed)
            return;
          *failed = true;
          rp.deliver(err);
        });
  }
  return rp;
}

/// Cancels a running backfill: items not started are cancelled, the
/// instances that run are killed.
caf::result<backfill_record> cancel(backfiller_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.runs.find(id);
  if (it == st.runs.end()) {
    // Not running here: unknown (404) or ended (409).
    auto rp = self->make_response_promise<backfill_record>();
    self->request(st.cfg.reader, st.cfg.request_timeout, atom::backfill::value, id)
      .then(
        [rp, id](backfill_record& r) mutable {
          rp.deliver(make_caf_error(ec::conflict,
                                    "backfill " + id + " is not running (it is " + r.state + ")"));
        },
        [rp](caf::error& err) mutable { rp.deliver(err); });
    return rp;
  }
  auto& r = it->second;
  if (r.record.state == "cancelled")
    return make_caf_error(ec::conflict, "backfill " + id + " is being cancelled already");
  r.record.state = "cancelled";
  store_batch batch;
  std::size_t cancelled = 0;
  for (auto& item : r.record.items)
    if (item.state == "planned" && item.instance_id.empty()) {
      item.state = "cancelled";
      batch.emplace_back(backfill_item_put{item});
      ++cancelled;
    }
  r.next = r.record.items.size();
  r.retry.clear();
  {
    auto row = r.record;
    row.items.clear();
    batch.emplace_back(backfill_put{std::move(row)});
  }
  st.log->info("backfill {} cancelled: {} items not started, {} instances killed", id, cancelled,
               r.active.size());
  for (const auto& [instance, index] : r.active)
    kill_instance(self, id, instance);
  auto answer = r.record;
  for (const auto& item : answer.items)
    ++answer.counts[item_state(item)];
  // Durable before it is answered.
  auto rp = self->make_response_promise<backfill_record>();
  self->request(st.cfg.writer, caf::infinite, atom::commit::value, std::move(batch))
    .then([rp, answer](atom::ok) mutable { rp.deliver(std::move(answer)); },
          [rp](caf::error& err) mutable { rp.deliver(err); });
  maybe_finish(self, id);
  return rp;
}

} // namespace

backfiller_actor::behavior_type
backfiller(backfiller_actor::stateful_pointer<backfiller_state> self, backfiller_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("backfiller");
  auto resumed = std::move(st.cfg.resumed);
  std::string last;
  for (const auto& b : resumed)
    last = std::max(last, b.id);
  st.ids = id_generator{last};
  for (auto& b : resumed)
    resume(self, std::move(b));
  return {
    [self](atom::load, const schedule_ptr& snapshot) {
      auto& st = self->state;
      bool first = !st.snapshot;
      st.snapshot = snapshot;
      if (!first)
        return;
      // Resumed backfills start their next items now.
      std::vector<std::string> ids;
      for (const auto& [id, r] : st.runs)
        ids.push_back(id);
      for (const auto& id : ids)
        launch(self, id);
    },
    [self](atom::backfill, backfill_request& req) { return create(self, req); },
    [self](atom::cancel, const std::string& id) { return cancel(self, id); },
    [self](atom::done, const std::string& id, const std::string& instance,
           const std::string& status) {
      auto& st = self->state;
      auto it = st.runs.find(id);
      if (it == st.runs.end())
        return;
      auto active = it->second.active.find(instance);
      if (active == it->second.active.end())
        return;
      auto index = active->second;
      it->second.active.erase(active);
      item_ended(self, id, index, status);
    },
    [self](atom::retry) {
      auto& st = self->state;
      st.retry_pending = false;
      for (auto& [id, r] : st.runs) {
        // Back into plan order: the earliest item not started comes next.
        if (r.retry.empty())
          continue;
        auto first = *std::min_element(r.retry.begin(), r.retry.end());
        r.retry.clear();
        r.next = std::min(r.next, first);
      }
      std::vector<std::string> ids;
      for (const auto& [id, r] : st.runs)
        ids.push_back(id);
      for (const auto& id : ids)
        launch(self, id);
    },
    [self](atom::drain) {
      auto& st = self->state;
      if (!st.draining && !st.runs.empty())
        st.log->info("the master stops: {} backfills continue on the next master",
                     st.runs.size());
      st.draining = true;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      std::size_t active = 0;
      for (const auto& [id, r] : st.runs)
        active += r.active.size();
      return {{"backfills", std::to_string(st.runs.size())},
              {"active_instances", std::to_string(active)}};
    },
  };
}

} // namespace cafflow
