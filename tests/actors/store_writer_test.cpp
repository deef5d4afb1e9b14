#include "store_writer.hpp"

#include <condition_variable>
#include <mutex>

#include "actor_fixture.hpp"
#include "fixtures.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A store that records every batch, can hold a commit until released, and
/// can fail the first N commits.
class fake_store : public store {
public:
  std::mutex mtx;
  std::condition_variable cv;
  bool hold = false;
  bool holding = false;
  int fail_next = 0;
  std::vector<std::size_t> batches;

  expected<void> apply(const std::vector<store_write>& batch) override {
    std::unique_lock<std::mutex> guard{mtx};
    holding = true;
    cv.notify_all();
    cv.wait(guard, [this] { return !hold; });
    holding = false;
    if (fail_next > 0) {
      --fail_next;
      return make_error(ec::store_error, "database is gone");
    }
    batches.push_back(batch.size());
    return {};
  }
  expected<void> migrate() override { return {}; }
  expected<std::vector<workflow_record>> workflows() override {
    return std::vector<workflow_record>{};
  }
  expected<std::vector<instance_record>> instances(const instance_filter&) override {
    return std::vector<instance_record>{};
  }
  expected<std::optional<instance_record>> instance(const std::string&) override {
    return std::optional<instance_record>{};
  }
  expected<std::string> last_instance_id() override { return std::string{}; }
  expected<int> schema_version() override { return 1; }
};

store_batch one_write(int i) {
  instance_record r;
  r.id = std::to_string(i);
  return {instance_put{r}};
}

} // namespace

TEST_SUITE_BEGIN("store_writer");

TEST_CASE_FIXTURE(actor_fixture, "writes that arrive during a commit go into the next one") {
  auto db = std::make_shared<fake_store>();
  db->hold = true;
  auto writer = sys.spawn<caf::detached>(store_writer, db, master_actor{});
  self->send(writer, atom::put::value, one_write(0));
  {
    // The first commit is under way (and held): everything sent now queues up.
    std::unique_lock<std::mutex> guard{db->mtx};
    db->cv.wait(guard, [&] { return db->holding; });
  }
  for (int i = 1; i <= 99; ++i)
    self->send(writer, atom::put::value, one_write(i));
  {
    std::lock_guard<std::mutex> guard{db->mtx};
    db->hold = false;
  }
  db->cv.notify_all();
  self->request(writer, std::chrono::seconds(10), atom::flush::value)
    .receive([](atom::ok) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  std::lock_guard<std::mutex> guard{db->mtx};
  CHECK(db->batches == std::vector<std::size_t>{1, 99});
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(actor_fixture, "a durable write is answered once committed, after retries") {
  auto db = std::make_shared<fake_store>();
  db->fail_next = 2;
  auto writer = sys.spawn<caf::detached>(store_writer, db, master_actor{});
  self->request(writer, std::chrono::seconds(10), atom::commit::value, one_write(1))
    .receive([](atom::ok) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  {
    std::lock_guard<std::mutex> guard{db->mtx};
    CHECK(db->batches == std::vector<std::size_t>{1}); // committed once, nothing lost
  }
  self->request(writer, std::chrono::seconds(5), atom::status::value)
    .receive(
      [](status_map& status) {
        CHECK(status["commits"] == "1");
        CHECK(status["writes"] == "1");
        CHECK(status["failures"] == "0");
      },
      [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

namespace {

store_batch state_write(const std::string& state) {
  return {coordinator_put{coordinator_state_record{"wf", 0, 0, state}}};
}

} // namespace

TEST_CASE_FIXTURE(actor_fixture, "a fire is committed in order with the writes around it") {
  temp_dir dir;
  auto url = parse_store_url("sqlite:" + dir / "db", dir.path());
  REQUIRE(url.has_value());
  auto opened = open_store(*url, 5000);
  REQUIRE(opened.has_value());
  std::shared_ptr<store> db = std::move(*opened);
  REQUIRE(db->migrate().has_value());
  auto writer = sys.spawn<caf::detached>(store_writer, db, master_actor{});
  // All three are in the mailbox before the first commit: the later state
  // must not be merged with the earlier one across the fire.
  self->send(writer, atom::put::value, state_write(R"({"n":1})"));
  auto fire = self->request(writer, caf::infinite, atom::fire::value,
                            fire_record{"wf", 1000, "i1", 5}, state_write(R"({"n":2})"));
  self->send(writer, atom::put::value, state_write(R"({"n":3})"));
  fire.receive([](fire_outcome& o) { CHECK(o.fired); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->request(writer, std::chrono::seconds(10), atom::flush::value)
    .receive([](atom::ok) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  auto states = db->coordinator_states();
  REQUIRE(states.has_value());
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].state == R"({"n":3})");
  // The same tick again: refused, its writes not applied.
  self->request(writer, caf::infinite, atom::fire::value, fire_record{"wf", 1000, "i2", 6},
                state_write(R"({"n":4})"))
    .receive(
      [](fire_outcome& o) {
        CHECK_FALSE(o.fired);
        CHECK(o.instance_id == "i1");
      },
      [](caf::error& err) { FAIL(caf::to_string(err)); });
  states = db->coordinator_states();
  REQUIRE(states.has_value());
  CHECK((*states)[0].state == R"({"n":3})");
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST_SUITE_END();
