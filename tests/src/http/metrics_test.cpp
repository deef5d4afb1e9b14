#include "http/metrics.hpp"

#include <limits>

#include <doctest/doctest.h>

#include "prometheus_text.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A snapshot with every part filled in.
metrics_snapshot busy_snapshot() {
  metrics_snapshot m;
  m.epoch = 3;
  m.failovers = 1;
  m.takeover_ms = 250;
  m.started = 1700000000123;
  m.instances_running = 4;
  m.instances_queued = 2;
  m.instances_ended = {{"succeeded", 10}, {"failed", 2}};
  m.store_available = false;
  m.store_writer_answered = true;
  auto& d = m.dispatch;
  d.attempts_started = 17;
  d.attempts_ended = {
      {"succeeded", 9}, {"failed", 3}, {"timed_out", 1}, {"lost", 2}, {"killed", 1}};
  auto dispatch = histogram::latency_seconds();
  for (double v : {0.0002, 0.003, 0.003, 0.7, 42.0})
    dispatch.observe(v);
  d.dispatch_latency = dispatch.snapshot();
  d.queued_attempts = 5;
  d.workers_up = 2;
  d.workers_down = 1;
  d.slots_total = 8;
  d.slots_free = 3;
  auto commits = histogram::latency_seconds();
  commits.observe(0.004);
  m.store.commit_latency = commits.snapshot();
  m.store.commit_failures = 6;
  m.store.pending_writes = 120;
  histogram lag{{0.01, 1, 60}};
  lag.observe(0.002);
  lag.observe(3600);
  m.coordinator.cron_lag = lag.snapshot();
  m.coordinator.fires = {{"cron", 2}, {"dependency", 1}};
  return m;
}

/// A backend that answers only metrics (or the error it is given).
class metrics_backend final : public api_backend {
public:
  expected<metrics_snapshot> answer = metrics_snapshot{};
  int calls = 0;

  expected<metrics_snapshot> metrics() override {
    ++calls;
    return answer;
  }

  expected<health_record> health() override { return unused(); }
  expected<cluster_view> cluster() override { return unused(); }
  expected<std::vector<workflow_record>> workflows() override { return unused(); }
  expected<std::vector<xml_file_record>> xml_files() override { return unused(); }
  expected<std::vector<instance_record>> instances(const instance_filter&) override {
    return unused();
  }
  expected<instance_record> instance(const std::string&) override { return unused(); }
  expected<workflow_detail> workflow(const std::string&) override { return unused(); }
  expected<std::string> start(const start_request&) override { return unused(); }
  expected<void> rerun(const std::string&, const rerun_request&) override { return unused(); }
  expected<void> coordinate(const std::string&, const std::string&) override { return unused(); }
  expected<void> kill(const std::string&) override { return unused(); }
  expected<log_chunk> node_log(const std::string&, const std::string&, int, std::int64_t) override {
    return unused();
  }

private:
  static error unused() { return make_error(ec::unspecified, "not in this test"); }
};

http_request get_metrics(const std::string& method = "GET", const std::string& query = "") {
  http_request r;
  r.method = method;
  r.path = "/metrics";
  r.query = query;
  return r;
}

/// The checked exposition; fails the test with every format error.
prom_exposition checked(const std::string& text) {
  auto e = check_prometheus_text(text);
  INFO(text);
  CHECK_MESSAGE(e.ok(), e.report());
  auto naming = cafflow_naming_errors(e);
  CHECK_MESSAGE(naming.empty(), join(naming, "\n"));
  return e;
}

} // namespace

TEST_SUITE_BEGIN("metrics");

// -- the checker must be able to say no ----------------------------------------

TEST_CASE("the checker accepts a well-formed exposition") {
  auto e = check_prometheus_text("# HELP x_total Things.\n# TYPE x_total counter\n"
                                 "x_total{a=\"1\"} 3\nx_total{a=\"2\"} 4 1700000000000\n"
                                 "# a plain comment\n"
                                 "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
                                 "h_seconds_bucket{le=\"0.1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 2\n"
                                 "h_seconds_sum 0.5\nh_seconds_count 2\n");
  CHECK_MESSAGE(e.ok(), e.report());
  CHECK(e.value("x_total", {{"a", "2"}}) == 4);
  CHECK(e.families.at("h_seconds").samples.size() == 4);
}

TEST_CASE("the checker rejects broken expositions") {
  struct bad_case {
    const char* what;
    std::string text;
    const char* expected;
  };
  const std::string counter = "# HELP c_total C.\n# TYPE c_total counter\n";
  const std::string hist = "# HELP h H.\n# TYPE h histogram\n";
  std::vector<bad_case> cases{
      {"no final line feed", counter + "c_total 1", "line feed"},
      {"sample without a family", "x 1\n", "belongs to no family"},
      {"sample before its TYPE", "c_total 1\n" + counter, "belongs to no family"},
      {"no HELP", "# TYPE g gauge\ng 1\n", "no HELP"},
      {"no TYPE", "# HELP g G.\ng 1\n", "belongs to no family"},
      {"unknown type", "# HELP g G.\n# TYPE g meter\n", "unknown type"},
      {"two TYPE lines", "# HELP g G.\n# TYPE g gauge\n# TYPE g gauge\n", "second TYPE"},
      {"bad metric name", counter + "1c_total 1\n", "invalid metric name"},
      {"bad label name", counter + "c_total{1a=\"x\"} 1\n", "invalid label name"},
      {"reserved label name", counter + "c_total{__a=\"x\"} 1\n", "reserved"},
      {"unquoted label value", counter + "c_total{a=x} 1\n", "expected '=\"'"},
      {"bad escape", counter + "c_total{a=\"\\t\"} 1\n", "invalid escape"},
      {"unterminated label value", counter + "c_total{a=\"x} 1\n", "unterminated"},
      {"label twice", counter + "c_total{a=\"x\",a=\"y\"} 1\n", "given twice"},
      {"bad value", counter + "c_total one\n", "invalid sample value"},
      {"no blank before the value", counter + "c_total{a=\"b c\"}1\n", "expected a blank"},
      {"negative counter", counter + "c_total -1\n", "must be a number >= 0"},
      {"duplicate series", counter + "c_total{a=\"1\"} 1\nc_total{a=\"1\"} 2\n", "duplicate"},
      {"scattered family",
       counter + "c_total{a=\"1\"} 1\n# HELP g G.\n# TYPE g gauge\ng 1\nc_total{a=\"2\"} 1\n",
       "not all in one group"},
      {"HELP after samples", "# TYPE g gauge\ng 1\n# HELP g G.\n", "after its samples"},
      {"no +Inf bucket", hist + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf"},
      {"+Inf bucket differs from _count",
       hist + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
       "_count is not"},
      {"decreasing buckets",
       hist + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum "
              "1\nh_count 2\n",
       "decrease"},
      {"unsorted bounds",
       hist + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum "
              "1\nh_count 1\n",
       "not strictly increasing"},
      {"bucket without le", hist + "h_bucket 1\nh_sum 1\nh_count 1\n", "without an le"},
      {"le not a number",
       hist + "h_bucket{le=\"x\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "not a number"},
      {"no _sum", hist + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "no _sum"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto e = check_prometheus_text(c.text);
    CHECK_FALSE(e.ok());
    CHECK_MESSAGE(e.report().find(c.expected) != std::string::npos, e.report());
  }
}

TEST_CASE("the naming rules flag a counter without _total and a gauge with it") {
  auto e =
      check_prometheus_text("# HELP cafflow_a A.\n# TYPE cafflow_a counter\ncafflow_a 1\n"
                            "# HELP cafflow_b_total B.\n# TYPE cafflow_b_total gauge\n"
                            "cafflow_b_total 1\n# HELP other O.\n# TYPE other gauge\nother 1\n");
  REQUIRE(e.ok());
  auto errors = join(cafflow_naming_errors(e), "\n");
  CHECK(errors.find("cafflow_a does not end with _total") != std::string::npos);
  CHECK(errors.find("cafflow_b_total ends with _total") != std::string::npos);
  CHECK(errors.find("other lacks the cafflow_ prefix") != std::string::npos);
}

// -- the renderer --------------------------------------------------------------

TEST_CASE("an empty snapshot renders every family with zeros") {
  auto e = checked(render_metrics(metrics_snapshot{}));
  for (const char* name :
       {"cafflow_master_epoch", "cafflow_failovers_total", "cafflow_failover_takeover_seconds",
        "cafflow_instances", "cafflow_instances_ended_total",
        "cafflow_attempts_started_total", "cafflow_attempts_failed_total",
        "cafflow_attempts_ended_total", "cafflow_dispatch_latency_seconds",
        "cafflow_fire_dispatch_lag_seconds",
        "cafflow_attempts_queued", "cafflow_workers", "cafflow_worker_slots",
        "cafflow_worker_slots_free", "cafflow_store_commit_duration_seconds",
        "cafflow_store_pending_writes", "cafflow_store_commit_failures_total",
        "cafflow_coordinator_lag_seconds", "cafflow_coordinator_fires_total",
        "cafflow_store_available", "cafflow_store_writer_responsive"}) {
    CAPTURE(name);
    CHECK(e.families.count(name) == 1);
  }
  CHECK(e.value("cafflow_instances", {{"state", "running"}}) == 0);
  CHECK(e.value("cafflow_instances_ended_total", {{"state", "killed"}}) == 0);
  CHECK(e.value("cafflow_attempts_ended_total", {{"outcome", "lost"}}) == 0);
  CHECK(e.value("cafflow_dispatch_latency_seconds_count") == 0);
  CHECK(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "+Inf"}}) == 0);
}

TEST_CASE("a busy snapshot renders its numbers") {
  auto m = busy_snapshot();
  auto e = checked(render_metrics(m));
  CHECK(e.value("cafflow_master_epoch") == 3);
  CHECK(e.value("cafflow_failovers_total") == 1);
  CHECK(e.value("cafflow_failover_takeover_seconds") == doctest::Approx(0.25));
  CHECK(e.value("cafflow_master_start_time_seconds") == doctest::Approx(1700000000.123));
  CHECK(e.value("cafflow_instances", {{"state", "running"}}) == 4);
  CHECK(e.value("cafflow_instances", {{"state", "queued"}}) == 2);
  CHECK(e.value("cafflow_instances_ended_total", {{"state", "succeeded"}}) == 10);
  CHECK(e.value("cafflow_instances_ended_total", {{"state", "failed"}}) == 2);
  CHECK(e.value("cafflow_attempts_started_total") == 17);
  // failed, timed out and lost count as failed; killed does not.
  CHECK(e.value("cafflow_attempts_failed_total") == 6);
  CHECK(e.value("cafflow_attempts_ended_total", {{"outcome", "timed_out"}}) == 1);
  CHECK(e.value("cafflow_attempts_queued") == 5);
  CHECK(e.value("cafflow_workers", {{"state", "up"}}) == 2);
  CHECK(e.value("cafflow_workers", {{"state", "down"}}) == 1);
  CHECK(e.value("cafflow_worker_slots") == 8);
  CHECK(e.value("cafflow_worker_slots_free") == 3);
  CHECK(e.value("cafflow_store_pending_writes") == 120);
  CHECK(e.value("cafflow_store_commit_failures_total") == 6);
  CHECK(e.value("cafflow_store_available") == 0);
  CHECK(e.value("cafflow_store_writer_responsive") == 1);
  CHECK(e.value("cafflow_store_commit_duration_seconds_bucket", {{"le", "0.005"}}) == 1);
  CHECK(e.value("cafflow_store_commit_duration_seconds_bucket", {{"le", "0.0025"}}) == 0);
  CHECK(e.value("cafflow_coordinator_fires_total", {{"trigger", "cron"}}) == 2);
  CHECK(e.value("cafflow_coordinator_lag_seconds_count") == 2);
  CHECK(e.value("cafflow_coordinator_lag_seconds_bucket", {{"le", "60"}}) == 1);
  CHECK(e.value("cafflow_coordinator_lag_seconds_sum") == doctest::Approx(3600.002));
}

TEST_CASE("the dispatch histogram has every bucket in order with le as a number") {
  auto m = busy_snapshot();
  auto e = checked(render_metrics(m));
  const auto& f = e.families.at("cafflow_dispatch_latency_seconds");
  CHECK(f.type == "histogram");
  std::vector<std::string> les;
  for (const auto& s : f.samples)
    if (s.name == "cafflow_dispatch_latency_seconds_bucket")
      les.push_back(s.labels.at("le"));
  CHECK(les.front() == "0.001");
  CHECK(les.back() == "+Inf");
  CHECK(les.size() == m.dispatch.dispatch_latency.bounds.size() + 1);
  CHECK(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "0.001"}}) == 1);
  CHECK(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "0.005"}}) == 3);
  CHECK(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "10"}}) == 4);
  CHECK(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "+Inf"}}) == 5);
  CHECK(e.value("cafflow_dispatch_latency_seconds_count") == 5);
  CHECK(e.value("cafflow_dispatch_latency_seconds_sum") == doctest::Approx(42.7062));
}

TEST_CASE("the fire-to-dispatch lag histogram has the long buckets of a herd") {
  metrics_snapshot m;
  auto lag = histogram::lag_seconds();
  for (double v : {0.02, 3.0, 25.0, 25.0, 700.0})
    lag.observe(v);
  m.dispatch.fire_dispatch_lag = lag.snapshot();
  auto e = checked(render_metrics(m));
  const auto& f = e.families.at("cafflow_fire_dispatch_lag_seconds");
  CHECK(f.type == "histogram");
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_bucket", {{"le", "0.025"}}) == 1);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_bucket", {{"le", "5"}}) == 2);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_bucket", {{"le", "20"}}) == 2);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_bucket", {{"le", "30"}}) == 4);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_bucket", {{"le", "600"}}) == 4);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_bucket", {{"le", "+Inf"}}) == 5);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_count") == 5);
  CHECK(e.value("cafflow_fire_dispatch_lag_seconds_sum") == doctest::Approx(753.02));
}

TEST_CASE("label values with quotes and backslashes and line feeds are escaped") {
  metrics_snapshot m;
  m.instances_ended = {{"we\"ird\\st\nate", 1}};
  auto text = render_metrics(m);
  CHECK(text.find(R"(state="we\"ird\\st\nate")") != std::string::npos);
  auto e = checked(text);
  CHECK(e.value("cafflow_instances_ended_total", {{"state", "we\"ird\\st\nate"}}) == 1);
}

TEST_CASE("an inconsistent histogram from the wire still renders a valid family") {
  metrics_snapshot m;
  m.dispatch.dispatch_latency = histogram_data{{0.1, 0.2}, {5, 1, 7}, 1.5, 7}; // decreasing
  m.store.commit_latency = histogram_data{{0.1}, {}, 0.3, 2};                  // no counts
  auto e = checked(render_metrics(m));
  CHECK(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "+Inf"}}) == 7);
  CHECK_FALSE(e.value("cafflow_dispatch_latency_seconds_bucket", {{"le", "0.1"}}).has_value());
  CHECK(e.value("cafflow_store_commit_duration_seconds_count") == 2);
}

TEST_CASE("special sample values are written as Prometheus spells them") {
  metrics_snapshot m;
  m.coordinator.cron_lag = histogram_data{{1}, {0, 1}, std::numeric_limits<double>::infinity(), 1};
  auto text = render_metrics(m);
  CHECK(text.find("cafflow_coordinator_lag_seconds_sum +Inf\n") != std::string::npos);
  checked(text);
}

// -- the handler ---------------------------------------------------------------

TEST_CASE("GET /metrics answers the exposition as text version 0.0.4") {
  metrics_backend backend;
  backend.answer = busy_snapshot();
  auto r = handle_metrics(backend, get_metrics());
  CHECK(r.status == 200);
  CHECK(r.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(r.body == render_metrics(busy_snapshot()));
  CHECK(backend.calls == 1);
  auto head = handle_metrics(backend, get_metrics("HEAD"));
  CHECK(head.status == 200);
}

TEST_CASE("other methods get a 405 with Allow and a query string a 400") {
  metrics_backend backend;
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    CAPTURE(method);
    auto r = handle_metrics(backend, get_metrics(method));
    CHECK(r.status == 405);
    CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{{"Allow", "GET"}});
    CHECK(r.body.find("\"error\"") != std::string::npos);
  }
  auto q = handle_metrics(backend, get_metrics("GET", "name[]=x"));
  CHECK(q.status == 400);
  CHECK(q.body.find("name[]=x") != std::string::npos);
  CHECK(backend.calls == 0);
}

TEST_CASE("without a master /metrics is a 503 with the reason") {
  metrics_backend backend;
  backend.answer = make_error(ec::master_unreachable, "the master at 127.0.0.1:1 is not reachable");
  auto r = handle_metrics(backend, get_metrics());
  CHECK(r.status == 503);
  CHECK(r.content_type == "application/json");
  CHECK(r.body.find("is not reachable") != std::string::npos);
}
