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

namespace {

/// The words of a command and where each starts.
std::vector<std::pair<std::size_t, std::string>> words_of(const std::string& text) {
  std::vector<std::pair<std::size_t, std::string>> words;
  std::size_t at = 0;
  while ((at = text.find_first_not_of(" \t\r\n", at)) != std::string::npos) {
    auto end = text.find_first_of(" \t\r\n", at);
    if (end == std::string::npos)
      end = text.size();
    words.emplace_back(at, text.substr(at, end - at));
    at = end;
  }
  return words;
}

} // namespace

std::string executor_script_word(const std::string& command, std::string* problem) {
  auto words = words_of(command);
  if (words.empty())
    return {};
  // akkaflow (FileExecutorNode.analysisExecuteFilePath): the one word with a
  // '/'. A first word with one is the script (cafflow's and akkaflow's
  // reading agree when it is the only one); without any '/', cafflow takes
  // the first word where akkaflow failed.
  const auto& first = words.front().second;
  if (first.find('/') != std::string::npos)
    return first;
  std::vector<std::string> slashed;
  for (const auto& [at, word] : words)
    if (word.find('/') != std::string::npos)
      slashed.push_back(word);
  if (slashed.empty())
    return first;
  if (slashed.size() == 1)
    return slashed.front();
  if (problem != nullptr)
    *problem = "the command names no script: its first word has no '/' and several words have "
               "one (" + join(slashed, ", ") + "); write the script first (./run.sh ARGS) or "
               "pass only it as a path";
  return {};
}

expected<executor_command> split_executor_command(const std::string& command) {
  std::string problem;
  auto script = executor_script_word(command, &problem);
  if (script.empty())
    return make_error(ec::invalid_request,
                      problem.empty() ? std::string("the command is empty") : problem);
  auto replacement = "./" + fs::path(script).filename().string();
  std::string text = trim(command);
  std::string result;
  std::size_t done = 0;
  for (const auto& [at, word] : words_of(text)) {
    if (word != script)
      continue;
    result += text.substr(done, at - done) + replacement;
    done = at + word.size();
  }
  result += text.substr(done);
  return executor_command{result, script};
}

} // namespace cafflow
