#include "schedule/backfill_plan.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/params.hpp"
#include "schedule/cron.hpp"
#include "schedule/lineage.hpp"
#include "util/tz.hpp"

namespace cafflow {

namespace {

error bad(std::string message) { return make_error(ec::invalid_request, std::move(message)); }

/// The logical times of one workflow: its coordinator's cron in its zone
/// (daily at 00:00 without one).
struct ticker {
  cron_expr cron;
  const date::time_zone* zone = nullptr;
};

expected<ticker> ticker_of(const workflow& wf, const std::string& default_timezone) {
  auto zone = workflow_zone(wf, default_timezone);
  if (!zone)
    return bad("workflow '" + wf.name + "': " + zone.error().message);
  std::string text = "0 0 * * *";
  if (wf.coordinator && !wf.coordinator->cron.empty())
    text = wf.coordinator->cron;
  auto cron = cron_expr::parse(text);
  if (!cron)
    return bad("workflow '" + wf.name + "': " + cron.error().message);
  return ticker{std::move(*cron), *zone};
}

std::string too_many(std::size_t max_items) {
  return "the backfill would start more than " + std::to_string(max_items)
         + " instances (backfill.max_items); narrow the range or the downstream";
}

} // namespace

std::string to_json(const backfill_options& o) {
  nlohmann::ordered_json j;
  if (o.dates.empty()) {
    j["from"] = to_iso8601(o.from);
    j["to"] = to_iso8601(o.to);
  } else {
    auto dates = nlohmann::ordered_json::array();
    for (auto t : o.dates)
      dates.push_back(to_iso8601(t));
    j["dates"] = std::move(dates);
  }
  j["parallel"] = o.parallel;
  j["order"] = o.order;
  j["downstream"] = o.downstream;
  j["rerun"] = o.rerun;
  j["params"] = o.params;
  return j.dump();
}

expected<backfill_options> backfill_options_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object())
    return bad("backfill options: not a JSON object");
  backfill_options o;
  auto time = [&](const nlohmann::json& v, const char* field) -> expected<timestamp> {
    timestamp t = 0;
    if (!v.is_string() || !parse_utc_time(v.get<std::string>(), t))
      return bad(std::string("backfill options: field '") + field + "': " + v.dump()
                 + " is not a time");
    return t;
  };
  try {
    for (const char* field : {"from", "to"})
      if (j.contains(field)) {
        auto t = time(j[field], field);
        if (!t)
          return t.error();
        (std::string(field) == "from" ? o.from : o.to) = *t;
      }
    if (j.contains("dates"))
      for (const auto& d : j["dates"]) {
        auto t = time(d, "dates");
        if (!t)
          return t.error();
        o.dates.push_back(*t);
      }
    o.parallel = j.value("parallel", 1);
    o.order = j.value("order", std::string("asc"));
    o.downstream = j.value("downstream", std::string("none"));
    o.rerun = j.value("rerun", std::string("none"));
    if (j.contains("params"))
      o.params = j["params"].get<param_map>();
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("backfill options: ") + e.what());
  }
  return o;
}

expected<void> validate(const backfill_options& o) {
  bool range = o.from != 0 || o.to != 0;
  if (range && !o.dates.empty())
    return bad("give either 'from' and 'to' or 'dates', not both");
  if (!range && o.dates.empty())
    return bad("field 'from' and 'to' (or 'dates') are required: the logical times to backfill");
  if (range && (o.from == 0 || o.to == 0))
    return bad(std::string("field '") + (o.from == 0 ? "from" : "to")
               + "' is required with '" + (o.from == 0 ? "to" : "from") + "'");
  if (range && o.from > o.to)
    return bad("field 'from' (" + to_iso8601(o.from) + ") is after field 'to' ("
               + to_iso8601(o.to) + ")");
  for (auto t : o.dates)
    if (t <= 0)
      return bad("field 'dates': " + std::to_string(t) + " is not a time");
  if (o.parallel < 1)
    return bad("field 'parallel': " + std::to_string(o.parallel) + " (expected 1 or more)");
  if (o.order != "asc" && o.order != "desc")
    return bad("field 'order': '" + o.order + "' (expected asc or desc)");
  if (o.downstream != "none" && o.downstream != "direct" && o.downstream != "all")
    return bad("field 'downstream': '" + o.downstream + "' (expected none, direct or all)");
  if (o.rerun != "none" && o.rerun != "failed" && o.rerun != "all")
    return bad("field 'rerun': '" + o.rerun + "' (expected none, failed or all)");
  return {};
}

expected<std::vector<backfill_step>> plan_backfill(const backfill_definitions& defs,
                                                   const std::string& root,
                                                   const backfill_options& options,
                                                   std::size_t max_items) {
  if (auto ok = validate(options); !ok)
    return ok.error();
  auto found = defs.workflows.find(root);
  if (found == defs.workflows.end() || !found->second)
    return make_error(ec::unknown_workflow, "no workflow named '" + root + "' is loaded");
  auto root_ticks = ticker_of(*found->second, defs.default_timezone);
  if (!root_ticks)
    return root_ticks.error();

  // The root's logical times, each with the end of the period it stands for.
  struct period {
    /// The root's logical time, and the end of the period it stands for.
    timestamp start = 0;
    timestamp end = 0;
    /// Where the period begins for the downstream (the tick at or before start).
    timestamp from = 0;
  };
  std::vector<period> periods;
  auto end_of = [&](timestamp t) {
    auto next = root_ticks->cron.next(t, *root_ticks->zone);
    return next ? *next : t + 1;
  };
  if (options.dates.empty()) {
    auto t = root_ticks->cron.next(options.from - 1, *root_ticks->zone);
    while (t && *t <= options.to) {
      if (periods.size() >= max_items)
        return bad(too_many(max_items));
      auto next = root_ticks->cron.next(*t, *root_ticks->zone);
      periods.push_back({*t, next ? *next : *t + 1, *t});
      t = next;
    }
    if (periods.empty())
      return bad("no logical time of workflow '" + root + "' (cron '"
                 + root_ticks->cron.text() + "') lies between " + to_iso8601(options.from)
                 + " and " + to_iso8601(options.to));
  } else {
    std::set<timestamp> dates(options.dates.begin(), options.dates.end());
    if (dates.size() > max_items)
      return bad(too_many(max_items));
    // A time between two ticks stands for the period of the tick before it
    // (a run "now" covers today for a daily workflow).
    for (auto t : dates) {
      auto start = root_ticks->cron.previous(t + 1, *root_ticks->zone);
      periods.push_back({t, end_of(t), start ? *start : t});
    }
  }

  // The workflows of the plan, each after its upstreams in it.
  std::map<std::string, std::shared_ptr<const workflow>> wfs;
  for (const auto& [name, wf] : defs.workflows)
    wfs.emplace(name, wf);
  auto upstreams = upstreams_of(wfs, defs.coordinators);
  std::vector<std::string> members{root};
  if (options.downstream != "none") {
    std::set<std::string> below;
    for (const auto& wf : downstream_of(root, upstreams, options.downstream == "all"))
      if (defs.workflows.count(wf) > 0)
        below.insert(wf);
    // Kahn's algorithm over the members, ties by name; a workflow that waits
    // for itself (a window on its own earlier periods) does not wait here.
    std::set<std::string> placed{root};
    while (!below.empty()) {
      auto ready = std::find_if(below.begin(), below.end(), [&](const std::string& wf) {
        auto it = upstreams.find(wf);
        if (it == upstreams.end())
          return true;
        return std::all_of(it->second.begin(), it->second.end(), [&](const std::string& up) {
          return up == wf || placed.count(up) > 0 || below.count(up) == 0;
        });
      });
      if (ready == below.end())
        ready = below.begin(); // a cycle through windows: by name
      members.push_back(*ready);
      placed.insert(*ready);
      below.erase(ready);
    }
  }

  // Every member's ticks in each period.
  std::vector<backfill_step> steps;
  std::vector<ticker> tickers;
  for (const auto& name : members) {
    auto t = ticker_of(*defs.workflows.at(name), defs.default_timezone);
    if (!t)
      return t.error();
    tickers.push_back(std::move(*t));
  }
  if (options.order == "desc")
    std::reverse(periods.begin(), periods.end());
  for (const auto& p : periods) {
    for (std::size_t m = 0; m < members.size(); ++m) {
      if (m == 0) {
        steps.push_back({root, p.start});
      } else {
        const auto& tk = tickers[m];
        for (auto t = tk.cron.next(p.from - 1, *tk.zone); t && *t < p.end;
             t = tk.cron.next(*t, *tk.zone)) {
          if (steps.size() >= max_items)
            return bad(too_many(max_items));
          steps.push_back({members[m], *t});
        }
      }
      if (steps.size() > max_items)
        return bad(too_many(max_items));
    }
  }
  return steps;
}

bool rerun_wanted(const std::string& rerun, const std::string& latest_status) {
  if (rerun == "all")
    return true;
  if (rerun == "failed")
    return latest_status == "failed" || latest_status == "killed";
  return latest_status != "succeeded";
}

std::string item_state(const backfill_item_record& item) {
  if (item.state == "skipped" || item.state == "cancelled")
    return item.state;
  if (!item.instance_id.empty() && !item.instance_status.empty())
    return item.instance_status;
  if (!item.instance_id.empty() && item.state == "started")
    return "queued";
  return item.state;
}

bool item_over(const backfill_item_record& item) {
  auto s = item_state(item);
  return s == "succeeded" || s == "failed" || s == "killed" || s == "skipped"
         || s == "cancelled";
}

backfill_progress progress_of(const std::vector<backfill_item_record>& items) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& item : items)
    ++counts[item_state(item)];
  return progress_of(counts);
}

backfill_progress progress_of(const std::map<std::string, std::int64_t>& counts) {
  backfill_progress p;
  for (const auto& [s, n64] : counts) {
    auto n = static_cast<std::size_t>(n64);
    p.planned += n;
    if (s == "succeeded")
      p.done += n;
    else if (s == "skipped")
      p.done += n, p.skipped += n;
    else if (s == "failed" || s == "killed")
      p.failed += n;
    else if (s == "cancelled")
      p.cancelled += n;
    else if (s == "planned")
      p.waiting += n;
    else
      p.running += n;
  }
  return p;
}

std::string final_state(const std::vector<backfill_item_record>& items) {
  for (const auto& item : items) {
    auto s = item_state(item);
    if (s != "succeeded" && s != "skipped")
      return "failed";
  }
  return "succeeded";
}

} // namespace cafflow
