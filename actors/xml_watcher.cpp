#include "xml_watcher.hpp"

#include <filesystem>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"
#include "util/files.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

using self_ptr = xml_watcher_actor::stateful_pointer<xml_watcher_state>;

void scan(self_ptr self) {
  auto& st = self->state;
  std::map<std::string, xml_watcher_state::file_entry> seen;
  std::error_code err;
  fs::recursive_directory_iterator it(st.cfg.directory,
                                      fs::directory_options::follow_directory_symlink, err);
  if (err) {
    st.log->error("cannot read {}: {}", st.cfg.directory, err.message());
    return;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(err)) {
    if (err)
      break;
    const auto& path = it->path();
    if (!it->is_regular_file(err) || path.extension() != ".xml")
      continue;
    auto file = path.string();
    auto content = read_file(file);
    if (!content) {
      st.log->error("{}", content.error().message);
      continue;
    }
    auto xml = std::move(*content);
    auto hash = content_hash(xml);
    auto previous = st.files.find(file);
    if (previous != st.files.end() && previous->second.hash == hash) {
      seen[file] = previous->second;
      continue;
    }
    auto parsed = parse_workflow(xml, file);
    for (const auto& d : parsed.diagnostics)
      if (d.level == diagnostic::severity::error)
        st.log->error("{}", d.to_string());
      else
        st.log->warn("{}", d.to_string());
    seen[file] = xml_watcher_state::file_entry{hash, parsed.wf.has_value()};
    if (parsed.wf)
      self->send(st.cfg.registry, atom::load::value,
                 workflow_ptr{std::make_shared<workflow>(std::move(*parsed.wf))}, file,
                 std::move(xml), hash);
    else
      st.log->error("{} not loaded: it has errors (see above)", file);
  }
  for (const auto& [file, entry] : st.files)
    if (seen.count(file) == 0) {
      st.log->info("{} was deleted", file);
      self->send(st.cfg.registry, atom::remove::value, file);
    }
  st.files = std::move(seen);
}

} // namespace

xml_watcher_actor::behavior_type
xml_watcher(xml_watcher_actor::stateful_pointer<xml_watcher_state> self, xml_watcher_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("xml_watcher");
  // The first scan happens before anything can ask for workflows.
  scan(self);
  self->delayed_send(self, st.cfg.rescan_interval, atom::scan::value);
  return {
    [self](atom::scan) {
      scan(self);
      self->delayed_send(self, self->state.cfg.rescan_interval, atom::scan::value);
    },
    [self](atom::status) -> status_map {
      int valid = 0;
      for (const auto& [file, entry] : self->state.files)
        valid += entry.valid ? 1 : 0;
      return {{"files", std::to_string(self->state.files.size())},
              {"valid", std::to_string(valid)}};
    },
  };
}

} // namespace cafflow
