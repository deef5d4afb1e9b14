#include "exec/attachments.hpp"

#include <filesystem>
#include <set>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace fs = std::filesystem;

expected<std::vector<attachment>> load_attachments(const std::vector<std::string>& paths,
                                                   const std::string& base_dir,
                                                   std::size_t max_bytes) {
  std::vector<attachment> result;
  std::set<std::string> names;
  std::size_t total = 0;
  for (const auto& path : paths) {
    fs::path p(path);
    if (p.is_relative() && !base_dir.empty())
      p = fs::path(base_dir) / p;
    auto name = p.filename().string();
    if (!names.insert(name).second)
      return make_error(ec::invalid_request, "two attachments are named '" + name + "'");
    auto content = read_file(p.string());
    if (!content)
      return make_error(ec::filesystem_error, "attachment: " + content.error().message);
    total += content->size();
    if (total > max_bytes)
      return make_error(ec::invalid_request, "attachments are larger than "
                                               + std::to_string(max_bytes) + " bytes (at '"
                                               + p.string() + "')");
    std::error_code err;
    auto perms = fs::status(p, err).permissions();
    bool executable = !err && (perms & fs::perms::owner_exec) != fs::perms::none;
    result.push_back(attachment{name, std::move(*content), executable});
  }
  return result;
}

executor_command split_executor_command(const std::string& command) {
  auto text = trim(command);
  auto space = text.find_first_of(" \t");
  auto script = text.substr(0, space);
  auto rest = space == std::string::npos ? std::string{} : text.substr(space);
  return {"./" + fs::path(script).filename().string() + rest, script};
}

} // namespace cafflow
