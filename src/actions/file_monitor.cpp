// <file-monitor>: counts and sizes the files matching a pattern on the
// worker's file system (time expressions expanded by the master), lists what
// matched in the task log; with recheck-interval, looks again and fails when
// the files are still changing.
#include <glob.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"

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

} // namespace

std::string resolve_worker_path(const exec_context& ctx, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative() && !ctx.site.home.empty())
    p = std::filesystem::path(ctx.site.home) / p;
  return p.lexically_normal().string();
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
    spec.payload = nlohmann::json{{"pattern", *pattern},
                                  {"min_num", m.min_num},
                                  {"min_each_size", m.min_each_size},
                                  {"recheck_interval_s", m.recheck_interval_s},
                                  {"warn_msg", *warn}}
                     .dump();
    return {};
  };
  kind.command = exec_command;
  kind.exec = true;
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void file_monitor_runner(exec_context& ctx) {
  auto pattern = resolve_worker_path(ctx, ctx.spec.at("pattern").get<std::string>());
  auto min_num = ctx.spec.value("min_num", 1);
  auto min_size = ctx.spec.value("min_each_size", std::int64_t{0});
  auto recheck = ctx.spec.value("recheck_interval_s", 0);
  auto warn = ctx.spec.value("warn_msg", std::string{});
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(why + (warn.empty() ? "" : ": " + warn));
  };
  auto files = matching(pattern);
  std::int64_t total = 0;
  for (const auto& [path, size] : files) {
    ctx.log("matched " + path + " (" + std::to_string(size) + " bytes)");
    total += size;
  }
  ctx.result = {{"pattern", pattern}, {"files", files.size()}, {"bytes", total}};
  if (static_cast<int>(files.size()) < min_num)
    fail(std::to_string(files.size()) + " file" + (files.size() == 1 ? "" : "s") + " match "
         + pattern + ", min-num is " + std::to_string(min_num));
  for (const auto& [path, size] : files)
    if (size < min_size)
      fail(path + " has " + std::to_string(size) + " bytes, min-each-size is "
           + std::to_string(min_size));
  if (recheck > 0) {
    ctx.log("checking again in " + std::to_string(recheck) + " s");
    ctx.cancel->sleep_for(std::chrono::seconds(recheck));
    auto again = matching(pattern);
    if (again != files)
      fail("the files matching " + pattern + " changed within the recheck-interval of "
           + std::to_string(recheck) + " s (still being written?)");
  }
  ctx.log(std::to_string(files.size()) + " file(s), " + std::to_string(total) + " bytes");
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
