#include "xml_watcher.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <malloc.h>
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

void arm(xml_watcher_ptr self, xml_watcher_state::clock::time_point due);

/// The db links, file links and alert channels, each file read once per
/// scan; a change of one invalidates every parse.
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
  // Each file read once: what is checked against is what the hash says.
  if (!st.cfg.file_links.empty()) {
    auto file_links_text = read_file(st.cfg.file_links);
    auto file_links = file_links_of(file_links_text, st.cfg.file_links);
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
    auto alerts_text = read_file(st.cfg.alerts);
    auto channels = alert_channels_of(alerts_text, st.cfg.alerts);
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

/// A stamp is trusted when the file's last change was this long before the
/// scan began: a change within the file system's timestamp granularity (a
/// clock tick) after the stat could leave the same stamp on new content.
constexpr std::int64_t stamp_margin_ns = 2'000'000'000;

/// With inotify on, the full rescan is a safety net: it is spaced at least
/// this many times its own duration apart (at most ~0.25 % of a core on a
/// tree of 100 000 files, whose rescan takes about a second), however short
/// master.rescan_interval_s.
constexpr int rescan_spacing = 400;

/// After a scan that parsed at least this many files, freed memory goes
/// back to the system (the parse of a large tree leaves much of it free).
constexpr std::size_t trim_after_parsed = 1000;

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void finish_scan(xml_watcher_ptr self);
void scan_batch(xml_watcher_ptr self);

/// Begins a scan: walks the directory, then reads and parses its files a
/// batch at a time (scan_batch), then hands the result to the registry
/// (finish_scan). A scan asked for meanwhile follows this one.
void scan(xml_watcher_ptr self) {
  auto& st = self->state;
  if (st.job) {
    st.scan_again = true;
    return;
  }
  auto job = std::make_unique<xml_scan_job>();
  job->started = xml_watcher_state::clock::now();
  job->started_ns = wall_ns();
  job->opts = load_options(self);
  job->tree = scan_directory(st.cfg.directory, ".xml");
  auto& problems = job->problems;
  auto report = [&](const std::string& path, const std::string& message) {
    problems[path] = message;
    if (auto it = st.problems.find(path); it == st.problems.end() || it->second != message)
      st.log->error("{}: {}", escape_invalid_utf8(path), message);
  };
  if (!job->tree.root_readable) {
    // Nothing can be told about any file: everything stays as it was.
    for (const auto& p : job->tree.problems)
      report(p.path, p.message);
    st.problems = std::move(problems);
    return;
  }
  auto& seen = job->seen;
  auto last_of = [&](const std::string& path) -> const scanned_file* {
    auto it = st.files.find(path);
    return it == st.files.end() ? nullptr : &it->second;
  };
  std::vector<std::string> unreadable_dirs;
  for (const auto& p : job->tree.problems) {
    report(p.path, p.message);
    seen.emplace(p.path, error_entry(p.path, last_of(p.path), p.directory, p.message));
    if (p.directory && starts_with(p.message, "cannot read"))
      unreadable_dirs.push_back(p.path);
  }
  // What was under a directory that cannot be read now is not gone: it
  // stays as last read, in the error state.
  if (!unreadable_dirs.empty())
    for (const auto& [path, last] : st.files)
      for (const auto& dir : unreadable_dirs)
        if (is_under(path, dir) && seen.count(path) == 0)
          seen.emplace(path, error_entry(path, &last, last.kind == "directory",
                                         "cannot read its directory " + dir));
  st.job = std::move(job);
  scan_batch(self);
}

/// Reads and parses files of the scan under way for at most the batch time,
/// then lets the messages that came meanwhile in before it goes on.
void scan_batch(xml_watcher_ptr self) {
  auto& st = self->state;
  auto& job = *st.job;
  auto& seen = job.seen;
  auto until = xml_watcher_state::clock::now() + st.cfg.batch_time;
  const auto& files = job.tree.files;
  const auto& stamps = job.tree.stamps;
  for (std::size_t k = 0; job.next < files.size(); ++k) {
    if (k % 16 == 15 && xml_watcher_state::clock::now() >= until) {
      self->send(self, atom::load::value);
      return;
    }
    auto i = job.next++;
    const auto& file = files[i];
    auto previous = st.files.find(file);
    if (i < stamps.size() && previous != st.files.end() && previous->second.status.empty()) {
      // Not read again while stat says it did not change.
      auto stamp = st.stamps.find(file);
      if (stamp != st.stamps.end() && stamp->second == stamps[i]) {
        job.stamps.emplace(file, stamp->second);
        seen.emplace(file, std::move(previous->second));
        continue;
      }
    }
    auto content = read_file(file, st.cfg.max_xml_bytes);
    if (!content) {
      auto message = content.error().code == ec::invalid_argument
                       ? content.error().message + " (master.max_xml_bytes): not read, not loaded"
                       : content.error().message;
      job.problems[file] = message;
      if (auto it = st.problems.find(file); it == st.problems.end() || it->second != message)
        st.log->error("{}: {}", escape_invalid_utf8(file), message);
      seen.emplace(file, error_entry(file, previous == st.files.end() ? nullptr : &previous->second,
                                     false, message));
      continue;
    }
    if (i < stamps.size() && stamps[i].ctime_ns < job.started_ns - stamp_margin_ns)
      job.stamps.emplace(file, stamps[i]);
    auto hash = content_hash(*content);
    if (previous != st.files.end() && previous->second.status.empty()
        && previous->second.hash == hash) {
      seen.emplace(file, std::move(previous->second));
      continue;
    }
    job.changed = true;
    ++job.parsed;
    auto parsed = parse_definition(*content, file, job.opts);
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
  finish_scan(self);
}

/// Every file is read: keeps the result, and hands it to the registry when
/// something changed.
void finish_scan(xml_watcher_ptr self) {
  auto& st = self->state;
  auto job = std::move(st.job);
  auto& problems = job->problems;
  auto& seen = job->seen;
  auto changed = job->changed;
  for (const auto& [path, message] : st.problems)
    if (problems.count(path) == 0)
      st.log->info("{}: no longer {}", escape_invalid_utf8(path),
                   starts_with(message, "cannot") ? "unreadable" : "refused");
  // A problem that appeared, went or changed is a change too. (Files taken
  // over from the last scan were moved out of st.files: count, don't look.)
  changed = changed || problems != st.problems || seen.size() != st.files.size();
  if (!changed)
    for (const auto& [path, f] : seen)
      if (st.files.count(path) == 0) {
        changed = true;
        break;
      }
  st.problems = std::move(problems);
  st.files = std::move(seen);
  st.stamps = std::move(job->stamps);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    xml_watcher_state::clock::now() - job->started);
  if (changed) {
    auto snapshot = std::make_shared<std::vector<scanned_file>>();
    snapshot->reserve(st.files.size());
    for (const auto& [path, f] : st.files)
      snapshot->push_back(f);
    self->send(st.cfg.registry, atom::load::value, scan_ptr{std::move(snapshot)});
    st.log->debug("scanned {} files of {} in {} ms: changes go to the registry",
                  st.files.size(), st.cfg.directory, took.count());
  }
  if (job->parsed >= trim_after_parsed)
    ::malloc_trim(0);
  if (st.watch) {
    auto spaced = xml_watcher_state::clock::now() + took * rescan_spacing;
    if (spaced > st.rescan_due) {
      st.rescan_due = spaced;
      st.log->debug("a rescan of {} files took {} ms: the next one in {} s", st.files.size(),
                    took.count(), std::chrono::duration_cast<std::chrono::seconds>(
                                    spaced - xml_watcher_state::clock::now())
                                    .count());
    }
  }
  if (st.scan_again) {
    st.scan_again = false;
    if (!st.change_due) {
      st.change_due = xml_watcher_state::clock::now() + st.cfg.debounce;
      arm(self, *st.change_due);
    }
  }
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
    // Before the scan, which may space the next one further (finish_scan).
    st.rescan_due = xml_watcher_state::clock::now() + st.cfg.rescan_interval;
    scan(self);
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
    [self](atom::load) {
      if (self->state.job)
        scan_batch(self);
    },
    [self](atom::status) -> status_map {
      auto& st = self->state;
      return {{"files", std::to_string(st.files.size())},
              {"scanning", st.job ? "yes" : "no"},
              {"directory", st.cfg.directory},
              {"inotify", st.watch ? "on" : "off"}};
    },
  };
}

} // namespace cafflow
