#include "store/store.hpp"

namespace cafflow {

namespace {

error unsupported(const char* what) {
  return make_error(ec::store_error, std::string("this store does not support ") + what);
}

} // namespace

expected<std::vector<xml_file_record>> store::xml_files() { return unsupported("xml_files"); }

expected<std::vector<instance_record>> store::unfinished_instances() {
  return unsupported("unfinished_instances");
}

expected<std::vector<instance_record>> store::instances_after(const std::string&, int) {
  return unsupported("instances_after");
}

expected<std::vector<workflow_version_record>> store::workflow_versions() {
  return unsupported("workflow_versions");
}

expected<std::vector<execution_record>> store::executions(const std::string&) {
  return unsupported("executions");
}

expected<std::vector<workflow_version_record>> store::workflow_history(const std::string&) {
  return unsupported("workflow_history");
}

expected<std::optional<workflow_version_record>> store::workflow_version(const std::string&, int) {
  return unsupported("workflow_version");
}

expected<std::uint64_t> store::take_epoch(const std::string&, timestamp, std::int64_t) {
  return unsupported("take_epoch");
}

expected<lease_record> store::read_lease() { return unsupported("read_lease"); }

expected<lease_record> store::acquire_lease(const std::string&, timestamp, std::int64_t) {
  return unsupported("acquire_lease");
}

expected<bool> store::renew_lease(const std::string&, std::uint64_t, timestamp, std::int64_t) {
  return unsupported("renew_lease");
}

expected<void> store::release_lease(const std::string&, std::uint64_t, timestamp) {
  return unsupported("release_lease");
}

expected<lease_record> store::seize_lease(const std::string&, const std::string&, std::uint64_t,
                                          timestamp, std::int64_t) {
  return unsupported("seize_lease");
}

void store::fence(std::string, std::uint64_t) {}

expected<void> store::put_master_node(const master_node_record&) {
  return unsupported("put_master_node");
}

expected<std::vector<master_node_record>> store::master_nodes() {
  return unsupported("master_nodes");
}

expected<std::vector<coordinator_state_record>> store::coordinator_states() {
  return unsupported("coordinator_states");
}

expected<std::vector<fire_record>> store::fire_records(const std::string&, timestamp, timestamp) {
  return unsupported("fire_records");
}

expected<std::vector<dependency_record>> store::dependency_records(const std::string&, timestamp) {
  return unsupported("dependency_records");
}

expected<fire_outcome> store::fire(const fire_record&, const std::vector<store_write>&) {
  return unsupported("fire");
}

expected<std::vector<fire_record>> store::fire_records_after(const fire_record&, int) {
  return unsupported("fire_records_after");
}

expected<prune_counts> store::prune_instances(timestamp, int, bool) {
  return unsupported("prune_instances");
}

expected<prune_counts> store::delete_instance(const std::string&) {
  return unsupported("delete_instance");
}

expected<prune_counts> store::prune_versions(int, int, bool) {
  return unsupported("prune_versions");
}

expected<std::vector<dependency_record>> store::dependency_records_after(const dependency_record&,
                                                                         int) {
  return unsupported("dependency_records_after");
}

expected<std::vector<backfill_record>> store::backfills(const std::string&, int) {
  return unsupported("backfills");
}

expected<std::optional<backfill_record>> store::backfill(const std::string&) {
  return unsupported("backfill");
}

expected<std::vector<backfill_record>> store::unfinished_backfills() {
  return unsupported("unfinished_backfills");
}

expected<std::map<timestamp, std::string>> store::latest_statuses(const std::string&, timestamp,
                                                                  timestamp) {
  return unsupported("latest_statuses");
}

expected<std::vector<alert_record>> store::alerts(const alert_filter&) {
  return unsupported("alerts");
}

expected<std::optional<alert_record>> store::alert(std::int64_t) { return unsupported("alert"); }

expected<std::vector<alert_record>> store::due_alerts(timestamp, int) {
  return unsupported("due_alerts");
}

expected<void> store::update_alerts(const std::vector<alert_record>&) {
  return unsupported("update_alerts");
}

} // namespace cafflow
