#include "instance_runner.hpp"

#include "actor_fixture.hpp"
#include "dispatcher.hpp"
#include "fixtures.hpp"
#include "store_writer.hpp"
#include "xml/workflow_parser.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A worker that "runs" every attempt at once: nodes named fail* exit 3,
/// the others succeed. Reports go to the dispatcher, as a real worker's do.
worker_link_actor::behavior_type instant_worker(worker_link_actor::pointer self,
                                                dispatcher_actor d) {
  return {
    [=](atom::run, attempt_spec& spec) {
      attempt_report r;
      r.instance_id = spec.instance_id;
      r.node = spec.node;
      r.attempt = spec.attempt;
      r.worker = "w1";
      r.pid = 4242;
      r.started = now_ms();
      r.outcome = "running";
      self->send(d, atom::report::value, r);
      bool fails = spec.node.rfind("fail", 0) == 0;
      r.outcome = fails ? "failed" : "succeeded";
      r.exit_code = fails ? 3 : 0;
      r.message = fails ? "exit code 3" : "";
      r.finished = now_ms();
      self->send(d, atom::report::value, r);
    },
    [](atom::kill, const std::string&, const std::string&, int, std::uint64_t) {},
    [](atom::ack, const std::string&) {},
    [](atom::shutdown) {},
    [](atom::log, const std::string&, const std::string&, int, std::int64_t,
       std::int64_t) -> caf::result<log_chunk> { return log_chunk{}; },
  };
}

/// The master's side of a runner: forwards `done` to the probe.
master_actor::behavior_type probe_master(master_actor::pointer, caf::actor probe) {
  auto unused = [] { return make_caf_error(ec::unspecified, "not in this test"); };
  return {
    [=](atom::health) -> caf::result<health_record> { return unused(); },
    [=](atom::workflows) -> caf::result<std::vector<workflow_record>> { return unused(); },
    [=](atom::workflows, bool) -> caf::result<std::vector<workflow_record>> { return unused(); },
    [=](atom::workflows, const workflow_filter&, std::uint64_t,
        std::uint64_t) -> caf::result<workflow_page> { return unused(); },
    [=](atom::files) -> caf::result<std::vector<xml_file_record>> { return unused(); },
    [=](atom::instances, instance_filter&) -> caf::result<std::vector<instance_record>> {
      return unused();
    },
    [=](atom::instance, std::string&) -> caf::result<instance_record> { return unused(); },
    [=](atom::workflow, std::string&) -> caf::result<workflow_detail> { return unused(); },
    [=](atom::run, start_request&) -> caf::result<std::string> { return unused(); },
    [=](atom::rerun, std::string&, rerun_request&) -> caf::result<atom::ok> { return unused(); },
    [=](atom::mark, std::string&, mark_request&) -> caf::result<atom::ok> { return unused(); },
    [=](atom::executions, std::string&) -> caf::result<std::vector<execution_record>> {
      return unused();
    },
    [=](atom::coordinate, std::string&, std::string&) -> caf::result<atom::ok> {
      return unused();
    },
    [=](atom::kill, std::string&) -> caf::result<atom::ok> { return unused(); },
    [=](atom::fire, std::string&) -> caf::result<std::string> { return unused(); },
    [=](atom::erase, std::string&) -> caf::result<atom::ok> { return unused(); },
    [=](atom::shutdown) -> caf::result<atom::ok> { return unused(); },
    [=](atom::metrics) -> caf::result<metrics_snapshot> { return unused(); },
    [=](atom::log, std::string&, std::string&, int, std::int64_t) -> caf::result<log_chunk> {
      return unused();
    },
    [=](atom::workflow, std::string&, int) -> caf::result<workflow_version_record> {
      return unused();
    },
    [=](atom::watch, std::string&, std::uint64_t, std::int64_t) -> caf::result<std::uint64_t> {
      return unused();
    },
    [](atom::changed, std::vector<std::string>&) {},
    [](atom::watch, std::uint64_t) {},
    [=](atom::done, const std::string& id, const std::string& status) {
      caf::anon_send(probe, atom::done::value, id, status);
    },
    [=](atom::dependency, std::string&) -> caf::result<dependency_report> { return unused(); },
    [=](atom::dependency, std::string&, timestamp) -> caf::result<dependency_report> {
      return unused();
    },
    [=](atom::backfill, backfill_request&) -> caf::result<backfill_record> { return unused(); },
    [=](atom::backfills, std::string&, int) -> caf::result<std::vector<backfill_record>> {
      return unused();
    },
    [=](atom::backfill, std::string&) -> caf::result<backfill_record> { return unused(); },
    [=](atom::cancel, std::string&) -> caf::result<backfill_record> { return unused(); },
    [=](atom::fire, fire_request&) -> caf::result<std::string> { return unused(); },
    [](atom::wait, std::string&, std::string&, std::string&) {},
    [](atom::alert, alert_event&) {},
    [=](atom::child, child_request& req, instance_runner_actor&) {
      caf::anon_send(probe, atom::child::value, std::move(req));
    },
    [=](atom::child, atom::kill, std::string& parent, std::string& node, int attempt,
        std::string& reason) {
      caf::anon_send(probe, atom::kill::value, parent, node, attempt, reason);
    },
    [=](atom::launch, backfill_item_record&, param_map&) -> caf::result<std::string> {
      return unused();
    },
    [](atom::put, store_batch&) {},
    [](atom::health, bool, std::string&, std::uint64_t) {},
    [](atom::lease, timestamp, const std::string&) {},
    [](atom::drain) {},
    [](atom::status) { return status_map{}; },
  };
}

struct runner_fixture : actor_fixture {
  temp_dir dir;
  std::shared_ptr<store> db;
  store_writer_actor writer;
  dispatcher_actor dispatcher;
  master_actor master;

  runner_fixture() {
    auto url = parse_store_url("sqlite:" + (dir / "db"), dir.path());
    auto opened = open_store(*url, 1000);
    REQUIRE(opened);
    REQUIRE((*opened)->migrate());
    db = std::move(*opened);
    writer = sys.spawn<caf::detached>(store_writer, db, master_actor{});
    dispatcher = sys.spawn(cafflow::dispatcher, dispatcher_settings(1));
    auto worker = sys.spawn(instant_worker, dispatcher);
    self->request(dispatcher, std::chrono::seconds(5), atom::register_::value,
                  worker_info{"w1", "h", 4, {}, 1, {}}, worker)
      .receive([](std::uint64_t) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
    master = sys.spawn(probe_master, caf::actor_cast<caf::actor>(self));
  }

  ~runner_fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(writer), caf::actor_cast<caf::actor>(dispatcher),
                   caf::actor_cast<caf::actor>(master)})
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// A runner of instance "0001" of `wf` (at nesting `depth`, with y=7),
  /// not started; `stored` restores it as the store has it.
  instance_runner_actor runner_of(workflow_ptr wf, int depth = 0,
                                  std::optional<instance_record> stored = {}) {
    instance_record rec;
    rec.id = "0001";
    rec.workflow = wf->name;
    rec.status = "queued";
    rec.params = {{"y", "7"}};
    rec.logical_time = 1790000000000;
    rec.depth = depth;
    instance_runner_config cfg;
    cfg.record = stored ? *stored : rec;
    cfg.restore = stored.has_value();
    cfg.wf = wf;
    cfg.scope.zone = date::locate_zone("Europe/Berlin");
    cfg.scope.params = cfg.record.params;
    cfg.scope.logical_time = cfg.record.logical_time;
    cfg.dispatcher = dispatcher;
    cfg.store = writer;
    cfg.master = master;
    return sys.spawn(instance_runner, std::move(cfg));
  }

  /// The stored instance "0001" once everything sent to the writer is committed.
  instance_record stored() {
    self->request(writer, std::chrono::seconds(5), atom::flush::value)
      .receive([](atom::ok) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
    auto found = db->instance("0001");
    REQUIRE(found);
    REQUIRE(found->has_value());
    return **found;
  }

  /// Runs `xml` to its end; returns the stored instance.
  instance_record run(const std::string& xml) {
    auto parsed = parse_definition(xml, "t.xml");
    REQUIRE(parsed.wf);
    auto wf = std::make_shared<const workflow>(std::move(*parsed.wf));
    instance_record rec;
    rec.id = "0001";
    rec.workflow = wf->name;
    rec.status = "queued";
    instance_runner_config cfg;
    cfg.record = rec;
    cfg.wf = wf;
    cfg.scope.zone = date::locate_zone("UTC");
    cfg.dispatcher = dispatcher;
    cfg.store = writer;
    cfg.master = master;
    auto runner = sys.spawn(instance_runner, std::move(cfg));
    self->send(runner, atom::start::value);
    expect([](atom::done, const std::string& id, const std::string&) { CHECK(id == "0001"); });
    self->request(writer, std::chrono::seconds(5), atom::flush::value)
      .receive([](atom::ok) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
    auto stored = db->instance("0001");
    REQUIRE(stored);
    REQUIRE(stored->has_value());
    return **stored;
  }
};

/// A parent whose node "run" runs workflow "c" as a child, passing x.
constexpr const char* parent_workflow = R"(<work-flow name="p"><start name="s" to="run"/>
    <action name="run" timeout="%T%"><sub-workflow name="c"><param name="x" value="${param:y}-1"/>
    </sub-workflow><ok to="e"/></action><end name="e"/></work-flow>)";

/// The parent workflow with the node's timeout (-1 = none).
workflow_ptr parent_definition(int timeout_s = -1) {
  std::string xml = parent_workflow;
  xml.replace(xml.find("%T%"), 3, std::to_string(timeout_s));
  auto parsed = parse_definition(xml, "p.xml");
  REQUIRE(parsed.wf);
  return std::make_shared<const workflow>(std::move(*parsed.wf));
}

/// A report of the master on attempt `attempt` of node "run" of "0001".
attempt_report child_report(const std::string& outcome, const std::string& child_id,
                            const std::string& message = {}, int attempt = 1) {
  attempt_report r;
  r.instance_id = "0001";
  r.node = "run";
  r.attempt = attempt;
  r.outcome = outcome;
  r.child_id = child_id;
  r.started = 100;
  r.finished = is_final_outcome(outcome) ? now_ms() : 0;
  r.message = message;
  return r;
}

const node_record* find(const instance_record& r, const std::string& name) {
  for (const auto& n : r.nodes)
    if (n.name == name)
      return &n;
  return nullptr;
}

} // namespace

TEST_SUITE_BEGIN("instance_runner");

TEST_CASE_FIXTURE(runner_fixture, "a fork/join instance runs to success and is stored") {
  auto r = run(R"(<work-flow name="fj"><start name="s" to="f"/>
    <fork name="f"><path to="a"/><path to="b"/></fork>
    <action name="a"><shell><command>x</command></shell><ok to="j"/></action>
    <action name="b"><shell><command>x</command></shell><ok to="j"/></action>
    <join name="j" to="e"/><end name="e"/></work-flow>)");
  CHECK(r.status == "succeeded");
  CHECK(r.started != 0);
  CHECK(r.finished >= r.started);
  for (auto name : {"s", "f", "a", "b", "j", "e"}) {
    CAPTURE(name);
    REQUIRE(find(r, name) != nullptr);
    CHECK(find(r, name)->status == "succeeded");
  }
  REQUIRE(find(r, "a")->attempts.size() == 1);
  CHECK(find(r, "a")->attempts[0].worker == "w1");
  CHECK(find(r, "a")->attempts[0].status == "succeeded");
  CHECK(find(r, "a")->attempts[0].pid == 4242);
}

TEST_CASE_FIXTURE(runner_fixture, "a failing action fails the instance and says why") {
  auto r = run(R"(<work-flow name="f"><start name="s" to="fail_here"/>
    <action name="fail_here"><shell><command>x</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)");
  CHECK(r.status == "failed");
  CHECK(r.message == "node 'fail_here' failed: exit code 3");
  CHECK(find(r, "fail_here")->status == "failed");
  CHECK(find(r, "fail_here")->attempts[0].exit_code == 3);
}

TEST_CASE_FIXTURE(runner_fixture, "a sub-workflow node asks the master for a child and ends as the child") {
  auto runner = runner_of(parent_definition(), 2);
  self->send(runner, atom::start::value);
  child_request req;
  expect([&](atom::child, child_request& r) { req = std::move(r); });
  CHECK(req.parent_id == "0001");
  CHECK(req.parent_workflow == "p");
  CHECK(req.node == "run");
  CHECK(req.attempt == 1);
  CHECK(req.workflow == "c");
  CHECK(req.params == param_map{{"x", "7-1"}});
  CHECK(req.logical_time == 1790000000000);
  CHECK(req.timezone == "Europe/Berlin");
  CHECK(req.depth == 3);
  CHECK(req.child_id.empty());
  CHECK(req.started != 0);
  // No worker is asked: nothing reaches the dispatcher's worker (it would
  // "succeed" the node at once).
  self->send(runner, atom::report::value, child_report("running", "0002"));
  self->send(runner, atom::report::value,
             child_report("failed", "0002", "child instance 0002 (workflow c) failed: x"));
  expect([](atom::done, const std::string& id, const std::string& status) {
    CHECK(id == "0001");
    CHECK(status == "failed");
  });
  auto r = stored();
  CHECK(r.message == "node 'run' failed: child instance 0002 (workflow c) failed: x");
  const auto* run = find(r, "run");
  REQUIRE(run != nullptr);
  CHECK(run->status == "failed");
  REQUIRE(run->attempts.size() == 1);
  CHECK(run->attempts[0].child_id == "0002");
  CHECK(run->attempts[0].worker.empty());
  CHECK(run->attempts[0].started == req.started);
}

TEST_CASE_FIXTURE(runner_fixture, "a killed parent has the master kill the child of its waiting node") {
  auto runner = runner_of(parent_definition());
  self->send(runner, atom::start::value);
  expect([](atom::child, child_request&) {});
  self->send(runner, atom::report::value, child_report("running", "0002"));
  self->send(runner, atom::kill::value, std::string("killed on request"));
  expect([](atom::kill, const std::string& parent, const std::string& node, int attempt,
            const std::string& reason) {
    CHECK(parent == "0001");
    CHECK(node == "run");
    CHECK(attempt == 1);
    CHECK(reason == "its parent instance 0001 (workflow p) ended killed: killed on request");
  });
  expect([](atom::done, const std::string&, const std::string& status) {
    CHECK(status == "killed");
  });
  // The attempt's last row still names its child.
  REQUIRE(wait_until([&] {
    auto r = stored();
    const auto* run = find(r, "run");
    return run != nullptr && run->attempts.size() == 1 && run->attempts[0].status == "killed";
  }));
  auto r = stored();
  CHECK(find(r, "run")->attempts[0].child_id == "0002");
  CHECK(find(r, "run")->attempts[0].message.find("child instance 0002 killed: its parent") == 0);
}

TEST_CASE_FIXTURE(runner_fixture, "the timeout of a sub-workflow node kills its child") {
  auto runner = runner_of(parent_definition(1));
  self->send(runner, atom::start::value);
  expect([](atom::child, child_request&) {});
  self->send(runner, atom::report::value, child_report("running", "0002"));
  expect([](atom::kill, const std::string&, const std::string&, int, const std::string& why) {
    CHECK(why == "node 'run' of its parent instance 0001 timed out after 1 s");
  });
  expect([](atom::done, const std::string&, const std::string& status) {
    CHECK(status == "failed");
  });
  auto r = stored();
  CHECK(find(r, "run")->attempts[0].status == "timed_out");
  CHECK(find(r, "run")->message == "timed out after 1 s; child instance 0002 killed");
}

TEST_CASE_FIXTURE(runner_fixture, "a restored sub-workflow node asks for the child its attempt names") {
  auto wf = parent_definition();
  instance_record rec;
  rec.id = "0001";
  rec.workflow = "p";
  rec.status = "running";
  rec.params = {{"y", "7"}};
  rec.started = 50;
  for (std::size_t i = 0; i < wf->nodes.size(); ++i) {
    node_state st;
    if (wf->nodes[i].name == "s")
      st = node_state{node_status::succeeded, 0, 50, 50, ""};
    if (wf->nodes[i].name == "run")
      st = node_state{node_status::running, 1, 60, 0, ""};
    rec.nodes.push_back(make_node_record(*wf, i, st));
  }
  attempt_record a;
  a.number = 1;
  a.status = "running";
  a.started = 60;
  a.child_id = "0002";
  rec.nodes[wf->index_of("run")].attempts.push_back(a);
  auto runner = runner_of(wf, 0, rec);
  self->send(runner, atom::start::value);
  expect([](atom::child, child_request& req) {
    CHECK(req.child_id == "0002"); // never a second child
    CHECK(req.attempt == 1);
    CHECK(req.started == 60);
  });
  self->send(runner, atom::report::value, child_report("succeeded", "0002", "ok"));
  expect([](atom::done, const std::string&, const std::string& status) {
    CHECK(status == "succeeded");
  });
  // Without a stored child none was created: the restored node asks for one.
  rec.nodes[wf->index_of("run")].attempts.clear();
  auto fresh = runner_of(wf, 0, rec);
  self->send(fresh, atom::start::value);
  expect([](atom::child, child_request& req) { CHECK(req.child_id.empty()); });
  self->send_exit(fresh, caf::exit_reason::user_shutdown);
}

TEST_SUITE_END();
