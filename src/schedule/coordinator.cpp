#include "schedule/coordinator.hpp"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "util/tz.hpp"

namespace cafflow {

bool coordinator_memory::operator==(const coordinator_memory& other) const {
  auto same_ready = ready.size() == other.ready.size()
                    && std::equal(ready.begin(), ready.end(), other.ready.begin(),
                                  [](const auto& a, const auto& b) {
                                    return a.first == b.first
                                           && a.second.instance_id == b.second.instance_id
                                           && a.second.at == b.second.at;
                                  });
  return next_fire == other.next_fire && cron == other.cron && last_fire == other.last_fire
         && paused == other.paused && same_ready && waiting == other.waiting;
}

bool counts_for_dependencies(const std::string& trigger) {
  return trigger == "cron" || trigger == "dependency" || trigger == "trigger";
}

fire_admission admit_fire(const std::string& overlap, int instance_limit, int active) {
  if (active < instance_limit)
    return fire_admission::start;
  return overlap == "skip" ? fire_admission::skip : fire_admission::queue;
}

std::string to_json(const coordinator_memory& memory) {
  nlohmann::json ready = nlohmann::json::object();
  for (const auto& [name, r] : memory.ready)
    ready[name] = {{"instance", r.instance_id}, {"at", r.at}};
  nlohmann::json j{{"next_fire", memory.next_fire}, {"cron", memory.cron},
                   {"last_fire", memory.last_fire}, {"paused", memory.paused},
                   {"ready", std::move(ready)},     {"waiting", memory.waiting}};
  return j.dump();
}

expected<coordinator_memory> coordinator_memory_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return error{ec::store_error, "coordinator state is not a JSON object: " + text};
  try {
    coordinator_memory m;
    m.next_fire = j.value("next_fire", timestamp{0});
    m.cron = j.value("cron", std::string{});
    m.last_fire = j.value("last_fire", timestamp{0});
    m.paused = j.value("paused", false);
    if (auto it = j.find("ready"); it != j.end())
      for (const auto& [name, r] : it->items())
        m.ready[name] = upstream_ready{r.at("instance").get<std::string>(),
                                       r.at("at").get<timestamp>()};
    if (auto it = j.find("waiting"); it != j.end())
      m.waiting = it->get<std::vector<timestamp>>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    return error{ec::store_error, std::string("coordinator state: ") + e.what()};
  }
}

expected<coordinator_logic> coordinator_logic::make(std::string name,
                                                    const coordinator_spec& spec,
                                                    const date::time_zone& zone,
                                                    std::size_t max_catchup) {
  coordinator_logic c;
  c.name_ = std::move(name);
  c.zone_ = &zone;
  c.cron_text_ = spec.cron;
  if (!spec.cron.empty()) {
    auto cron = cron_expr::parse(spec.cron);
    if (!cron)
      return cron.error();
    c.cron_ = std::move(*cron);
  }
  for (auto [text, out] : {std::pair{&spec.start_time, &c.start_},
                           std::pair{&spec.end_time, &c.end_}}) {
    if (text->empty())
      continue;
    auto t = parse_local_time(*text, zone);
    if (!t)
      return t.error();
    *out = *t;
  }
  c.depends_ = spec.depends;
  for (auto& upstream : dependency_workflows(spec.depends))
    if (std::find(c.upstreams_.begin(), c.upstreams_.end(), upstream) == c.upstreams_.end())
      c.upstreams_.push_back(std::move(upstream));
  c.enabled_ = spec.enabled;
  c.catchup_all_ = spec.catchup == "all";
  c.catchup_last_ = spec.catchup == "last";
  c.max_catchup_ = std::max<std::size_t>(1, max_catchup);
  c.memory_.cron = spec.cron;
  return c;
}

std::vector<fire_decision> coordinator_logic::start(std::optional<coordinator_memory> stored,
                                                    const std::set<timestamp>& fired,
                                                    timestamp now) {
  if (!stored || stored->cron != cron_text_) {
    // New, or its cron changed: the schedule begins now. Flags and the
    // pause survive a changed definition.
    if (stored) {
      memory_ = std::move(*stored);
      memory_.waiting.clear();
      memory_.cron = cron_text_;
    }
    memory_.next_fire = next_tick(now);
    return settle(now);
  }
  memory_ = std::move(*stored);
  if (cron_ && memory_.next_fire == 0)
    memory_.next_fire = next_tick(now);
  if (!cron_ || memory_.next_fire == 0 || memory_.next_fire > now)
    return settle(now);
  // Ticks in [next_fire, now] were missed while no master ran. Only the
  // newest max_catchup ones are looked at, newest first.
  std::vector<timestamp> missed;
  auto limit = catchup_all_ ? max_catchup_ : 1;
  bool more = false;
  for (auto t = cron_->previous(now + 1, *zone_); t && *t >= memory_.next_fire;
       t = cron_->previous(*t, *zone_)) {
    if (!in_window(*t) || fired.count(*t) > 0)
      continue;
    if (missed.size() == limit) {
      more = true;
      break;
    }
    missed.push_back(*t);
  }
  std::reverse(missed.begin(), missed.end());
  memory_.next_fire = next_tick(now);
  if (!missed.empty()) {
    if (!enabled_ || memory_.paused || (!catchup_all_ && !catchup_last_)) {
      notes_.push_back("ticks missed while no master ran are skipped (from " + show(missed.front())
                       + (enabled_ && !memory_.paused ? ", catchup none)" : ", not enabled)"));
    } else {
      if (more)
        notes_.push_back("more than " + std::to_string(max_catchup_)
                         + " ticks were missed; only the newest "
                         + std::to_string(missed.size()) + " run (catchup "
                         + (catchup_all_ ? "all" : "last") + ")");
      for (auto t : missed)
        enqueue(t);
    }
  }
  return settle(now);
}

std::vector<fire_decision> coordinator_logic::tick(timestamp now) {
  std::vector<fire_decision> fires;
  while (cron_ && memory_.next_fire != 0 && memory_.next_fire <= now) {
    auto t = memory_.next_fire;
    memory_.next_fire = next_tick(t);
    if (!enabled_ || memory_.paused) {
      notes_.push_back("tick " + show(t) + " passes: " + (enabled_ ? "paused" : "not enabled"));
      continue;
    }
    // Each tick settles before the next: a tick that needs nothing fires
    // even when several came due at once.
    enqueue(t);
    auto fired = settle(now);
    std::move(fired.begin(), fired.end(), std::back_inserter(fires));
  }
  auto fired = settle(now);
  std::move(fired.begin(), fired.end(), std::back_inserter(fires));
  return fires;
}

std::vector<fire_decision> coordinator_logic::upstream_succeeded(const std::string& upstream,
                                                                 const std::string& instance_id,
                                                                 timestamp now) {
  if (std::find(upstreams_.begin(), upstreams_.end(), upstream) == upstreams_.end())
    return {};
  memory_.ready[upstream] = upstream_ready{instance_id, now};
  return settle(now);
}

void coordinator_logic::pause() {
  memory_.paused = true;
}

std::vector<fire_decision> coordinator_logic::resume(timestamp now) {
  memory_.paused = false;
  // Ticks that passed meanwhile are gone; the schedule continues from now.
  if (cron_ && (memory_.next_fire == 0 || memory_.next_fire <= now))
    memory_.next_fire = next_tick(now);
  return settle(now);
}

void coordinator_logic::reset() {
  memory_.ready.clear();
}

std::optional<timestamp> coordinator_logic::wakeup() const {
  if (!cron_ || memory_.next_fire == 0)
    return std::nullopt;
  return memory_.next_fire;
}

std::vector<timestamp> coordinator_logic::upcoming(timestamp now, std::size_t n) const {
  std::vector<timestamp> result;
  if (!cron_ || !enabled_ || memory_.paused)
    return result;
  for (auto t = next_tick(now); t != 0 && result.size() < n; t = next_tick(t))
    result.push_back(t);
  return result;
}

bool coordinator_logic::dependencies_ready() const {
  return upstreams_.empty() || holds(depends_);
}

std::vector<std::string> coordinator_logic::take_notes() {
  return std::exchange(notes_, {});
}

std::vector<fire_decision> coordinator_logic::settle(timestamp now) {
  std::vector<fire_decision> fires;
  if (!enabled_ || memory_.paused)
    return fires;
  auto fire = [&](timestamp logical_time, const char* trigger) {
    fires.push_back(fire_decision{logical_time, trigger, std::move(memory_.ready)});
    memory_.ready.clear();
    memory_.last_fire = logical_time;
  };
  if (cron_) {
    while (!memory_.waiting.empty() && dependencies_ready()) {
      auto t = memory_.waiting.front();
      memory_.waiting.erase(memory_.waiting.begin());
      fire(t, "cron");
    }
  } else if (!upstreams_.empty() && dependencies_ready() && in_window(now)) {
    fire(now, "dependency");
  }
  return fires;
}

void coordinator_logic::enqueue(timestamp tick) {
  if (!catchup_all_ && !memory_.waiting.empty()) {
    notes_.push_back("tick " + show(memory_.waiting.back()) + " still waited for its dependencies; "
                     + show(tick) + " replaces it");
    memory_.waiting.clear();
  }
  memory_.waiting.push_back(tick);
  if (memory_.waiting.size() > max_catchup_) {
    notes_.push_back("tick " + show(memory_.waiting.front()) + " dropped: more than "
                     + std::to_string(max_catchup_) + " ticks wait for dependencies");
    memory_.waiting.erase(memory_.waiting.begin());
  }
}

timestamp coordinator_logic::next_tick(timestamp after) const {
  if (!cron_)
    return 0;
  // Before the window opens, the first tick is the first at or after its start.
  if (start_ != 0 && after < start_ - 1)
    after = start_ - 1;
  auto t = cron_->next(after, *zone_);
  if (!t || (end_ != 0 && *t > end_))
    return 0;
  return *t;
}

bool coordinator_logic::in_window(timestamp t) const {
  return (start_ == 0 || t >= start_) && (end_ == 0 || t <= end_);
}

std::string coordinator_logic::show(timestamp t) const {
  return format_local_time(t, *zone_);
}

bool coordinator_logic::holds(const dependency_expr& expr) const {
  switch (expr.what) {
    case dependency_expr::kind::item:
      // With a cron, a date-window item does not hold the tick back: the
      // instance is created and waits for its window (schedule/windows).
      // Without one, its upstream's success is what fires, as a flag.
      if (!expr.item.window.empty() && cron_)
        return true;
      return memory_.ready.count(expr.item.workflow) > 0;
    case dependency_expr::kind::any:
      return std::any_of(expr.children.begin(), expr.children.end(),
                         [this](const dependency_expr& c) { return holds(c); });
    case dependency_expr::kind::all:
      break;
  }
  return std::all_of(expr.children.begin(), expr.children.end(),
                     [this](const dependency_expr& c) { return holds(c); });
}

} // namespace cafflow
