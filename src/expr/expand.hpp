// akkaflow's parameter and time expressions inside any text (scripts,
// commands, SQL, attributes): ${param:NAME}, ${time.BASE|FORMAT|OFFSET}.
// Any other ${...} (a shell variable) is left exactly as it is.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <date/tz.h>

#include "expected.hpp"
#include "model/records.hpp"
#include "util/time.hpp"

namespace cafflow {

/// What expressions are evaluated against.
struct expand_context {
  /// The instance's logical time: the base of every ${time....}, never the wall clock.
  timestamp logical_time = 0;
  /// The zone of the calendar in time expressions; nullptr is UTC.
  const date::time_zone* zone = nullptr;
  /// The params ${param:NAME} reads; nullptr = no params known.
  const param_map* params = nullptr;
  /// Leave ${param:NAME} of an unknown NAME as written (config `params.undefined = keep`)
  /// instead of failing.
  bool keep_undefined = false;
};

/// Expands every ${param:...} and ${time....} in `text`; other ${...} stay as
/// they are. The error names the expression (unknown param, unknown time base,
/// bad format letter, bad offset, unterminated expression).
expected<std::string> expand(std::string_view text, const expand_context& ctx);

/// The parameter names referenced by ${param:NAME} in `text`, in order of
/// appearance, without duplicates.
std::vector<std::string> param_references(std::string_view text);

/// A syntax problem of one expression: the byte offset of its "${" and a message.
struct expr_problem {
  std::size_t offset = 0;
  std::string message;
};

/// Syntax problems of the expressions in `text`, without evaluating params:
/// unknown time base, bad format letter, bad offset, empty parameter name,
/// unterminated "${param:" / "${time.".
std::vector<expr_problem> check_expressions(std::string_view text);

/// A coordinator's <param-list> at fire time. Evaluates the (name, value)
/// pairs in order; a value sees the earlier pairs, the caller's params and
/// time expressions (ctx.params is not used). A pair the caller also sets is
/// not evaluated: the caller's value wins and later values see it. The error
/// names the param.
expected<param_map>
evaluate_param_list(const std::vector<std::pair<std::string, std::string>>& list,
                    const param_map& caller, const expand_context& ctx);

} // namespace cafflow
