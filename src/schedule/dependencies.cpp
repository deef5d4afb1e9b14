#include "schedule/dependencies.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "util/tz.hpp"

namespace cafflow {

namespace {

bool ended(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "killed";
}

int rank(dependency_state s) {
  return s == dependency_state::failed ? 2 : s == dependency_state::waiting ? 1 : 0;
}

} // namespace

std::optional<dependency_part> depend_list_part(const workflow& wf) {
  if (!wf.coordinator)
    return std::nullopt;
  auto expr = windowed_part(wf.coordinator->depends);
  if (!expr)
    return std::nullopt;
  dependency_part part;
  part.expr = std::move(*expr);
  part.on_failure = wf.coordinator->on_failure;
  part.wait_minutes = wf.coordinator->wait_minutes;
  return part;
}

std::optional<dependency_part> dependent_part(const workflow& wf, const std::string& node) {
  auto index = wf.index_of(node);
  if (index == workflow::npos || wf.nodes[index].kind != node_kind::action)
    return std::nullopt;
  const auto* d = std::get_if<dependent_action>(&wf.nodes[index].action.body);
  if (d == nullptr)
    return std::nullopt;
  dependency_part part;
  part.node = node;
  part.expr = d->condition;
  part.on_failure = d->on_failure;
  part.wait_minutes = d->wait_minutes;
  return part;
}

std::vector<dependency_part> dependency_parts(const workflow& wf) {
  std::vector<dependency_part> parts;
  if (auto p = depend_list_part(wf))
    parts.push_back(std::move(*p));
  for (const auto& n : wf.nodes)
    if (auto p = dependent_part(wf, n.name))
      parts.push_back(std::move(*p));
  return parts;
}

expected<part_outcome> evaluate_part(const dependency_part& part, timestamp logical_time,
                                     const date::time_zone& zone, const upstream_lookup& lookup,
                                     timestamp since, timestamp now) {
  auto verdict = evaluate_dependencies(part.expr, logical_time, zone, lookup);
  if (!verdict)
    return verdict.error();
  part_outcome out;
  out.outcome = apply_failure_policy(*verdict, part.on_failure, part.wait_minutes, since, now,
                                     zone);
  out.verdict = std::move(*verdict);
  return out;
}

expected<dependency_report> report_dependencies(const workflow& wf, const std::string& name,
                                                timestamp logical_time,
                                                const date::time_zone& zone,
                                                const upstream_lookup& lookup, timestamp since,
                                                const std::map<std::string, timestamp>& since_by_node,
                                                timestamp now) {
  dependency_report report;
  report.workflow = name;
  report.logical_time = logical_time;
  report.timezone = zone.name();
  auto parts = dependency_parts(wf);
  nlohmann::json detail{{"workflow", name},
                        {"logical_time", {{"at", to_iso8601(logical_time)},
                                          {"local", format_local_time(logical_time, zone)}}},
                        {"timezone", zone.name()},
                        {"parts", nlohmann::json::array()}};
  if (parts.empty()) {
    report.state = "none";
    report.message = "no date-window dependencies";
    detail["state"] = report.state;
    report.detail = detail.dump();
    return report;
  }
  auto worst = dependency_state::holds;
  for (const auto& part : parts) {
    auto it = since_by_node.find(part.node);
    auto evaluated = evaluate_part(part, logical_time, zone, lookup,
                                   it != since_by_node.end() ? it->second : since, now);
    if (!evaluated)
      return evaluated.error();
    const auto& o = evaluated->outcome;
    if (rank(o.state) > rank(worst))
      worst = o.state;
    nlohmann::json pj{{"part", part.node.empty() ? "depend-list" : "node"},
                      {"node", part.node},
                      {"on_failure", part.on_failure},
                      {"wait_minutes", part.wait_minutes},
                      {"state", to_string(o.state)},
                      {"deadline", o.deadline == 0 ? std::string() : to_iso8601(o.deadline)},
                      {"message", o.message},
                      {"verdict", to_json(evaluated->verdict, zone)}};
    detail["parts"].push_back(std::move(pj));
    if (!report.message.empty())
      report.message += "\n";
    report.message += (part.node.empty() ? std::string("depend-list") : "node " + part.node)
                      + ": " + o.message;
  }
  report.state = to_string(worst);
  detail["state"] = report.state;
  report.detail = detail.dump();
  return report;
}

upstream_lookup store_lookup(store& db) {
  return [&db](const std::string& workflow, const std::string& node, timestamp from,
               timestamp to) -> expected<std::vector<upstream_instance>> {
    instance_filter filter;
    filter.workflow = workflow;
    filter.from = from;
    // The filter's bound is inclusive; periods end before `to`.
    filter.to = to - 1;
    filter.limit = 100000;
    auto found = db.instances(filter);
    if (!found)
      return found.error();
    std::vector<upstream_instance> out;
    for (const auto& r : *found) {
      if (node.empty()) {
        out.push_back({r.id, r.logical_time, r.status, r.finished});
        continue;
      }
      auto full = db.instance(r.id);
      if (!full)
        return full.error();
      if (!*full)
        continue;
      const auto& nodes = (*full)->nodes;
      auto n = std::find_if(nodes.begin(), nodes.end(),
                            [&](const node_record& x) { return x.name == node; });
      if (n == nodes.end())
        continue; // that version has no such node
      auto status = n->status;
      auto finished = n->finished;
      if (ended(r.status) && !ended(status) && status != "succeeded" && status != "skipped") {
        // The instance ended without running the node: it never will.
        status = "not_run";
        finished = r.finished;
      }
      out.push_back({r.id, r.logical_time, status, finished});
    }
    return out;
  };
}

} // namespace cafflow
