#include "dispatcher.hpp"

#include "actor_fixture.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

attempt_spec attempt(const std::string& node, const std::string& host = {}) {
  attempt_spec s;
  s.instance_id = "i1";
  s.workflow = "w";
  s.node = node;
  s.attempt = 1;
  s.action_type = "shell";
  s.payload = "true";
  s.host = host;
  return s;
}

attempt_report final_report(const std::string& node, const std::string& worker) {
  attempt_report r;
  r.instance_id = "i1";
  r.node = node;
  r.attempt = 1;
  r.worker = worker;
  r.outcome = "succeeded";
  return r;
}

struct dispatcher_fixture : actor_fixture {
  dispatcher_actor dispatcher = sys.spawn(cafflow::dispatcher, dispatcher_settings(7));
  caf::actor probe = caf::actor_cast<caf::actor>(self);
  instance_runner_actor runner = sys.spawn(recording_runner, probe);

  worker_link_actor add_worker(const std::string& id, int slots,
                               const std::string& host = "h") {
    auto w = sys.spawn(recording_worker, id, probe);
    worker_info info{id, host, slots, {}, 1, {}};
    self->request(dispatcher, std::chrono::seconds(5), atom::register_::value, info, w)
      .receive([](std::uint64_t epoch) { CHECK(epoch == 7); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return w;
  }

  /// The next (run, worker, spec) the workers received.
  std::pair<std::string, attempt_spec> next_run() {
    std::pair<std::string, attempt_spec> result;
    expect([&](atom::run, const std::string& worker, const attempt_spec& spec) {
      result = {worker, spec};
    });
    return result;
  }

  /// The report that tells an attempt's runner, as it is sent, which worker
  /// runs it (so that the store names the worker at once).
  void expect_placed(const std::string& node, const std::string& worker) {
    expect([&](atom::report, const attempt_report& r) {
      CHECK(r.node == node);
      CHECK(r.outcome == "running");
      CHECK(r.worker == worker);
      CHECK(r.epoch != 0);
      CHECK(r.started != 0);
    });
  }

  /// `n` placed attempts: the runs the workers got, each with the report its
  /// runner got (they come through different actors, in either order).
  /// Other reports that come meanwhile go to `others`.
  std::map<std::string, std::string> next_placed(int n, std::vector<attempt_report>& others) {
    std::map<std::string, std::string> ran, told;
    while (static_cast<int>(ran.size()) < n || static_cast<int>(told.size()) < n)
      expect([&](atom::run, const std::string& worker, const attempt_spec& spec) {
               ran[spec.node] = worker;
             },
             [&](atom::report, const attempt_report& r) {
               if (r.outcome == "running")
                 told[r.node] = r.worker;
               else
                 others.push_back(r);
             });
    CHECK(ran == told);
    return ran;
  }

  ~dispatcher_fixture() {
    self->send_exit(dispatcher, caf::exit_reason::user_shutdown);
    self->send_exit(runner, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_SUITE_BEGIN("dispatcher");

TEST_CASE_FIXTURE(dispatcher_fixture, "attempts go to free slots and the rest wait for one") {
  add_worker("w1", 1);
  add_worker("w2", 2);
  for (auto node : {"a", "b", "c", "d"})
    self->send(dispatcher, atom::dispatch::value, attempt(node), runner);
  std::map<std::string, int> per_worker;
  std::string on_w1;
  std::vector<attempt_report> waiting;
  for (const auto& [node, worker] : next_placed(3, waiting)) {
    ++per_worker[worker];
    if (worker == "w1")
      on_w1 = node;
  }
  CHECK(per_worker["w1"] == 1);
  CHECK(per_worker["w2"] == 2);
  // The fourth waits, and its runner hears why; it runs once a slot frees up.
  if (waiting.empty())
    expect([&](atom::report, const attempt_report& r) { waiting.push_back(r); });
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].node == "d");
  CHECK(waiting[0].outcome == "waiting");
  CHECK(waiting[0].message == "waiting for a free slot (2 matching workers, 3 slots, all busy)");
  self->receive([](atom::run, const std::string&, const attempt_spec&) { FAIL("over slots"); },
                caf::after(std::chrono::milliseconds(200)) >> [] {});
  self->send(dispatcher, atom::report::value, final_report(on_w1, "w1"));
  bool reported = false, ran = false, placed = false;
  for (int i = 0; i < 3; ++i)
    expect([&](atom::report, const attempt_report& r) {
             if (r.node == "d") {
               CHECK(r.outcome == "running");
               CHECK(r.worker == "w1");
               placed = true;
               return;
             }
             CHECK(r.node == on_w1);
             CHECK(r.outcome == "succeeded");
             reported = true;
           },
           [&](atom::run, const std::string& worker, const attempt_spec& spec) {
             CHECK(worker == "w1");
             CHECK(spec.node == "d");
             ran = true;
           });
  CHECK((reported && ran && placed));
  // The worker keeps its result until the runner says it is committed.
  self->receive([](atom::ack, const std::string&, const std::string&) { FAIL("acked early"); },
                caf::after(std::chrono::milliseconds(200)) >> [] {});
  self->send(dispatcher, atom::ack::value, std::string("w1"), attempt_key("i1", on_w1, 1));
  expect([&](atom::ack, const std::string& worker, const std::string& key) {
    CHECK(worker == "w1");
    CHECK(key == attempt_key("i1", on_w1, 1));
  });
}

TEST_CASE_FIXTURE(dispatcher_fixture, "host pinning waits for a matching worker") {
  add_worker("w1", 4, "h1");
  self->send(dispatcher, atom::dispatch::value, attempt("pinned", "h2"), runner);
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.outcome == "waiting");
    CHECK(r.message == "waiting for a worker on host 'h2'");
  });
  self->send(dispatcher, atom::dispatch::value, attempt("free"), runner);
  auto [worker, spec] = next_run();
  CHECK(spec.node == "free"); // the pinned one does not block the queue
  add_worker("w2", 1, "h2");
  auto [worker2, spec2] = next_run();
  CHECK(worker2 == "w2");
  CHECK(spec2.node == "pinned");
}

TEST_CASE_FIXTURE(dispatcher_fixture, "a lost worker turns its attempts into lost reports") {
  add_worker("w1", 2);
  self->send(dispatcher, atom::dispatch::value, attempt("a"), runner);
  next_run();
  expect_placed("a", "w1");
  // The master gate saw the worker's connection go down.
  self->send(dispatcher, atom::disconnect::value, std::string("w1"),
             std::string("remote_link_unreachable"));
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.node == "a");
    CHECK(r.outcome == "lost");
    CHECK(r.message.find("worker w1 was lost") == 0);
  });
  self->request(dispatcher, std::chrono::seconds(5), atom::workers::value)
    .receive([](const std::vector<worker_record>& ws) { CHECK(ws.empty()); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
}

TEST_CASE_FIXTURE(dispatcher_fixture, "kill reaches the worker of a running attempt") {
  add_worker("w1", 1);
  self->send(dispatcher, atom::dispatch::value, attempt("a"), runner);
  next_run();
  self->send(dispatcher, atom::dispatch::value, attempt("queued"), runner);
  self->send(dispatcher, atom::kill::value, std::string("i1"), std::string("queued"), 1);
  self->send(dispatcher, atom::kill::value, std::string("i1"), std::string("a"), 1);
  expect([](atom::kill, const std::string& worker, const std::string& key) {
    CHECK(worker == "w1");
    CHECK(key == "i1/a#1");
  });
  // The cancelled queued attempt never runs, even when the slot frees up.
  self->send(dispatcher, atom::report::value, final_report("a", "w1"));
  self->receive([](atom::run, const std::string&, const attempt_spec&) { FAIL("ran"); },
                [](atom::ack, const std::string&, const std::string&) {},
                caf::after(std::chrono::milliseconds(300)) >> [] {});
}

TEST_CASE_FIXTURE(dispatcher_fixture, "higher priority goes first, then the older") {
  add_worker("w1", 1);
  auto a = attempt("running");
  self->send(dispatcher, atom::dispatch::value, a, runner);
  next_run();
  for (auto [node, priority] : {std::pair{"low", 0}, std::pair{"high", 5}, std::pair{"low2", 0}}) {
    auto spec = attempt(node);
    spec.priority = priority;
    self->send(dispatcher, atom::dispatch::value, spec, runner);
  }
  std::vector<std::string> order;
  for (auto done : {"running", "high", "low"}) {
    self->send(dispatcher, atom::report::value, final_report(done, "w1"));
    for (;;) {
      bool ran = false;
      expect([&](atom::run, const std::string&, const attempt_spec& s) {
               order.push_back(s.node);
               ran = true;
             },
             [](atom::report, const attempt_report&) {}, [](atom::ack, const std::string&,
                                                             const std::string&) {});
      if (ran)
        break;
    }
  }
  CHECK(order == std::vector<std::string>{"high", "low", "low2"});
}

TEST_CASE_FIXTURE(dispatcher_fixture, "backfill attempts wait behind live ones, whatever the priorities") {
  add_worker("w1", 1);
  auto a = attempt("running");
  self->send(dispatcher, atom::dispatch::value, a, runner);
  next_run();
  struct queued {
    const char* node;
    int priority_class;
    int priority;
  };
  for (auto q : {queued{"backfill-high", 1, 9}, queued{"live-low", 0, 0},
                 queued{"backfill-low", 1, 0}, queued{"live-high", 0, 5}}) {
    auto spec = attempt(q.node);
    spec.priority_class = q.priority_class;
    spec.priority = q.priority;
    self->send(dispatcher, atom::dispatch::value, spec, runner);
  }
  std::vector<std::string> order;
  for (auto done : {"running", "live-high", "live-low", "backfill-high"}) {
    self->send(dispatcher, atom::report::value, final_report(done, "w1"));
    for (;;) {
      bool ran = false;
      expect([&](atom::run, const std::string&, const attempt_spec& s) {
               order.push_back(s.node);
               ran = true;
             },
             [](atom::report, const attempt_report&) {}, [](atom::ack, const std::string&,
                                                             const std::string&) {});
      if (ran)
        break;
    }
  }
  CHECK(order
        == std::vector<std::string>{"live-high", "live-low", "backfill-high", "backfill-low"});
}

TEST_CASE_FIXTURE(dispatcher_fixture, "a worker whose heartbeats stop is lost") {
  // A dispatcher with a short timeout; the worker never sends a heartbeat.
  auto quick = sys.spawn(cafflow::dispatcher,
                         dispatcher_settings(7, std::chrono::milliseconds(300)));
  auto w = sys.spawn(recording_worker, std::string("w1"), probe);
  self->request(quick, std::chrono::seconds(5), atom::register_::value,
                worker_info{"w1", "h", 1, {}, 1, {}}, w)
    .receive([](std::uint64_t) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send(quick, atom::dispatch::value, attempt("a"), runner);
  next_run();
  expect_placed("a", "w1");
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.outcome == "lost");
    CHECK(r.message.find("no heartbeat for 300 ms") != std::string::npos);
  });
  // A heartbeat from the lost worker is answered "unknown": it must register again.
  self->request(quick, std::chrono::seconds(5), atom::heartbeat::value, std::string("w1"), 1, 0.0)
    .receive([](bool known) { CHECK_FALSE(known); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send_exit(quick, caf::exit_reason::user_shutdown);
}

namespace {

/// A dispatcher after a restart that recovers instance i1, expecting `expected`.
dispatcher_actor recovering_dispatcher(caf::actor_system& sys,
                                       std::map<std::string, std::string> expected) {
  auto cfg = dispatcher_settings(8);
  cfg.recovery = recovery_book({"i1"}, std::move(expected), {"w1"});
  return sys.spawn(cafflow::dispatcher, cfg);
}

attempt_report claim(const std::string& node, const std::string& outcome) {
  auto r = final_report(node, "w1");
  r.outcome = outcome;
  return r;
}

} // namespace

TEST_CASE_FIXTURE(dispatcher_fixture, "after a restart a running attempt is re-attached, not run again") {
  auto d = recovering_dispatcher(sys, {{"i1/a#1", "w1"}});
  self->send(d, atom::adopt::value, attempt("a"), runner);
  auto w = sys.spawn(recording_worker, std::string("w1"), probe);
  self->request(d, std::chrono::seconds(5), atom::register_::value,
                worker_info{"w1", "h", 2, {}, 1, {claim("a", "running")}}, w)
    .receive([](std::uint64_t epoch) { CHECK(epoch == 8); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.node == "a");
    CHECK(r.outcome == "running");
  });
  self->receive([](atom::run, const std::string&, const attempt_spec&) { FAIL("ran twice"); },
                caf::after(std::chrono::milliseconds(200)) >> [] {});
  // Its result then goes to the runner like any other, and the slot it held frees.
  self->send(d, atom::report::value, final_report("a", "w1"));
  expect([](atom::report, const attempt_report& r) { CHECK(r.outcome == "succeeded"); });
  self->request(d, std::chrono::seconds(5), atom::status::value)
    .receive([](status_map& m) { CHECK(m["recovering"] == "false"); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send_exit(d, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "results the store was behind on reach the dispatch that asks for them, nothing runs twice") {
  // The store says a runs; the worker has a's result and b's too (b was
  // dispatched after a ended, before the store heard of either).
  auto d = recovering_dispatcher(sys, {{"i1/a#1", "w1"}});
  self->send(d, atom::adopt::value, attempt("a"), runner);
  auto w = sys.spawn(recording_worker, std::string("w1"), probe);
  self->request(d, std::chrono::seconds(5), atom::register_::value,
                worker_info{"w1", "h", 2, {}, 1, {claim("a", "succeeded"), claim("b", "succeeded")}},
                w)
    .receive([](std::uint64_t) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.node == "a");
    CHECK(r.outcome == "succeeded");
  });
  // Every worker is back: recovery is over, but b's result is kept for the
  // dispatch the runner makes once it applied a's.
  self->send(d, atom::dispatch::value, attempt("b"), runner);
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.node == "b");
    CHECK(r.outcome == "succeeded");
  });
  self->receive([](atom::run, const std::string&, const attempt_spec&) { FAIL("ran twice"); },
                caf::after(std::chrono::milliseconds(200)) >> [] {});
  self->send_exit(d, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "an expected attempt no worker claims is lost, a claim nobody wants is stopped") {
  auto cfg = dispatcher_settings(8);
  cfg.recovery = recovery_book({"i1"}, {{"i1/a#1", "w1"}}, {"w1"});
  cfg.recovery_deadline = std::chrono::milliseconds(300);
  auto d = sys.spawn(cafflow::dispatcher, cfg);
  auto a = attempt("a");
  a.worker = "w1"; // the store says it ran there
  self->send(d, atom::adopt::value, a, runner);
  auto w = sys.spawn(recording_worker, std::string("w1"), probe);
  // w1 comes back without a, but with x, which no instance will ask for.
  self->request(d, std::chrono::seconds(5), atom::register_::value,
                worker_info{"w1", "h", 2, {}, 1, {claim("x", "running")}}, w)
    .receive([](std::uint64_t) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.node == "a");
    CHECK(r.outcome == "lost");
    CHECK(r.message == "no worker had it when the master restarted");
  });
  expect([](atom::kill, const std::string& worker, const std::string& key) {
    CHECK(worker == "w1");
    CHECK(key == "i1/x#1");
  });
  self->send_exit(d, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "an expected attempt that was never placed is placed after recovery, not lost") {
  // The store names no worker for it: it was queued (no slot, or the master
  // drained) when the master stopped.
  auto d = recovering_dispatcher(sys, {{"i1/a#1", ""}});
  self->send(d, atom::adopt::value, attempt("a"), runner);
  auto w = sys.spawn(recording_worker, std::string("w1"), probe);
  self->request(d, std::chrono::seconds(5), atom::register_::value,
                worker_info{"w1", "h", 1, {}, 1, {}}, w)
    .receive([](std::uint64_t) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  auto [worker, spec] = next_run();
  CHECK(worker == "w1");
  CHECK(spec.node == "a");
  CHECK(spec.attempt == 1);
  CHECK(spec.epoch == 8);
  expect_placed("a", "w1"); // and nothing else: not lost
  self->receive([](atom::report, const attempt_report& r) { FAIL("reported " << r.outcome); },
                caf::after(std::chrono::milliseconds(200)) >> [] {});
  self->send_exit(d, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "while a worker may still come back, a recovered instance's new attempt waits") {
  auto cfg = dispatcher_settings(8);
  cfg.recovery = recovery_book({"i1"}, {}, {"w1", "w2"});
  cfg.recovery_deadline = std::chrono::milliseconds(500);
  auto d = sys.spawn(cafflow::dispatcher, cfg);
  auto w = sys.spawn(recording_worker, std::string("w1"), probe);
  self->request(d, std::chrono::seconds(5), atom::register_::value,
                worker_info{"w1", "h", 2, {}, 1, {}}, w)
    .receive([](std::uint64_t) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send(d, atom::dispatch::value, attempt("c"), runner);
  expect([](atom::report, const attempt_report& r) {
    CHECK(r.outcome == "waiting");
    CHECK(r.message == "waiting for the workers to come back after the master restarted");
  });
  // w2 never comes back: at the deadline c is placed.
  expect([](atom::run, const std::string& worker, const attempt_spec& spec) {
    CHECK(worker == "w1");
    CHECK(spec.node == "c");
  });
  self->send_exit(d, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(dispatcher_fixture, "a draining dispatcher places nothing, also when the store's hold ends") {
  add_worker("w1", 2);
  self->send(dispatcher, atom::hold::value, true); // the store falls behind
  self->send(dispatcher, atom::drain::value);      // the master stops
  self->send(dispatcher, atom::dispatch::value, attempt("a"), runner);
  self->send(dispatcher, atom::hold::value, false); // the store caught up
  bool quiet = false;
  while (!quiet)
    self->receive(
      [](atom::run, const std::string&, const attempt_spec& spec) { FAIL("placed " << spec.node); },
      [](atom::report, const attempt_report& r) { CHECK(r.outcome == "waiting"); },
      caf::after(std::chrono::milliseconds(300)) >> [&] { quiet = true; });
  self->request(dispatcher, std::chrono::seconds(5), atom::status::value)
    .receive([](status_map& m) { CHECK(m["queued"] == "1"); },
             [](caf::error& err) { FAIL(caf::to_string(err)); });
}

TEST_CASE_FIXTURE(dispatcher_fixture, "stopping the cluster tells every worker to stop before it answers") {
  add_worker("w1", 2);
  add_worker("w2", 1);
  bool answered = false;
  self->request(dispatcher, std::chrono::seconds(5), atom::shutdown::value)
    .receive([&](atom::ok) { answered = true; }, [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(answered);
  std::set<std::string> told;
  for (int i = 0; i < 2; ++i)
    self->receive([&](atom::shutdown, const std::string& id) { told.insert(id); },
                  caf::after(std::chrono::seconds(5)) >> [] { FAIL("a worker was not told"); });
  CHECK(told == std::set<std::string>{"w1", "w2"});
}

TEST_CASE_FIXTURE(dispatcher_fixture, "a stopping worker gets no new attempts, another one does") {
  add_worker("w1", 2);
  self->send(dispatcher, atom::drain::value, std::string("w1"));
  self->send(dispatcher, atom::dispatch::value, attempt("a"), runner);
  expect([](atom::report, const attempt_report& r) { CHECK(r.outcome == "waiting"); });
  self->request(dispatcher, std::chrono::seconds(5), atom::workers::value)
    .receive(
      [](std::vector<worker_record>& ws) {
        REQUIRE(ws.size() == 1);
        CHECK(ws[0].state == "draining");
      },
      [](caf::error& err) { FAIL(caf::to_string(err)); });
  add_worker("w2", 1);
  auto [worker, spec] = next_run();
  CHECK(worker == "w2");
  CHECK(spec.node == "a");
}

TEST_CASE_FIXTURE(dispatcher_fixture, "past its lease the dispatcher places nothing until a renewal moves it") {
  add_worker("w1", 2);
  // The lease ended a moment ago (a paused master waking up).
  self->send(dispatcher, atom::lease::value, timestamp{now_ms() - 1});
  self->send(dispatcher, atom::dispatch::value, attempt("a"), runner);
  bool quiet = false;
  while (!quiet)
    self->receive(
      [](atom::run, const std::string&, const attempt_spec& spec) { FAIL("placed " << spec.node); },
      [](atom::report, const attempt_report& r) { CHECK(r.outcome == "waiting"); },
      caf::after(std::chrono::milliseconds(300)) >> [&] { quiet = true; });
  // A renewal that got through: placing resumes.
  self->send(dispatcher, atom::lease::value, timestamp{now_ms() + 60000});
  auto [worker, spec] = next_run();
  CHECK(worker == "w1");
  CHECK(spec.node == "a");
  CHECK(spec.epoch == 7);
}

TEST_SUITE_END();
