// Runs one action as cafflow does, without actors: the workflow parsed, the
// attempt built by its kind (the master's part), the task prepared (the
// worker's part), then the process started — for the kinds run by
// cafflow-exec, the real build/bin/cafflow-exec — and waited for, with its
// peak memory.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <stdexcept>

#include <doctest/doctest.h>

#include <Poco/Data/Session.h>

#include "actions/kind.hpp"
#include "db/connection.hpp"
#include "exec/task.hpp"
#include "fixtures.hpp"
#include "mariadb.hpp"
#include "util/strings.hpp"
#include "util/tz.hpp"
#include "xml/db_links.hpp"
#include "xml/file_links.hpp"
#include "xml/workflow_parser.hpp"

namespace cafflow::test {

struct action_outcome {
  /// 0 done, 1 failed, 143 cancelled (SIGTERM).
  int exit_code = -1;
  /// The task log.
  std::string log;
  task_result result;
  /// Peak resident memory of the process, in KiB.
  long max_rss_kb = 0;
};

class action_runner {
public:
  /// `links` is the text of db_links.xml (written into the runner's dir).
  explicit action_runner(const std::string& links = "<db-links/>") {
    site.home = dir.path();
    site.db_links = dir / "db_links.xml";
    site.file_links = dir / "file_links.xml";
    site.mail.eml_dir = dir / "mail";
    site.mail.from = "cafflow@localhost";
    write_file(site.db_links, links);
  }

  /// Parses `action_xml` (the body of an <action>) in a workflow; the
  /// diagnostics when it does not load.
  std::string load_errors(const std::string& action_xml) {
    auto parsed = parse(action_xml);
    std::string out;
    for (const auto& d : parsed.diagnostics)
      out += d.to_string() + "\n";
    return out;
  }

  /// Runs the action; `during(pid)` runs while the process does (e.g. to kill it).
  action_outcome run(const std::string& action_xml, param_map params = {},
                     const std::function<void(int)>& during = {}) {
    if (!file_links.empty())
      write_file(site.file_links, file_links);
    auto parsed = parse(action_xml);
    if (!parsed.wf) {
      std::string out;
      for (const auto& d : parsed.diagnostics)
        out += d.to_string() + "\n";
      throw std::runtime_error("the action does not load:\n" + out);
    }
    auto& wf = *parsed.wf;
    instance_record instance;
    instance.id = "i" + std::to_string(++runs_);
    instance.workflow = wf.name;
    instance.params = params;
    instance.logical_time = 1790000000000; // 2026-09-21 14:13:20 UTC
    param_scope scope;
    scope.params = params;
    scope.logical_time = instance.logical_time;
    scope.zone = *find_time_zone("UTC");
    attempt_context ctx;
    ctx.wf = &wf;
    ctx.node = wf.index_of("a");
    ctx.attempt = 1;
    ctx.instance = &instance;
    ctx.scope = &scope;
    ctx.base_dir = dir.path();
    ctx.max_attachment_bytes = 1 << 20;
    auto spec = make_attempt(ctx);
    if (!spec)
      throw std::runtime_error("make_attempt: " + spec.error().message);
    task_dirs dirs;
    dirs.work = dir / "work";
    dirs.logs = dir / "logs";
    dirs.site = site;
    auto process = prepare_task(*spec, dirs, env);
    if (!process)
      throw std::runtime_error("prepare_task: " + process.error().message);
    action_outcome outcome;
    int pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      int log = ::open(process->log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      if (::chdir(process->work_dir.c_str()) != 0)
        ::_exit(126);
      std::vector<char*> argv, envp;
      for (auto& a : process->argv)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      for (auto& e : process->env)
        envp.push_back(e.data());
      envp.push_back(nullptr);
      ::execvpe(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    if (during)
      during(pid);
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.max_rss_kb = usage.ru_maxrss;
    outcome.log = read_file(process->log_path);
    outcome.result = read_task_result(*spec, process->work_dir);
    return outcome;
  }

  temp_dir dir;
  task_site site;
  /// More attributes of the <work-flow> the action is run in (mail-receivers=...).
  std::string workflow_attrs;
  /// The environment of the task (cafflow-exec's).
  std::vector<std::string> env{"PATH=/usr/bin:/bin"};
  /// The text of file_links.xml the workflow is checked against and the
  /// worker resolves file links in (empty = the workflow is not checked,
  /// as when the master parses a stored version again, and the worker reads
  /// whatever site.file_links holds).
  std::string file_links;

private:
  parse_result parse(const std::string& action_xml) {
    auto links = load_db_links(site.db_links);
    parse_options opts;
    opts.db_links = links.names();
    opts.db_link_types = links.types();
    if (!file_links.empty())
      opts.file_links = parse_file_links(file_links, "file_links.xml");
    return parse_definition("<work-flow name=\"t\" " + workflow_attrs
                              + "><start name=\"s\" to=\"a\"/>\n<action name=\"a\">"
                              + action_xml + "<ok to=\"e\"/></action>\n<end name=\"e\"/></work-flow>",
                            "t.xml", opts);
  }

  int runs_ = 0;
};

/// One value of a query on a SQLite file.
inline std::string sqlite_value(const std::string& path, const std::string& query) {
  db_connection::register_connectors();
  Poco::Data::Session s("SQLite", path);
  std::string value;
  s << query, Poco::Data::Keywords::into(value), Poco::Data::Keywords::now;
  return value;
}

/// A fresh database on the suite's MariaDB as a jdbc URL (user and password
/// "cafflow").
inline std::string fresh_mariadb_jdbc() {
  auto url = fresh_mariadb_url(); // mysql://cafflow:cafflow@127.0.0.1:PORT/NAME
  return "jdbc:mysql://" + url.substr(url.find('@') + 1);
}

/// SQL as root on the suite's MariaDB (the mariadb client); its output, trimmed.
inline std::string mariadb_query(const std::string& sql) {
  auto r = run_command({"mariadb", "--no-defaults", "--protocol=tcp", "-h127.0.0.1",
                        "-P" + std::to_string(shared_mariadb().port()), "-uroot", "-N", "-B",
                        "-e", sql});
  return trim(r.output);
}

/// A <link> element of db_links.xml.
inline std::string link_xml(const std::string& name, const std::string& type,
                            const std::string& url, const std::string& user = "",
                            const std::string& password = "") {
  return "<link name=\"" + name + "\" type=\"" + type + "\" jdbc-url=\"" + url + "\""
         + (user.empty() ? "" : " username=\"" + user + "\"")
         + (password.empty() ? "" : " password=\"" + password + "\"") + "/>";
}

} // namespace cafflow::test
