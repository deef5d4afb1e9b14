#include "worker_link.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace cafflow {

worker_link_actor::behavior_type worker_link(worker_link_actor::pointer self, worker_actor worker,
                                             credential session, master_gate_actor gate) {
  return {
    [worker, session](atom::run, attempt_spec& spec) {
      caf::anon_send(worker, atom::run::value, session, std::move(spec));
    },
    [worker, session](atom::kill, std::string& instance, std::string& node, int attempt,
                      std::uint64_t epoch) {
      caf::anon_send(worker, atom::kill::value, session, std::move(instance), std::move(node),
                     attempt, epoch);
    },
    [worker, session](atom::ack, std::string& key) {
      caf::anon_send(worker, atom::ack::value, session, std::move(key));
    },
    [worker, session](atom::shutdown) {
      caf::anon_send(worker, atom::shutdown::value, session);
    },
    [self, worker, session, gate](atom::log, std::string& instance, std::string& node,
                                  int attempt, std::int64_t offset, std::int64_t max) {
      return self->delegate(gate, atom::log::value, local_only{}, worker, session,
                            std::move(instance), std::move(node), attempt, offset, max);
    },
  };
}

} // namespace cafflow
