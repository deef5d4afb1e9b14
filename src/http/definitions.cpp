#include "http/definitions.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "http/json.hpp"
#include "util/files.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"
#include "xml/db_links.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

definition_result refusal(int status, std::string message) {
  definition_result r;
  r.status = status;
  r.message = std::move(message);
  return r;
}

/// Why this process cannot change the xmlconfig folder ("" = it can).
std::string xmlconfig_problem(const akkaflow_settings& s) {
  std::error_code err;
  if (s.xmlconfig.empty() || !fs::is_directory(s.xmlconfig, err))
    return "cafflow keeps definitions as files in the master's xmlconfig folder, which this "
           "http process cannot reach"
           + (s.xmlconfig.empty() ? std::string() : " (" + s.xmlconfig + " is not a folder here)");
  return {};
}

/// True when `file` lies inside the xmlconfig folder.
bool inside_xmlconfig(const akkaflow_settings& s, const std::string& file) {
  std::error_code err;
  auto root = fs::weakly_canonical(s.xmlconfig, err).string();
  auto path = fs::weakly_canonical(file, err).string();
  return !root.empty() && starts_with(path, root + "/");
}

/// A file name for a definition name (any Unicode; '/' and control
/// characters become '_').
std::string file_name_for(const std::string& name) {
  std::string result;
  for (char c : name)
    result += (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  if (result.empty() || result[0] == '.')
    result = "_" + result;
  return result + ".xml";
}

/// Waits (bounded by settings.load_wait) until `done` holds.
bool wait_for(const akkaflow_settings& s, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + s.load_wait;
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// A relative folder inside xmlconfig, or why not.
std::string subdir_problem(const std::string& subdir) {
  if (subdir.empty())
    return {};
  fs::path p(subdir);
  if (p.is_absolute())
    return "dir '" + subdir + "' must be relative to xmlconfig";
  for (const auto& part : p)
    if (part == "..")
      return "dir '" + subdir + "' must stay inside xmlconfig (no '..')";
  return {};
}

} // namespace

std::optional<xml_file_record> loaded_file_of(api_backend& backend, const std::string& kind,
                                              const std::string& name) {
  auto files = backend.xml_files();
  if (!files)
    return std::nullopt;
  for (const auto& f : *files)
    if (f.kind == kind && f.name == name && f.status == "loaded")
      return f;
  return std::nullopt;
}

definition_result check_definition(api_backend& backend, const akkaflow_settings& settings,
                                   const std::string& xml, parse_result& parsed) {
  parse_options opts;
  if (!settings.db_links.empty()) {
    auto links = load_db_links(settings.db_links);
    opts.db_links = links.names();
  }
  if (!settings.file_links.empty())
    opts.file_links = load_file_links(settings.file_links);
  parsed = parse_definition(xml, "(submitted)", opts);
  definition_result r;
  r.name = parsed.declared_name;
  r.kind = parsed.kind;
  for (const auto& d : parsed.diagnostics)
    if (d.level == diagnostic::severity::warning)
      r.warnings.push_back("line " + std::to_string(d.pos.line) + ": " + d.message);
  if (has_errors(parsed.diagnostics)) {
    std::vector<std::string> lines;
    for (const auto& d : parsed.diagnostics)
      if (d.level == diagnostic::severity::error)
        lines.push_back("line " + std::to_string(d.pos.line) + ": " + d.message);
    r.status = 400;
    r.message = "the definition has errors: " + join(lines, "; ");
    return r;
  }
  auto loaded = backend.workflows();
  if (!loaded)
    return refusal(http_status(loaded.error().code), loaded.error().message);
  std::set<std::string> names;
  for (const auto& w : *loaded)
    names.insert(w.name);
  std::vector<std::string> needed;
  if (parsed.wf) {
    names.insert(parsed.wf->name);
    if (parsed.wf->coordinator)
      needed = dependency_workflows(parsed.wf->coordinator->depends);
  } else if (parsed.coordinator) {
    needed = dependency_workflows(parsed.coordinator->spec.depends);
    needed.insert(needed.end(), parsed.coordinator->trigger_list.begin(),
                  parsed.coordinator->trigger_list.end());
  }
  std::vector<std::string> missing;
  for (const auto& n : needed)
    if (names.count(n) == 0 && std::find(missing.begin(), missing.end(), n) == missing.end())
      missing.push_back(n);
  if (!missing.empty()) {
    r.status = 400;
    r.message = "it names workflows that are not loaded: " + join(missing, ", ");
    return r;
  }
  r.message = "the " + r.kind + " '" + r.name + "' is valid";
  return r;
}

definition_result submit_definition(api_backend& backend, const akkaflow_settings& settings,
                                    const std::string& xml, const std::string& subdir) {
  parse_result parsed;
  auto r = check_definition(backend, settings, xml, parsed);
  if (!r.ok())
    return r;
  if (auto problem = subdir_problem(subdir); !problem.empty())
    return refusal(400, problem);
  if (auto problem = xmlconfig_problem(settings); !problem.empty())
    return refusal(501, problem + "; copy the file into it instead (on the master's host)");
  auto existing = loaded_file_of(backend, r.kind, r.name);
  if (existing && !inside_xmlconfig(settings, existing->path))
    return refusal(501, "the " + r.kind + " '" + r.name + "' is defined by " + existing->path
                          + ", outside the xmlconfig folder this process can change");
  if (existing && !subdir.empty()
      && fs::path(existing->path).parent_path().lexically_normal()
           != (fs::path(settings.xmlconfig) / subdir).lexically_normal())
    return refusal(409, "the " + r.kind + " '" + r.name + "' is defined by " + existing->path
                          + "; submit it without a dir to replace it there, or remove it first");
  r.file = existing ? existing->path
                    : (fs::path(settings.xmlconfig)
                       / (subdir.empty() && r.kind == "coordinator" ? "coordinators" : subdir)
                       / file_name_for(r.name))
                        .lexically_normal()
                        .string();
  // replace_file's temporary name does not end in .xml: the watcher never
  // sees half a file.
  if (auto written = replace_file(r.file, xml, replace_mode{0644}); !written)
    return refusal(503, written.error().message);
  auto hash = content_hash(xml);
  std::string status;
  r.settled = wait_for(settings, [&] {
    auto files = backend.xml_files();
    if (!files)
      return false;
    for (const auto& f : *files)
      if (fs::path(f.path).lexically_normal() == fs::path(r.file) && f.hash == hash) {
        status = f.status;
        return true;
      }
    return false;
  });
  if (r.settled && status != "loaded")
    return refusal(409, "wrote " + r.file + " but the master did not load it (" + status
                          + "); see GET /api/v1/xmlconfig");
  r.status = existing ? 200 : 201;
  r.message = std::string(existing ? "replaced " : "added ") + r.kind + " '" + r.name + "': "
              + r.file
              + (r.settled ? " is loaded" : " is written; the master has not loaded it yet");
  return r;
}

definition_result remove_definition(api_backend& backend, const akkaflow_settings& settings,
                                    const std::string& kind, const std::string& name) {
  definition_result r;
  r.kind = kind;
  r.name = name;
  if (kind == "workflow") {
    auto detail = backend.workflow(name);
    if (!detail)
      return refusal(http_status(detail.error().code), detail.error().message);
    // akkaflow refused these deletions too.
    if (!detail->downstream.empty())
      return refusal(409, "workflow '" + name + "' is a dependency of "
                            + join(detail->downstream, ", ")
                            + "; remove it from their coordinators first");
    for (const char* status : {"running", "queued"}) {
      instance_filter filter;
      filter.workflow = name;
      filter.status = status;
      filter.limit = 1;
      auto live = backend.instances(filter);
      if (!live)
        return refusal(http_status(live.error().code), live.error().message);
      if (!live->empty())
        return refusal(409, "workflow '" + name + "' has a " + status + " instance ("
                              + live->front().id + "); kill it or wait for its end");
    }
    r.file = detail->record.file;
  } else {
    auto f = loaded_file_of(backend, kind, name);
    if (!f)
      return refusal(404, "no coordinator named '" + name + "' is loaded");
    r.file = f->path;
  }
  if (auto problem = xmlconfig_problem(settings); !problem.empty())
    return refusal(501, problem + "; delete " + r.file + " on the master's host");
  if (!inside_xmlconfig(settings, r.file))
    return refusal(501, "the " + kind + " '" + name + "' is defined by " + r.file
                          + ", outside the xmlconfig folder this process can change");
  std::error_code err;
  fs::remove(r.file, err);
  if (err)
    return refusal(503, "cannot delete " + r.file + ": " + err.message());
  r.settled = wait_for(settings, [&] { return !loaded_file_of(backend, kind, name); });
  r.message = "deleted " + kind + " '" + name + "': removed " + r.file
              + (r.settled ? "" : " (the master has not unloaded it yet)")
              + (kind == "workflow" ? "; its instances stay in the history" : "");
  return r;
}

std::optional<http_response> handle_definition_api(api_backend& backend,
                                                   const http_request& request,
                                                   const akkaflow_settings& settings) {
  auto parts = split(request.path, '/');
  parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "workflows")
    return std::nullopt;
  auto as_json = [](const definition_result& r) {
    if (!r.ok())
      return error_response(r.status, r.message);
    nlohmann::json body{{"name", r.name},       {"kind", r.kind},         {"file", r.file},
                        {"message", r.message}, {"loaded", r.settled}, {"warnings", r.warnings}};
    http_response response;
    response.status = r.status;
    response.body = dump_json(body) + "\n";
    return response;
  };
  if (parts.size() == 3 && request.method == "POST") {
    std::string subdir;
    for (const auto& item : split(request.query, '&')) {
      if (item.empty())
        continue;
      auto eq = item.find('=');
      auto key = decode(item.substr(0, eq), true);
      if (key != "dir")
        return error_response(400, "unknown query parameter '" + key + "' (expected dir)");
      subdir = eq == std::string::npos ? "" : decode(item.substr(eq + 1), true);
    }
    if (trim(request.body).empty())
      return error_response(400, "the request body must be the workflow's XML file (curl "
                                 "--data-binary @FILE)");
    return as_json(submit_definition(backend, settings, request.body, subdir));
  }
  if (parts.size() == 4 && request.method == "DELETE")
    return as_json(remove_definition(backend, settings, "workflow", decode(parts[3], false)));
  return std::nullopt;
}

} // namespace cafflow
