#include "cli/tools.hpp"


#include <algorithm>
#include <cerrno>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <cstring>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>

#include "cli/cli.hpp"
#include "actions/exec.hpp"
#include "alert/alert.hpp"
#include "alert/channels.hpp"
#include "config/config.hpp"
#include "exec/child.hpp"
#include "exec/task.hpp"
#include "engine/catalog.hpp"
#include "http/json.hpp"
#include "expr/expand.hpp"
#include "schedule/cron.hpp"
#include "store/backup.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"
#include "util/files.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/tz.hpp"
#include "xml/db_links.hpp"
#include "xml/file_links.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow {

namespace fs = std::filesystem;

namespace {

/// The files named on the command line; directories expand to their *.xml.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::ostream& out,
                                      bool& failed) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code err;
    if (fs::is_directory(path, err)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(path, err), end; !err && it != end;
           it.increment(err))
        if (it->is_regular_file() && it->path().extension() == ".xml")
          found.push_back(it->path().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, err)) {
      files.push_back(path);
    } else {
      out << path << ":1:1: error: no such file or directory\n";
      failed = true;
    }
  }
  return files;
}

/// The zone named, or the machine's; reports an unknown one.
const date::time_zone* zone_or_report(const std::string& name, std::ostream& err) {
  auto zone = find_time_zone(name);
  if (!zone) {
    err << "cafflow: " << zone.error().message << '\n';
    return nullptr;
  }
  return *zone;
}

/// `text` as a time in `zone`, or now when empty.
std::optional<timestamp> time_or_now(const std::string& text, const date::time_zone& zone,
                                     const char* option, std::ostream& err) {
  if (text.empty())
    return now_ms();
  auto t = parse_local_time(text, zone);
  if (!t) {
    err << "cafflow: " << option << ": " << t.error().message << '\n';
    return std::nullopt;
  }
  return *t;
}

/// "FILE:LINE:COL: level: message" as a JSON object; nothing for the "ok"
/// lines of --verbose.
std::optional<json> parse_diagnostic_line(const std::string& line) {
  for (const char* level : {": error: ", ": warning: ", ": note: "}) {
    auto at = line.find(level);
    if (at == std::string::npos)
      continue;
    auto head = line.substr(0, at);
    auto col_at = head.rfind(':');
    auto line_at = col_at == std::string::npos ? col_at : head.rfind(':', col_at - 1);
    long long line_no = 0, column = 0;
    if (line_at == std::string::npos
        || !parse_int(head.substr(line_at + 1, col_at - line_at - 1), line_no)
        || !parse_int(head.substr(col_at + 1), column))
      return json{{"file", head}, {"line", 0}, {"column", 0},
                  {"level", std::string(level + 2, std::strlen(level) - 4)},
                  {"message", line.substr(at + std::strlen(level))}};
    return json{{"file", head.substr(0, line_at)}, {"line", line_no}, {"column", column},
                {"level", std::string(level + 2, std::strlen(level) - 4)},
                {"message", line.substr(at + std::strlen(level))}};
  }
  return std::nullopt;
}

} // namespace

int check_files(const std::vector<std::string>& paths, const std::string& db_links_path,
                bool verbose, std::ostream& text_out, const std::string& file_links_path,
                const std::set<std::string>& pools, bool json_output) {
  // Text lines go to `lines` and are printed (or turned into JSON) at the end.
  std::ostringstream lines;
  std::ostream& out = lines;
  json files_json = json::array();
  bool failed = false;
  auto files = expand_paths(paths, out, failed);
  auto links = load_db_links(db_links_path);
  for (const auto& d : links.diagnostics) {
    out << d.to_string() << '\n';
    failed = failed || d.level == diagnostic::severity::error;
  }
  parse_options opts;
  if (!file_links_path.empty()) {
    opts.file_links = load_file_links(file_links_path);
    for (const auto& d : opts.file_links->diagnostics) {
      out << d.to_string() << '\n';
      failed = failed || d.level == diagnostic::severity::error;
    }
  }
  opts.db_links = links.names();
  opts.db_link_types = links.types();
  opts.pools = pools;
  // The catalog adds what only shows across files: conflicts, cycles.
  std::vector<scanned_file> scan;
  for (const auto& path : files) {
    scanned_file f;
    f.path = path;
    auto text = read_file(path);
    if (!text) {
      out << path << ":1:1: error: " << text.error().message << '\n';
      failed = true;
      continue;
    }
    f.hash = content_hash(*text);
    auto parsed = parse_definition(*text, path, opts);
    f.kind = parsed.kind;
    f.declared_name = parsed.declared_name;
    if (parsed.wf)
      f.wf = std::make_shared<const workflow>(std::move(*parsed.wf));
    if (parsed.coordinator)
      f.coordinator =
        std::make_shared<const standalone_coordinator>(std::move(*parsed.coordinator));
    f.diagnostics = std::move(parsed.diagnostics);
    scan.push_back(std::move(f));
  }
  catalog defs;
  defs.apply(scan, now_ms());
  for (const auto& file : defs.files()) {
    for (const auto& d : file.diagnostics) {
      out << file.path << ':' << d.line << ':' << d.column << ": " << d.level << ": " << d.message
          << '\n';
      failed = failed || d.level == "error";
    }
    if (verbose && file.status == "loaded")
      out << file.path << ": ok (" << file.kind << " " << file.name << ")\n";
    files_json.push_back(
      {{"file", file.path}, {"status", file.status}, {"kind", file.kind}, {"name", file.name}});
  }
  if (!json_output) {
    text_out << lines.str();
    return failed ? 1 : 0;
  }
  // The same diagnostics, parsed back from their FILE:LINE:COL: level: text form.
  json diagnostics = json::array();
  std::istringstream in(lines.str());
  for (std::string line; std::getline(in, line);) {
    auto parsed = parse_diagnostic_line(line);
    if (parsed)
      diagnostics.push_back(std::move(*parsed));
  }
  text_out << json{{"ok", !failed}, {"files", files_json}, {"diagnostics", diagnostics}}.dump(2)
           << '\n';
  return failed ? 1 : 0;
}

int cron_next(const std::string& expr, const std::string& from, const std::string& zone_name,
              int count, std::ostream& out, std::ostream& err, bool json_output) {
  json times = json::array(), local = json::array();
  auto cron = cron_expr::parse(expr);
  if (!cron) {
    err << "cafflow: " << cron.error().message << '\n';
    return 1;
  }
  if (!cron->note().empty())
    err << "cafflow: warning: " << cron->note() << '\n';
  auto zone = zone_or_report(zone_name, err);
  if (zone == nullptr)
    return 1;
  auto t = time_or_now(from, *zone, "--from", err);
  if (!t)
    return 1;
  for (int i = 0; i < count; ++i) {
    auto next = cron->next(*t, *zone);
    if (!next) {
      if (i == 0) {
        err << "cafflow: cron '" << expr << "' never fires\n";
        return 1;
      }
      break;
    }
    if (json_output) {
      times.push_back(to_iso8601(*next));
      local.push_back(format_local_time(*next, *zone));
    } else {
      out << format_local_time(*next, *zone) << '\n';
    }
    t = *next;
  }
  if (json_output)
    out << json{{"cron", expr}, {"timezone", zone->name()}, {"times", times}, {"local", local}}
             .dump(2)
        << '\n';
  return 0;
}

int expr_eval(const std::string& text, const std::string& logical_time,
              const std::string& zone_name, const std::vector<std::string>& params,
              bool keep_undefined, std::ostream& out, std::ostream& err, bool json_output) {
  auto zone = zone_or_report(zone_name, err);
  if (zone == nullptr)
    return 1;
  auto t = time_or_now(logical_time, *zone, "--logical-time", err);
  if (!t)
    return 1;
  param_map values;
  for (const auto& item : params) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "cafflow: -p expects NAME=VALUE, got '" << item << "'\n";
      return 1;
    }
    values[item.substr(0, eq)] = item.substr(eq + 1);
  }
  expand_context ctx;
  ctx.logical_time = *t;
  ctx.zone = zone;
  ctx.params = &values;
  ctx.keep_undefined = keep_undefined;
  auto expanded = expand(text, ctx);
  if (!expanded) {
    err << "cafflow: " << expanded.error().message << '\n';
    return 1;
  }
  if (json_output)
    out << json{{"text", text},
                {"result", *expanded},
                {"logical_time", to_iso8601(*t)},
                {"timezone", zone->name()}}
             .dump(2)
        << '\n';
  else
    out << *expanded << '\n';
  return 0;
}

int store_copy(const std::string& from_url, const std::string& to_url, const std::string& home,
               int busy_timeout_ms, std::ostream& out, std::ostream& err) {
  auto open = [&](const std::string& url, const char* which) -> expected<std::unique_ptr<store>> {
    auto parsed = parse_store_url(url, home);
    if (!parsed)
      return make_error(parsed.error().code, std::string(which) + ": " + parsed.error().message);
    auto db = open_store(*parsed, busy_timeout_ms);
    if (!db)
      return db.error();
    if (auto migrated = (*db)->migrate(); !migrated)
      return migrated.error();
    return db;
  };
  if (from_url == to_url) {
    err << "cafflow: --to names the store it copies from: " << to_url << '\n';
    return exit_code::usage;
  }
  auto from = open(from_url, "the source store");
  if (!from) {
    err << "cafflow: " << from.error().message << '\n';
    return exit_code::failed;
  }
  auto to = open(to_url, "the target store");
  if (!to) {
    err << "cafflow: " << to.error().message << '\n';
    return exit_code::failed;
  }
  auto copied = copy_store(**from, **to, [&](const std::string& line) {
    out << "copied " << line << '\n' << std::flush;
  });
  if (!copied) {
    err << "cafflow: " << copied.error().message << '\n';
    return exit_code::failed;
  }
  out << "done: " << copied->workflows << " workflows, " << copied->versions << " versions, "
      << copied->instances << " instances, " << copied->files << " xmlconfig files, "
      << copied->coordinators << " coordinator states, " << copied->fires << " fires, "
      << copied->dependencies << " dependencies, " << copied->backfills << " backfills\n";
  return exit_code::ok;
}

namespace {

/// The store at `url`, which must have this cafflow's schema (a master
/// migrates it; this command does not).
expected<std::unique_ptr<store>> open_current_store(const std::string& url,
                                                    const std::string& home,
                                                    int busy_timeout_ms) {
  auto parsed = parse_store_url(url, home);
  if (!parsed)
    return parsed.error();
  if (parsed->type == store_url::backend::sqlite && !fs::exists(parsed->path))
    return make_error(ec::store_error, "no store at " + parsed->path);
  auto db = open_store(*parsed, busy_timeout_ms);
  if (!db)
    return db.error();
  auto version = (*db)->schema_version();
  if (!version)
    return version.error();
  auto latest = migrations_for(parsed->type == store_url::backend::sqlite ? "sqlite" : "mysql")
                  .back()
                  .version;
  if (*version != latest)
    return make_error(ec::store_error,
                      "the store " + parsed->redacted() + " has schema version "
                        + std::to_string(*version) + ", this cafflow "
                        + std::to_string(latest)
                        + (*version < latest ? ": start the master once (it migrates the store)"
                                             : ": use the cafflow that wrote it"));
  return db;
}

} // namespace

int history_prune(const std::string& url, const std::string& home, int busy_timeout_ms,
                  timestamp before, int keep_versions, int batch, bool dry_run,
                  bool json_output, std::ostream& out, std::ostream& err) {
  auto db = open_current_store(url, home, busy_timeout_ms);
  if (!db) {
    err << "cafflow: " << db.error().message << '\n';
    return exit_code::failed;
  }
  prune_counts total;
  // A dry run counts everything in one go (it deletes nothing, so batches
  // would count the same rows again).
  int limit = dry_run ? std::numeric_limits<int>::max() : batch;
  for (;;) {
    auto pruned = (*db)->prune_instances(before, limit, dry_run);
    if (!pruned) {
      err << "cafflow: " << pruned.error().message << '\n';
      return exit_code::failed;
    }
    total.instances += pruned->instances;
    total.nodes += pruned->nodes;
    total.attempts += pruned->attempts;
    if (dry_run || pruned->instances < static_cast<std::size_t>(limit))
      break;
  }
  if (keep_versions > 0)
    for (;;) {
      auto pruned = (*db)->prune_versions(keep_versions, limit, dry_run);
      if (!pruned) {
        err << "cafflow: " << pruned.error().message << '\n';
        return exit_code::failed;
      }
      total.versions += pruned->versions;
      if (dry_run || pruned->versions < static_cast<std::size_t>(limit))
        break;
    }
  if (json_output) {
    out << json{{"dry_run", dry_run},
                {"before", to_iso8601(before)},
                {"instances", total.instances},
                {"nodes", total.nodes},
                {"attempts", total.attempts},
                {"versions", total.versions}}
             .dump(2)
        << '\n';
    return exit_code::ok;
  }
  out << (dry_run ? "would delete " : "deleted ") << total.instances
      << " instances that ended before " << to_iso8601(before) << " (" << total.nodes
      << " nodes, " << total.attempts << " attempts)";
  if (keep_versions > 0)
    out << " and " << total.versions << " workflow versions beyond the newest "
        << keep_versions << " of each workflow";
  out << (dry_run ? "; nothing was deleted (--dry-run)" : "") << '\n';
  return exit_code::ok;
}

int store_backup(const std::string& url, const std::string& home, const std::string& file,
                 bool force, bool json_output, std::ostream& out, std::ostream& err) {
  auto parsed = parse_store_url(url, home);
  if (!parsed) {
    err << "cafflow: " << parsed.error().message << '\n';
    return exit_code::config;
  }
  auto target = fs::absolute(file).string();
  if (parsed->type == store_url::backend::mysql) {
    err << "cafflow: store backup copies SQLite stores; back up " << parsed->redacted()
        << " with (docs/OPERATIONS.md, \"Retention and backup\"):\n  "
        << mysql_dump_command(*parsed) << " > " << target << '\n';
    return exit_code::failed;
  }
  auto copied = sqlite_backup(parsed->path, target, force, [&](const std::string& line) {
    if (!json_output)
      out << "copied " << line << '\n' << std::flush;
  });
  if (!copied) {
    err << "cafflow: " << copied.error().message << '\n';
    return copied.error().code == ec::invalid_argument ? exit_code::usage : exit_code::failed;
  }
  if (json_output)
    out << json{{"store", parsed->path},
                {"file", target},
                {"pages", copied->pages},
                {"bytes", copied->bytes},
                {"schema_version", copied->schema_version}}
             .dump(2)
        << '\n';
  else
    out << "backed up " << parsed->path << " to " << target << " (" << copied->bytes
        << " bytes, schema version " << copied->schema_version << ")\n";
  return exit_code::ok;
}

int store_restore(const std::string& url, const std::string& home, int busy_timeout_ms,
                  const std::string& file, std::ostream& out, std::ostream& err) {
  auto parsed = parse_store_url(url, home);
  if (!parsed) {
    err << "cafflow: " << parsed.error().message << '\n';
    return exit_code::config;
  }
  if (parsed->type == store_url::backend::mysql) {
    err << "cafflow: store restore replaces SQLite stores; load a mariadb-dump file into "
        << parsed->redacted() << " with the cluster stopped:\n  "
        << mysql_restore_command(*parsed) << " < " << fs::absolute(file).string() << '\n';
    return exit_code::failed;
  }
  // Never under a running master: it would keep writing into what it thinks
  // is its store.
  if (fs::exists(parsed->path)) {
    auto db = open_store(*parsed, busy_timeout_ms);
    if (!db) {
      err << "cafflow: " << db.error().message << '\n';
      return exit_code::failed;
    }
    auto lease = (*db)->read_lease();
    if (lease && !lease->holder.empty() && lease->expires_at > now_ms()) {
      err << "cafflow: the master at " << lease->holder << " holds the master lease of "
          << parsed->path << " (until " << to_iso8601(lease->expires_at)
          << "): stop the cluster first (sbin/stop-cluster)\n";
      return exit_code::failed;
    }
  }
  auto latest = migrations_for("sqlite").back().version;
  auto restored = sqlite_restore(fs::absolute(file).string(), parsed->path, latest);
  if (!restored) {
    err << "cafflow: " << restored.error().message << '\n';
    return exit_code::failed;
  }
  out << "restored " << parsed->path << " from " << fs::absolute(file).string() << " (schema version "
      << restored->schema_version
      << (restored->schema_version < latest ? "; the master migrates it at its next start" : "")
      << ")\n";
  return exit_code::ok;
}

int db_link_test(const std::string& path, const std::string& home, const std::string& name,
                 std::ostream& out, std::ostream& err) {
  // The drivers live in cafflow-exec (the CLI stays small and quick to start):
  // it connects, this prints what it said.
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    err << "cafflow: cannot create a pipe\n";
    return 1;
  }
  auto program = default_exec_program();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::execl(program.c_str(), program.c_str(), "db-link-test", name.c_str(), path.c_str(),
            home.c_str(), static_cast<char*>(nullptr));
    std::string why = "cafflow: cannot run " + program + "\n";
    (void) !::write(2, why.data(), why.size());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      output.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  (ok ? out : err) << output;
  return ok ? 0 : 1;
}

int db_link_list(const std::string& path, std::ostream& out, std::ostream& err,
                 bool json_output) {
  json list = json::array();
  auto links = load_db_links(path);
  bool failed = false;
  for (const auto& d : links.diagnostics) {
    err << d.to_string() << '\n';
    failed = failed || d.level == diagnostic::severity::error;
  }
  for (const auto& l : links.links) {
    std::string password = !l.password_env.empty()    ? "password from $" + l.password_env
                           : !l.password_file.empty() ? "password from " + l.password_file
                           : !l.password.empty()      ? "password in the file"
                                                      : "no password";
    if (json_output)
      list.push_back({{"name", l.name},
                      {"type", l.type},
                      {"url", l.jdbc_url},
                      {"user", l.username},
                      {"password", password}});
    else
      out << l.name << '\t' << l.type << '\t' << l.jdbc_url << '\t'
          << (l.username.empty() ? "-" : l.username) << '\t' << password << '\n';
  }
  if (json_output)
    out << json{{"links", list}}.dump(2) << '\n';
  return failed ? 1 : 0;
}

int alert_test(const config& cfg, const std::string& channel, bool json, std::ostream& out,
               std::ostream& err) {
  auto channels = load_alert_channels(cfg.paths.alerts);
  for (const auto& d : channels.diagnostics)
    err << d.to_string() << '\n';
  if (has_errors(channels.diagnostics))
    return exit_code::config;
  auto found = resolve_channel(channels, channel, cfg.mail.timeout_s);
  if (!found) {
    auto names = channels.names();
    err << "cafflow: unknown alert channel '" << channel << "' (channels of "
        << cfg.paths.alerts << ": "
        << (names.empty() ? std::string("none")
                          : join(std::vector<std::string>(names.begin(), names.end()), ", "))
        << "; or mail:ADDRESS)\n";
    return exit_code::usage;
  }
  alert_event e;
  e.at = now_ms();
  e.key = "test:" + std::to_string(e.at);
  e.kind = "test";
  e.severity = "info";
  e.title = "test alert of cluster '" + cfg.cluster.name + "' to channel " + channel;
  e.message = "sent by `cafflow alert test` from " + host_name() + "; nothing is wrong.";
  nlohmann::json request{{"channel", alert_channel_to_json(*found)},
                         {"events", nlohmann::json::array({alert_event_to_json(e)})},
                         {"base_url", cfg.alert.base_url},
                         {"site", site_to_json(make_task_site(cfg))}};
  auto done = run_child({default_exec_program(), "alert-send"}, request.dump(),
                        (found->timeout_s + 5) * 1000);
  if (!done) {
    err << "cafflow: " << done.error().message << '\n';
    return exit_code::failed;
  }
  auto text = trim(done->output);
  auto doc = nlohmann::json::parse(text.substr(text.rfind('\n') == std::string::npos
                                                 ? 0
                                                 : text.rfind('\n') + 1),
                                   nullptr, false);
  if (!doc.is_object()) {
    err << "cafflow: cafflow-exec alert-send ended with " << done->status.describe() << ": "
        << text << '\n';
    return exit_code::failed;
  }
  bool ok = doc.value("ok", false);
  if (json)
    out << nlohmann::json{{"channel", channel},
                          {"type", found->type},
                          {"ok", ok},
                          {"answer", doc.value("answer", std::string{})}}
             .dump(2)
        << '\n';
  else
    (ok ? out : err) << (ok ? "sent to " : "NOT sent to ") << channel << " (" << found->type
                     << "): " << doc.value("answer", std::string{}) << '\n';
  return ok ? exit_code::ok : exit_code::failed;
}

} // namespace cafflow
