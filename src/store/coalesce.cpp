#include <cstdint>
#include <unordered_set>
#include <map>
#include <tuple>

#include "store/store.hpp"

namespace cafflow {

namespace {

/// What a write is about: its kind and the key of its row (empty kind for
/// writes that are never merged).
using row_key = std::tuple<int, std::string, std::string, std::int64_t>;

row_key key_of(const store_write& w) {
  if (auto* i = write_if<instance_put>(w))
    return {1, i->record.id, {}, 0};
  if (auto* n = std::get_if<node_put>(&w))
    return {2, n->instance_id, n->record.name, 0};
  if (auto* a = std::get_if<attempt_put>(&w))
    return {3, a->instance_id, a->node, a->record.number};
  // A put and a delete of one file are writes of the same row.
  if (auto* f = std::get_if<xml_file_put>(&w))
    return {4, f->record.path, {}, 0};
  if (auto* f = std::get_if<xml_file_delete>(&w))
    return {4, f->path, {}, 0};
  // Likewise a put and a delete of one coordinator's state.
  if (auto* c = std::get_if<coordinator_put>(&w))
    return {5, c->record.workflow, {}, 0};
  if (auto* c = std::get_if<coordinator_delete>(&w))
    return {5, c->workflow, {}, 0};
  if (auto* d = std::get_if<dependency_put>(&w))
    return {6, d->record.workflow, d->record.upstream, d->record.logical_time};
  if (auto* f = std::get_if<fire_put>(&w))
    return {7, f->record.workflow, {}, f->record.logical_time};
  if (auto* e = std::get_if<execution_put>(&w))
    return {8, e->record.instance_id, {}, e->record.number};
  if (auto* b = std::get_if<backfill_put>(&w))
    return {9, b->record.id, {}, 0};
  if (auto* i = std::get_if<backfill_item_put>(&w))
    return {10, i->record.backfill_id, i->record.workflow, i->record.logical_time};
  return {0, {}, {}, 0};
}

} // namespace

std::vector<store_write> coalesce(std::vector<store_write> batch) {
  std::vector<store_write> result;
  result.reserve(batch.size());
  std::map<row_key, std::size_t> position; // row -> its index in result
  for (auto& w : batch) {
    auto key = key_of(w);
    if (std::get<0>(key) == 0) {
      result.push_back(std::move(w));
      continue;
    }
    auto [it, fresh] = position.emplace(std::move(key), result.size());
    if (fresh)
      result.push_back(std::move(w));
    else
      result[it->second] = std::move(w);
  }
  return result;
}

std::vector<std::string> changed_instances(const std::vector<store_write>& batch) {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;
  auto add = [&](const std::string& id) {
    if (!id.empty() && seen.insert(id).second)
      ids.push_back(id);
  };
  for (const auto& write : batch) {
    if (const auto* i = write_if<instance_put>(write))
      add(i->record.id);
    else if (const auto* n = std::get_if<node_put>(&write))
      add(n->instance_id);
    else if (const auto* a = std::get_if<attempt_put>(&write))
      add(a->instance_id);
  }
  return ids;
}

} // namespace cafflow
