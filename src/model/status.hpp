// The states of instances and nodes (docs/WORKFLOWS.md).
#pragma once

#include <optional>
#include <string_view>

namespace cafflow {

enum class instance_status { queued, running, succeeded, failed, killed };

enum class node_status { pending, waiting, running, retrying, succeeded, failed, killed, skipped };

const char* to_string(instance_status status);
const char* to_string(node_status status);

std::optional<instance_status> parse_instance_status(std::string_view text);
std::optional<node_status> parse_node_status(std::string_view text);

/// succeeded, failed or killed.
bool is_terminal(instance_status status);
/// succeeded, failed, killed or skipped.
bool is_terminal(node_status status);

} // namespace cafflow
