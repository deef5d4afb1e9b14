// The master's sub-workflow children (actors/master_parts.hpp): a
// sub-workflow node's runner asks for a child instance; the master creates it
// — its rows and the parent attempt's row naming it in one transaction — and
// links the two, so that the child's end becomes the end of the node's
// attempt (actions/sub_workflow.hpp decides how). A node that stops waiting
// has its child killed. After a master restart the restored parent asks
// again with the child id its attempt's row names: the master re-attaches to
// that child (running, queued, or already ended) and never starts another.
#include "master_parts.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"

namespace cafflow::master_detail {

namespace {

/// Tells the runner of `link` how its attempt goes: "running" (with the
/// child), "succeeded" or "failed".
void report(const master_state::child_link& link, self_ptr self, const std::string& outcome,
            std::string message) {
  attempt_report r;
  r.instance_id = link.parent_id;
  r.node = link.node;
  r.attempt = link.attempt;
  r.outcome = outcome;
  r.child_id = link.child_id;
  r.started = link.started;
  r.finished = is_final_outcome(outcome) ? now_ms() : 0;
  r.message = std::move(message);
  self->send(link.runner, atom::report::value, std::move(r));
}

/// A link of `req` from `runner`, its child not known yet.
master_state::child_link link_of(const child_request& req, instance_runner_actor runner) {
  master_state::child_link link;
  link.parent_id = req.parent_id;
  link.node = req.node;
  link.attempt = req.attempt;
  link.started = req.started;
  link.child_id = req.child_id;
  link.workflow = req.workflow;
  link.runner = std::move(runner);
  return link;
}

/// Whether instance `id` lives on this master: running, or queued for its
/// dependencies or its instance-limit.
bool is_live(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (st.runners.count(id) > 0 || st.gated.count(id) > 0)
    return true;
  for (const auto& [name, queue] : st.waiting)
    for (const auto& rc : queue)
      if (rc.record.id == id)
        return true;
  return false;
}

/// Keeps `link` until its child ends.
void keep(self_ptr self, master_state::child_link link) {
  auto& st = self->state;
  auto key = attempt_key(link.parent_id, link.node, link.attempt);
  if (!link.child_id.empty())
    st.parent_of[link.child_id] = key;
  st.child_links[key] = std::move(link);
}

/// Ends the attempt of `link` as its child went, read back from the store
/// once everything written before now is committed. `status` is how the
/// child ended here ("" = not known: a re-attached child that does not live
/// on this master, whose stored state decides; one that has not ended is
/// waited for).
void settle(self_ptr self, master_state::child_link link, const std::string& status) {
  auto& st = self->state;
  auto read = [self, link, status]() mutable {
    auto& st = self->state;
    auto fallback = [self, link, status](const std::string& why) mutable {
      if (status.empty()) {
        report(link, self, "failed",
               "child instance " + link.child_id + " cannot be read: " + why);
        return;
      }
      instance_record known;
      known.id = link.child_id;
      known.workflow = link.workflow;
      known.status = status;
      auto v = verdict_of(known);
      report(link, self, v.outcome.empty() ? "failed" : v.outcome, v.message);
    };
    self->request(st.reader, st.cfg.request_timeout, atom::instance::value, link.child_id)
      .then(
        [self, link, status, fallback](instance_record& child) mutable {
          auto v = verdict_of(child);
          if (!v.outcome.empty()) {
            report(link, self, v.outcome, v.message);
            return;
          }
          if (!status.empty()) {
            // It ended here without its end stored (its runner died).
            fallback("its end is not stored");
            return;
          }
          // Re-attached to a child that has not ended: wait for it. (One
          // that does not live here is queued for the next master: this one
          // is stopping.)
          keep(self, link);
          report(link, self, "running", {});
        },
        [self, fallback](caf::error& err) mutable {
          fallback(from_caf(err).message);
        });
  };
  // The child's last writes went to the writer before its end was announced.
  self->request(st.writer, caf::infinite, atom::commit::value, store_batch{})
    .then([read](atom::ok) mutable { read(); }, [read](caf::error&) mutable { read(); });
}

/// The running ancestors of a child of `req` (its parent, the parent's
/// parent, ...) that are instances of `workflow`: each holds a place of that
/// workflow's instance-limit until the child ends.
int ancestors_of_workflow(self_ptr self, const child_request& req, const std::string& workflow) {
  auto& st = self->state;
  int count = 0;
  auto at = req.parent_id;
  auto at_workflow = req.parent_workflow;
  for (int level = 0; level <= st.cfg.max_sub_workflow_depth && !at.empty(); ++level) {
    if (at_workflow == workflow)
      ++count;
    auto up = st.parent_of.find(at);
    if (up == st.parent_of.end())
      break;
    auto link = st.child_links.find(up->second);
    if (link == st.child_links.end())
      break;
    at = link->second.parent_id;
    auto w = st.runner_workflow.find(at);
    at_workflow = w != st.runner_workflow.end() ? w->second : std::string{};
  }
  return count;
}

/// Creates the child of `req` from `def`: its rows and the parent attempt's
/// row naming it in one transaction; then starts it (within its
/// instance-limit) and tells the parent.
void create_child(self_ptr self, const catalog::entry& def, const child_request& req) {
  auto& st = self->state;
  auto key = attempt_key(req.parent_id, req.node, req.attempt);
  auto refuse = [self, key](const std::string& why) {
    auto& st = self->state;
    auto it = st.child_links.find(key);
    if (it == st.child_links.end())
      return;
    auto link = std::move(it->second);
    st.child_links.erase(it);
    st.log->warn("{} node {}: {}", link.parent_id, link.node, why);
    if (link.cancelled.empty())
      report(link, self, "failed", why);
  };
  // A child that waits for a place its own ancestors hold would wait forever.
  if (auto holding = ancestors_of_workflow(self, req, def.record->name);
      holding >= def.wf->instance_limit) {
    refuse("sub-workflow '" + req.workflow + "' cannot start: its instance-limit ("
           + std::to_string(def.wf->instance_limit) + ") is taken by "
           + (holding == 1 ? "an ancestor" : std::to_string(holding) + " ancestors")
           + " of this child, which wait for it; raise the instance-limit of '"
           + def.record->name + "'");
    return;
  }
  auto rc = new_instance(self, def, sub_workflow_trigger, req.logical_time, req.params,
                         req.timezone);
  if (!rc) {
    refuse("sub-workflow '" + req.workflow + "' cannot start: " + rc.error().message);
    return;
  }
  auto& record = rc->record;
  record.parent_id = req.parent_id;
  record.parent_node = req.node;
  record.depth = req.depth;
  store_batch batch;
  add_rows(*rc, batch);
  attempt_record a;
  a.number = req.attempt;
  a.status = "running";
  a.started = req.started;
  a.execution = req.execution;
  a.child_id = record.id;
  batch.emplace_back(attempt_put{req.parent_id, req.node, std::move(a)});
  // No timeout: should the store fail now, the child starts once its rows
  // are committed, never without them.
  self->request(st.writer, caf::infinite, atom::commit::value, std::move(batch))
    .then(
      [self, key, rc = std::move(*rc)](atom::ok) mutable {
        auto& st = self->state;
        auto id = rc.record.id;
        auto it = st.child_links.find(key);
        if (it == st.child_links.end() || !it->second.cancelled.empty()) {
          // Its node stopped waiting meanwhile: it ends without having run.
          auto& r = rc.record;
          r.status = "killed";
          r.finished = now_ms();
          r.message = it != st.child_links.end() ? it->second.cancelled
                                                 : "its parent stopped waiting for it";
          st.log->info("{} {} not started: {}", id, r.workflow, r.message);
          ++st.instances_ended["killed"];
          if (it != st.child_links.end())
            st.child_links.erase(it);
          self->send(st.writer, atom::put::value, store_batch{instance_put{std::move(r)}});
          return;
        }
        fill_handles(self, rc);
        admit(self, std::move(rc));
        it->second.child_id = id;
        st.parent_of[id] = key;
        const auto& link = it->second;
        st.log->info("{} node {}: child instance {} of {} started", link.parent_id, link.node,
                     id, link.workflow);
        report(link, self, "running", {});
      },
      [refuse, workflow = req.workflow](caf::error& err) {
        refuse("the child instance of sub-workflow '" + workflow
               + "' cannot be stored: " + from_caf(err).message);
      });
}

} // namespace

void child_call(self_ptr self, child_request& req, instance_runner_actor& runner) {
  auto& st = self->state;
  auto link = link_of(req, runner);
  if (!req.child_id.empty()) {
    // After a master restart: the child the attempt already runs.
    st.log->info("{} node {}: waits again for child instance {}", req.parent_id, req.node,
                 req.child_id);
    if (is_live(self, req.child_id)) {
      keep(self, link);
      report(link, self, "running", {});
      return;
    }
    settle(self, std::move(link), {});
    return;
  }
  if (auto why = depth_refusal(req, st.cfg.max_sub_workflow_depth); !why.empty()) {
    st.log->warn("{} node {}: {}", req.parent_id, req.node, why);
    report(link, self, "failed", why);
    return;
  }
  keep(self, link);
  self->request(st.registry, st.cfg.request_timeout, atom::get::value, req.workflow)
    .then(
      [self, req](workflow_ptr wf, workflow_record& def) {
        create_child(self, catalog::entry{std::move(wf), std::move(def)}, req);
      },
      [self, req](caf::error& err) {
        auto& st = self->state;
        auto it = st.child_links.find(attempt_key(req.parent_id, req.node, req.attempt));
        if (it == st.child_links.end())
          return;
        auto link = std::move(it->second);
        st.child_links.erase(it);
        auto why = "sub-workflow '" + req.workflow + "' cannot start: " + from_caf(err).message;
        st.log->warn("{} node {}: {}", req.parent_id, req.node, why);
        if (link.cancelled.empty())
          report(link, self, "failed", why);
      });
}

void child_cancel(self_ptr self, const std::string& parent_id, const std::string& node,
                  int attempt, const std::string& reason) {
  auto& st = self->state;
  auto it = st.child_links.find(attempt_key(parent_id, node, attempt));
  if (it == st.child_links.end())
    return;
  if (it->second.child_id.empty()) {
    // Being created: killed once it exists.
    it->second.cancelled = reason;
    return;
  }
  auto child = it->second.child_id;
  st.parent_of.erase(child);
  st.child_links.erase(it);
  if (!stop_instance(self, child, reason))
    st.log->info("{} node {}: child instance {} does not run here any more", parent_id, node,
                 child);
}

void child_ended(self_ptr self, const std::string& id, const std::string& status) {
  auto& st = self->state;
  auto p = st.parent_of.find(id);
  if (p == st.parent_of.end())
    return;
  auto key = p->second;
  st.parent_of.erase(p);
  auto it = st.child_links.find(key);
  if (it == st.child_links.end())
    return;
  auto link = std::move(it->second);
  st.child_links.erase(it);
  st.log->info("{} node {}: child instance {} {}", link.parent_id, link.node, id, status);
  settle(self, std::move(link), status);
}

} // namespace cafflow::master_detail
