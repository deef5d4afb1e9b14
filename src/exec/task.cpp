#include "exec/task.hpp"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

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

expected<process_spec> prepare_task(const attempt_spec& spec, const task_dirs& dirs,
                                    const std::vector<std::string>& base_env) {
  process_spec result;
  std::error_code err;
  auto work = fs::path(dirs.work) / safe_file_name(spec.instance_id)
              / (safe_file_name(spec.node) + "." + std::to_string(spec.attempt));
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
  if (spec.action_type == "shell" || spec.action_type == "file-executor") {
    result.argv = {"/bin/sh", "-c", spec.payload};
  } else if (spec.action_type == "script") {
    auto script = work / ("task.script");
    {
      std::ofstream out(script, std::ios::binary);
      out << spec.payload;
      if (!out)
        return make_error(ec::exec_error, "cannot write script '" + script.string() + "'");
    }
    if (starts_with(spec.payload, "#!")) {
      ::chmod(script.c_str(), 0755);
      result.argv = {script.string()};
    } else {
      result.argv = {"bash", script.string()};
    }
    for (auto& word : split_list(spec.param_line, ' '))
      result.argv.push_back(word);
  } else {
    return make_error(ec::exec_error, "this worker cannot run actions of type '"
                                        + spec.action_type + "' yet");
  }
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
