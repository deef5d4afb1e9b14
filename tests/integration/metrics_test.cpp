// GET /metrics on a real cluster: the exposition passes the Prometheus format
// checker, and its numbers move as a workflow runs, a cron tick fires, an
// attempt fails and a worker is lost; it keeps answering while the database
// hangs or is down; without a master it is a 503.
#include <csignal>
#include <functional>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include "cluster.hpp"
#include "mariadb.hpp"
#include "prometheus_text.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

struct scrape {
  int status = 0;
  std::string content_type;
  std::string body;
};

/// GET /metrics, with the Content-Type the client sees.
scrape get_metrics(cluster& c) {
  scrape s;
  try {
    auto address = parse_host_port(c.http_address());
    REQUIRE(address.has_value());
    Poco::Net::HTTPClientSession session(address->host, static_cast<Poco::UInt16>(address->port));
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/metrics",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    s.status = static_cast<int>(response.getStatus());
    s.content_type = response.getContentType();
    Poco::StreamCopier::copyToString(in, s.body);
  } catch (const Poco::Exception& e) {
    s.body = e.displayText();
  }
  return s;
}

/// A valid exposition, or a failed check with every error.
prom_exposition checked(const scrape& s) {
  INFO(s.body);
  REQUIRE(s.status == 200);
  CHECK(s.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  auto e = check_prometheus_text(s.body);
  CHECK_MESSAGE(e.ok(), e.report());
  auto naming = cafflow_naming_errors(e);
  CHECK_MESSAGE(naming.empty(), join(naming, "\n"));
  return e;
}

double value_of(const prom_exposition& e, const std::string& name, const prom_labels& labels = {}) {
  auto v = e.value(name, labels);
  return v ? *v : -1;
}

/// Scrapes until `moved` holds for a valid exposition; returns the last one.
/// Every scrape must answer 200.
prom_exposition scrape_until(cluster& c, const std::function<bool(const prom_exposition&)>& moved,
                             std::chrono::seconds timeout = std::chrono::seconds(30)) {
  scrape last;
  bool ok = wait_until(
      [&] {
        last = get_metrics(c);
        CHECK_MESSAGE(last.status == 200, last.body);
        if (last.status != 200)
          return false;
        auto e = check_prometheus_text(last.body);
        return e.ok() && moved(e);
      },
      timeout, std::chrono::milliseconds(100));
  INFO(last.body);
  INFO(c.logs());
  CHECK(ok);
  return checked(last);
}

std::string shell_workflow(const std::string& name, const std::string& coordinator,
                           const std::string& command) {
  return "<work-flow name=\"" + name + "\" timezone=\"UTC\">" + coordinator +
         "<start name=\"s\" to=\"a\"/><action name=\"a\"><shell><command>" + command +
         "</command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

} // namespace

TEST_SUITE_BEGIN("metrics");

TEST_CASE("metrics move as a workflow runs and a cron tick fires") {
  cluster c;
  c.add_workflow("once.xml", shell_workflow("once", "", "true"));
  c.add_workflow("every_second.xml",
                 shell_workflow("every_second",
                                "<coordinator><depend-list cron=\"@seconds * * * * * *\"/></coordinator>",
                                "true"));
  c.start();

  // Before anything ran: a valid exposition with the cluster's shape.
  auto first = checked(get_metrics(c));
  CHECK(value_of(first, "cafflow_master_epoch") >= 1);
  CHECK(value_of(first, "cafflow_workers", {{"state", "up"}}) == 1);
  CHECK(value_of(first, "cafflow_workers", {{"state", "down"}}) == 0);
  CHECK(value_of(first, "cafflow_worker_slots") == 4);
  CHECK(value_of(first, "cafflow_store_writer_responsive") == 1);
  CHECK(value_of(first, "cafflow_store_available") == 1);

  auto id = c.run("once");
  CHECK(c.wait_for(id)["status"] == "succeeded");
  auto e = scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_attempts_started_total") >= 2 &&
           value_of(e, "cafflow_dispatch_latency_seconds_count") >= 2 &&
           value_of(e, "cafflow_coordinator_lag_seconds_count") >= 1 &&
           value_of(e, "cafflow_store_commit_duration_seconds_count") >= 1 &&
           value_of(e, "cafflow_instances_ended_total", {{"state", "succeeded"}}) >= 2;
  });
  // Every dispatched attempt is in the latency histogram once.
  CHECK(value_of(e, "cafflow_dispatch_latency_seconds_count") ==
        value_of(e, "cafflow_attempts_started_total"));
  CHECK(value_of(e, "cafflow_coordinator_fires_total", {{"trigger", "cron"}}) ==
        value_of(e, "cafflow_coordinator_lag_seconds_count"));
  CHECK(value_of(e, "cafflow_attempts_ended_total", {{"outcome", "succeeded"}}) >= 2);
  CHECK(value_of(e, "cafflow_attempts_failed_total") == 0);
  CHECK(value_of(e, "cafflow_store_commit_failures_total") == 0);
  CHECK(value_of(e, "cafflow_worker_slots_free") <= 4);
}

TEST_CASE("a failing attempt and a lost worker show in the metrics") {
  cluster c(cluster_options(2, 2));
  c.add_workflow("fails.xml", shell_workflow("fails", "", "exit 3"));
  c.start();
  auto id = c.run("fails");
  CHECK(c.wait_for(id)["status"] == "failed");
  auto e = scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_attempts_failed_total") >= 1 &&
           value_of(e, "cafflow_instances_ended_total", {{"state", "failed"}}) >= 1;
  });
  CHECK(value_of(e, "cafflow_attempts_ended_total", {{"outcome", "failed"}}) ==
        value_of(e, "cafflow_attempts_failed_total"));
  CHECK(value_of(e, "cafflow_workers", {{"state", "up"}}) == 2);
  CHECK(value_of(e, "cafflow_worker_slots") == 4);

  c.worker(1)->signal(SIGKILL);
  e = scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_workers", {{"state", "down"}}) == 1;
  });
  CHECK(value_of(e, "cafflow_workers", {{"state", "up"}}) == 1);
  CHECK(value_of(e, "cafflow_worker_slots") == 2);
  CHECK(value_of(e, "cafflow_worker_slots_free") == 2);
}

TEST_CASE("metrics keep answering while the database hangs and while it is down") {
  mariadb_server db;
  cluster_options opts;
  opts.extra_ini = "[store]\nurl = " + db.create_database("metrics") + "\n";
  cluster c(std::move(opts));
  // Fires (and so writes) every second.
  c.add_workflow("tick.xml",
                 shell_workflow("tick",
                                "<coordinator><depend-list cron=\"@seconds * * * * * *\"/></coordinator>",
                                "true"));
  c.start();
  scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_store_commit_duration_seconds_count") >= 1 &&
           value_of(e, "cafflow_coordinator_lag_seconds_count") >= 1;
  });

  // A frozen server accepts connections and answers nothing: the writer
  // hangs in its commit, and the scrape reports its last numbers instead.
  auto pids = pids_matching("--port=" + std::to_string(db.port()));
  REQUIRE(pids.size() == 1);
  struct thaw {
    int pid;
    ~thaw() { ::kill(pid, SIGCONT); }
  } thaw_at_end{pids[0]};
  REQUIRE(::kill(pids[0], SIGSTOP) == 0);
  auto frozen = scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_store_writer_responsive") == 0;
  });
  CHECK(value_of(frozen, "cafflow_store_commit_duration_seconds_count") >= 1);
  REQUIRE(::kill(pids[0], SIGCONT) == 0);
  scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_store_writer_responsive") == 1 &&
           value_of(e, "cafflow_store_available") == 1;
  });

  // Stopped: commits fail, writes wait, and the scrape says so.
  db.stop();
  scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_store_available") == 0 &&
           value_of(e, "cafflow_store_commit_failures_total") >= 1 &&
           value_of(e, "cafflow_store_pending_writes") >= 1;
  });
  db.start();
  scrape_until(c, [](const prom_exposition& e) {
    return value_of(e, "cafflow_store_available") == 1 &&
           value_of(e, "cafflow_store_writer_responsive") == 1;
  });
}

TEST_CASE("without a master /metrics answers 503 and POST a 405") {
  cluster c;
  c.start();
  auto post = c.api("POST", "/metrics", "");
  CHECK(post.status == 405);
  CHECK(c.api("GET", "/metrics?x=1").status == 400);
  c.master()->signal(SIGKILL);
  scrape last;
  CHECK(wait_until([&] {
    last = get_metrics(c);
    return last.status == 503;
  }));
  INFO(last.body);
  CHECK(last.body.find("\"error\"") != std::string::npos);
}

TEST_SUITE_END();
