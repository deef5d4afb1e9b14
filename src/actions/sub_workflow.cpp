// <sub-workflow name>: runs another workflow as a child instance. A master
// kind: the node waits on the master without a worker slot. Not built yet.
#include "actions/kinds.hpp"

namespace cafflow {

action_kind sub_workflow_kind() {
  action_kind kind;
  kind.name = "sub-workflow";
  kind.place = run_place::master;
  kind.not_supported = "it runs the workflow as a child instance on the master, which this "
                       "version cannot do yet (docs/STATUS.md)";
  return kind;
}

} // namespace cafflow
