#include "xml/expression_checks.hpp"

#include "expr/condition.hpp"
#include "expr/expand.hpp"
#include "schedule/cron.hpp"

namespace cafflow {

std::vector<std::pair<std::size_t, std::string>> expression_problems(const std::string& text) {
  std::vector<std::pair<std::size_t, std::string>> result;
  for (auto& p : check_expressions(text))
    result.emplace_back(p.offset, std::move(p.message));
  return result;
}

std::vector<std::string> expression_params(const std::string& text) {
  return param_references(text);
}

std::optional<std::string> condition_problem(const std::string& condition) {
  return check_condition(condition);
}

std::optional<std::string> cron_problem(const std::string& cron) {
  auto parsed = cron_expr::parse(cron);
  if (parsed)
    return std::nullopt;
  return parsed.error().message;
}

std::optional<std::string> cron_note(const std::string& cron) {
  auto parsed = cron_expr::parse(cron);
  if (!parsed || parsed->note().empty())
    return std::nullopt;
  return parsed->note();
}

} // namespace cafflow
