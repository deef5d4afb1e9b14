#include "instance_follower.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "http/json.hpp"
#include "log.hpp"
#include "model/status.hpp"

namespace cafflow {

namespace {

using instance_follower_ptr = instance_follower_actor::stateful_pointer<instance_follower_state>;

bool ended(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "killed";
}

/// Sends `bytes`; stops the follower when the client is gone.
bool send(instance_follower_ptr self, std::string bytes) {
  if (self->state.cfg.sink->write(std::move(bytes)))
    return true;
  self->quit();
  return false;
}

/// The master cannot be asked now (a failover, a restart): say so and try
/// again in a second; the read then catches up on what was missed.
void retry_later(instance_follower_ptr self, const error& err) {
  if (send(self, ": waiting for the master: " + err.message + "\n\n"))
    self->delayed_send(self, std::chrono::seconds(1), atom::tick::value);
}

/// Sends the instance's state; at its end, says so and stops.
void tell_state(instance_follower_ptr self, const instance_record& inst) {
  auto& st = self->state;
  auto data = dump_json(to_json(inst, st.cfg.with_nodes));
  if (!send(self, sse_event("instance", data, std::to_string(st.seen))))
    return;
  if (ended(inst.status)) {
    send(self, sse_event("end", dump_json(json{{"id", inst.id}, {"status", inst.status}})));
    st.cfg.sink->close();
    self->quit();
    return;
  }
  self->send(self, atom::watch::value);
}

/// The read failed: an unknown instance ends the stream, anything else is
/// tried again.
void read_failed(instance_follower_ptr self, const error& e) {
  if (e.code == ec::unknown_instance) {
    send(self, sse_event("error", dump_json(json{{"error", e.message}})));
    self->state.cfg.sink->close();
    self->quit();
    return;
  }
  retry_later(self, e);
}

} // namespace

instance_follower_actor::behavior_type
instance_follower(instance_follower_ptr self, instance_follower_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.log = log::get("http");
  self->send(self, atom::tick::value);
  return {
    [self](atom::tick) {
      auto& st = self->state;
      if (!st.cfg.sink->open()) {
        self->quit();
        return;
      }
      if (st.cfg.with_nodes) {
        self->request(st.cfg.gateway, st.cfg.request_timeout, atom::instance::value, local_only{},
                      st.cfg.instance)
          .then([self](instance_record& inst) { tell_state(self, inst); },
                [self](caf::error& err) { read_failed(self, from_caf(err)); });
        return;
      }
      // The instance's row only: one row read, not every node and attempt.
      instance_filter filter;
      filter.id = st.cfg.instance;
      filter.limit = 1;
      self->request(st.cfg.gateway, st.cfg.request_timeout, atom::instances::value, local_only{},
                    std::move(filter))
        .then(
          [self](std::vector<instance_record>& found) {
            if (found.empty())
              read_failed(self, make_error(ec::unknown_instance,
                                      "no instance with id '" + self->state.cfg.instance + "'"));
            else
              tell_state(self, found.front());
          },
          [self](caf::error& err) { read_failed(self, from_caf(err)); });
    },
    [self](atom::watch) {
      auto& st = self->state;
      auto wait = st.cfg.request_timeout / 2;
      self->request(st.cfg.gateway, st.cfg.request_timeout, atom::watch::value, local_only{},
                    st.cfg.instance, st.seen, static_cast<std::int64_t>(wait.count()))
        .then(
          [self](std::uint64_t seq) {
            auto& st = self->state;
            if (seq == st.seen) {
              // Nothing changed in time: a comment keeps proxies from closing
              // the connection and finds out whether the client is still there.
              if (send(self, ": keep-alive\n\n"))
                self->send(self, atom::watch::value);
              return;
            }
            st.seen = seq;
            self->delayed_send(self, st.cfg.min_interval, atom::tick::value);
          },
          [self](caf::error& err) { retry_later(self, from_caf(err)); });
    },
  };
}

} // namespace cafflow
