// cafflow: the command line for operators (everything goes through the HTTP API).
#include "cli/cli.hpp"

int main(int argc, char** argv) { return cafflow::run_cli(argc, argv); }
