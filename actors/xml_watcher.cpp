#include "xml_watcher.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <pthread.h>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "log.hpp"
#include "util/dir_scan.hpp"
#include "util/files.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"
#include "alert/channels.hpp"
#include "xml/db_links.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

using xml_watcher_ptr = xml_watcher_actor::stateful_pointer<xml_watcher_state>;

/// The db-link names, re-read on every scan; a change invalidates every parse.
parse_options load_options(xml_watcher_ptr self) {
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
  opts.db_link_types = links.types();
  opts.pools = st.cfg.pools;
  if (!st.cfg.file_links.empty()) {
    auto file_links = load_file_links(st.cfg.file_links);
    auto file_links_text = read_file(st.cfg.file_links);
    auto file_links_hash = file_links_text ? content_hash(*file_links_text) : std::string{};
    if (file_links_hash != st.file_links_hash) {
      st.file_links_hash = file_links_hash;
      st.files.clear();
      for (const auto& d : file_links.diagnostics)
        st.log->warn("{}", d.to_string());
    }
    opts.file_links = std::move(file_links);
  }
  if (!st.cfg.alerts.empty()) {
    auto channels = load_alert_channels(st.cfg.alerts);
    auto alerts_text = read_file(st.cfg.alerts);
    auto alerts_hash = alerts_text ? content_hash(*alerts_text) : std::string{};
    if (alerts_hash != st.alerts_hash) {
      st.alerts_hash = alerts_hash;
      st.files.clear();
      for (const auto& d : channels.diagnostics)
        st.log->warn("{}", d.to_string());
    }
    opts.alert_channels = channels.names();
  }
  return opts;
}

/// A file or directory of the tree in the error state: `message` says why;
/// what was last read from it (`last`, when there is one) stays active.
scanned_file error_entry(const std::string& path, const scanned_file* last, bool directory,
                         const std::string& message) {
  scanned_file f;
  if (last != nullptr)
    f = *last; // its definition stays what it was
  f.path = path;
  f.status = "error";
  if (directory)
    f.kind = "directory";
  auto text = message;
  if (f.wf || f.coordinator)
    text += "; the version last read from it stays active";
  f.diagnostics.assign(1, diagnostic{diagnostic::severity::error, path, {1, 1}, text});
  return f;
}

bool is_under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0
         && path[dir.size()] == '/';
}

void scan(xml_watcher_ptr self) {
  auto& st = self->state;
  auto opts = load_options(self);
  auto tree = scan_directory(st.cfg.directory, ".xml");
  std::map<std::string, std::string> problems;
  auto report = [&](const std::string& path, const std::string& message) {
    problems[path] = message;
    if (auto it = st.problems.find(path); it == st.problems.end() || it->second != message)
      st.log->error("{}: {}", escape_invalid_utf8(path), message);
  };
  if (!tree.root_readable) {
    // Nothing can be told about any file: everything stays as it was.
    for (const auto& p : tree.problems)
      report(p.path, p.message);
    st.problems = std::move(problems);
    return;
  }
  std::map<std::string, scanned_file> seen;
  bool changed = false;
  auto last_of = [&](const std::string& path) -> const scanned_file* {
    auto it = st.files.find(path);
    return it == st.files.end() ? nullptr : &it->second;
  };
  std::vector<std::string> unreadable_dirs;
  for (const auto& p : tree.problems) {
    report(p.path, p.message);
    seen.emplace(p.path, error_entry(p.path, last_of(p.path), p.directory, p.message));
    if (p.directory && starts_with(p.message, "cannot read"))
      unreadable_dirs.push_back(p.path);
  }
  // What was under a directory that cannot be read now is not gone: it
  // stays as last read, in the error state.
  for (const auto& [path, last] : st.files)
    for (const auto& dir : unreadable_dirs)
      if (is_under(path, dir) && seen.count(path) == 0)
        seen.emplace(path, error_entry(path, &last, last.kind == "directory",
                                       "cannot read its directory " + dir));
  for (const auto& file : tree.files) {
    auto content = read_file(file, st.cfg.max_xml_bytes);
    if (!content) {
      auto message = content.error().code == ec::invalid_argument
                       ? content.error().message + " (master.max_xml_bytes): not read, not loaded"
                       : content.error().message;
      report(file, message);
      seen.emplace(file, error_entry(file, last_of(file), false, message));
      continue;
    }
    auto hash = content_hash(*content);
    if (auto previous = st.files.find(file); previous != st.files.end()
                                             && previous->second.status.empty()
                                             && previous->second.hash == hash) {
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
    if (st.cfg.alerter && has_errors(f.diagnostics)) {
      alert_event e;
      e.at = now_ms();
      e.key = "xml_invalid:" + file + ":" + hash;
      e.kind = "xml_invalid";
      e.severity = "warning";
      e.workflow = f.declared_name;
      e.title = "xmlconfig file " + file + " is invalid"
                + (f.declared_name.empty() ? "" : " (" + f.declared_name + ")");
      for (const auto& d : f.diagnostics)
        if (d.level == diagnostic::severity::error)
          e.message += d.to_string() + "\n";
      self->send(st.cfg.alerter, atom::alert::value, std::move(e));
    }
    seen.emplace(file, std::move(f));
  }
  for (const auto& [path, message] : st.problems)
    if (problems.count(path) == 0)
      st.log->info("{}: no longer {}", escape_invalid_utf8(path),
                   starts_with(message, "cannot") ? "unreadable" : "refused");
  // A problem that appeared, went or changed is a change too.
  changed = changed || problems != st.problems || seen.size() != st.files.size();
  for (const auto& [path, f] : seen)
    changed = changed || st.files.count(path) == 0;
  st.problems = std::move(problems);
  st.files = std::move(seen);
  if (!changed)
    return;
  auto snapshot = std::make_shared<std::vector<scanned_file>>();
  for (const auto& [path, f] : st.files)
    snapshot->push_back(f);
  self->send(st.cfg.registry, atom::load::value, scan_ptr{std::move(snapshot)});
}

/// Makes sure a timer message (`scan` to self) arrives by `due`.
void arm(xml_watcher_ptr self, xml_watcher_state::clock::time_point due) {
  auto& st = self->state;
  if (!st.timers.empty() && *st.timers.begin() <= due)
    return;
  st.timers.insert(due);
  auto delay = std::max(due - xml_watcher_state::clock::now(),
                        xml_watcher_state::clock::duration::zero());
  self->delayed_send(self, delay, atom::scan::value);
}

/// A timer fired: scan when the rescan or a change's scan is due, then wait
/// for whichever comes next. Timers that turn out early only re-arm.
void on_timer(xml_watcher_ptr self) {
  auto& st = self->state;
  if (!st.timers.empty())
    st.timers.erase(st.timers.begin());
  auto now = xml_watcher_state::clock::now();
  if (now >= st.rescan_due || (st.change_due && now >= *st.change_due)) {
    if (st.change_due)
      st.log->debug("scanning {} after a change", st.cfg.directory);
    st.change_due.reset();
    scan(self);
    st.rescan_due = xml_watcher_state::clock::now() + st.cfg.rescan_interval;
  }
  arm(self, st.change_due ? std::min(*st.change_due, st.rescan_due) : st.rescan_due);
}

/// inotify reported a change: scan after the debounce delay, once for every
/// notice that arrives before that scan.
void on_change(xml_watcher_ptr self) {
  auto& st = self->state;
  if (st.change_due)
    return;
  st.change_due = xml_watcher_state::clock::now() + st.cfg.debounce;
  arm(self, *st.change_due);
}

void log_problems(const std::shared_ptr<spdlog::logger>& log, dir_watch& watch,
                  std::chrono::seconds rescan_interval) {
  for (const auto& problem : watch.take_problems())
    log->warn("{}; the rescan every {}s covers it", problem, rescan_interval.count());
}

/// The waiter thread: sleeps until inotify reports a change under the
/// directory and tells the actor, until the state stops the watch. Holds the
/// actor only weakly, so it never keeps it alive.
void wait_for_changes(dir_watch* watch, caf::actor_addr actor,
                      std::shared_ptr<spdlog::logger> log, std::chrono::seconds rescan_interval) {
  pthread_setname_np(pthread_self(), "xml_watcher");
  for (;;) {
    auto woke = watch->wait();
    log_problems(log, *watch, rescan_interval);
    if (!woke) {
      log->warn("{}; from now on only the rescan every {}s notices changes",
                woke.error().message, rescan_interval.count());
      return;
    }
    if (*woke == dir_watch::wake::stopped)
      return;
    if (*woke != dir_watch::wake::changed)
      continue;
    auto hdl = caf::actor_cast<xml_watcher_actor>(actor);
    if (!hdl)
      return;
    caf::anon_send(hdl, atom::scan::value);
  }
}

} // namespace

xml_watcher_state::~xml_watcher_state() {
  // stop() wakes the waiter at once, wherever it is in wait().
  if (watch)
    watch->stop();
  if (waiter.joinable())
    waiter.join();
}

xml_watcher_actor::behavior_type
xml_watcher(xml_watcher_actor::stateful_pointer<xml_watcher_state> self, xml_watcher_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.log = log::get("xml_watcher");
  // Watch before the first scan, so that no change falls between the two.
  if (auto watch = dir_watch::open(st.cfg.directory, ".xml")) {
    st.watch = std::make_unique<dir_watch>(std::move(*watch));
    log_problems(st.log, *st.watch, st.cfg.rescan_interval);
    st.log->debug("inotify watches {} directories under {}", st.watch->directories(),
                  st.cfg.directory);
  } else {
    st.log->warn("{}; only the rescan every {}s notices changes", watch.error().message,
                 st.cfg.rescan_interval.count());
  }
  // The first scan happens before anything can ask for workflows.
  scan(self);
  if (st.watch) {
    try {
      st.waiter = std::thread(wait_for_changes, st.watch.get(), self->address(), st.log,
                              st.cfg.rescan_interval);
    } catch (const std::system_error& e) {
      st.log->warn("cannot start a thread to watch {}: {}; only the rescan every {}s notices "
                   "changes", st.cfg.directory, e.what(), st.cfg.rescan_interval.count());
      st.watch.reset();
    }
  }
  st.rescan_due = xml_watcher_state::clock::now() + st.cfg.rescan_interval;
  arm(self, st.rescan_due);
  return {
    [self](atom::scan) {
      // Timers come from this actor; change notices from the waiter thread.
      if (self->current_sender() == self->ctrl())
        on_timer(self);
      else
        on_change(self);
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"files", std::to_string(st.files.size())},
              {"directory", st.cfg.directory},
              {"inotify", st.watch ? "on" : "off"}};
    },
  };
}

} // namespace cafflow
