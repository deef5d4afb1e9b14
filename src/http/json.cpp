#include "http/json.hpp"

#include "schedule/backfill_plan.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace cafflow {

json time_json(timestamp ms) { return ms == 0 ? json(nullptr) : json(to_iso8601(ms)); }

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

namespace {

/// A copy of `value` whose strings and keys are valid UTF-8.
json escaped(const json& value) {
  if (value.is_string())
    return escape_invalid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    json result = json::array();
    for (const auto& item : value)
      result.push_back(escaped(item));
    return result;
  }
  if (value.is_object()) {
    json result = json::object();
    for (const auto& [key, item] : value.items())
      result[escape_invalid_utf8(key)] = escaped(item);
    return result;
  }
  return value;
}

} // namespace

std::string dump_json(const json& value, int indent) {
  try {
    return value.dump(indent);
  } catch (const json::type_error&) {
    // 316: a string is not UTF-8. Rare: only then is the value copied.
    return escaped(value).dump(indent);
  }
}

std::size_t json_nesting(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit)
        return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

namespace {

json times_json(const std::vector<timestamp>& times) {
  json result = json::array();
  for (auto t : times)
    result.push_back(time_json(t));
  return result;
}

} // namespace

json to_json(const workflow_record& w) {
  return json{{"name", w.name},          {"dir", w.dir},
              {"desc", w.desc},          {"creator", w.creator},
              {"file", w.file},          {"version", w.version},
              {"hash", w.hash},          {"nodes", w.node_count},
              {"status", w.status},      {"loaded_at", time_json(w.loaded_at)}};
}

/// An attempt's result: its JSON object (null when there is none).
json result_json(const std::string& text) {
  if (text.empty())
    return nullptr;
  auto doc = json::parse(text, nullptr, false);
  return doc.is_discarded() ? json(text) : doc;
}

json to_json(const attempt_record& a) {
  return json{{"number", a.number},
              {"worker", a.worker},
              {"status", a.status},
              {"exit_code", a.exit_code < 0 ? json(nullptr) : json(a.exit_code)},
              {"lost", a.lost},
              {"pid", a.pid},
              {"epoch", a.epoch},
              {"log_path", a.log_path},
              {"started", time_json(a.started)},
              {"finished", time_json(a.finished)},
              {"message", a.message},
              {"result", result_json(a.result)},
              {"execution", a.execution},
              {"child_id", text_or_null(a.child_id)}};
}

json to_json(const node_record& n) {
  json attempts = json::array();
  for (const auto& a : n.attempts)
    attempts.push_back(to_json(a));
  json result{{"name", n.name},        {"kind", n.kind},
              {"status", n.status},    {"started", time_json(n.started)},
              {"finished", time_json(n.finished)}, {"message", n.message}};
  if (n.kind == "action") {
    result["action_type"] = n.action_type;
    result["attempts"] = std::move(attempts);
  }
  if (n.action_type == "sub-workflow") {
    // The child instance of its latest attempt that has one.
    std::string child;
    for (const auto& a : n.attempts)
      if (!a.child_id.empty())
        child = a.child_id;
    result["child_id"] = text_or_null(child);
  }
  return result;
}

json to_json(const execution_record& e) {
  json nodes = json::object();
  for (const char* list : {"failed", "pending", "skipped", "succeeded", "running"}) {
    auto it = e.nodes.find(list);
    nodes[list] = it == e.nodes.end() ? json::array() : json(it->second);
  }
  auto options = json::parse(e.options, nullptr, false);
  return json{{"number", e.number},
              {"trigger", e.trigger},
              {"requested_by", text_or_null(e.requested_by)},
              {"run_options", options.is_object() ? options : json::object()},
              {"started", time_json(e.started)},
              {"finished", time_json(e.finished)},
              {"status", e.status},
              {"nodes", std::move(nodes)}};
}

json to_json(const instance_record& i, bool with_nodes) {
  json result{{"id", i.id},
              {"workflow", i.workflow},
              {"version", i.version},
              {"status", i.status},
              {"trigger", i.trigger},
              // Not set (e.g. an instance never rerun): the trigger is the origin.
              {"origin", i.origin.empty() ? i.trigger : i.origin},
              {"parent_id", text_or_null(i.parent_id)},
              {"parent_node", text_or_null(i.parent_node)},
              {"depth", i.depth},
              {"timezone", text_or_null(i.timezone)},
              {"backfill_id", text_or_null(i.backfill_id)},
              {"params", i.params},
              {"logical_time", time_json(i.logical_time)},
              {"priority", i.priority},
              {"created", time_json(i.created)},
              {"started", time_json(i.started)},
              {"finished", time_json(i.finished)},
              {"message", i.message},
              {"run_options", json::parse(run_options_to_json(i.run_mode, i.options))},
              {"execution", i.execution},
              {"requested_by", text_or_null(i.requested_by)}};
  if (with_nodes) {
    json nodes = json::array();
    for (const auto& n : i.nodes)
      nodes.push_back(to_json(n));
    result["nodes"] = std::move(nodes);
  }
  return result;
}

json to_json(const backfill_record& b, bool with_items) {
  auto options = json::parse(b.options, nullptr, false);
  auto p = progress_of(b.counts);
  json result{{"id", text_or_null(b.id)},
              {"workflow", b.workflow},
              {"state", b.state},
              {"options", options.is_discarded() ? json::object() : options},
              {"created_by", b.created_by},
              {"created", time_json(b.created)},
              {"finished", time_json(b.finished)},
              {"progress",
               json{{"planned", p.planned},
                    {"done", p.done},
                    {"skipped", p.skipped},
                    {"failed", p.failed},
                    {"running", p.running},
                    {"waiting", p.waiting},
                    {"cancelled", p.cancelled}}}};
  if (with_items) {
    json items = json::array();
    for (const auto& item : b.items)
      items.push_back(json{{"workflow", item.workflow},
                           {"logical_time", time_json(item.logical_time)},
                           {"instance_id", text_or_null(item.instance_id)},
                           {"state", item_state(item)}});
    result["items"] = std::move(items);
  }
  return result;
}

json to_json(const xml_file_record& f) {
  json diagnostics = json::array();
  for (const auto& d : f.diagnostics)
    diagnostics.push_back(json{{"level", d.level},
                               {"line", d.line},
                               {"column", d.column},
                               {"message", d.message}});
  return json{{"path", f.path},
              {"kind", f.kind},
              {"name", f.name},
              {"status", f.status},
              {"active_version", f.active_version == 0 ? json(nullptr) : json(f.active_version)},
              {"hash", f.hash},
              {"checked_at", time_json(f.checked_at)},
              {"diagnostics", std::move(diagnostics)}};
}

json to_json(const worker_record& w) {
  return json{{"id", w.id},
              {"host", w.host},
              {"slots", w.slots},
              {"running", w.running},
              {"groups", w.groups},
              {"state", w.state},
              {"pid", w.pid},
              {"load", w.load},
              {"registered", time_json(w.registered)},
              {"last_heartbeat", time_json(w.last_heartbeat)}};
}

namespace {

json store_json(const health_record& h) {
  return json{{"status", h.store_available ? "ok" : "unavailable"},
              {"error", h.store_error},
              {"pending_writes", h.pending_writes},
              {"new_work", h.paused ? "paused" : "accepted"},
              {"commits", h.commits},
              {"writes", h.writes}};
}

} // namespace

/// The pools of a health record: {"NAME": {"slots": N, "in_use": M}}.
json pools_json(const health_record& h) {
  json pools = json::object();
  for (const auto& [pool, size] : h.pool_slots) {
    auto used = h.pool_in_use.find(pool);
    pools[pool] = json{{"slots", size}, {"in_use", used == h.pool_in_use.end() ? 0 : used->second}};
  }
  return pools;
}

json cluster_json(const health_record& h) {
  json workers = json::array();
  for (const auto& w : h.workers)
    workers.push_back(to_json(w));
  int slots = 0;
  for (const auto& w : h.workers)
    slots += w.slots;
  return json{{"cluster", h.cluster},
              {"master",
               json{{"address", h.master},
                    {"epoch", h.epoch},
                    {"pid", h.master_pid},
                    {"started", time_json(h.started)},
                    {"recovering", h.recovering}}},
              {"store", store_json(h)},
              {"tls", h.tls ? "on" : "off"},
              {"warnings", h.warnings},
              {"workers", std::move(workers)},
              {"slots", json{{"total", slots}, {"busy", h.running_attempts}}},
              {"pools", pools_json(h)},
              {"attempts", json{{"running", h.running_attempts}, {"queued", h.queued_attempts}}},
              {"instances",
               json{{"running", h.running_instances}, {"queued", h.queued_instances}}},
              {"workflows", h.workflows}};
}

json to_json(const log_chunk& c) {
  return json{{"instance_id", c.instance_id},
              {"node", c.node},
              {"attempt", c.attempt},
              {"worker", c.worker},
              {"offset", c.offset},
              {"next_offset", c.next_offset},
              {"size", c.size},
              {"running", c.running},
              {"content", c.content}};
}

json to_json(const dependency_view& d) {
  return json{{"workflow", d.workflow},
              {"ready", d.ready},
              {"instance_id", text_or_null(d.instance_id)},
              {"ready_at", time_json(d.ready_at)}};
}

json to_json(const coordinator_view& c) {
  json dependencies = json::array();
  for (const auto& d : c.dependencies)
    dependencies.push_back(to_json(d));
  json params = json::array();
  for (const auto& [name, value] : c.params)
    params.push_back(json{{"name", name}, {"value", value}});
  return json{{"enabled", c.enabled},
              {"paused", c.paused},
              {"cron", text_or_null(c.cron)},
              {"timezone", c.timezone},
              {"start_time", text_or_null(c.start_time)},
              {"end_time", text_or_null(c.end_time)},
              {"catchup", c.catchup},
              {"overlap", c.overlap},
              {"next_fires", times_json(c.next_fires)},
              {"waiting", times_json(c.waiting)},
              {"last_fire", time_json(c.last_fire)},
              {"dependencies", std::move(dependencies)},
              {"params", std::move(params)},
              {"triggers", c.triggers}};
}

json to_json(const dag_node& n) {
  return json{{"name", n.name},
              {"kind", n.kind},
              {"action_type", text_or_null(n.action_type)},
              {"desc", n.desc}};
}

json to_json(const dag_edge& e) {
  json result{{"from", e.from}, {"to", e.to}, {"label", e.label}};
  if (e.label == "case")
    result["condition"] = e.condition;
  return result;
}

json to_json(const master_entry& m) {
  return json{{"address", m.address},
              {"role", m.role},
              {"pid", m.pid},
              {"host", text_or_null(m.host)},
              {"started_at", time_json(m.started_at)},
              {"seen_at", time_json(m.seen_at)},
              {"lease_expires_at", time_json(m.lease_expires_at)}};
}

json to_json(const workflow_version_view& v) {
  return json{{"version", v.version},
              {"hash", v.hash},
              {"file", v.file},
              {"loaded_at", time_json(v.loaded_at)}};
}

json to_json(const workflow_detail& d) {
  auto list = [](const auto& items) {
    json result = json::array();
    for (const auto& item : items)
      result.push_back(to_json(item));
    return result;
  };
  json result{{"workflow", to_json(d.record)},
              {"coordinator", d.has_coordinator ? to_json(d.coordinator) : json(nullptr)},
              {"downstream", d.downstream},
              {"nodes", list(d.nodes)},
              {"edges", list(d.edges)},
              // Unknown while the store cannot be read: null, and why.
              {"versions", d.versions_error.empty() ? list(d.versions) : json(nullptr)}};
  if (!d.versions_error.empty())
    result["versions_error"] = d.versions_error;
  return result;
}

json to_json(const health_record& h) {
  json workers = json::array();
  for (const auto& w : h.workers)
    workers.push_back(to_json(w));
  // Degraded: the cluster runs what it runs, but the store does not take
  // writes (they wait in memory) — or so many wait that no new work starts.
  bool degraded = !h.store_available || h.paused;
  return json{{"status", degraded ? "degraded" : "ok"},
              {"cluster", h.cluster},
              {"master", h.master},
              {"epoch", h.epoch},
              {"master_started", time_json(h.started)},
              {"recovering", h.recovering},
              {"store", store_json(h)},
              {"tls", h.tls ? "on" : "off"},
              {"warnings", h.warnings},
              {"workflows", h.workflows},
              {"running_instances", h.running_instances},
              {"workers", std::move(workers)}};
}

} // namespace cafflow
