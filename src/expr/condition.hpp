// The expressions of decision nodes: <case to="x">${param:a} == 'b'</case>.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "expected.hpp"

namespace cafflow {

/// Evaluates an already-expanded condition: `a == b`, `a != b`, `a < b`,
/// `a > b`, `a <= b`, `a >= b`, or `true` / `false` alone. Operands are
/// 'single' or "double" quoted strings, numbers, or bare words. `==` and `!=`
/// compare numerically when both operands are unquoted numbers, else as
/// strings; the ordering operators need numbers (a quoted number counts). The
/// error names the condition text and the offending part.
expected<bool> evaluate_condition(std::string_view condition);

/// The syntax problem of a condition that may still contain ${...}
/// expressions (each counts as part of one operand), or nullopt when it is
/// well formed. Used by the validator.
std::optional<std::string> check_condition(std::string_view condition);

} // namespace cafflow
