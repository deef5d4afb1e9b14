// <file-monitor>: counts and sizes the files matching a pattern on the
// worker's file system (time expressions expanded by the master), or on HDFS
// through the worker's Hadoop client (`hdfs dfs -ls PATTERN`, an HDFS
// file-link, resolved in the worker's file_links.xml), lists what matched in
// the task log; with recheck-interval, looks again and fails when the files
// are still changing.
#include <glob.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "util/strings.hpp"
#include "xml/file_links.hpp"

namespace cafflow {

#ifdef CAFFLOW_EXEC

namespace {

/// Regular files matching `pattern`, with their sizes, sorted.
std::map<std::string, std::int64_t> matching(const std::string& pattern) {
  std::map<std::string, std::int64_t> files;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_BRACE, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st {};
      if (::stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
        files.emplace(g.gl_pathv[i], static_cast<std::int64_t>(st.st_size));
    }
  ::globfree(&g);
  return files;
}

/// akkaflow's <file-watcher>: the entries of `dir` whose name matches `name`
/// as akkaflow matched it (FileWatcherNodeInstance.fileNameFuzzyMatch: '.'
/// is a dot, '*' any text, the rest a regular expression, the whole name).
std::map<std::string, std::int64_t> watched(const std::string& dir, const std::string& name) {
  std::string expr = "^";
  for (char c : name) {
    if (c == '.')
      expr += "\\.";
    else if (c == '*')
      expr += "(.*?)";
    else
      expr += c;
  }
  expr += "$";
  std::regex re;
  try {
    re = std::regex(expr);
  } catch (const std::regex_error&) {
    throw std::runtime_error("the file name '" + name + "' is not a valid pattern");
  }
  std::error_code err;
  if (!std::filesystem::is_directory(dir, err))
    throw std::runtime_error("the directory " + dir + " does not exist");
  std::map<std::string, std::int64_t> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, err)) {
    if (!std::regex_match(entry.path().filename().string(), re))
      continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) == 0)
      files.emplace(entry.path().string(), static_cast<std::int64_t>(st.st_size));
  }
  if (err)
    throw std::runtime_error("cannot list " + dir + ": " + err.message());
  return files;
}

/// The regular files `hdfs dfs -ls PATTERN` lists, with their sizes: lines
/// "-rw-r--r--  3 owner group SIZE DATE TIME PATH" (directories, "Found N
/// items" and blank lines left out). No match is no file.
std::map<std::string, std::int64_t> hdfs_matching(exec_context& ctx, const nlohmann::json& where,
                                                  const std::string& pattern) {
  int status = 0;
  auto output = run_hdfs(ctx, where, {"-ls", pattern}, &status);
  std::map<std::string, std::int64_t> files;
  if (status != 0) {
    if (output.find("No such file or directory") != std::string::npos)
      return files;
    auto last = trim(output.substr(output.rfind('\n', output.size() - 2) + 1));
    throw std::runtime_error("hdfs dfs -ls " + pattern + " failed (exit status "
                             + std::to_string(status) + (last.empty() ? ")" : "): " + last));
  }
  for (const auto& line : split(output, '\n')) {
    std::istringstream in(line);
    std::string perms, replicas, owner, group, size, date, time;
    if (!(in >> perms >> replicas >> owner >> group >> size >> date >> time) || perms.empty()
        || perms[0] != '-')
      continue;
    std::string path;
    std::getline(in, path);
    path = trim(path);
    long long bytes = 0;
    if (!path.empty() && parse_int(size, bytes))
      files.emplace(path, bytes);
  }
  return files;
}

} // namespace

std::string resolve_worker_path(const exec_context& ctx, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative() && !ctx.site.home.empty())
    p = std::filesystem::path(ctx.site.home) / p;
  return p.lexically_normal().string();
}

nlohmann::json file_location(exec_context& ctx, const nlohmann::json& item) {
  auto own = item.contains("hdfs") && item["hdfs"].is_object() ? item["hdfs"] : nlohmann::json();
  auto name = trim(item.value("file_link", std::string{}));
  if (name.empty())
    return own;
  // The link as this worker defines it now (the master checked the name at load).
  auto link = load_file_links(ctx.site.file_links).resolve(name);
  if (!link)
    throw std::runtime_error(
      link.error().message + " in this worker's file links ("
      + (ctx.site.file_links.empty() ? std::string("paths.file_links is not set")
                                     : ctx.site.file_links)
      + "): the workflow names it with file-link=\"" + name + "\"");
  if (link->type != "HDFS")
    return own;
  auto where = hdfs_location_of(*link);
  ctx.log("file link '" + name + "': HDFS " + where.default_fs
          + (where.user.empty() ? std::string{} : " as " + where.user));
  return {{"default_fs", where.default_fs}, {"user", where.user}};
}

#endif // CAFFLOW_EXEC

#ifndef CAFFLOW_EXEC

action_kind file_monitor_kind() {
  action_kind kind;
  kind.name = "file-monitor";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& m = body_as<file_monitor_action>(body);
    auto pattern = expand_for(ctx, m.pattern);
    if (!pattern)
      return pattern.error();
    auto warn = expand_for(ctx, m.warn_msg);
    if (!warn)
      return warn.error();
    nlohmann::json doc{{"pattern", *pattern},
                       {"min_num", m.min_num},
                       {"min_each_size", m.min_each_size},
                       {"recheck_interval_s", m.recheck_interval_s},
                       {"warn_msg", *warn}};
    if (!m.dir.empty()) {
      auto dir = expand_for(ctx, m.dir);
      if (!dir)
        return dir.error();
      doc["dir"] = *dir;
    }
    if (!m.file_link.empty()) {
      auto link = expand_for(ctx, m.file_link);
      if (!link)
        return link.error();
      doc["file_link"] = *link;
    }
    if (m.size_warn_only) {
      doc["size_warn_only"] = true;
      doc["warn_to"] = ctx.wf->mail_receivers;
      doc["warn_subject"] = "[cafflow] WARN " + ctx.wf->name + ": file-watcher "
                            + ctx.wf->nodes[ctx.node].name + " found small files";
    }
    spec.payload = doc.dump();
    return {};
  };
  kind.command = exec_command;
  kind.exec = true;
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void file_monitor_runner(exec_context& ctx) {
  auto dir = ctx.spec.value("dir", std::string{});
  if (!dir.empty())
    dir = resolve_worker_path(ctx, dir);
  auto name = ctx.spec.at("pattern").get<std::string>();
  auto hdfs = file_location(ctx, ctx.spec);
  bool on_hdfs = hdfs.is_object();
  // An HDFS pattern is the link's path, not one of this worker's.
  auto pattern = on_hdfs       ? name
                 : dir.empty() ? resolve_worker_path(ctx, name)
                               : dir + "/" + name;
  auto list = [&] {
    return on_hdfs       ? hdfs_matching(ctx, hdfs, pattern)
           : dir.empty() ? matching(pattern)
                         : watched(dir, name);
  };
  auto min_num = ctx.spec.value("min_num", 1);
  auto min_size = ctx.spec.value("min_each_size", std::int64_t{0});
  auto recheck = ctx.spec.value("recheck_interval_s", 0);
  auto warn = ctx.spec.value("warn_msg", std::string{});
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(why + (warn.empty() ? "" : ": " + warn));
  };
  auto files = list();
  std::int64_t total = 0;
  for (const auto& [path, size] : files) {
    ctx.log("matched " + path + " (" + std::to_string(size) + " bytes)");
    total += size;
  }
  ctx.result = {{"pattern", pattern}, {"files", files.size()}, {"bytes", total}};
  if (static_cast<int>(files.size()) < min_num)
    fail(std::to_string(files.size()) + " file" + (files.size() == 1 ? "" : "s") + " match "
         + pattern + ", min-num is " + std::to_string(min_num));
  std::vector<std::string> small;
  for (const auto& [path, size] : files)
    if (size < min_size)
      small.push_back(path + " has " + std::to_string(size) + " bytes");
  if (!small.empty() && !ctx.spec.value("size_warn_only", false))
    fail(small.front() + ", min-each-size is " + std::to_string(min_size));
  if (!small.empty()) {
    // akkaflow's <file-watcher size-warn-message>: a warning mail, and success.
    for (const auto& line : small)
      ctx.log("WARN " + line + ", below the size-threshold of " + std::to_string(min_size)
              + " bytes");
    ctx.result["small_files"] = small.size();
    auto lines = small;
    lines.insert(lines.begin(), std::to_string(small.size()) + " file(s) matching " + pattern
                                  + " are smaller than " + std::to_string(min_size) + " bytes:");
    if (!warn.empty())
      lines.insert(lines.begin(), warn);
    send_warning_mail(ctx, ctx.spec.value("warn_to", std::vector<std::string>{}),
                      ctx.spec.value("warn_subject", std::string("[cafflow] file-monitor warning")),
                      lines);
  }
  if (recheck > 0) {
    ctx.log("checking again in " + std::to_string(recheck) + " s");
    ctx.cancel->sleep_for(std::chrono::seconds(recheck));
    auto again = list();
    if (again != files)
      fail("the files matching " + pattern + " changed within the recheck-interval of "
           + std::to_string(recheck) + " s (still being written?)");
  }
  ctx.log(std::to_string(files.size()) + " file(s), " + std::to_string(total) + " bytes");
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
