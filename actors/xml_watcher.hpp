// xml_watcher: scans the xmlconfig directory (recursively, *.xml) at start,
// shortly after inotify reports a change under it, and every rescan interval
// as a safety net; parses new and changed files, and hands every scan that
// changed something to the registry.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "actors.hpp"
#include "defaults.hpp"
#include "util/dir_scan.hpp"
#include "util/dir_watch.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

struct xml_watcher_config {
  std::string directory;
  /// conf/db_links.xml: the db-link names files may use.
  std::string db_links;
  /// conf/file_links.xml: the file links file-link may name ("" = not checked).
  std::string file_links;
  std::chrono::seconds rescan_interval{2};
  registry_actor registry;
  /// Delay between the first change inotify reports and the scan: one scan
  /// for a burst of events (an editor writing a temp file and renaming it).
  std::chrono::milliseconds debounce{100};
  /// Larger files are refused without being read (master.max_xml_bytes).
  std::size_t max_xml_bytes = defaults::master::max_xml_bytes;
  /// How long the watcher reads and parses files before it answers the
  /// messages that came meanwhile and goes on.
  std::chrono::milliseconds batch_time{50};
  /// The pools of the config's [pools]: an action may name only these.
  std::set<std::string> pools{};
  /// conf/alerts.xml: the alert channels alert-to may name ("" = not checked).
  std::string alerts;
  /// Hears of files that became invalid (null = alerts off).
  alerter_actor alerter;
};

/// A scan under way: the files are read and parsed a batch at a time, so
/// that the watcher answers (status, exit) between two batches.
struct xml_scan_job {
  parse_options opts;
  dir_scan tree;
  /// Index of the next file of `tree` to look at.
  std::size_t next = 0;
  /// Every file and problem of this scan so far, by path.
  std::map<std::string, scanned_file> seen;
  std::map<std::string, std::string> problems;
  /// The stamps of the files read in this scan that can be trusted.
  std::map<std::string, file_stamp> stamps;
  bool changed = false;
  /// Files read and parsed (not taken over from the last scan).
  std::size_t parsed = 0;
  /// Wall clock at the start (ns since 1970), before the directory was walked.
  std::int64_t started_ns = 0;
  std::chrono::steady_clock::time_point started;
};

struct xml_watcher_state {
  static constexpr const char* name = "xml_watcher";

  xml_watcher_config cfg;
  /// The last parse of every file, by path (reused while its hash is the same).
  std::map<std::string, scanned_file> files;
  /// The stat of the files of `files` as they were read, when it can tell
  /// that a file did not change since: a rescan reads only the others
  /// (a stamp is trusted only when the file's ctime was well before the scan
  /// began, as the file system's clock is coarse).
  std::map<std::string, file_stamp> stamps;
  /// The scan under way, if any.
  std::unique_ptr<xml_scan_job> job;
  /// A scan was asked for while one was under way: another one follows it.
  bool scan_again = false;
  /// Content hash of db_links.xml: when it changes every file is checked again.
  std::string db_links_hash;
  /// Content hash of alerts.xml, likewise.
  std::string alerts_hash;
  /// Content hash of file_links.xml, likewise.
  std::string file_links_hash;
  /// The problems of the last scan (unreadable, too large, loops), by path:
  /// each is logged when it appears, not on every scan.
  std::map<std::string, std::string> problems;
  std::shared_ptr<spdlog::logger> log;

  using clock = std::chrono::steady_clock;
  /// When the next full rescan is due; every scan moves it on.
  clock::time_point rescan_due;
  /// When the scan for a change inotify reported is due; empty while none is.
  std::optional<clock::time_point> change_due;
  /// When each timer message (`scan` to self) still on its way is due.
  std::multiset<clock::time_point> timers;
  /// inotify on the directory; null when it could not be set up.
  std::unique_ptr<dir_watch> watch;
  /// Sleeps on `watch` and sends the actor an anonymous `scan` after each
  /// change; woken through watch->stop() and joined when the state goes.
  std::thread waiter;

  xml_watcher_state() = default;
  xml_watcher_state(const xml_watcher_state&) = delete;
  xml_watcher_state& operator=(const xml_watcher_state&) = delete;
  ~xml_watcher_state();
};

xml_watcher_actor::behavior_type
xml_watcher(xml_watcher_actor::stateful_pointer<xml_watcher_state> self, xml_watcher_config cfg);

} // namespace cafflow
