#include "pruner.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "exec/retention.hpp"
#include "log.hpp"

namespace cafflow {

namespace {

using pruner_ptr = pruner_actor::stateful_pointer<pruner_state>;

/// One batch of each kind; the next batch after a pause while there is more,
/// else the next round after the interval.
void prune_batch(pruner_ptr self) {
  auto& st = self->state;
  bool more = false;
  bool failed = false;
  if (st.cfg.days > 0) {
    auto before = retention_cutoff(now_ms(), st.cfg.days);
    if (auto pruned = st.cfg.db->prune_instances(before, st.cfg.batch, false); !pruned) {
      failed = true;
      if (st.failures % 10 == 0)
        st.log->error("retention: cannot delete old instances: {}", pruned.error().message);
    } else if (pruned->instances > 0) {
      st.instances += pruned->instances;
      st.attempts += pruned->attempts;
      more = pruned->instances >= static_cast<std::size_t>(st.cfg.batch);
      st.log->info("retention: deleted {} instances that ended before {} ({} nodes, {} "
                   "attempts; retention.days {})",
                   pruned->instances, to_iso8601(before), pruned->nodes, pruned->attempts,
                   st.cfg.days);
    }
  }
  if (st.cfg.xml_versions > 0) {
    if (auto pruned = st.cfg.db->prune_versions(st.cfg.xml_versions, st.cfg.batch, false);
        !pruned) {
      failed = true;
      if (st.failures % 10 == 0)
        st.log->error("retention: cannot delete old workflow versions: {}",
                      pruned.error().message);
    } else if (pruned->versions > 0) {
      st.versions += pruned->versions;
      more = more || pruned->versions >= static_cast<std::size_t>(st.cfg.batch);
      st.log->info("retention: deleted {} stored workflow versions beyond the newest {} of "
                   "each workflow",
                   pruned->versions, st.cfg.xml_versions);
    }
  }
  st.failures = failed ? st.failures + 1 : 0;
  auto next = more && !failed ? st.cfg.pause
                              : std::chrono::milliseconds(st.cfg.interval);
  self->delayed_send(self, next, atom::prune::value, local_only{});
}

} // namespace

pruner_actor::behavior_type pruner(pruner_actor::stateful_pointer<pruner_state> self,
                                   pruner_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.cfg.batch = std::max(st.cfg.batch, 1);
  st.log = log::get("pruner");
  if (st.cfg.days > 0 || st.cfg.xml_versions > 0)
    self->delayed_send(self, st.cfg.first, atom::prune::value, local_only{});
  return {
    [self](atom::prune, local_only) { prune_batch(self); },
    [self](atom::erase, const std::string& id) -> caf::result<atom::ok> {
      auto& st = self->state;
      auto deleted = st.cfg.db->delete_instance(id);
      if (!deleted)
        return to_caf(deleted.error());
      if (deleted->instances == 0) {
        auto found = st.cfg.db->instance(id);
        if (!found)
          return to_caf(found.error());
        if (!*found)
          return make_caf_error(ec::unknown_instance, "no instance with id '" + id + "'");
        return make_caf_error(ec::conflict, "instance " + id + " is " + (*found)->status
                                              + ": kill it or wait for its end before deleting "
                                                "it");
      }
      st.instances += deleted->instances;
      st.attempts += deleted->attempts;
      st.log->info("deleted instance {} on request ({} nodes, {} attempts)", id, deleted->nodes,
                   deleted->attempts);
      return atom::ok::value;
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"days", std::to_string(st.cfg.days)},
              {"xml_versions", std::to_string(st.cfg.xml_versions)},
              {"deleted_instances", std::to_string(st.instances)},
              {"deleted_attempts", std::to_string(st.attempts)},
              {"deleted_versions", std::to_string(st.versions)}};
    },
  };
}

} // namespace cafflow
