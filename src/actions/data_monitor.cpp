// <data-monitor>: reads a number (a query's first value, a command's output,
// or a literal), checks it against <min> and <max> (read the same way), and
// keeps it with the attempt (API/CLI: the attempt's result). With
// recheck-interval it reads again and fails when the number changed.
#include <cmath>
#include <sstream>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "db/connection.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

#ifndef CAFFLOW_EXEC

nlohmann::json value_json(const monitor_value& v) {
  return {{"type", v.type},
          {"db_link", v.db_link},
          {"content", v.content},
          {"inline_link", inline_link_json(v.inline_link)}};
}

expected<monitor_value> expand_value(const attempt_context& ctx, const monitor_value& v) {
  auto out = v;
  auto link = expand_for(ctx, v.db_link);
  if (!link)
    return link.error();
  out.db_link = *link;
  auto content = expand_for(ctx, v.content);
  if (!content)
    return content.error();
  out.content = *content;
  return out;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

double to_number(const std::string& text, const std::string& what) {
  auto t = trim(text);
  char* end = nullptr;
  double value = std::strtod(t.c_str(), &end);
  if (t.empty() || end == nullptr || *end != '\0' || !std::isfinite(value))
    throw std::runtime_error(what + " gave '" + t.substr(0, 80) + "', which is not a number");
  return value;
}

/// The number as people write it: 1042, 3.5.
std::string show(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

double read_value(exec_context& ctx, const nlohmann::json& v, const std::string& what) {
  auto type = v.value("type", std::string("NUM"));
  auto content = v.value("content", std::string{});
  if (type == "NUM")
    return to_number(content, what);
  if (type == "COMMAND") {
    ctx.log(what + ": running " + content);
    // The number is what it prints on stdout; its stderr goes to the task log.
    child_options options;
    options.work_dir = ctx.work_dir;
    options.own_group = false;
    options.merge_stderr = false;
    options.max_output = 1 << 20;
    options.stop = [&] { return ctx.cancel->cancelled(); };
    auto done = run_child({"/bin/sh", "-c", content}, options);
    if (!done)
      throw std::runtime_error(what + ": cannot run the command: " + done.error().message);
    ctx.cancel->check();
    if (done->status.exit_code != 0)
      throw std::runtime_error(what + ": the command failed (" + done->status.describe()
                               + "): " + content);
    return to_number(done->output, what + " (command)");
  }
  // SQL: the first value of the first row.
  auto db = connect_spec_link(ctx, v);
  ctx.cancel->set_hook(db->canceller());
  try {
    Poco::Data::Statement select(db->session());
    select << content;
    select.execute();
    ctx.cancel->clear_hook();
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0 || rs.columnCount() == 0)
      throw std::runtime_error(what + ": the query returned no row");
    if (rs.value(0, 0).isEmpty())
      throw std::runtime_error(what + ": the query returned NULL");
    return to_number(rs.value(0, 0).convert<std::string>(), what + " (query)");
  } catch (const std::runtime_error&) {
    ctx.cancel->clear_hook();
    throw;
  } catch (const std::exception& e) {
    ctx.cancel->clear_hook();
    ctx.cancel->check();
    throw std::runtime_error(what + ": the query failed: " + db_error_text(e));
  }
}

#endif // CAFFLOW_EXEC

} // namespace

#ifndef CAFFLOW_EXEC

action_kind data_monitor_kind() {
  action_kind kind;
  kind.name = "data-monitor";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& m = body_as<data_monitor_action>(body);
    nlohmann::json doc;
    auto source = expand_value(ctx, m.source);
    if (!source)
      return source.error();
    doc["source"] = value_json(*source);
    for (auto [name, bound] : {std::pair{"min", &m.min}, std::pair{"max", &m.max}})
      if (*bound) {
        auto v = expand_value(ctx, **bound);
        if (!v)
          return v.error();
        doc[name] = value_json(*v);
      }
    auto warn = expand_for(ctx, m.warn_msg);
    if (!warn)
      return warn.error();
    doc["warn_msg"] = *warn;
    doc["recheck_interval_s"] = m.recheck_interval_s;
    // akkaflow's labels of the value, kept with it in the result.
    nlohmann::json labels = nlohmann::json::object();
    for (auto [key, text] : {std::pair{"category", &m.category}, std::pair{"name", &m.name},
                             std::pair{"source_name", &m.source_name},
                             std::pair{"time_mark", &m.time_mark}}) {
      auto expanded = expand_for(ctx, *text);
      if (!expanded)
        return expanded.error();
      if (!expanded->empty())
        labels[key] = *expanded;
    }
    if (!labels.empty())
      doc["labels"] = labels;
    if (!m.exceed_error) {
      doc["exceed_error"] = false;
      doc["warn_to"] = ctx.wf->mail_receivers;
      doc["warn_subject"] = "[cafflow] WARN " + ctx.wf->name + ": data-monitor "
                            + ctx.wf->nodes[ctx.node].name + " out of bounds";
    }
    spec.payload = doc.dump();
    return {};
  };
  kind.command = exec_command;
  kind.exec = true;
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void data_monitor_runner(exec_context& ctx) {
  const auto& spec = ctx.spec;
  auto warn = spec.value("warn_msg", std::string{});
  auto value = read_value(ctx, spec.at("source"), "source");
  ctx.log("value " + show(value));
  ctx.result = {{"value", value}};
  if (spec.contains("labels") && spec["labels"].is_object())
    ctx.result.update(spec["labels"]);
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(why + (warn.empty() ? "" : ": " + warn));
  };
  // is-exceed-error="false" (akkaflow): a bound crossed is a warning by mail.
  bool exceed_error = spec.value("exceed_error", true);
  auto out_of_bounds = [&](const std::string& why) {
    if (exceed_error)
      fail(why);
    ctx.log("WARN " + why + " (is-exceed-error=\"false\": the action succeeds)");
    ctx.result["warning"] = why;
    send_warning_mail(ctx, spec.value("warn_to", std::vector<std::string>{}),
                      spec.value("warn_subject", std::string("[cafflow] data-monitor warning")),
                      warn.empty() ? std::vector<std::string>{why}
                                   : std::vector<std::string>{why, warn});
  };
  if (spec.contains("min")) {
    auto min = read_value(ctx, spec["min"], "min");
    ctx.result["min"] = min;
    if (value < min)
      out_of_bounds("value " + show(value) + " is below the minimum " + show(min));
  }
  if (spec.contains("max")) {
    auto max = read_value(ctx, spec["max"], "max");
    ctx.result["max"] = max;
    if (value > max)
      out_of_bounds("value " + show(value) + " is above the maximum " + show(max));
  }
  auto recheck = spec.value("recheck_interval_s", 0);
  if (recheck > 0) {
    ctx.log("reading again in " + std::to_string(recheck) + " s");
    ctx.cancel->sleep_for(std::chrono::seconds(recheck));
    auto again = read_value(ctx, spec.at("source"), "source");
    if (again != value)
      fail("value changed from " + show(value) + " to " + show(again)
           + " within the recheck-interval of " + std::to_string(recheck) + " s");
  }
  if (!ctx.result.contains("warning"))
    ctx.log("within bounds");
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
