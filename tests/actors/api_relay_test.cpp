// The gates' generic relay (actors/api_relay.hpp): which messages are API
// requests, and a relayed request's answer of any type, its error and its
// timeout reaching the sender through the relaying actor. The answer path
// rests on how CAF 0.17 treats an answer no handler takes; these tests fail
// if a CAF version treats it otherwise.
#include <doctest/doctest.h>

#include "actor_fixture.hpp"
#include "api_relay.hpp"

namespace cafflow::test {

namespace {

/// Answers like the master: a record, a text, an error, or (health) never.
caf::behavior answerer(caf::event_based_actor*) {
  return {
    [](atom::instance, const std::string& id) {
      instance_record r;
      r.id = id;
      r.status = "running";
      return r;
    },
    [](atom::fire, const std::string& name) { return name + "-1"; },
    [](atom::kill, const std::string& id) -> caf::result<atom::ok> {
      return make_caf_error(ec::unknown_instance, "no instance " + id);
    },
    [](atom::health) -> caf::result<health_record> { return caf::skip(); },
  };
}

/// Relays every request to `dest`, with a short timeout.
caf::behavior relayer(caf::event_based_actor* self, caf::actor dest) {
  self->set_default_handler(
    [self, dest](caf::scheduled_actor*, caf::message_view& view) -> caf::result<caf::message> {
      return relay_request(self, dest, view.move_content_to_message(),
                           std::chrono::milliseconds(300));
    });
  return {[](atom::status) { return status_map{{"relayer", "yes"}}; }};
}

} // namespace

TEST_CASE_FIXTURE(actor_fixture, "a relayed request gets its answer whatever its type") {
  auto relay = sys.spawn(relayer, sys.spawn(answerer));
  self->request(relay, std::chrono::seconds(10), atom::instance::value, std::string("i-1"))
    .receive([](instance_record& r) {
               CHECK(r.id == "i-1");
               CHECK(r.status == "running");
             },
             [](caf::error& err) { FAIL("an error: " << to_string(from_caf(err))); });
  self->request(relay, std::chrono::seconds(10), atom::fire::value, std::string("daily"))
    .receive([](std::string& ids) { CHECK(ids == "daily-1"); },
             [](caf::error& err) { FAIL("an error: " << to_string(from_caf(err))); });
  // The relayer's own handler still answers.
  self->request(relay, std::chrono::seconds(10), atom::status::value)
    .receive([](status_map& m) { CHECK(m["relayer"] == "yes"); },
             [](caf::error& err) { FAIL("an error: " << to_string(from_caf(err))); });
  self->send_exit(relay, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(actor_fixture, "a relayed request's error and timeout reach the sender") {
  auto relay = sys.spawn(relayer, sys.spawn(answerer));
  self->request(relay, std::chrono::seconds(10), atom::kill::value, std::string("i-9"))
    .receive([](atom::ok) { FAIL("answered ok"); },
             [](caf::error& err) {
               auto e = from_caf(err);
               CHECK(e.code == ec::unknown_instance);
               CHECK(e.message == "no instance i-9");
             });
  self->request(relay, std::chrono::seconds(10), atom::health::value)
    .receive([](health_record&) { FAIL("answered"); },
             [](caf::error& err) { CHECK(err == caf::sec::request_timeout); });
  self->send_exit(relay, caf::exit_reason::user_shutdown);
}

TEST_CASE("only the API's requests pass, with the extra element after the atom or without") {
  CHECK(is_api_request(caf::make_message(atom::health::value), false));
  CHECK(is_api_request(caf::make_message(atom::health::value, local_only{}), true));
  CHECK(is_api_request(caf::make_message(atom::instance::value, credential{"t"}, std::string("i")),
                       true));
  CHECK(is_api_request(caf::make_message(atom::workflows::value, true), false));
  // The master's internal messages, wrong argument types and counts do not.
  CHECK_FALSE(is_api_request(
    caf::make_message(atom::done::value, std::string("i"), std::string("failed")), false));
  CHECK_FALSE(is_api_request(caf::make_message(atom::done::value, credential{"t"},
                                               std::string("i"), std::string("failed")),
                             true));
  CHECK_FALSE(is_api_request(caf::make_message(atom::instance::value, 5), false));
  CHECK_FALSE(is_api_request(caf::make_message(atom::health::value), true));
  CHECK_FALSE(is_api_request(caf::make_message(std::string("health")), false));
  CHECK_FALSE(is_api_request(caf::message{}, false));
}

TEST_CASE("the element after the atom is taken out or replaced") {
  auto local = caf::make_message(atom::kill::value, local_only{}, std::string("i"));
  auto remote = with_second(local, caf::make_message(credential{"t"}));
  REQUIRE(remote.match_elements<caf::atom_value, credential, std::string>());
  CHECK(remote.get_as<caf::atom_value>(0) == atom::kill::value);
  CHECK(remote.get_as<credential>(1).token == "t");
  CHECK(remote.get_as<std::string>(2) == "i");
  auto to_master = without_second(remote);
  REQUIRE(to_master.match_elements<caf::atom_value, std::string>());
  CHECK(to_master.get_as<std::string>(1) == "i");
}

} // namespace cafflow::test
