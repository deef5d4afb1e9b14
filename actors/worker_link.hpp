// worker_link: a registered worker as the dispatcher sees it. It lives in the
// master process and passes each message on to the worker's gate with the
// credential of the worker's session, without a sender (so it never becomes
// reachable from other processes); requests that need an answer go through
// the master gate (docs/DESIGN.md, "Gates").
#pragma once

#include "actors.hpp"

namespace cafflow {

worker_link_actor::behavior_type worker_link(worker_link_actor::pointer self, worker_actor worker,
                                             credential session, master_gate_actor gate);

} // namespace cafflow
