#include "schedule/windows.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/tz.hpp"

namespace cafflow {

namespace {

using ms = std::chrono::milliseconds;
constexpr timestamp hour_ms = 3'600'000;

/// The instant of local midnight at the start of `day` in `zone` (a midnight
/// that does not exist is the end of the gap).
timestamp midnight(date::local_days day, const date::time_zone& zone) {
  return from_local(date::local_time<ms>{day}, zone);
}

/// The local date of `t`.
date::local_days local_day(timestamp t, const date::time_zone& zone) {
  return date::floor<date::days>(to_local(t, zone));
}

/// [first, last] whole days as periods, each local midnight to the next.
std::vector<period> days(date::local_days first, int count, const date::time_zone& zone) {
  std::vector<period> out;
  for (int i = 0; i < count; ++i)
    out.push_back({midnight(first + date::days{i}, zone),
                   midnight(first + date::days{i + 1}, zone)});
  return out;
}

/// The local midnight of the 1st of the month `offset` months from the one of `day`.
date::local_days month_start(date::local_days day, int offset) {
  date::year_month_day ymd{day};
  auto ym = date::year_month{ymd.year(), ymd.month()} + date::months{offset};
  return date::local_days{ym / date::day{1}};
}

dependency_state state_of(const std::string& status) {
  if (status == "succeeded" || status == "skipped")
    return dependency_state::holds;
  if (status == "failed" || status == "killed" || status == "not_run")
    return dependency_state::failed;
  return dependency_state::waiting;
}

expected<dependency_verdict> evaluate_item(const dependency_item& item, timestamp logical_time,
                                           const date::time_zone& zone,
                                           const upstream_lookup& lookup) {
  dependency_verdict v;
  v.what = dependency_expr::kind::item;
  v.item = item;
  if (item.window.empty()) {
    v.state = dependency_state::holds;
    return v;
  }
  auto periods = window_periods(item.cycle, item.window, logical_time, zone);
  if (!periods)
    return periods.error();
  auto found = lookup(item.workflow, item.node, periods->front().from, periods->back().to);
  if (!found)
    return found.error();
  bool any_failed = false, any_waiting = false;
  for (const auto& p : *periods) {
    period_check check{p, std::nullopt, dependency_state::waiting};
    for (const auto& u : *found) {
      if (u.logical_time < p.from || u.logical_time >= p.to)
        continue;
      if (!check.seen || u.logical_time > check.seen->logical_time
          || (u.logical_time == check.seen->logical_time && u.id > check.seen->id))
        check.seen = u;
    }
    if (check.seen)
      check.state = state_of(check.seen->status);
    if (check.state == dependency_state::failed) {
      auto at = check.seen->finished;
      v.failed_at = !any_failed ? at : std::min(v.failed_at, at);
      any_failed = true;
    }
    any_waiting = any_waiting || check.state == dependency_state::waiting;
    v.periods.push_back(std::move(check));
  }
  v.state = any_failed    ? dependency_state::failed
            : any_waiting ? dependency_state::waiting
                          : dependency_state::holds;
  return v;
}

std::string show(timestamp t, const date::time_zone& zone) {
  return format_local_time(t, zone);
}

std::string item_title(const dependency_item& item) {
  std::string out = item.workflow;
  if (!item.node.empty())
    out += " node " + item.node;
  if (!item.window.empty())
    out += " (cycle " + item.cycle + ", window " + item.window + ")";
  else
    out += " (no window: the coordinator's flag)";
  return out;
}

void explain_into(const dependency_verdict& v, const date::time_zone& zone, int depth,
                  std::string& out) {
  std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  if (v.what != dependency_expr::kind::item) {
    if (depth > 0)
      out += indent + (v.what == dependency_expr::kind::all ? "all of" : "any of") + ": "
             + to_string(v.state) + "\n";
    for (const auto& c : v.children)
      explain_into(c, zone, depth > 0 ? depth + 1 : depth, out);
    return;
  }
  out += indent + item_title(v.item) + ": " + to_string(v.state);
  for (const auto& p : v.periods) {
    out += "\n" + indent + "  " + show(p.span.from, zone) + " - " + show(p.span.to, zone) + ": ";
    if (!p.seen)
      out += "none yet";
    else
      out += "instance " + p.seen->id + " (logical time " + show(p.seen->logical_time, zone)
             + ") " + p.seen->status;
  }
  out += "\n";
}

nlohmann::json zoned_time_json(timestamp t, const date::time_zone& zone) {
  return {{"at", to_iso8601(t)}, {"local", show(t, zone)}};
}

} // namespace

const std::vector<std::string>& dependency_cycles() {
  static const std::vector<std::string> cycles{"hour", "day", "week", "month"};
  return cycles;
}

const std::map<std::string, std::vector<std::string>>& windows_by_cycle() {
  static const std::map<std::string, std::vector<std::string>> windows{
    {"hour", {"currentHour", "last1Hour", "last2Hours", "last3Hours", "last24Hours"}},
    {"day", {"today", "last1Days", "last2Days", "last3Days", "last7Days"}},
    {"week",
     {"thisWeek", "lastWeek", "lastMonday", "lastTuesday", "lastWednesday", "lastThursday",
      "lastFriday", "lastSaturday", "lastSunday"}},
    {"month", {"thisMonth", "lastMonth", "lastMonthBegin", "lastMonthEnd"}},
  };
  return windows;
}

const char* to_string(dependency_state state) {
  switch (state) {
    case dependency_state::holds:
      return "holds";
    case dependency_state::waiting:
      return "waiting";
    case dependency_state::failed:
      break;
  }
  return "failed";
}

expected<std::vector<period>> window_periods(const std::string& cycle, const std::string& window,
                                             timestamp logical_time,
                                             const date::time_zone& zone) {
  auto known = windows_by_cycle().find(cycle);
  if (known == windows_by_cycle().end())
    return make_error(ec::invalid_argument, "unknown dependency cycle '" + cycle
                                              + "' (hour, day, week or month)");
  const auto& names = known->second;
  if (std::find(names.begin(), names.end(), window) == names.end())
    return make_error(ec::invalid_argument,
                      "window '" + window + "' is not a window of cycle '" + cycle + "'");
  auto today = local_day(logical_time, zone);
  std::vector<period> out;
  if (cycle == "hour") {
    // The absolute hour that holds the logical time: its local minutes and
    // seconds taken off (right in zones with half-hour offsets too).
    auto local = to_local(logical_time, zone).time_since_epoch().count();
    auto start = logical_time - (((local % hour_ms) + hour_ms) % hour_ms);
    int back = window == "currentHour" ? 0
               : window == "last1Hour" ? 1
               : window == "last2Hours" ? 2
               : window == "last3Hours" ? 3
                                        : 24;
    if (back == 0)
      return std::vector<period>{{start, start + hour_ms}};
    for (int i = back; i >= 1; --i)
      out.push_back({start - i * hour_ms, start - (i - 1) * hour_ms});
    return out;
  }
  if (cycle == "day") {
    if (window == "today")
      return days(today, 1, zone);
    int back = window == "last1Days" ? 1 : window == "last2Days" ? 2 : window == "last3Days" ? 3 : 7;
    return days(today - date::days{back}, back, zone);
  }
  if (cycle == "week") {
    auto monday = today - date::days{(date::weekday{today}.c_encoding() + 6) % 7};
    auto week = [&](date::local_days first) {
      return std::vector<period>{{midnight(first, zone), midnight(first + date::days{7}, zone)}};
    };
    if (window == "thisWeek")
      return week(monday);
    auto last_monday = monday - date::days{7};
    if (window == "lastWeek")
      return week(last_monday);
    // lastMonday ... lastSunday: that day of last week.
    const auto& all = windows_by_cycle().at("week");
    auto index = std::find(all.begin(), all.end(), window) - all.begin() - 2;
    return days(last_monday + date::days{static_cast<int>(index)}, 1, zone);
  }
  // month
  auto this_month = month_start(today, 0);
  auto last_month = month_start(today, -1);
  if (window == "thisMonth")
    return std::vector<period>{
      {midnight(this_month, zone), midnight(month_start(today, 1), zone)}};
  if (window == "lastMonth")
    return std::vector<period>{{midnight(last_month, zone), midnight(this_month, zone)}};
  if (window == "lastMonthBegin")
    return days(last_month, 1, zone);
  return days(this_month - date::days{1}, 1, zone); // lastMonthEnd
}

expected<dependency_verdict> evaluate_dependencies(const dependency_expr& expr,
                                                   timestamp logical_time,
                                                   const date::time_zone& zone,
                                                   const upstream_lookup& lookup) {
  if (expr.what == dependency_expr::kind::item)
    return evaluate_item(expr.item, logical_time, zone, lookup);
  dependency_verdict v;
  v.what = expr.what;
  for (const auto& child : expr.children) {
    auto c = evaluate_dependencies(child, logical_time, zone, lookup);
    if (!c)
      return c.error();
    v.children.push_back(std::move(*c));
  }
  auto count = [&](dependency_state s) {
    return std::count_if(v.children.begin(), v.children.end(),
                         [s](const dependency_verdict& c) { return c.state == s; });
  };
  auto failed = count(dependency_state::failed);
  auto holding = count(dependency_state::holds);
  auto total = static_cast<std::ptrdiff_t>(v.children.size());
  if (expr.what == dependency_expr::kind::all)
    v.state = failed > 0           ? dependency_state::failed
              : holding == total   ? dependency_state::holds
                                   : dependency_state::waiting;
  else
    v.state = holding > 0 || total == 0 ? dependency_state::holds
              : failed == total         ? dependency_state::failed
                                        : dependency_state::waiting;
  if (v.state == dependency_state::failed) {
    // all: failed since its first child failed; any: since its last one did.
    bool first = true;
    for (const auto& c : v.children)
      if (c.state == dependency_state::failed) {
        v.failed_at = first ? c.failed_at
                      : expr.what == dependency_expr::kind::all ? std::min(v.failed_at, c.failed_at)
                                                                : std::max(v.failed_at, c.failed_at);
        first = false;
      }
  }
  return v;
}

std::optional<dependency_expr> windowed_part(const dependency_expr& expr) {
  if (expr.what == dependency_expr::kind::item) {
    if (expr.item.window.empty())
      return std::nullopt;
    return expr;
  }
  dependency_expr group;
  group.what = expr.what;
  for (const auto& child : expr.children)
    if (auto part = windowed_part(child))
      group.children.push_back(std::move(*part));
  if (group.children.empty())
    return std::nullopt;
  return group;
}

bool mixes_windows_in_any(const dependency_expr& expr) {
  if (expr.what == dependency_expr::kind::item)
    return false;
  for (const auto& child : expr.children)
    if (mixes_windows_in_any(child))
      return true;
  if (expr.what != dependency_expr::kind::any)
    return false;
  // Does the <any> have both kinds below it?
  std::function<void(const dependency_expr&, bool&, bool&)> scan =
    [&](const dependency_expr& e, bool& windowed, bool& flags) {
      if (e.what == dependency_expr::kind::item)
        (e.item.window.empty() ? flags : windowed) = true;
      for (const auto& c : e.children)
        scan(c, windowed, flags);
    };
  bool windowed = false, flags = false;
  scan(expr, windowed, flags);
  return windowed && flags;
}

std::string explain(const dependency_verdict& verdict, const date::time_zone& zone) {
  std::string out;
  explain_into(verdict, zone, 0, out);
  if (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

nlohmann::json to_json(const dependency_verdict& v, const date::time_zone& zone) {
  nlohmann::json j;
  if (v.what != dependency_expr::kind::item) {
    j["kind"] = v.what == dependency_expr::kind::all ? "all" : "any";
    j["state"] = to_string(v.state);
    j["children"] = nlohmann::json::array();
    for (const auto& c : v.children)
      j["children"].push_back(to_json(c, zone));
  } else {
    j["kind"] = "item";
    j["state"] = to_string(v.state);
    j["workflow"] = v.item.workflow;
    j["node"] = v.item.node;
    j["cycle"] = v.item.cycle;
    j["window"] = v.item.window;
    j["periods"] = nlohmann::json::array();
    for (const auto& p : v.periods) {
      nlohmann::json pj{{"from", zoned_time_json(p.span.from, zone)},
                        {"to", zoned_time_json(p.span.to, zone)},
                        {"state", to_string(p.state)},
                        {"instance", nullptr}};
      if (p.seen)
        pj["instance"] = {{"id", p.seen->id},
                          {"logical_time", zoned_time_json(p.seen->logical_time, zone)},
                          {"status", p.seen->status}};
      j["periods"].push_back(std::move(pj));
    }
  }
  if (v.state == dependency_state::failed && v.failed_at != 0)
    j["failed_at"] = to_iso8601(v.failed_at);
  return j;
}

dependency_outcome apply_failure_policy(const dependency_verdict& verdict,
                                        const std::string& on_failure, int wait_minutes,
                                        timestamp waiting_since, timestamp now,
                                        const date::time_zone& zone) {
  dependency_outcome out;
  auto text = explain(verdict, zone);
  switch (verdict.state) {
    case dependency_state::holds:
      out.state = dependency_state::holds;
      out.message = "dependencies hold:\n" + text;
      return out;
    case dependency_state::waiting:
      out.state = dependency_state::waiting;
      out.message = "waiting for dependencies:\n" + text;
      return out;
    case dependency_state::failed:
      break;
  }
  if (on_failure != "wait") {
    out.state = dependency_state::failed;
    out.message = "dependencies failed:\n" + text;
    return out;
  }
  // Waited from when the failure was first seen: not before this waiter
  // began to wait, not before the upstream failed.
  auto since = std::max(verdict.failed_at, waiting_since);
  out.deadline = since + static_cast<timestamp>(wait_minutes) * 60'000;
  if (now >= out.deadline) {
    out.state = dependency_state::failed;
    out.message = "dependencies failed (no successful rerun within " + std::to_string(wait_minutes)
                  + " minutes, until " + show(out.deadline, zone) + "):\n" + text;
    out.deadline = 0;
    return out;
  }
  out.state = dependency_state::waiting;
  out.message = "waiting for dependencies (an upstream failed; waiting for a successful rerun "
                "until "
                + show(out.deadline, zone) + "):\n" + text;
  return out;
}

} // namespace cafflow
