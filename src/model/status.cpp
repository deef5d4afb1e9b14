#include "model/status.hpp"

#include <array>

namespace cafflow {

namespace {

constexpr std::array<const char*, 5> instance_names{"queued", "running", "succeeded", "failed",
                                                    "killed"};
constexpr std::array<const char*, 8> node_names{"pending",   "waiting", "running", "retrying",
                                                "succeeded", "failed",  "killed",  "skipped"};

} // namespace

const char* to_string(instance_status status) {
  return instance_names[static_cast<std::size_t>(status)];
}

const char* to_string(node_status status) { return node_names[static_cast<std::size_t>(status)]; }

std::optional<instance_status> parse_instance_status(std::string_view text) {
  for (std::size_t i = 0; i < instance_names.size(); ++i)
    if (text == instance_names[i])
      return static_cast<instance_status>(i);
  return std::nullopt;
}

std::optional<node_status> parse_node_status(std::string_view text) {
  for (std::size_t i = 0; i < node_names.size(); ++i)
    if (text == node_names[i])
      return static_cast<node_status>(i);
  return std::nullopt;
}

bool is_terminal(instance_status status) {
  return status == instance_status::succeeded || status == instance_status::failed
         || status == instance_status::killed;
}

bool is_terminal(node_status status) {
  return status == node_status::succeeded || status == node_status::failed
         || status == node_status::killed || status == node_status::skipped;
}

} // namespace cafflow
