// <dependent>: waits on the master, without a worker slot, until other
// workflows' instances satisfy date windows (schedule/windows). The instance
// runner hands the node to the dependency waiter instead of the dispatcher;
// the waiter's verdict ends the attempt (docs/SCHEDULING.md).
#include "actions/kinds.hpp"

namespace cafflow {

action_kind dependent_kind() {
  action_kind kind;
  kind.name = "dependent";
  kind.place = run_place::master;
  return kind;
}

} // namespace cafflow
