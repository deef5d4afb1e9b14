#include "registry.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"
#include "model/workflow.hpp"

namespace cafflow {

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

void mark_removed(self_ptr self, const std::string& name, const std::string& why) {
  auto& st = self->state;
  auto it = st.active.find(name);
  if (it == st.active.end())
    return;
  auto record = it->second.record;
  record.status = "removed";
  st.known[name] = record;
  st.active.erase(it);
  st.log->info("workflow {} removed: {}", name, why);
  self->send(st.store, atom::put::value, store_batch{workflow_put{record, {}}});
}

} // namespace

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       registry_config cfg) {
  auto& st = self->state;
  st.store = std::move(cfg.store);
  st.log = log::get("registry");
  for (auto& record : cfg.known)
    st.known[record.name] = std::move(record);
  return {
    [self](atom::load, workflow_ptr& wf, const std::string& file, std::string& xml,
           const std::string& hash) {
      auto& st = self->state;
      const auto& name = wf->name;
      // The file used to define another workflow: that one is gone.
      if (auto old = st.by_file.find(file); old != st.by_file.end() && old->second != name)
        mark_removed(self, old->second, "its file " + file + " now defines " + name);
      if (auto it = st.active.find(name); it != st.active.end()) {
        if (it->second.record.file != file) {
          st.log->error("workflow {} is defined in both {} and {}; keeping the one from {}", name,
                        it->second.record.file, file, it->second.record.file);
          return;
        }
        if (it->second.record.hash == hash)
          return;
      }
      workflow_record record;
      record.name = name;
      record.dir = wf->dir;
      record.desc = wf->desc;
      record.creator = wf->creator;
      record.file = file;
      record.hash = hash;
      record.node_count = static_cast<int>(wf->nodes.size());
      record.loaded_at = now_ms();
      record.status = "active";
      auto known = st.known.find(name);
      bool unchanged = known != st.known.end() && known->second.hash == hash;
      record.version = known == st.known.end() ? 1 : known->second.version + (unchanged ? 0 : 1);
      st.known[name] = record;
      st.by_file[file] = name;
      st.active[name] = registry_state::entry{std::move(wf), record};
      if (unchanged && known->second.status == "active") {
        st.log->info("workflow {} version {} loaded from {}", name, record.version, file);
        return;
      }
      st.log->info("workflow {} version {} loaded from {}", name, record.version, file);
      self->send(st.store, atom::put::value,
                 store_batch{workflow_put{record, unchanged ? std::string{} : std::move(xml)}});
    },
    [self](atom::remove, const std::string& file) {
      auto& st = self->state;
      auto it = st.by_file.find(file);
      if (it == st.by_file.end())
        return;
      auto name = it->second;
      st.by_file.erase(it);
      auto active = st.active.find(name);
      if (active != st.active.end() && active->second.record.file == file)
        mark_removed(self, name, "its file " + file + " was deleted");
    },
    [self](atom::get, const std::string& name) -> caf::result<workflow_ptr, workflow_record> {
      auto& st = self->state;
      auto it = st.active.find(name);
      if (it == st.active.end())
        return make_caf_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
      return {it->second.wf, it->second.record};
    },
    [self](atom::workflows) {
      std::vector<workflow_record> result;
      for (const auto& [name, e] : self->state.active)
        result.push_back(e.record);
      return result;
    },
    [self](atom::status) -> status_map {
      return {{"workflows", std::to_string(self->state.active.size())},
              {"files", std::to_string(self->state.by_file.size())}};
    },
  };
}

} // namespace cafflow
