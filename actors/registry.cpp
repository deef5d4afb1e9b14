#include "registry.hpp"

#include <chrono>

#include <malloc.h>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "alert/alert.hpp"
#include "log.hpp"

namespace cafflow {

registry_actor::behavior_type registry(registry_actor::stateful_pointer<registry_state> self,
                                       registry_config cfg) {
  auto& st = self->state;
  st.defs = std::make_unique<catalog>(cfg.known);
  st.store = std::move(cfg.store);
  st.coordinator = std::move(cfg.coordinator);
  st.backfiller = std::move(cfg.backfiller);
  st.stored_files = std::move(cfg.known_files);
  st.log = log::get("registry");
  return {
    [self](atom::load, const scan_ptr& scan) {
      auto& st = self->state;
      auto began = std::chrono::steady_clock::now();
      auto result = st.defs->apply(*scan, now_ms());
      for (const auto& line : result.events)
        st.log->info("{}", line);
      auto files = st.defs->files();
      for (const auto& file : files) {
        if (file.status == "loaded")
          continue;
        st.log->warn("{}: {}{}", file.path, file.status,
                     file.active_version > 0
                       ? " (version " + std::to_string(file.active_version) + " stays active)"
                       : std::string{});
        for (const auto& d : file.diagnostics)
          if (d.level == "error")
            st.log->warn("{}:{}:{}: {}", file.path, d.line, d.column, d.message);
      }
      store_batch batch;
      batch.reserve(result.stored.size());
      for (auto& [record, xml] : result.stored)
        batch.emplace_back(workflow_put{std::move(record), std::move(xml)});
      // The state of every file too, for whoever reads the database.
      for (auto& write : xml_file_changes(st.stored_files, files))
        batch.push_back(std::move(write));
      st.stored_files = std::move(files);
      if (!batch.empty())
        self->send(st.store, atom::put::value, std::move(batch));
      // The coordinators follow every change (definitions may be new, changed
      // or gone).
      auto snapshot = std::make_shared<schedule_snapshot>();
      snapshot->workflows = st.defs->active();
      for (const auto& c : st.defs->coordinators())
        snapshot->coordinators.emplace(c->name, c);
      schedule_ptr shared{std::move(snapshot)};
      if (st.coordinator)
        self->send(st.coordinator, atom::load::value, shared);
      if (st.backfiller)
        self->send(st.backfiller, atom::load::value, shared);
      // A large load leaves much memory free (copies, parses): give it back.
      if (result.stored.size() >= 1000)
        ::malloc_trim(0);
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
      st.log->log(took.count() >= 1000 ? spdlog::level::info : spdlog::level::debug,
                  "a scan of {} files applied in {} ms: {} workflows active, {} writes",
                  scan->size(), took.count(), st.defs->workflow_count(), result.stored.size());
    },
    [self](atom::files) { return self->state.defs->files(); },
    [self](atom::get, const std::string& name) -> caf::result<workflow_ptr, workflow_record> {
      auto* e = self->state.defs->find(name);
      if (e == nullptr)
        return make_caf_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
      return {e->wf, *e->record};
    },
    [self](atom::workflows) { return self->state.defs->workflows(); },
    [self](atom::workflows, bool all) {
      return all ? self->state.defs->known_workflows() : self->state.defs->workflows();
    },
    [self](atom::workflows, const workflow_filter& filter, std::uint64_t offset,
           std::uint64_t limit) { return self->state.defs->page(filter, offset, limit); },
    [self](atom::downstream, const std::string& name) {
      std::vector<const workflow*> all;
      for (const auto& r : self->state.defs->workflows())
        if (const auto* e = self->state.defs->find(r.name))
          all.push_back(e->wf.get());
      return downstream_channels(name, all);
    },
    [self](atom::status) -> status_map {
      const auto& defs = *self->state.defs;
      return {{"workflows", std::to_string(defs.workflow_count())},
              {"files", std::to_string(defs.file_count())},
              {"files_loaded", std::to_string(defs.files_loaded())}};
    },
  };
}

} // namespace cafflow
