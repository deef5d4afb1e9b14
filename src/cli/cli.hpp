// The `cafflow` command line: subcommands over the HTTP API.
#pragma once

namespace cafflow {

/// Exit codes of the cafflow command (documented in docs/CLI.md).
namespace exit_code {
constexpr int ok = 0;
/// The operation failed, or the instance waited for failed or was killed.
constexpr int failed = 1;
/// `instance wait` timed out.
constexpr int timeout = 2;
/// `instance why` / `workflow why`: a date-window dependency still waits.
constexpr int waiting = 2;
/// Bad command-line usage.
constexpr int usage = 64;
/// The cluster could not be reached.
constexpr int unavailable = 69;
/// The server refused the request: no token or a wrong one (HTTP 401).
constexpr int unauthorized = 77;
/// The configuration is invalid.
constexpr int config = 78;
/// cafflowd: this master lost its lease (it restarts as a standby).
constexpr int demoted = 75;
} // namespace exit_code

/// Runs the command line; returns the process exit code.
int run_cli(int argc, char** argv);

} // namespace cafflow
