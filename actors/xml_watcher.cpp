#include "xml_watcher.hpp"

#include <filesystem>

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"
#include "util/files.hpp"
#include "util/hash.hpp"
#include "xml/db_links.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

using self_ptr = xml_watcher_actor::stateful_pointer<xml_watcher_state>;

/// The db-link names, re-read on every scan; a change invalidates every parse.
parse_options load_options(self_ptr self) {
  auto& st = self->state;
  parse_options opts;
  auto text = read_file(st.cfg.db_links);
  auto hash = text ? content_hash(*text) : std::string{};
  auto links = text ? parse_db_links(*text, st.cfg.db_links) : db_links_result{};
  if (hash != st.db_links_hash) {
    st.db_links_hash = hash;
    st.files.clear();
    for (const auto& d : links.diagnostics)
      st.log->warn("{}", d.to_string());
    st.log->info("{} db links from {}", links.links.size(), st.cfg.db_links);
  }
  opts.db_links = links.names();
  return opts;
}

void scan(self_ptr self) {
  auto& st = self->state;
  auto opts = load_options(self);
  std::map<std::string, scanned_file> seen;
  bool changed = false;
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
    auto hash = content_hash(*content);
    if (auto previous = st.files.find(file);
        previous != st.files.end() && previous->second.hash == hash) {
      seen.emplace(file, std::move(previous->second));
      continue;
    }
    changed = true;
    auto parsed = parse_definition(*content, file, opts);
    scanned_file f;
    f.path = file;
    f.hash = hash;
    f.xml = std::move(*content);
    f.kind = parsed.kind;
    f.declared_name = parsed.declared_name;
    if (parsed.wf)
      f.wf = std::make_shared<const workflow>(std::move(*parsed.wf));
    if (parsed.coordinator)
      f.coordinator = std::make_shared<const standalone_coordinator>(std::move(*parsed.coordinator));
    f.diagnostics = std::move(parsed.diagnostics);
    seen.emplace(file, std::move(f));
  }
  changed = changed || seen.size() != st.files.size();
  st.files = std::move(seen);
  if (!changed)
    return;
  auto snapshot = std::make_shared<std::vector<scanned_file>>();
  for (const auto& [path, f] : st.files)
    snapshot->push_back(f);
  self->send(st.cfg.registry, atom::load::value, scan_ptr{std::move(snapshot)});
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
      return {{"files", std::to_string(self->state.files.size())},
              {"directory", self->state.cfg.directory}};
    },
  };
}

} // namespace cafflow
