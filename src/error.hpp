// The one error enum of cafflow, and the error value that carries it.
#pragma once

#include <cstdint>
#include <string>

namespace cafflow {

/// Every failure cafflow reports has exactly one of these codes.
enum class ec : std::uint8_t {
  /// Not an error.
  none = 0,
  /// An unspecified failure; the message says what.
  unspecified,
  /// A configuration file, key or value is invalid.
  invalid_config,
  /// A command-line argument is invalid.
  invalid_argument,
  /// A workflow file could not be parsed or validated.
  invalid_workflow,
  /// No workflow with the given name is loaded.
  unknown_workflow,
  /// No instance with the given id exists.
  unknown_instance,
  /// A request is malformed (bad JSON, a bad field).
  invalid_request,
  /// The request conflicts with the current state (e.g. kill of a finished instance).
  conflict,
  /// A filesystem operation failed.
  filesystem_error,
  /// The store (database) failed or is unreachable.
  store_error,
  /// The database schema is newer than this binary.
  schema_too_new,
  /// Starting or controlling a process failed.
  exec_error,
  /// The master cannot be reached.
  master_unreachable,
  /// A remote peer did not answer in time.
  timeout,
  /// No worker is able to run the requested attempt.
  no_worker,
  /// An HTTP exchange failed.
  http_error,
  /// This master no longer holds the master lease: it must not write,
  /// fire or dispatch (docs/OPERATIONS.md, "High availability").
  fenced,
};

/// The name of a code, e.g. "unknown_workflow".
const char* to_string(ec code);

/// An error: a code and a message for the operator, naming what failed.
struct error {
  ec code = ec::none;
  std::string message;

  explicit operator bool() const { return code != ec::none; }
};

/// Builds an error.
inline error make_error(ec code, std::string message) { return error{code, std::move(message)}; }

/// "code: message".
std::string to_string(const error& err);

} // namespace cafflow
