#include "http/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>

namespace cafflow {

namespace {

/// A sample value as Prometheus writes it (Go's ParseFloat reads it back).
std::string number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string number(std::uint64_t v) {
  return std::to_string(v);
}

std::string escape_label(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

/// Writes families one after the other, each with its HELP and TYPE lines.
class exposition {
public:
  void family(const std::string& name, const char* type, const std::string& help) {
    out_ += "# HELP " + name + ' ';
    for (char c : help)
      out_ += c == '\\' ? std::string("\\\\") : c == '\n' ? std::string("\\n") : std::string(1, c);
    out_ += "\n# TYPE " + name + ' ' + type + '\n';
  }

  void sample(const std::string& name, const std::string& labels, const std::string& value) {
    out_ += name;
    if (!labels.empty())
      out_ += '{' + labels + '}';
    out_ += ' ' + value + '\n';
  }

  /// One label pair, value escaped.
  static std::string label(const std::string& name, const std::string& value) {
    return name + "=\"" + escape_label(value) + '"';
  }

  void single(const std::string& name, const char* type, const std::string& help,
              const std::string& value) {
    family(name, type, help);
    sample(name, {}, value);
  }

  /// A family with one label: the `always` values first (0 when absent, so
  /// that rates work from the start), then any others `values` has.
  void labelled(const std::string& name, const char* type, const std::string& help,
                const std::string& label_name, const std::vector<std::string>& always,
                const std::map<std::string, std::uint64_t>& values) {
    family(name, type, help);
    for (const auto& key : always) {
      auto it = values.find(key);
      sample(name, label(label_name, key), number(it == values.end() ? 0 : it->second));
    }
    for (const auto& [key, value] : values)
      if (std::find(always.begin(), always.end(), key) == always.end())
        sample(name, label(label_name, key), number(value));
  }

  void histogram(const std::string& name, const std::string& help, const histogram_data& h) {
    family(name, "histogram", help);
    // Buckets only when they are consistent; +Inf, _sum and _count always.
    bool consistent = h.cumulative.size() == h.bounds.size() + 1 && h.cumulative.back() == h.count;
    for (std::size_t i = 1; consistent && i < h.cumulative.size(); ++i)
      consistent = h.cumulative[i - 1] <= h.cumulative[i] && std::isfinite(h.bounds[i - 1]) &&
                   (i == 1 || h.bounds[i - 2] < h.bounds[i - 1]);
    if (consistent)
      for (std::size_t i = 0; i < h.bounds.size(); ++i)
        sample(name + "_bucket", label("le", number(h.bounds[i])), number(h.cumulative[i]));
    sample(name + "_bucket", label("le", "+Inf"), number(h.count));
    sample(name + "_sum", {}, number(h.sum));
    sample(name + "_count", {}, number(h.count));
  }

  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

} // namespace

std::string render_metrics(const metrics_snapshot& m) {
  exposition e;
  e.single("cafflow_master_epoch", "gauge",
           "Leader epoch of the active master (increases with every takeover).", number(m.epoch));
  e.single("cafflow_failovers_total", "counter",
           "Takeovers from another master done by the active master (1 after a failover, "
           "else 0; the epoch counts every new master).",
           number(m.failovers));
  e.single("cafflow_failover_takeover_seconds", "gauge",
           "How long after the previous master's lease ended the active master took over.",
           number(static_cast<double>(m.takeover_ms) / 1000.0));
  e.single("cafflow_master_start_time_seconds", "gauge",
           "When the active master started, in seconds since the Unix epoch.",
           number(static_cast<double>(m.started) / 1000.0));

  e.labelled("cafflow_instances", "gauge",
             "Instances by state: running, or queued behind their workflow's instance-limit.",
             "state", {"queued", "running"},
             {{"queued", m.instances_queued}, {"running", m.instances_running}});
  e.labelled("cafflow_instances_ended_total", "counter",
             "Instances ended since the master started, by final state.", "state",
             {"succeeded", "failed", "killed"}, m.instances_ended);

  const auto& d = m.dispatch;
  e.single("cafflow_attempts_started_total", "counter",
           "Attempts sent to a worker since the master started.", number(d.attempts_started));
  std::uint64_t failed = 0;
  for (const auto& [outcome, n] : d.attempts_ended)
    if (outcome == "failed" || outcome == "timed_out" || outcome == "lost")
      failed += n;
  e.single("cafflow_attempts_failed_total", "counter",
           "Attempts that failed, timed out or were lost since the master started.",
           number(failed));
  e.labelled("cafflow_attempts_ended_total", "counter",
             "Attempts ended since the master started, by outcome.", "outcome",
             {"succeeded", "failed", "timed_out", "lost", "killed"}, d.attempts_ended);
  e.histogram("cafflow_dispatch_latency_seconds",
              "Time from an attempt being queued at the dispatcher to its being sent to a worker.",
              d.dispatch_latency);
  e.histogram("cafflow_fire_dispatch_lag_seconds",
              "Time from the cron tick (logical time) that started an instance to the dispatch "
              "of its first attempt to a worker.",
              d.fire_dispatch_lag);
  e.single("cafflow_attempts_queued", "gauge", "Attempts waiting for a free slot.",
           number(d.queued_attempts));
  e.labelled("cafflow_workers", "gauge",
             "Workers by state: up (registered) or down (seen, then lost and not back).", "state",
             {"up", "down"}, {{"up", d.workers_up}, {"down", d.workers_down}});
  e.single("cafflow_worker_slots", "gauge", "Slots of the registered workers.",
           number(d.slots_total));
  e.single("cafflow_worker_slots_free", "gauge",
           "Slots of the registered workers that run no attempt.", number(d.slots_free));
  std::vector<std::string> pools;
  for (const auto& [pool, size] : d.pool_slots)
    pools.push_back(pool);
  e.labelled("cafflow_pool_slots", "gauge", "Slots of each pool of the config's [pools].",
             "pool", pools, d.pool_slots);
  e.labelled("cafflow_pool_slots_in_use", "gauge",
             "Attempts of each pool running now (at most its slots).", "pool", pools,
             d.pool_in_use);

  const auto& s = m.store;
  e.histogram("cafflow_store_commit_duration_seconds",
              "Duration of each store transaction (group commit or fire), failed ones included.",
              s.commit_latency);
  e.single("cafflow_store_commit_failures_total", "counter",
           "Store transactions that failed (their writes are kept and retried).",
           number(s.commit_failures));
  e.single("cafflow_store_pending_writes", "gauge", "Writes waiting in memory for the next commit.",
           number(s.pending_writes));
  e.single("cafflow_store_available", "gauge", "1 when the store's last commit succeeded, else 0.",
           m.store_available ? "1" : "0");
  e.single("cafflow_store_writer_responsive", "gauge",
           "1 when the store writer answered this scrape in time; 0 when it is busy (e.g. on an "
           "unreachable database) and the store series are its last answer.",
           m.store_writer_answered ? "1" : "0");

  const auto& c = m.coordinator;
  e.histogram("cafflow_coordinator_lag_seconds",
              "Time from a cron tick's due (logical) time to its fire.", c.cron_lag);
  e.labelled("cafflow_coordinator_fires_total", "counter",
             "Coordinator fires since the master started, by trigger.", "trigger",
             {"cron", "dependency"}, c.fires);
  return e.take();
}

http_response handle_metrics(api_backend& backend, const http_request& request) {
  try {
    if (request.method != "GET" && request.method != "HEAD") {
      auto r = error_response(405, "method not allowed; use GET");
      r.headers.emplace_back("Allow", "GET");
      return r;
    }
    if (!request.query.empty())
      return error_response(400,
                            "/metrics takes no query parameters (got '" + request.query + "')");
    auto snapshot = backend.metrics();
    if (!snapshot)
      return error_response(http_status(snapshot.error().code), snapshot.error().message);
    http_response r;
    r.content_type = metrics_content_type;
    r.body = render_metrics(*snapshot);
    return r;
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

} // namespace cafflow
