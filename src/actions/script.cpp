// <script>: the code written to the work directory and run with bash, or the
// interpreter of its #! line; attachments shipped from the master.
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "actions/kinds.hpp"
#include "exec/attachments.hpp"
#include "util/strings.hpp"

namespace cafflow {

action_kind script_kind() {
  action_kind kind;
  kind.name = "script";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& script = body_as<script_action>(body);
    auto code = expand_for(ctx, script.code);
    if (!code)
      return code.error();
    spec.payload = std::move(*code);
    auto line = expand_for(ctx, script.param_line);
    if (!line)
      return line.error();
    spec.param_line = std::move(*line);
    if (!script.attachments.empty()) {
      auto loaded = load_attachments(script.attachments, ctx.base_dir, ctx.max_attachment_bytes);
      if (!loaded)
        return loaded.error();
      spec.attachments = std::move(*loaded);
    }
    return {};
  };
  kind.command = [](const attempt_spec& spec, const std::string& work_dir,
                    const task_site&) -> expected<std::vector<std::string>> {
    return script_command(spec.payload, spec.param_line, work_dir);
  };
  return kind;
}

expected<std::vector<std::string>> script_command(const std::string& code,
                                                  const std::string& param_line,
                                                  const std::string& work_dir) {
  auto script = (std::filesystem::path(work_dir) / "task.script").string();
  {
    std::ofstream out(script, std::ios::binary);
    out << code;
    if (!out)
      return make_error(ec::exec_error, "cannot write script '" + script + "'");
  }
  std::vector<std::string> argv;
  if (starts_with(code, "#!")) {
    ::chmod(script.c_str(), 0755);
    argv = {script};
  } else {
    argv = {"bash", script};
  }
  for (auto& word : split_list(param_line, ' '))
    argv.push_back(word);
  return argv;
}

} // namespace cafflow
