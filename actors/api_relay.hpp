// The API's requests through the gates (docs/DESIGN.md "Gates"), without one
// typed handler per request in each gate: a request is checked against the
// API's interface at run time, its second element swapped (the http
// gateway's `local_only` for the session's credential, the master gate's
// credential for nothing), and passed on; the answer, whatever its type,
// goes back through the relaying actor. The typed interfaces stay in
// actors.hpp: senders are still checked when they compile, and so is the
// master, which implements the API.
#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>

namespace cafflow {

/// Whether `msg` is one of the API's requests (api_actor) with `extra` after
/// its atom: `0` none (as the master takes it), else one element of any type
/// (the credential or local_only, not checked here).
bool is_api_request(const caf::message& msg, bool extra);

/// `msg` without its second element (after the atom).
caf::message without_second(const caf::message& msg);

/// `msg` with its second element (after the atom) replaced by `second` (a
/// message of one element).
caf::message with_second(const caf::message& msg, const caf::message& second);

/// Delivers the answer to a relayed request (relay_request) through `rp`.
void deliver_relayed(caf::response_promise& rp, caf::error& answer);

/// Sends `msg` as a request of `self` to `dest` and delivers its answer,
/// whatever its type, to the sender of the message `self` is handling:
/// answers come from `self`, so `dest` never becomes known to the sender's
/// process. An answer `dest` does not give within `timeout` is an error.
template <class Self, class Handle>
caf::response_promise relay_request(Self* self, const Handle& dest, caf::message msg,
                                    std::chrono::milliseconds timeout) {
  auto rp = self->make_response_promise();
  // CAF 0.17 hands an answer that no response handler takes to the error
  // handler, as sec::unexpected_response with the answer as the error's
  // context: with an error handler only, every answer arrives there
  // (tests/actors/api_relay_test.cpp pins this).
  self->request(caf::actor_cast<caf::actor>(dest), timeout, std::move(msg))
    .then([rp](caf::error& answer) mutable { deliver_relayed(rp, answer); });
  return rp;
}

} // namespace cafflow
