#include "engine/catalog.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <set>

#include "util/strings.hpp"

namespace cafflow {

namespace {

diagnostic_record to_record(const diagnostic& d) {
  return diagnostic_record{d.level == diagnostic::severity::error ? "error" : "warning",
                           d.pos.line, d.pos.column, d.message};
}

} // namespace

std::vector<std::string> blocking_dependencies(const workflow& wf) {
  std::vector<std::string> result;
  std::function<void(const dependency_expr&)> collect = [&](const dependency_expr& e) {
    // A dependency on a date window looks at other logical dates; only the
    // flag form ("after X succeeds") can deadlock.
    if (e.what == dependency_expr::kind::item) {
      if (e.item.cycle.empty() && !e.item.workflow.empty())
        result.push_back(e.item.workflow);
      return;
    }
    for (const auto& child : e.children)
      collect(child);
  };
  if (wf.coordinator)
    collect(wf.coordinator->depends);
  for (const auto& n : wf.nodes)
    if (n.kind == node_kind::action)
      if (auto* sub = std::get_if<sub_workflow_action>(&n.action.body))
        // A name that is an expression is known only at run time (where a
        // depth limit stops a recursion).
        if (sub->workflow.find("${") == std::string::npos)
          result.push_back(sub->workflow);
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

std::vector<std::vector<std::string>>
find_cycles(const std::map<std::string, std::vector<std::string>>& graph) {
  // Tarjan's strongly connected components; each component with more than one
  // node (or a self-loop) contains a cycle, reported along successor edges.
  std::map<std::string, int> index, low;
  std::set<std::string> on_stack;
  std::vector<std::string> stack;
  std::vector<std::vector<std::string>> result;
  int counter = 0;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack.insert(v);
    auto it = graph.find(v);
    if (it != graph.end())
      for (const auto& w : it->second) {
        if (graph.count(w) == 0)
          continue;
        if (index.count(w) == 0) {
          visit(w);
          low[v] = std::min(low[v], low[w]);
        } else if (on_stack.count(w) != 0) {
          low[v] = std::min(low[v], index[w]);
        }
      }
    if (low[v] != index[v])
      return;
    std::set<std::string> component;
    std::string w;
    do {
      w = stack.back();
      stack.pop_back();
      on_stack.erase(w);
      component.insert(w);
    } while (w != v);
    const auto& succ = graph.at(v);
    bool self_loop = std::find(succ.begin(), succ.end(), v) != succ.end();
    if (component.size() < 2 && !self_loop)
      return;
    // Walk the component from its smallest name back to itself.
    std::vector<std::string> cycle{*component.begin()};
    std::set<std::string> visited{cycle.front()};
    std::function<bool(const std::string&)> walk = [&](const std::string& at) -> bool {
      for (const auto& next : graph.at(at)) {
        if (component.count(next) == 0)
          continue;
        if (next == cycle.front()) {
          cycle.push_back(next);
          return true;
        }
        if (visited.insert(next).second) {
          cycle.push_back(next);
          if (walk(next))
            return true;
          cycle.pop_back();
        }
      }
      return false;
    };
    walk(cycle.front());
    result.push_back(std::move(cycle));
  };
  for (const auto& [name, succ] : graph)
    if (index.count(name) == 0)
      visit(name);
  return result;
}

catalog::catalog(const std::vector<workflow_record>& known) {
  for (const auto& record : known)
    known_[record.name] = record;
}

catalog::changes catalog::apply(const std::vector<scanned_file>& scan, timestamp now) {
  changes out;
  std::map<std::string, const scanned_file*> by_path;
  for (const auto& f : scan)
    by_path[f.path] = &f;
  // Extra diagnostics the catalog adds to files, and their final statuses.
  std::map<std::string, std::vector<diagnostic>> extra;
  std::map<std::string, std::string> status;
  auto add = [&](const std::string& path, diagnostic::severity level, source_pos pos,
                 std::string message) {
    extra[path].push_back(diagnostic{level, path, pos, std::move(message)});
  };
  // 1. One candidate file per name; several files with one name all conflict.
  std::map<std::string, std::vector<std::string>> wf_files, coord_files;
  for (const auto& f : scan) {
    if (f.wf)
      wf_files[f.wf->name].push_back(f.path);
    else if (f.coordinator)
      coord_files[f.coordinator->name].push_back(f.path);
  }
  std::map<std::string, std::string> candidates; // workflow name -> path
  auto resolve = [&](const std::map<std::string, std::vector<std::string>>& files,
                     const char* what, std::map<std::string, std::string>* chosen) {
    for (const auto& [name, paths] : files) {
      if (paths.size() == 1) {
        if (chosen != nullptr)
          (*chosen)[name] = paths.front();
        continue;
      }
      for (const auto& path : paths) {
        std::vector<std::string> others;
        for (const auto& other : paths)
          if (other != path)
            others.push_back(other);
        status[path] = "conflict";
        add(path, diagnostic::severity::error, {1, 1},
            std::string(what) + " '" + name + "' is also defined in " + join(others, ", ")
              + "; neither file is loaded until only one defines it");
      }
    }
  };
  resolve(wf_files, "workflow", &candidates);
  std::map<std::string, std::string> coord_candidates;
  resolve(coord_files, "coordinator", &coord_candidates);
  // 2. Workflows whose file is gone, or now defines another name.
  std::set<std::string> removed;
  for (const auto& [name, path] : source_) {
    auto it = by_path.find(path);
    bool gone = it == by_path.end();
    bool renamed = !gone && it->second->wf && it->second->wf->name != name;
    if ((gone || renamed) && candidates.count(name) == 0)
      removed.insert(name);
  }
  // 3. Refuse changed definitions that would close a dependency cycle.
  auto changed = [&](const std::string& name) {
    auto c = candidates.find(name);
    if (c == candidates.end())
      return false;
    auto a = active_.find(name);
    return a == active_.end() || a->second.record->hash != by_path.at(c->second)->hash;
  };
  for (int round = 0; round < 100; ++round) {
    std::map<std::string, std::vector<std::string>> graph;
    for (const auto& [name, e] : active_)
      if (removed.count(name) == 0)
        graph[name] = blocking_dependencies(*e.wf);
    for (const auto& [name, path] : candidates)
      graph[name] = blocking_dependencies(*by_path.at(path)->wf);
    bool rejected = false;
    for (const auto& cycle : find_cycles(graph)) {
      auto text = join(cycle, " -> ");
      for (std::size_t i = 0; i + 1 < cycle.size(); ++i) {
        const auto& name = cycle[i];
        if (!changed(name))
          continue;
        const auto& path = candidates.at(name);
        status[path] = "invalid";
        add(path, diagnostic::severity::error, by_path.at(path)->wf->pos,
            "workflow dependencies form a cycle: " + text + "; this version is not loaded");
        candidates.erase(name);
        rejected = true;
      }
    }
    if (!rejected)
      break;
  }
  // 4. Load new and changed definitions.
  for (const auto& [name, path] : candidates) {
    const auto& file = *by_path.at(path);
    auto active = active_.find(name);
    if (active != active_.end() && active->second.record->hash == file.hash
        && source_[name] == path)
      continue; // unchanged
    workflow_record record;
    record.name = name;
    record.dir = file.wf->dir;
    record.desc = file.wf->desc;
    record.creator = file.wf->creator;
    record.file = path;
    record.hash = file.hash;
    record.node_count = static_cast<int>(file.wf->nodes.size());
    record.loaded_at = now;
    record.status = "active";
    const auto* known = last_known(name);
    bool same = known != nullptr && known->hash == file.hash;
    record.version = known == nullptr ? 1 : known->version + (same ? 0 : 1);
    bool newly_stored = !same || known->status != "active" || known->file != path;
    if (newly_stored)
      out.stored.emplace_back(record, same ? std::string{} : file.xml);
    out.events.push_back("workflow " + name + " version " + std::to_string(record.version)
                         + " loaded from " + path);
    // An active workflow's record is in active_ only (one copy each).
    known_.erase(name);
    source_[name] = path;
    active_[name] = entry{file.wf, std::move(record)};
  }
  // 5. Unload what is gone.
  for (const auto& name : removed) {
    auto record = *active_.at(name).record;
    record.status = "removed";
    known_[name] = record;
    out.stored.emplace_back(record, std::string{});
    out.events.push_back("workflow " + name + " unloaded: its file " + source_[name]
                         + " was deleted or now defines another workflow");
    active_.erase(name);
    source_.erase(name);
  }
  // 6. Standalone coordinators: load, replace, unload.
  coordinators_.clear();
  coordinator_source_.clear();
  for (const auto& [name, path] : coord_candidates) {
    coordinators_[name] = by_path.at(path)->coordinator;
    coordinator_source_[name] = path;
  }
  // 7. References to workflows that are not loaded (they may come later).
  for (const auto& [name, e] : active_) {
    const auto& path = source_[name];
    auto warn_missing = [&](const std::string& target, source_pos pos, const char* how) {
      if (active_.count(target) == 0)
        add(path, diagnostic::severity::warning, pos,
            std::string(how) + " workflow '" + target + "', which is not loaded");
    };
    std::function<void(const dependency_expr&)> visit = [&](const dependency_expr& d) {
      if (d.what == dependency_expr::kind::item)
        warn_missing(d.item.workflow, d.item.pos, "depends on");
      for (const auto& child : d.children)
        visit(child);
    };
    if (e.wf->coordinator)
      visit(e.wf->coordinator->depends);
    for (const auto& n : e.wf->nodes)
      if (n.kind == node_kind::action) {
        if (auto* sub = std::get_if<sub_workflow_action>(&n.action.body)) {
          if (sub->workflow.find("${") == std::string::npos)
            warn_missing(sub->workflow, n.pos, "runs");
        }
        else if (auto* dep = std::get_if<dependent_action>(&n.action.body))
          visit(dep->condition);
      }
  }
  for (const auto& [name, c] : coordinators_)
    for (const auto& target : c->trigger_list)
      if (active_.count(target) == 0)
        add(coordinator_source_[name], diagnostic::severity::warning, c->spec.pos,
            "triggers workflow '" + target + "', which is not loaded");
  // 8. The status of every file.
  std::map<std::string, std::string> name_of_path;
  for (const auto& [name, path] : source_)
    name_of_path.emplace(path, name);
  files_.clear();
  files_loaded_ = 0;
  for (const auto& f : scan) {
    xml_file_record r;
    r.path = f.path;
    r.hash = f.hash;
    r.kind = f.kind;
    r.name = f.wf ? f.wf->name : f.coordinator ? f.coordinator->name : f.declared_name;
    r.checked_at = now;
    if (auto it = name_of_path.find(f.path); it != name_of_path.end()) {
      r.active_version = active_.at(it->second).record->version;
      if (r.name.empty())
        r.name = it->second;
    }
    if (!f.status.empty())
      r.status = f.status;
    else if (auto it = status.find(f.path); it != status.end())
      r.status = it->second;
    else if (has_errors(f.diagnostics))
      r.status = "invalid";
    else
      r.status = "loaded";
    for (const auto& d : f.diagnostics)
      r.diagnostics.push_back(to_record(d));
    if (auto it = extra.find(f.path); it != extra.end())
      for (const auto& d : it->second)
        r.diagnostics.push_back(to_record(d));
    if (r.status == "loaded")
      ++files_loaded_;
    auto path = r.path;
    files_[std::move(path)] = std::move(r);
  }
  return out;
}

workflow_page catalog::page(const workflow_filter& filter, std::uint64_t offset,
                            std::uint64_t limit) const {
  workflow_page out;
  workflow_matcher matches{filter};
  auto take = [&](const workflow_record& w, const std::string& status) {
    if (!matches(w, status))
      return;
    if (out.total >= offset && (limit == 0 || out.total < offset + limit)) {
      out.workflows.push_back(w);
      out.workflows.back().status = status;
    }
    ++out.total;
  };
  if (filter.status == "active") {
    if (filter.dir.empty() && filter.name.empty()) {
      // Every active one passes: straight to the page.
      out.total = active_.size();
      auto it = active_.begin();
      std::advance(it, std::min<std::uint64_t>(offset, active_.size()));
      for (; it != active_.end() && (limit == 0 || out.workflows.size() < limit); ++it)
        out.workflows.push_back(*it->second.record);
      return out;
    }
    for (const auto& [name, e] : active_)
      take(*e.record, e.record->status);
    return out;
  }
  for_each_known(take);
  return out;
}

workflow_matcher::workflow_matcher(const workflow_filter& filter)
  : filter_(filter), part_(to_lower(filter.name)) {}

bool workflow_matcher::operator()(const workflow_record& w, const std::string& status) const {
  if (!filter_.dir.empty() && w.dir != filter_.dir)
    return false;
  if (!part_.empty() && to_lower(w.name).find(part_) == std::string::npos)
    return false;
  return filter_.status == "all" || status == filter_.status;
}

workflow_page page_of(std::vector<workflow_record> list, std::uint64_t offset,
                      std::uint64_t limit) {
  workflow_page out;
  out.total = list.size();
  auto first = std::min<std::uint64_t>(offset, list.size());
  auto last = limit == 0 ? list.size() : std::min<std::uint64_t>(list.size(), first + limit);
  out.workflows.assign(std::make_move_iterator(list.begin() + static_cast<std::ptrdiff_t>(first)),
                       std::make_move_iterator(list.begin() + static_cast<std::ptrdiff_t>(last)));
  return out;
}

const catalog::entry* catalog::find(const std::string& name) const {
  auto it = active_.find(name);
  return it == active_.end() ? nullptr : &it->second;
}

std::vector<workflow_record> catalog::workflows() const {
  std::vector<workflow_record> result;
  for (const auto& [name, e] : active_)
    result.push_back(*e.record);
  return result;
}

std::vector<workflow_record> catalog::known_workflows() const {
  std::vector<workflow_record> result;
  for_each_known([&](const workflow_record& record, const std::string& status) {
    result.push_back(record);
    result.back().status = status;
  });
  return result;
}

const workflow_record* catalog::last_known(const std::string& name) const {
  if (auto active = active_.find(name); active != active_.end())
    return active->second.record.get();
  auto known = known_.find(name);
  return known == known_.end() ? nullptr : &known->second;
}

template <class F>
void catalog::for_each_known(F&& f) const {
  // Both maps by name, merged: the active ones as they are, the others
  // "removed", whatever the store said at startup (a file deleted while the
  // master was down is never seen to go).
  static const std::string removed = "removed";
  auto a = active_.begin();
  auto k = known_.begin();
  while (a != active_.end() || k != known_.end()) {
    if (k == known_.end() || (a != active_.end() && a->first <= k->first)) {
      if (k != known_.end() && k->first == a->first)
        ++k; // not in both once loaded; the active one counts
      f(*a->second.record, a->second.record->status);
      ++a;
    } else {
      f(k->second, removed);
      ++k;
    }
  }
}

std::vector<std::shared_ptr<const standalone_coordinator>> catalog::coordinators() const {
  std::vector<std::shared_ptr<const standalone_coordinator>> result;
  for (const auto& [name, c] : coordinators_)
    result.push_back(c);
  return result;
}

std::vector<xml_file_record> catalog::files() const {
  std::vector<xml_file_record> result;
  for (const auto& [path, r] : files_)
    result.push_back(r);
  return result;
}

} // namespace cafflow
