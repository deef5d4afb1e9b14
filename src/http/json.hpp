// JSON views of the records, as the HTTP API returns them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/records.hpp"
#include "model/scheduling.hpp"

namespace cafflow {

using json = nlohmann::ordered_json;

json to_json(const workflow_record& w);
json to_json(const attempt_record& a);
json to_json(const node_record& n);
/// With its nodes when `with_nodes`.
json to_json(const instance_record& i, bool with_nodes);
/// One execution of an instance: number, trigger, requested_by, run_options
/// (an object), started, finished, status, and its five node lists.
json to_json(const execution_record& e);
/// A backfill with its options, progress and (with_items) its items.
json to_json(const backfill_record& b, bool with_items);
json to_json(const worker_record& w);
json to_json(const xml_file_record& f);
json to_json(const health_record& h);
/// The cluster view: master, workers, queues.
json cluster_json(const health_record& h);
json to_json(const log_chunk& c);
json to_json(const dependency_view& d);
json to_json(const coordinator_view& c);
json to_json(const dag_node& n);
/// {"from", "to", "label"}, and "condition" for a decision's case.
json to_json(const dag_edge& e);
json to_json(const workflow_version_view& v);
/// One entry of GET /api/v1/cluster's "masters".
json to_json(const master_entry& m);
/// {"workflow": ..., "coordinator": ... or null, "downstream": [...],
///  "nodes": [...], "edges": [...], "versions": [...] or null}.
json to_json(const workflow_detail& d);

/// An ISO 8601 time, or null when unset.
json time_json(timestamp ms);

/// A string, or null when it is empty (not set).
json text_or_null(const std::string& text);

/// `value` as JSON text. Strings and keys that are not valid UTF-8 (a file
/// or workflow name in another encoding) are written with their bad bytes
/// as "\\xNN" (util/strings escape_invalid_utf8) instead of failing.
std::string dump_json(const json& value, int indent = -1);

/// How deeply `text` nests arrays and objects, found without parsing it and
/// counted up to `limit` + 1 at most: deeper input is refused before any
/// parser sees it (nesting costs a parser, and a dump, stack).
std::size_t json_nesting(std::string_view text, std::size_t limit);

} // namespace cafflow
