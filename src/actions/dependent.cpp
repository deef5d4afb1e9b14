// <dependent>: waits on the master, without a worker slot, until other
// workflows' instances satisfy date windows. Not built yet (the date-window
// issue); a coordinator's <depend-list> covers flag dependencies meanwhile.
#include "actions/kinds.hpp"

namespace cafflow {

action_kind dependent_kind() {
  action_kind kind;
  kind.name = "dependent";
  kind.place = run_place::master;
  kind.not_supported = "date-window dependencies in an action wait on the master, which this "
                       "version cannot do yet; use the coordinator's <depend-list> "
                       "(docs/STATUS.md)";
  return kind;
}

} // namespace cafflow
