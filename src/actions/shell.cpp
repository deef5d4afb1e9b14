// <shell>: one command line run by /bin/sh -c.
#include "actions/kinds.hpp"

namespace cafflow {

action_kind shell_kind() {
  action_kind kind;
  kind.name = "shell";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    auto command = expand_for(ctx, body_as<shell_action>(body).command);
    if (!command)
      return command.error();
    spec.payload = std::move(*command);
    return {};
  };
  kind.command = [](const attempt_spec& spec, const std::string&,
                    const task_site&) -> expected<std::vector<std::string>> {
    return std::vector<std::string>{"/bin/sh", "-c", spec.payload};
  };
  return kind;
}

} // namespace cafflow
