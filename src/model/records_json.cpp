#include <nlohmann/json.hpp>

#include "model/records.hpp"

namespace cafflow {

namespace {

using plain_json = nlohmann::json;

} // namespace

std::string run_options_to_json(const std::string& rerun_mode, const run_options& options) {
  if (rerun_mode.empty() && options.empty())
    return "{}";
  plain_json j = plain_json::object();
  if (!rerun_mode.empty())
    j["mode"] = rerun_mode;
  if (!options.nodes.empty())
    j["nodes"] = options.nodes;
  if (options.upstream)
    j["upstream"] = true;
  if (options.downstream)
    j["downstream"] = true;
  if (!options.from_node.empty())
    j["from_node"] = options.from_node;
  if (!options.skip.empty())
    j["skip"] = options.skip;
  return j.dump();
}

expected<std::pair<std::string, run_options>> run_options_from_json(const std::string& text) {
  std::pair<std::string, run_options> result;
  if (text.empty())
    return result;
  try {
    auto j = plain_json::parse(text);
    if (!j.is_object())
      return make_error(ec::invalid_argument, "run options are not a JSON object: " + text);
    auto& o = result.second;
    result.first = j.value("mode", std::string());
    o.nodes = j.value("nodes", std::vector<std::string>());
    o.upstream = j.value("upstream", false);
    o.downstream = j.value("downstream", false);
    o.from_node = j.value("from_node", std::string());
    o.skip = j.value("skip", std::vector<std::string>());
  } catch (const plain_json::exception& e) {
    return make_error(ec::invalid_argument, "run options '" + text + "': " + e.what());
  }
  return result;
}

std::string node_lists_to_json(const std::map<std::string, std::vector<std::string>>& lists) {
  return plain_json(lists).dump();
}

std::map<std::string, std::vector<std::string>> node_lists_from_json(const std::string& text) {
  std::map<std::string, std::vector<std::string>> lists;
  auto j = plain_json::parse(text, nullptr, false);
  if (!j.is_object())
    return lists;
  for (auto& [state, names] : j.items())
    if (names.is_array())
      for (const auto& n : names)
        if (n.is_string())
          lists[state].push_back(n.get<std::string>());
  return lists;
}

} // namespace cafflow
