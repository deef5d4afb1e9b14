#include "exec/task.hpp"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "actions/kind.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace fs = std::filesystem;

std::string safe_file_name(const std::string& name) {
  std::string result = name;
  for (auto& c : result)
    if (c == '/' || c == '\0')
      c = '_';
  if (result.empty() || result == "." || result == "..")
    result = "_" + result;
  return result;
}

std::string log_name_problem(const std::string& value) {
  if (value.empty())
    return "it is empty";
  if (value == "." || value == "..")
    return "it is '" + value + "'";
  if (value.size() > max_log_name_bytes)
    return "it is longer than " + std::to_string(max_log_name_bytes) + " bytes";
  for (unsigned char c : value) {
    if (c == '/' || c == '\\')
      return std::string("it contains '") + static_cast<char>(c) + "'";
    if (c < 0x20 || c == 0x7f)
      return "it contains a control character";
  }
  return {};
}

std::string task_log_path(const task_dirs& dirs, const std::string& instance_id,
                          const std::string& node, int attempt) {
  return (fs::path(dirs.logs) / safe_file_name(instance_id)
          / (safe_file_name(node) + "." + std::to_string(attempt) + ".log"))
    .string();
}

std::string task_work_dir(const task_dirs& dirs, const std::string& instance_id,
                          const std::string& node, int attempt) {
  return (fs::path(dirs.work) / safe_file_name(instance_id)
          / (safe_file_name(node) + "." + std::to_string(attempt)))
    .string();
}

task_site make_task_site(const config& cfg) {
  task_site site;
  site.home = cfg.home;
  site.db_links = cfg.paths.db_links;
  site.file_links = cfg.paths.file_links;
  site.mail = cfg.mail;
  site.mail.eml_dir = (fs::path(cfg.paths.logs) / "mail").string();
  site.odbc_oracle_driver = cfg.odbc.oracle_driver;
  site.odbc_hive_driver = cfg.odbc.hive_driver;
  site.hdfs_command = cfg.hdfs.command;
  return site;
}

task_result read_task_result(const attempt_spec& spec, const std::string& work_dir) {
  task_result result;
  // Only cafflow-exec writes it: a script's own result.json means nothing.
  const auto* kind = find_kind(spec.action_type);
  if (kind == nullptr || !kind->exec || work_dir.empty())
    return result;
  auto text = read_file((fs::path(work_dir) / "result.json").string());
  if (!text)
    return result;
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object())
    return result;
  if (doc.contains("result") && doc["result"].is_object())
    result.result = doc["result"].dump();
  if (doc.contains("error") && doc["error"].is_string())
    result.error = doc["error"].get<std::string>();
  return result;
}

expected<process_spec> prepare_task(const attempt_spec& spec, const task_dirs& dirs,
                                    const std::vector<std::string>& base_env) {
  process_spec result;
  std::error_code err;
  auto work = fs::path(task_work_dir(dirs, spec.instance_id, spec.node, spec.attempt));
  fs::remove_all(work, err);
  fs::create_directories(work, err);
  if (err)
    return make_error(ec::exec_error,
                      "cannot create work directory '" + work.string() + "': " + err.message());
  result.work_dir = work.string();
  result.log_path = task_log_path(dirs, spec.instance_id, spec.node, spec.attempt);
  fs::create_directories(fs::path(result.log_path).parent_path(), err);
  if (err)
    return make_error(ec::exec_error, "cannot create log directory for '" + result.log_path
                                        + "': " + err.message());
  for (const auto& file : spec.attachments) {
    auto name = safe_file_name(fs::path(file.name).filename().string());
    auto target = work / name;
    std::ofstream out(target, std::ios::binary);
    out << file.content;
    if (!out)
      return make_error(ec::exec_error, "cannot write attachment '" + target.string() + "'");
    out.close();
    if (file.executable)
      ::chmod(target.c_str(), 0755);
  }
  // The kind says how its attempts start.
  const auto* kind = find_kind(spec.action_type);
  if (kind == nullptr || !kind->command)
    return make_error(ec::exec_error, "this worker cannot run actions of type '"
                                        + spec.action_type + "'");
  auto argv = kind->command(spec, result.work_dir, dirs.site);
  if (!argv)
    return argv.error();
  result.argv = std::move(*argv);
  for (const auto& item : base_env)
    if (!starts_with(item, "CAFFLOW_") || starts_with(item, "CAFFLOW_CONF="))
      result.env.push_back(item);
  result.env.push_back("CAFFLOW_INSTANCE_ID=" + spec.instance_id);
  result.env.push_back("CAFFLOW_WORKFLOW=" + spec.workflow);
  result.env.push_back("CAFFLOW_NODE=" + spec.node);
  result.env.push_back("CAFFLOW_ATTEMPT=" + std::to_string(spec.attempt));
  result.env.push_back("CAFFLOW_WORKER=" + spec.worker);
  result.env.push_back("CAFFLOW_LOGICAL_TIME=" + to_iso8601(spec.logical_time));
  for (const auto& [name, value] : spec.params) {
    auto key = name;
    for (auto& c : key)
      if (c == '=')
        c = '_';
    result.env.push_back("CAFFLOW_PARAM_" + key + "=" + value);
  }
  return result;
}

} // namespace cafflow
