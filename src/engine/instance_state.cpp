#include "engine/instance_state.hpp"

#include <algorithm>
#include <string>

namespace cafflow {

const char* to_string(attempt_outcome outcome) {
  switch (outcome) {
    case attempt_outcome::succeeded: return "succeeded";
    case attempt_outcome::failed: return "failed";
    case attempt_outcome::timed_out: return "timed_out";
    case attempt_outcome::lost: return "lost";
    case attempt_outcome::killed: return "killed";
  }
  return "unknown";
}

const char* to_string(rerun_mode mode) {
  switch (mode) {
    case rerun_mode::all: return "all";
    case rerun_mode::failed: return "failed";
    case rerun_mode::nodes: return "nodes";
  }
  return "unknown";
}

expected<rerun_mode> parse_rerun_mode(const std::string& text) {
  for (auto mode : {rerun_mode::all, rerun_mode::failed, rerun_mode::nodes})
    if (text == to_string(mode))
      return mode;
  return make_error(ec::invalid_argument,
                    "unknown rerun mode '" + text + "' (expected all, failed or nodes)");
}


instance_state::instance_state(std::shared_ptr<const workflow> wf, decider decide)
  : wf_(std::move(wf)),
    decide_(std::move(decide)),
    nodes_(wf_->nodes.size()),
    active_(wf_->nodes.size(), false),
    arrivals_(wf_->nodes.size(), 0),
    reaches_join_(wf_->nodes.size()),
    changed_(wf_->nodes.size(), false) {
}

std::vector<effect> instance_state::start(timestamp now, std::vector<node_choice> choices) {
  effects_.clear();
  if (status_ != instance_status::queued)
    return {};
  if (choices.size() == nodes_.size())
    choice_ = std::move(choices);
  status_ = instance_status::running;
  pending_.push_back(wf_->start);
  settle(now);
  return std::move(effects_);
}

expected<void> instance_state::take_stored(std::vector<node_state> nodes, const char* what) {
  if (status_ != instance_status::queued)
    return make_error(ec::invalid_argument, std::string("only a fresh instance state can ") + what);
  if (nodes.size() != nodes_.size())
    return make_error(ec::invalid_argument,
                      "the stored instance has " + std::to_string(nodes.size())
                        + " nodes, its workflow version " + std::to_string(nodes_.size()));
  status_ = instance_status::running;
  nodes_ = std::move(nodes);
  return {};
}

expected<std::vector<effect>> instance_state::restore(std::vector<node_state> nodes,
                                                     timestamp now,
                                                     std::vector<node_choice> choices) {
  effects_.clear();
  if (auto taken = take_stored(std::move(nodes), "be restored"); !taken)
    return taken.error();
  if (choices.size() == nodes_.size())
    choice_ = std::move(choices);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const auto& n = nodes_[i];
    bool is_action = wf_->nodes[i].kind == node_kind::action;
    if (is_action && (n.status == node_status::running || n.status == node_status::waiting)) {
      // A live token whose attempt may still run somewhere.
      active_[i] = true;
      ++active_count_;
      effects_.push_back(effect{effect::kind::adopt_action, i, n.attempts, 0, status_, {}});
    } else if (is_action && n.status == node_status::retrying) {
      active_[i] = true;
      ++active_count_;
      effects_.push_back(effect{effect::kind::schedule_retry, i, n.attempts + 1, 0, status_, {}});
    } else if (wf_->nodes[i].kind == node_kind::join && n.status == node_status::waiting) {
      // Only whether tokens arrived matters to a join, not how many.
      arrivals_[i] = 1;
    }
  }
  // A stored state is settled (each event's changes are written together);
  // settling again is a no-op then, and repairs it otherwise.
  settle(now);
  return std::move(effects_);
}

expected<std::vector<effect>> instance_state::rerun(std::vector<node_state> nodes,
                                                   rerun_mode mode, const run_options& options,
                                                   timestamp now) {
  effects_.clear();
  if (status_ != instance_status::queued)
    return make_error(ec::invalid_argument, "only a fresh instance state can rerun an instance");
  if (nodes.size() != nodes_.size())
    return make_error(ec::invalid_argument,
                      "the stored instance has " + std::to_string(nodes.size())
                        + " nodes, its workflow version " + std::to_string(nodes_.size()));
  auto choices = choose_nodes(*wf_, to_string(mode), options);
  if (!choices)
    return choices.error();
  std::vector<std::size_t> roots;
  std::vector<bool> selected(nodes_.size(), false);
  switch (mode) {
    case rerun_mode::all: roots.push_back(wf_->start); break;
    case rerun_mode::failed:
      for (std::size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].status == node_status::failed || nodes[i].status == node_status::killed)
          roots.push_back(i);
      if (roots.empty())
        return make_error(ec::conflict, "nothing to rerun: no node failed or was killed");
      break;
    case rerun_mode::nodes:
      if (options.nodes.empty() && options.from_node.empty())
        return make_error(ec::invalid_argument, "nothing to rerun: no node named");
      // The selected nodes run again; the first of them are entered.
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        if ((*choices)[i] != node_choice::not_selected) {
          selected[i] = true;
          roots.push_back(i);
        }
      break;
  }
  choice_ = std::move(*choices);
  nodes_ = std::move(nodes);
  status_ = instance_status::running;
  run_again(std::move(roots), selected, now);
  return std::move(effects_);
}

expected<std::vector<effect>> instance_state::resume_marked(std::vector<node_state> nodes,
                                                           std::size_t index, bool succeeded,
                                                           const std::string& message,
                                                           timestamp now) {
  effects_.clear();
  if (index >= nodes_.size() || wf_->nodes[index].kind != node_kind::action)
    return make_error(ec::invalid_argument, "only an action can be marked");
  if (auto taken = take_stored(std::move(nodes), "resume a marked node"); !taken)
    return taken.error();
  const auto& n = wf_->nodes[index];
  auto was = nodes_[index].status;
  if (was != node_status::failed && was != node_status::killed) {
    status_ = instance_status::queued;
    return make_error(ec::conflict, "node '" + n.name + "' is " + to_string(was)
                                      + "; in an ended instance only a failed or killed node "
                                        "can be marked");
  }
  set(index, succeeded ? node_status::succeeded : node_status::failed, now, message);
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (i != index
        && (nodes_[i].status == node_status::failed || nodes_[i].status == node_status::killed))
      roots.push_back(i);
  auto error = std::find_if(n.out.begin(), n.out.end(),
                            [](const edge& e) { return e.kind == edge::label::error; });
  if (succeeded)
    roots.push_back(n.out.front().target);
  else if (error != n.out.end())
    roots.push_back(error->target);
  if (roots.empty()) {
    finish(instance_status::failed, "node '" + n.name + "' " + message, now);
    return std::move(effects_);
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  run_again(std::move(roots), {}, now);
  return std::move(effects_);
}

void instance_state::run_again(std::vector<std::size_t> roots,
                               const std::vector<bool>& only_these, timestamp now) {
  // The rerun set: the roots and everything after them (in mode nodes: the
  // selected nodes only).
  std::vector<std::vector<bool>> after;
  std::vector<bool> rerun_set(nodes_.size(), false);
  bool limited = std::any_of(only_these.begin(), only_these.end(), [](bool b) { return b; });
  for (auto root : roots) {
    after.push_back(reachable_from(*wf_, root));
    rerun_set[root] = true;
    if (!limited)
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (after.back()[i])
          rerun_set[i] = true;
  }
  // Tokens start only at the first roots: one that lies after another root
  // (say a failed error handler after its failed action) is reached by the
  // flow, or not, as in a normal run. Of roots in a cycle the first counts.
  std::vector<std::size_t> entered;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    bool later = false;
    for (std::size_t o = 0; o < roots.size() && !later; ++o)
      later = o != r && after[o][roots[r]] && (!after[r][roots[o]] || roots[o] < roots[r]);
    if (!later)
      entered.push_back(roots[r]);
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!rerun_set[i])
      continue;
    auto& n = nodes_[i];
    n.status = node_status::pending;
    n.message.clear();
    n.started = 0;
    n.finished = 0;
    n.attempt_base = n.attempts;
    changed_[i] = true;
  }
  // A join that runs again must not wait for branches that do not: the
  // tokens they passed to it in the stored run count as arrived (stored as
  // waiting, so restore() rebuilds them).
  for (std::size_t j = 0; j < nodes_.size(); ++j) {
    if (!rerun_set[j] || wf_->nodes[j].kind != node_kind::join)
      continue;
    for (std::size_t p = 0; p < nodes_.size() && arrivals_[j] == 0; ++p)
      if (!rerun_set[p] && took_transition(p, j)) {
        arrivals_[j] = 1;
        set(j, node_status::waiting, now);
      }
  }
  for (auto r = entered.rbegin(); r != entered.rend(); ++r)
    pending_.push_back(*r); // entered in definition order
  settle(now);
}

bool instance_state::took_transition(std::size_t from, std::size_t to) const {
  const auto& n = wf_->nodes[from];
  const auto& st = nodes_[from];
  auto leads_to = [&](const edge& e) { return e.target == to; };
  switch (n.kind) {
    case node_kind::action:
      if (st.status == node_status::succeeded || st.status == node_status::skipped)
        return leads_to(n.out.front());
      // Failed with an error transition: the flow followed it.
      return st.status == node_status::failed
             && std::any_of(n.out.begin(), n.out.end(), [&](const edge& e) {
                  return e.kind == edge::label::error && leads_to(e);
                });
    case node_kind::start:
    case node_kind::fork:
    case node_kind::join:
      return st.status == node_status::succeeded
             && std::any_of(n.out.begin(), n.out.end(), leads_to);
    case node_kind::decision: {
      // decide() names the target it took: "case N holds: x", "no case holds: z".
      static const std::string marker = "holds: ";
      auto at = st.message.find(marker);
      return st.status == node_status::succeeded && at != std::string::npos
             && st.message.compare(at + marker.size(), std::string::npos, wf_->nodes[to].name) == 0;
    }
    case node_kind::end:
    case node_kind::kill: return false;
  }
  return false;
}

std::vector<effect> instance_state::attempt_finished(std::size_t index, int attempt,
                                                     attempt_outcome outcome,
                                                     const std::string& message, timestamp now) {
  effects_.clear();
  if (status_ != instance_status::running || index >= nodes_.size() || !active_[index]
      || (nodes_[index].status != node_status::running
          && nodes_[index].status != node_status::waiting)
      || nodes_[index].attempts != attempt)
    return {};
  const auto& n = wf_->nodes[index];
  const auto& spec = n.action;
  if (outcome == attempt_outcome::succeeded) {
    active_[index] = false;
    --active_count_;
    set(index, node_status::succeeded, now);
    pending_.push_back(n.out.front().target); // an action's first edge is its ok
  } else if (outcome == attempt_outcome::timed_out
             && spec.on_timeout == timeout_action::kill_instance) {
    active_[index] = false;
    --active_count_;
    set(index, node_status::killed, now, message);
    finish(instance_status::killed,
           "node '" + n.name + "' timed out (timeout-action kill-instance): " + message, now);
  } else if (outcome == attempt_outcome::killed) {
    active_[index] = false;
    --active_count_;
    set(index, node_status::killed, now, message);
    finish(instance_status::killed, "node '" + n.name + "' was killed: " + message, now);
  } else if (nodes_[index].attempts - nodes_[index].attempt_base <= spec.retry_times) {
    // Stays an active token: the join logic must keep waiting for it.
    set(index, node_status::retrying, now, message);
    effects_.push_back(effect{effect::kind::schedule_retry, index, nodes_[index].attempts + 1,
                              spec.interval_s, status_, {}});
  } else {
    active_[index] = false;
    --active_count_;
    failed_for_good(index, message, now);
  }
  settle(now);
  return std::move(effects_);
}

void instance_state::failed_for_good(std::size_t index, const std::string& message,
                                     timestamp now) {
  const auto& n = wf_->nodes[index];
  set(index, node_status::failed, now, message);
  auto error = std::find_if(n.out.begin(), n.out.end(),
                            [](const edge& e) { return e.kind == edge::label::error; });
  auto why = "node '" + n.name + "' failed: " + message.substr(0, message.find('\n'));
  if (error != n.out.end()) {
    pending_.push_back(error->target);
  } else if (wf_->continue_on_failure) {
    // The branches that do not follow this node go on; the instance fails
    // when nothing is left to run (settle()).
    if (failure_.empty())
      failure_ = why;
    if (after_failure_.empty())
      after_failure_.assign(nodes_.size(), false);
    auto after = reachable_from(*wf_, index);
    for (std::size_t i = 0; i < after.size(); ++i)
      after_failure_[i] = after_failure_[i] || after[i];
  } else {
    finish(instance_status::failed, why, now);
  }
}

expected<std::vector<effect>> instance_state::mark(std::size_t index, bool succeeded,
                                                  const std::string& message, timestamp now) {
  effects_.clear();
  if (index >= nodes_.size() || wf_->nodes[index].kind != node_kind::action)
    return make_error(ec::invalid_argument, "only an action can be marked");
  const auto& n = wf_->nodes[index];
  auto& st = nodes_[index];
  if (status_ != instance_status::running || !active_[index])
    return make_error(ec::conflict, "node '" + n.name + "' is " + to_string(st.status)
                                      + "; in a running instance only a waiting, running or "
                                        "retrying node can be marked");
  if (st.status == node_status::running || st.status == node_status::waiting)
    effects_.push_back(effect{effect::kind::cancel_action, index, st.attempts, 0, status_, {}});
  active_[index] = false;
  --active_count_;
  if (succeeded) {
    set(index, node_status::succeeded, now, message);
    pending_.push_back(n.out.front().target);
  } else {
    failed_for_good(index, message, now);
  }
  settle(now);
  return std::move(effects_);
}

void instance_state::attempt_waiting(std::size_t index, int attempt, const std::string& why,
                                     timestamp now) {
  if (status_ != instance_status::running || index >= nodes_.size() || !active_[index]
      || nodes_[index].attempts != attempt
      || (nodes_[index].status != node_status::running
          && nodes_[index].status != node_status::waiting))
    return;
  // Waiting again: only the reason changes (a dependent node's explanation).
  if (nodes_[index].status == node_status::waiting && nodes_[index].message == why)
    return;
  set(index, node_status::waiting, now, why);
}

void instance_state::attempt_running(std::size_t index, int attempt, timestamp now) {
  if (status_ != instance_status::running || index >= nodes_.size() || !active_[index]
      || nodes_[index].attempts != attempt || nodes_[index].status != node_status::waiting)
    return;
  set(index, node_status::running, now);
}

std::vector<effect> instance_state::retry_due(std::size_t index, timestamp now) {
  effects_.clear();
  if (status_ != instance_status::running || index >= nodes_.size()
      || nodes_[index].status != node_status::retrying)
    return {};
  start_attempt(index, now);
  return std::move(effects_);
}

std::vector<effect> instance_state::kill(const std::string& message, timestamp now) {
  effects_.clear();
  if (is_terminal(status_))
    return {};
  finish(instance_status::killed, message, now);
  return std::move(effects_);
}

std::vector<std::size_t> instance_state::take_changed() {
  std::vector<std::size_t> result;
  for (std::size_t i = 0; i < changed_.size(); ++i)
    if (changed_[i]) {
      result.push_back(i);
      changed_[i] = false;
    }
  return result;
}

void instance_state::set(std::size_t index, node_status status, timestamp now,
                         std::string message) {
  auto& st = nodes_[index];
  if (st.started == 0)
    st.started = now;
  if (is_terminal(status))
    st.finished = now;
  st.status = status;
  st.message = std::move(message);
  changed_[index] = true;
}

void instance_state::start_attempt(std::size_t index, timestamp now) {
  auto& st = nodes_[index];
  ++st.attempts;
  if (st.attempts == st.attempt_base + 1)
    st.started = now;
  st.finished = 0;
  set(index, node_status::running, now, st.message);
  effects_.push_back(effect{effect::kind::run_action, index, st.attempts, 0, status_, {}});
}

void instance_state::enter(std::size_t index, timestamp now) {
  const auto& n = wf_->nodes[index];
  // on-failure="continue": no token goes on after a failed node.
  if (!after_failure_.empty() && after_failure_[index])
    return;
  switch (n.kind) {
    case node_kind::start:
    case node_kind::fork:
      set(index, node_status::succeeded, now);
      for (const auto& e : n.out)
        pending_.push_back(e.target);
      break;
    case node_kind::join:
      ++arrivals_[index];
      if (nodes_[index].status != node_status::waiting)
        set(index, node_status::waiting, now);
      break;
    case node_kind::action:
      if (active_[index])
        break; // a second token reaching a running action merges with it
      if (n.action.is_ignore) {
        set(index, node_status::skipped, now, "is-ignore");
        pending_.push_back(n.out.front().target);
        break;
      }
      if (!choice_.empty() && choice_[index] != node_choice::run) {
        // Passed by this execution; a rerun keeps what succeeded before.
        if (choice_[index] == node_choice::skip)
          set(index, node_status::skipped, now, "skipped on request (--skip)");
        else if (nodes_[index].status != node_status::succeeded)
          set(index, node_status::skipped, now, "not selected for this run");
        pending_.push_back(n.out.front().target);
        break;
      }
      active_[index] = true;
      ++active_count_;
      // The attempts of earlier runs (a rerun) keep their numbers.
      nodes_[index].attempts = nodes_[index].attempt_base;
      nodes_[index].message.clear();
      start_attempt(index, now);
      break;
    case node_kind::end:
      set(index, node_status::succeeded, now);
      if (failure_.empty())
        finish(instance_status::succeeded, {}, now);
      else
        finish(instance_status::failed, failure_, now);
      break;
    case node_kind::kill:
      set(index, node_status::succeeded, now);
      finish(instance_status::killed,
             n.message.empty() ? "killed by node '" + n.name + "'" : n.message, now);
      break;
    case node_kind::decision: decide(index, now); break;
  }
}

void instance_state::decide(std::size_t index, timestamp now) {
  const auto& n = wf_->nodes[index];
  // Cases in order; the first that holds wins, else the default (the last edge).
  for (std::size_t c = 0; c < n.cases.size(); ++c) {
    auto holds = decide_ ? decide_(n.cases[c].condition)
                         : expected<bool>(make_error(ec::unspecified, "no evaluator for conditions"));
    if (!holds) {
      auto why = "case " + std::to_string(c + 1) + ": " + holds.error().message;
      set(index, node_status::failed, now, why);
      finish(instance_status::failed, "node '" + n.name + "' failed: " + why, now);
      return;
    }
    if (*holds) {
      set(index, node_status::succeeded, now,
          "case " + std::to_string(c + 1) + " holds: " + n.cases[c].to);
      pending_.push_back(n.out[c].target);
      return;
    }
  }
  set(index, node_status::succeeded, now, "no case holds: " + n.default_to);
  pending_.push_back(n.out.back().target);
}

bool instance_state::can_reach(std::size_t from, std::size_t join) {
  auto& reaches = reaches_join_[join];
  if (reaches.empty()) {
    // Reverse breadth-first search from the join, computed once per join.
    std::vector<std::vector<std::size_t>> incoming(wf_->nodes.size());
    for (std::size_t i = 0; i < wf_->nodes.size(); ++i)
      for (const auto& e : wf_->nodes[i].out)
        incoming[e.target].push_back(i);
    reaches.assign(wf_->nodes.size(), false);
    std::vector<std::size_t> stack{join};
    while (!stack.empty()) {
      auto i = stack.back();
      stack.pop_back();
      for (auto pred : incoming[i])
        if (!reaches[pred]) {
          reaches[pred] = true;
          stack.push_back(pred);
        }
    }
  }
  return reaches[from];
}

void instance_state::settle(timestamp now) {
  for (;;) {
    // 1. Enter every node that tokens moved to; control nodes pass on at once.
    while (!pending_.empty() && !is_terminal(status_)) {
      auto next = pending_.back();
      pending_.pop_back();
      enter(next, now);
    }
    if (is_terminal(status_))
      return;
    // 2. A join continues when no live token — a running action or another
    //    waiting join — can still reach it. Branches that left through
    //    another path no longer count (no deadlock, unlike akkaflow).
    bool fired = false;
    for (std::size_t j = 0; j < arrivals_.size() && !fired; ++j) {
      if (arrivals_[j] == 0 || (!after_failure_.empty() && after_failure_[j]))
        continue;
      bool blocked = false;
      for (std::size_t t = 0; t < active_.size() && !blocked; ++t)
        blocked = (active_[t] || (t != j && arrivals_[t] > 0)) && can_reach(t, j);
      if (blocked)
        continue;
      arrivals_[j] = 0;
      set(j, node_status::succeeded, now);
      pending_.push_back(wf_->nodes[j].out.front().target);
      fired = true;
    }
    if (fired)
      continue;
    // 3. Joins that block each other in a cycle: release the first one.
    if (active_count_ == 0) {
      std::size_t j = 0;
      while (j < arrivals_.size()
             && (arrivals_[j] == 0 || (!after_failure_.empty() && after_failure_[j])))
        ++j;
      if (j < arrivals_.size()) {
        arrivals_[j] = 0;
        set(j, node_status::succeeded, now);
        pending_.push_back(wf_->nodes[j].out.front().target);
        continue;
      }
      finish(instance_status::failed,
             failure_.empty() ? "no node is left to run and no <end> was reached" : failure_,
             now);
    }
    return;
  }
}

void instance_state::finish(instance_status status, std::string message, timestamp now) {
  if (is_terminal(status_))
    return;
  status_ = status;
  message_ = std::move(message);
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (!active_[i])
      continue;
    active_[i] = false;
    bool was_running =
      nodes_[i].status == node_status::running || nodes_[i].status == node_status::waiting;
    set(i, node_status::killed, now, "instance ended: " + std::string(to_string(status)));
    if (was_running)
      effects_.push_back(effect{effect::kind::cancel_action, i, nodes_[i].attempts, 0, status_, {}});
  }
  active_count_ = 0;
  for (std::size_t j = 0; j < arrivals_.size(); ++j)
    if (arrivals_[j] > 0) {
      arrivals_[j] = 0;
      set(j, node_status::killed, now, "instance ended before the join completed");
    }
  pending_.clear();
  // What this execution never reached (untaken decision branches, nodes
  // after a kill, an end or a failure) is skipped.
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].status == node_status::pending)
      set(i, node_status::skipped, now, "not reached");
  effects_.push_back(effect{effect::kind::finish, 0, 0, 0, status_, message_});
}

} // namespace cafflow
