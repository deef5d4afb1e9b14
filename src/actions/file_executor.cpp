// <file-executor>: the master ships the script its command names (the word
// with a '/', as akkaflow read it, else the first; and the attachments); the
// worker runs the command with the script's word replaced by ./NAME, with
// /bin/sh -c.
#include "actions/kinds.hpp"
#include "exec/attachments.hpp"

namespace cafflow {

action_kind file_executor_kind() {
  action_kind kind;
  kind.name = "file-executor";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& exec = body_as<file_executor_action>(body);
    auto text = expand_for(ctx, exec.command);
    if (!text)
      return text.error();
    auto command = split_executor_command(*text);
    if (!command)
      return command.error();
    spec.payload = command->command;
    auto files = exec.attachments;
    files.insert(files.begin(), command->script);
    auto loaded = load_attachments(files, ctx.base_dir, ctx.max_attachment_bytes);
    if (!loaded)
      return loaded.error();
    spec.attachments = std::move(*loaded);
    spec.attachments.front().executable = true;
    return {};
  };
  kind.command = [](const attempt_spec& spec, const std::string&,
                    const task_site&) -> expected<std::vector<std::string>> {
    return std::vector<std::string>{"/bin/sh", "-c", spec.payload};
  };
  return kind;
}

} // namespace cafflow
