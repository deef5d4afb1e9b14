// The checks the parser borrows from the expression and cron modules, in the
// shape it needs (positions relative to the checked text).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cafflow {

/// Syntax problems of the ${...} expressions in `text`: (byte offset, message).
std::vector<std::pair<std::size_t, std::string>> expression_problems(const std::string& text);

/// The parameters `text` refers to with ${param:NAME}.
std::vector<std::string> expression_params(const std::string& text);

/// Why a decision condition is malformed, if it is.
std::optional<std::string> condition_problem(const std::string& condition);

/// Why a cron expression is invalid, if it is.
std::optional<std::string> cron_problem(const std::string& cron);

/// What a valid cron expression means when that may surprise (six akkaflow
/// fields, an English phrase), for a warning.
std::optional<std::string> cron_note(const std::string& cron);

} // namespace cafflow
