#include <limits>
#include <map>

#include "store/store.hpp"

namespace cafflow {

namespace {

/// Instances (or fire and dependency records) per transaction of the copy.
constexpr int page_size = 500;

} // namespace

expected<copy_counts> copy_store(store& from, store& to,
                                 const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& line) {
    if (progress)
      progress(line);
  };
  // Never merge two histories: the target must be new.
  auto target_workflows = to.workflows();
  if (!target_workflows)
    return target_workflows.error();
  auto target_last = to.last_instance_id();
  if (!target_last)
    return target_last.error();
  if (!target_workflows->empty() || !target_last->empty())
    return make_error(ec::invalid_argument,
                      "the target store is not empty (" + std::to_string(target_workflows->size())
                        + " workflows" + (target_last->empty() ? "" : ", instances") + "); copy "
                        "into a new, empty database");
  copy_counts counts;
  // Workflows: every version (its row carries the version's own hash and
  // file), then the current state.
  auto workflows = from.workflows();
  if (!workflows)
    return workflows.error();
  std::map<std::string, workflow_record> current;
  for (const auto& w : *workflows)
    current.emplace(w.name, w);
  auto versions = from.workflow_versions();
  if (!versions)
    return versions.error();
  std::vector<store_write> batch;
  for (const auto& v : *versions) {
    auto record = current.count(v.workflow) ? current.at(v.workflow) : workflow_record{};
    record.name = v.workflow;
    record.version = v.version;
    record.hash = v.hash;
    record.file = v.file;
    record.loaded_at = v.loaded_at;
    batch.emplace_back(workflow_put{std::move(record), v.xml});
  }
  for (const auto& w : *workflows)
    batch.emplace_back(workflow_put{w, {}});
  auto files = from.xml_files();
  if (!files)
    return files.error();
  for (const auto& f : *files)
    batch.emplace_back(xml_file_put{f});
  if (auto done = to.apply(batch); !done)
    return done.error();
  counts.workflows = workflows->size();
  counts.versions = versions->size();
  counts.files = files->size();
  say(std::to_string(counts.workflows) + " workflows (" + std::to_string(counts.versions)
      + " versions), " + std::to_string(counts.files) + " xmlconfig files");
  // Instances, a page per transaction: a failure leaves whole instances.
  std::string after;
  for (;;) {
    auto page = from.instances_after(after, page_size);
    if (!page)
      return page.error();
    if (page->empty())
      break;
    batch.clear();
    for (const auto& r : *page) {
      auto row = r;
      row.nodes.clear();
      batch.emplace_back(instance_put{std::move(row)});
      for (std::size_t i = 0; i < r.nodes.size(); ++i) {
        const auto& n = r.nodes[i];
        auto node = n;
        node.attempts.clear();
        batch.emplace_back(node_put{r.id, static_cast<int>(i), std::move(node)});
        for (const auto& a : n.attempts)
          batch.emplace_back(attempt_put{r.id, n.name, a});
      }
      // Its executions (a query per instance: copying is an offline move).
      auto executions = from.executions(r.id);
      if (!executions)
        return executions.error();
      for (const auto& e : *executions)
        batch.emplace_back(execution_put{e});
    }
    if (auto done = to.apply(batch); !done)
      return done.error();
    counts.instances += page->size();
    after = page->back().id;
    say(std::to_string(counts.instances) + " instances");
  }
  // Coordinators: their states, then their fires and satisfied
  // dependencies, a page per transaction.
  auto coordinators = from.coordinator_states();
  if (!coordinators)
    return coordinators.error();
  batch.clear();
  for (const auto& c : *coordinators)
    batch.emplace_back(coordinator_put{c});
  if (auto done = to.apply(batch); !done)
    return done.error();
  counts.coordinators = coordinators->size();
  say(std::to_string(counts.coordinators) + " coordinator states");
  for (fire_record last;;) {
    auto page = from.fire_records_after(last, page_size);
    if (!page)
      return page.error();
    if (page->empty())
      break;
    batch.clear();
    for (const auto& f : *page)
      batch.emplace_back(fire_put{f});
    if (auto done = to.apply(batch); !done)
      return done.error();
    counts.fires += page->size();
    last = page->back();
    say(std::to_string(counts.fires) + " fires");
  }
  for (dependency_record last;;) {
    auto page = from.dependency_records_after(last, page_size);
    if (!page)
      return page.error();
    if (page->empty())
      break;
    batch.clear();
    for (const auto& d : *page)
      batch.emplace_back(dependency_put{d});
    if (auto done = to.apply(batch); !done)
      return done.error();
    counts.dependencies += page->size();
    last = page->back();
    say(std::to_string(counts.dependencies) + " dependencies");
  }
  // Backfills with their items, one backfill per transaction.
  auto backfills = from.backfills("", std::numeric_limits<int>::max());
  if (!backfills)
    return backfills.error();
  for (const auto& listed : *backfills) {
    auto full = from.backfill(listed.id);
    if (!full)
      return full.error();
    if (!*full)
      continue; // gone meanwhile
    batch.clear();
    auto row = **full;
    auto items = std::move(row.items);
    row.items.clear();
    batch.emplace_back(backfill_put{std::move(row)});
    for (auto& item : items)
      batch.emplace_back(backfill_item_put{std::move(item)});
    if (auto done = to.apply(batch); !done)
      return done.error();
    ++counts.backfills;
  }
  if (counts.backfills > 0)
    say(std::to_string(counts.backfills) + " backfills");
  return counts;
}

} // namespace cafflow
