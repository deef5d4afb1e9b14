#include "exec/outbox.hpp"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "util/files.hpp"

namespace cafflow {

namespace fs = std::filesystem;

namespace {

nlohmann::json to_json(const attempt_report& r) {
  return {{"instance_id", r.instance_id}, {"node", r.node},         {"attempt", r.attempt},
          {"worker", r.worker},           {"outcome", r.outcome},   {"exit_code", r.exit_code},
          {"pid", r.pid},                 {"log_path", r.log_path}, {"started", r.started},
          {"finished", r.finished},       {"message", r.message},   {"result", r.result}};
}

attempt_report from_json(const nlohmann::json& j) {
  attempt_report r;
  r.instance_id = j.at("instance_id").get<std::string>();
  r.node = j.at("node").get<std::string>();
  r.attempt = j.at("attempt").get<int>();
  r.worker = j.at("worker").get<std::string>();
  r.outcome = j.at("outcome").get<std::string>();
  r.exit_code = j.value("exit_code", -1);
  r.pid = j.value("pid", 0);
  r.log_path = j.value("log_path", std::string{});
  r.started = j.value("started", timestamp{0});
  r.finished = j.value("finished", timestamp{0});
  r.message = j.value("message", std::string{});
  r.result = j.value("result", std::string{});
  return r;
}

} // namespace

expected<void> save_outbox(const std::string& path, const std::vector<attempt_report>& reports) {
  std::error_code err;
  if (reports.empty()) {
    fs::remove(path, err);
    return {};
  }
  auto list = nlohmann::json::array();
  for (const auto& r : reports)
    list.push_back(to_json(r));
  if (auto saved = replace_file(path, list.dump(1) + '\n'); !saved)
    return make_error(ec::filesystem_error, "cannot save the outbox: " + saved.error().message);
  return {};
}

expected<std::vector<attempt_report>> take_outbox(const std::string& path) {
  std::error_code err;
  if (!fs::exists(path, err))
    return std::vector<attempt_report>{};
  auto text = read_file(path);
  if (!text)
    return text.error();
  std::vector<attempt_report> result;
  try {
    auto list = nlohmann::json::parse(*text);
    if (!list.is_array())
      return make_error(ec::filesystem_error,
                        "the outbox file '" + path + "' does not hold a list of reports");
    for (const auto& item : list)
      result.push_back(from_json(item));
  } catch (const nlohmann::json::exception& e) {
    return make_error(ec::filesystem_error,
                      "the outbox file '" + path + "' cannot be read: " + e.what());
  }
  fs::remove(path, err);
  return result;
}

} // namespace cafflow
