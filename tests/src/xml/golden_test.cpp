// Golden tests of the workflow format: every tests/golden/workflows/NAME.xml
// is checked and its diagnostics compared with NAME.expected; every folder of
// tests/golden/sets/ is checked as a whole (rules across files) and compared
// with its expected.txt. CAFFLOW_UPDATE_GOLDEN=1 rewrites the expectations
// (review the diff before committing).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <doctest/doctest.h>

#include "cli/tools.hpp"
#include "exec/attachments.hpp"
#include "fixtures.hpp"
#include "schedule/cron.hpp"
#include "util/strings.hpp"
#include "util/tz.hpp"
#include "xml/db_links.hpp"
#include "xml/workflow_parser.hpp"

using namespace cafflow;
namespace fs = std::filesystem;

namespace {

const fs::path golden = fs::path(CAFFLOW_SOURCE_DIR) / "tests" / "golden";

bool updating() { return std::getenv("CAFFLOW_UPDATE_GOLDEN") != nullptr; }

void compare(const fs::path& expected_file, const std::string& actual) {
  if (updating()) {
    test::write_file(expected_file.string(), actual);
    return;
  }
  CAPTURE(expected_file.string());
  REQUIRE(fs::exists(expected_file));
  CHECK(test::read_file(expected_file.string()) == actual);
}

std::vector<fs::path> sorted(const fs::path& dir, bool directories) {
  std::vector<fs::path> result;
  for (const auto& entry : fs::directory_iterator(dir))
    if (directories ? entry.is_directory() : entry.path().extension() == ".xml")
      result.push_back(entry.path());
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace

TEST_SUITE_BEGIN("golden");

TEST_CASE("every golden workflow file gives exactly its expected diagnostics") {
  auto links = load_db_links((golden / "db_links.xml").string());
  REQUIRE(links.diagnostics.empty());
  parse_options opts;
  opts.db_links = links.names();
  opts.db_link_types = links.types();
  auto files = sorted(golden / "workflows", false);
  CHECK(files.size() >= 40);
  for (const auto& file : files) {
    auto name = file.filename().string();
    auto result = parse_definition(test::read_file(file.string()), name, opts);
    std::string actual;
    for (const auto& d : result.diagnostics)
      actual += d.to_string() + "\n";
    // A file without errors yields a definition, and the other way round.
    CAPTURE(name);
    CHECK((result.wf.has_value() || result.coordinator.has_value()) == !has_errors(result.diagnostics));
    compare(fs::path(file).replace_extension(".expected"), actual);
  }
}

TEST_CASE("every golden set of files gives exactly its expected diagnostics") {
  for (const auto& dir : sorted(golden / "sets", true)) {
    std::ostringstream out;
    auto code = check_files({dir.string()}, (golden / "db_links.xml").string(), false, out);
    // Paths relative to the set's folder, so the expectation is portable.
    auto text = out.str();
    auto prefix = dir.string() + "/";
    for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix))
      text.erase(at, prefix.size());
    text += "exit " + std::to_string(code) + "\n";
    compare(dir / "expected.txt", text);
  }
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("golden");

TEST_CASE("akkaflow-format examples load unchanged, without errors or warnings") {
  auto links = load_db_links((golden / "db_links.xml").string());
  parse_options opts;
  opts.db_links = links.names();
  std::map<std::string, std::size_t> nodes{{"job_1.xml", 4},
                                           {"job_2.xml", 4},
                                           {"job_combine.xml", 3},
                                           {"job_combine_day.xml", 3},
                                           {"node_types.xml", 15}};
  for (const auto& file : sorted(golden / "akkaflow", false)) {
    auto name = file.filename().string();
    CAPTURE(name);
    auto result = parse_definition(test::read_file(file.string()), name, opts);
    std::string diagnostics;
    for (const auto& d : result.diagnostics)
      diagnostics += d.to_string() + "\n";
    CHECK(diagnostics == "");
    REQUIRE(result.wf);
    CHECK(result.wf->nodes.size() == nodes.at(name));
    REQUIRE(result.wf->coordinator);
  }
  // The dependency chain job_1, job_2 -> job_combine -> job_combine_day is
  // acyclic and fully resolved when all files are checked together.
  std::ostringstream out;
  CHECK(check_files({(golden / "akkaflow").string()}, (golden / "db_links.xml").string(), false,
                    out)
        == 0);
  CHECK(out.str() == "");
}

namespace {

/// What a coordinator does, for the akkaflow-era goldens: its window, what it
/// starts and waits for, and the next three fires of its cron (UTC) after a
/// fixed instant, i.e. the times akkaflow would have fired it.
std::string describe(const coordinator_spec& spec, const std::vector<std::string>& starts) {
  std::string out = "  enabled: " + std::string(spec.enabled ? "true" : "false") + "\n";
  out += "  window: " + (spec.start_time.empty() ? std::string("-") : spec.start_time) + " .. "
         + (spec.end_time.empty() ? std::string("-") : spec.end_time) + "\n";
  out += "  starts: " + join(starts, ", ") + "\n";
  out += "  waits for: " + join(dependency_workflows(spec.depends), ", ") + "\n";
  for (const auto& [name, value] : spec.params)
    out += "  param " + name + " = " + value + "\n";
  if (spec.cron.empty())
    return out + "  cron: none (fires when every dependency is ready)\n";
  auto cron = cron_expr::parse(spec.cron);
  REQUIRE(cron);
  const auto& zone = **find_time_zone("UTC");
  auto t = *parse_local_time("2026-05-15 10:20:30", zone);
  std::vector<std::string> fires;
  for (int i = 0; i < 3; ++i) {
    t = *cron->next(t, zone);
    fires.push_back(format_local_time(t, zone));
  }
  return out + "  cron '" + spec.cron + "' fires after 2026-05-15 10:20:30 UTC at: "
         + join(fires, ", ") + "\n";
}

std::string link_text(const std::string& name, const std::optional<inline_db_link>& link) {
  if (link)
    return "inline " + link->type + " " + link->jdbc_url + " user '" + link->username + "'";
  return name.empty() ? std::string("-") : "db-link " + name;
}

std::string code_lines(const std::string& code) {
  std::string out;
  for (const auto& line : split_lines(code))
    out += "    | " + line + "\n";
  return out;
}

/// What an action of the kinds older akkaflow releases wrote differently
/// does: the code it runs, the files it looks at, the connections it opens.
std::string describe_action(const node& n) {
  std::string out = "  action " + n.name + ": ";
  const auto& body = n.action.body;
  if (const auto* s = std::get_if<script_action>(&body)) {
    out += "script\n" + code_lines(s->code);
  } else if (const auto* m = std::get_if<file_monitor_action>(&body)) {
    out += "file-monitor " + (m->dir.empty() ? "" : "in " + m->dir + " name ") + m->pattern
           + (m->file_link.empty() ? "" : " on file link " + m->file_link) + ", min-num "
           + std::to_string(m->min_num) + ", min-each-size "
           + std::to_string(m->min_each_size)
           + (m->size_warn_only ? " (a warning mail, not a failure)" : "") + ", recheck "
           + std::to_string(m->recheck_interval_s) + " s"
           + (m->warn_msg.empty() ? "" : ", warn '" + m->warn_msg + "'") + "\n";
  } else if (const auto* f = std::get_if<file_executor_action>(&body)) {
    auto command = split_executor_command(f->command);
    out += "file-executor ships "
           + (command ? command->script + ", runs " + command->command : command.error().message)
           + "\n";
  } else if (const auto* q = std::get_if<sql_action>(&body)) {
    out += "sql on " + link_text(q->db_link, q->inline_link) + "\n" + code_lines(q->sql);
  } else if (const auto* d = body_if<data_monitor_action>(body)) {
    out += "data-monitor " + d->source.type + " on " + link_text(d->source.db_link,
                                                                 d->source.inline_link);
    for (auto [what, v] : {std::pair{"min", &d->min}, std::pair{"max", &d->max}})
      if (*v)
        out += std::string(", ") + what + " " + (*v)->type
               + ((*v)->type == "SQL" ? " on " + link_text((*v)->db_link, (*v)->inline_link)
                                      : " " + (*v)->content);
    out += d->exceed_error ? "\n" : ", out of bounds = a warning mail\n";
  } else if (const auto* t = body_if<transfer_action>(body)) {
    if (!t->script.empty()) {
      out += "transfer script\n" + code_lines(t->script);
    } else {
      auto end = [](const transfer_endpoint& e, bool target) {
        std::string text = e.type + " ";
        if (e.type == "DB")
          text += link_text(e.db_link, e.inline_link) + " "
                  + (target ? "table " + e.table : "'" + e.content + "'");
        else
          text += (target ? e.path : e.content) + " delimited '" + e.delimited + "'"
                  + (e.append ? " (appended)" : "")
                  + (e.file_link.empty() ? "" : " on file link " + e.file_link)
                  + (e.hdfs ? " on HDFS" + (e.hdfs->default_fs.empty() ? std::string{}
                                                                       : " " + e.hdfs->default_fs)
                                + (e.hdfs->user.empty() ? std::string{} : " as " + e.hdfs->user)
                            : std::string{});
        if (e.is_pre_truncate)
          text += " (emptied first)";
        return text;
      };
      out += "transfer " + end(t->source, false) + " -> " + end(t->target, true) + "\n";
      if (!t->target.pre.empty())
        out += "    pre:\n" + code_lines(t->target.pre);
      if (!t->target.after.empty())
        out += "    after:\n" + code_lines(t->target.after);
    }
  } else {
    out += std::string(action_type_name(body)) + "\n";
  }
  return out;
}

} // namespace

TEST_CASE("akkaflow files of every era load and fire as akkaflow fired them") {
  // tests/golden/akkaflow_eras/NAME.xml: written from what each akkaflow
  // release's parser read (docs/MIGRATING.md); NAME.expected holds the
  // diagnostics (warnings only) and what the definition does.
  auto links = load_db_links((golden / "db_links.xml").string());
  parse_options opts;
  opts.db_links = links.names();
  // No file_links.xml: the built-in "local" link only.
  opts.file_links = parse_file_links("<file-links/>", "file_links.xml");
  auto files = sorted(golden / "akkaflow_eras", false);
  CHECK(files.size() >= 10);
  for (const auto& file : files) {
    auto name = file.filename().string();
    CAPTURE(name);
    auto result = parse_definition(test::read_file(file.string()), name, opts);
    std::string actual;
    for (const auto& d : result.diagnostics)
      actual += d.to_string() + "\n";
    CHECK_FALSE(has_errors(result.diagnostics));
    if (result.coordinator) {
      actual += "coordinator " + result.coordinator->name + " (akkaflow "
                + result.coordinator->format + " format) creator " + result.coordinator->creator
                + "\n";
      actual += describe(result.coordinator->spec, result.coordinator->trigger_list);
    } else if (result.wf) {
      actual += "workflow " + result.wf->name + ": " + std::to_string(result.wf->nodes.size())
                + " nodes"
                + (result.wf->create_time.empty() ? "" : ", created " + result.wf->create_time)
                + "\n";
      for (const auto& n : result.wf->nodes) {
        if (!n.desc.empty())
          actual += "  node " + n.name + ": " + n.desc + "\n";
        if (n.kind == node_kind::action)
          actual += describe_action(n);
      }
      if (result.wf->coordinator)
        actual += describe(*result.wf->coordinator, {result.wf->name});
    }
    compare(fs::path(file).replace_extension(".expected"), actual);
  }
  // All of them together: every dependency and target resolves.
  std::ostringstream out;
  CHECK(check_files({(golden / "akkaflow_eras").string()}, (golden / "db_links.xml").string(),
                    false, out)
        == 0);
}

TEST_CASE("the shipped examples and configuration check cleanly") {
  std::ostringstream out;
  auto source = fs::path(CAFFLOW_SOURCE_DIR);
  CHECK(check_files({(source / "xmlconfig").string()}, (source / "conf/db_links.xml").string(),
                    false, out)
        == 0);
  CHECK(out.str() == "");
}

TEST_SUITE_END();
