#include "engine/params.hpp"

#include "expr/expand.hpp"
#include "util/tz.hpp"

namespace cafflow {

expected<const date::time_zone*> workflow_zone(const workflow& wf, const std::string& fallback) {
  return find_time_zone(wf.timezone.empty() ? fallback : wf.timezone);
}

expected<const date::time_zone*> instance_zone(const workflow& wf, const std::string& timezone,
                                               const std::string& fallback) {
  return timezone.empty() ? workflow_zone(wf, fallback) : find_time_zone(timezone);
}

expected<std::string> expand_in(const std::string& text, const param_scope& scope) {
  expand_context ctx;
  ctx.logical_time = scope.logical_time;
  ctx.zone = scope.zone;
  ctx.params = &scope.params;
  ctx.keep_undefined = scope.keep_undefined;
  return expand(text, ctx);
}

std::vector<std::string> action_texts(const action_spec& action) {
  struct visitor {
    std::vector<std::string> operator()(const script_action& a) const {
      return {a.code, a.param_line};
    }
    std::vector<std::string> operator()(const shell_action& a) const { return {a.command}; }
    std::vector<std::string> operator()(const file_executor_action& a) const {
      return {a.command};
    }
    std::vector<std::string> operator()(const sql_action& a) const { return {a.sql}; }
    std::vector<std::string> operator()(const transfer_action& a) const {
      return {a.source.content, a.target.table, a.target.path, a.target.pre, a.target.after,
              a.script};
    }
    std::vector<std::string> operator()(const data_monitor_action& a) const {
      std::vector<std::string> result{a.source.content, a.warn_msg};
      if (a.min)
        result.push_back(a.min->content);
      if (a.max)
        result.push_back(a.max->content);
      return result;
    }
    std::vector<std::string> operator()(const file_monitor_action& a) const {
      return {a.pattern, a.dir, a.warn_msg};
    }
    std::vector<std::string> operator()(const email_action& a) const {
      std::vector<std::string> result{a.html, a.to, a.cc, a.subject};
      for (const auto& attachment : a.attachments) {
        result.push_back(attachment.content);
        result.push_back(attachment.name);
      }
      return result;
    }
    std::vector<std::string> operator()(const metadata_action& a) const {
      std::vector<std::string> result{a.table, a.from, a.table_comment};
      for (const auto& [name, comment] : a.column_comments)
        result.push_back(comment);
      return result;
    }
    std::vector<std::string> operator()(const sub_workflow_action& a) const {
      std::vector<std::string> result{a.workflow};
      for (const auto& [name, value] : a.params)
        result.push_back(value);
      return result;
    }
    std::vector<std::string> operator()(const dependent_action&) const { return {}; }
  };
  return std::visit(visitor{}, action.body);
}

expected<param_map> resolve_params(const workflow& wf, const param_map& caller,
                                   const param_scope& scope) {
  expand_context ctx;
  ctx.logical_time = scope.logical_time;
  ctx.zone = scope.zone;
  ctx.keep_undefined = scope.keep_undefined;
  std::vector<std::pair<std::string, std::string>> list;
  if (wf.coordinator)
    list = wf.coordinator->params;
  auto params = evaluate_param_list(list, caller, ctx);
  if (!params)
    return make_error(ec::invalid_request, "param-list: " + params.error().message);
  param_scope full = scope;
  full.params = *params;
  for (const auto& n : wf.nodes) {
    std::vector<std::string> texts;
    if (n.kind == node_kind::action)
      texts = action_texts(n.action);
    for (const auto& c : n.cases)
      texts.push_back(c.condition);
    for (const auto& text : texts)
      if (auto expanded = expand_in(text, full); !expanded)
        return make_error(ec::invalid_request,
                          "node '" + n.name + "': " + expanded.error().message
                            + " (pass it as a run parameter or define it in the <param-list>)");
  }
  return std::move(*params);
}

} // namespace cafflow
