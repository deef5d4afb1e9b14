#include "api_relay.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "actors.hpp"

namespace cafflow {

namespace {

/// One request of the API's interface, checked against a message at run time.
template <class Sig>
struct api_signature;

template <class Atom, class... Is, class... Outs>
struct api_signature<
  caf::typed_mpi<caf::detail::type_list<Atom, Is...>, caf::output_tuple<Outs...>>> {
  static bool matches(const caf::message& msg, std::size_t first) {
    if (msg.size() != first + sizeof...(Is) || !msg.match_element<caf::atom_value>(0)
        || msg.get_as<caf::atom_value>(0) != Atom::get_value())
      return false;
    auto pos = first;
    return (msg.match_element<Is>(pos++) && ...);
  }
};

template <class... Sigs>
bool is_one_of(const caf::message& msg, std::size_t first, caf::detail::type_list<Sigs...>) {
  return (api_signature<Sigs>::matches(msg, first) || ...);
}

} // namespace

bool is_api_request(const caf::message& msg, bool extra) {
  return is_one_of(msg, extra ? 2 : 1, api_actor::signatures{});
}

caf::message without_second(const caf::message& msg) {
  return caf::message::concat(msg.take(1), msg.drop(2));
}

caf::message with_second(const caf::message& msg, const caf::message& second) {
  return caf::message::concat(msg.take(1), second, msg.drop(2));
}

void deliver_relayed(caf::response_promise& rp, caf::error& answer) {
  if (answer == caf::sec::unexpected_response)
    rp.deliver(std::move(answer.context()));
  else
    rp.deliver(std::move(answer));
}

} // namespace cafflow
