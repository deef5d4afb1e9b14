// cafflow-exec: runs one attempt of an sql, transfer, monitor, email or
// metadata action (src/actions/exec.hpp). Started by a worker, never by hand.
#include "actions/exec.hpp"

int main(int argc, char** argv) { return cafflow::exec_main(argc, argv); }
