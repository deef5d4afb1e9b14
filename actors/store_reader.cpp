#include "store_reader.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace cafflow {

store_reader_actor::behavior_type
store_reader(store_reader_actor::stateful_pointer<store_reader_state> self,
             std::shared_ptr<store> db) {
  self->state.db = std::move(db);
  return {
    [self](atom::instances,
               const instance_filter& filter) -> caf::result<std::vector<instance_record>> {
      auto list = self->state.db->instances(filter);
      if (!list)
        return to_caf(list.error());
      return std::move(*list);
    },
    [self](atom::instance, const std::string& id) -> caf::result<instance_record> {
      auto found = self->state.db->instance(id);
      if (!found)
        return to_caf(found.error());
      if (!*found)
        return make_caf_error(ec::unknown_instance, "no instance with id '" + id + "'");
      return std::move(**found);
    },
    [self](atom::workflow, const std::string& name,
           int version) -> caf::result<workflow_version_record> {
      auto found = self->state.db->workflow_version(name, version);
      if (!found)
        return to_caf(found.error());
      if (!*found)
        return make_caf_error(ec::unknown_workflow, "version " + std::to_string(version)
                                                      + " of workflow '" + name
                                                      + "' is not in the store");
      return std::move(**found);
    },
    [self](atom::executions,
           const std::string& id) -> caf::result<std::vector<execution_record>> {
      auto& db = *self->state.db;
      auto found = db.instance(id);
      if (!found)
        return to_caf(found.error());
      if (!*found)
        return make_caf_error(ec::unknown_instance, "no instance with id '" + id + "'");
      auto list = db.executions(id);
      if (!list)
        return to_caf(list.error());
      return std::move(*list);
    },
    [self](atom::versions,
           const std::string& name) -> caf::result<std::vector<workflow_version_view>> {
      auto found = self->state.db->workflow_history(name);
      if (!found)
        return to_caf(found.error());
      std::vector<workflow_version_view> result;
      for (auto& v : *found)
        result.push_back(workflow_version_view{v.version, std::move(v.hash), std::move(v.file),
                                               v.loaded_at});
      return result;
    },
    [self](atom::backfills, const std::string& state,
           int limit) -> caf::result<std::vector<backfill_record>> {
      auto found = self->state.db->backfills(state, limit);
      if (!found)
        return to_caf(found.error());
      return std::move(*found);
    },
    [self](atom::backfill, const std::string& id) -> caf::result<backfill_record> {
      auto found = self->state.db->backfill(id);
      if (!found)
        return to_caf(found.error());
      if (!*found)
        return make_caf_error(ec::unknown_instance, "no backfill with id '" + id + "'");
      return std::move(**found);
    },
    [self](atom::latest, const std::string& workflow, timestamp from,
           timestamp to) -> caf::result<std::map<timestamp, std::string>> {
      auto found = self->state.db->latest_statuses(workflow, from, to);
      if (!found)
        return to_caf(found.error());
      return std::move(*found);
    },
  };
}

} // namespace cafflow
