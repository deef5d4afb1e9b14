#include "type_ids.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "actors.hpp"

namespace cafflow {

caf::error to_caf(const error& err) {
  return caf::error(static_cast<std::uint8_t>(err.code), error_category,
                    caf::make_message(err.message));
}

caf::error make_caf_error(ec code, std::string message) {
  return to_caf(error{code, std::move(message)});
}

error from_caf(const caf::error& err) {
  if (!err)
    return {};
  const auto& ctx = err.context();
  if (err.category() == error_category) {
    std::string message;
    if (ctx.match_elements<std::string>())
      message = ctx.get_as<std::string>(0);
    return error{static_cast<ec>(err.code()), message};
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout:
        return error{ec::timeout, "no answer in time (the peer may be overloaded or gone)"};
      case caf::sec::request_receiver_down:
      case caf::sec::remote_linking_failed:
      case caf::sec::no_route_to_receiving_node:
        return error{ec::master_unreachable, "the peer is gone"};
      case caf::sec::cannot_connect_to_node:
        return error{ec::master_unreachable, "connection refused or unreachable"};
      default: break;
    }
    return error{ec::unspecified, "system error " + caf::to_string(static_cast<caf::sec>(err.code()))};
  }
  return error{ec::unspecified, caf::to_string(err.category()) + " error "
                                  + std::to_string(err.code())};
}

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<worker_info>("cafflow::worker_info");
  cfg.add_message_type<attachment>("cafflow::attachment");
  cfg.add_message_type<attempt_spec>("cafflow::attempt_spec");
  cfg.add_message_type<log_chunk>("cafflow::log_chunk");
  cfg.add_message_type<attempt_report>("cafflow::attempt_report");
  cfg.add_message_type<workflow_record>("cafflow::workflow_record");
  cfg.add_message_type<workflow_filter>("cafflow::workflow_filter");
  cfg.add_message_type<workflow_page>("cafflow::workflow_page");
  cfg.add_message_type<attempt_record>("cafflow::attempt_record");
  cfg.add_message_type<node_record>("cafflow::node_record");
  cfg.add_message_type<instance_record>("cafflow::instance_record");
  cfg.add_message_type<instance_filter>("cafflow::instance_filter");
  cfg.add_message_type<worker_record>("cafflow::worker_record");
  cfg.add_message_type<health_record>("cafflow::health_record");
  cfg.add_message_type<dispatch_metrics>("cafflow::dispatch_metrics");
  cfg.add_message_type<store_metrics>("cafflow::store_metrics");
  cfg.add_message_type<coordinator_metrics>("cafflow::coordinator_metrics");
  cfg.add_message_type<metrics_snapshot>("cafflow::metrics_snapshot");
  cfg.add_message_type<diagnostic_record>("cafflow::diagnostic_record");
  cfg.add_message_type<xml_file_record>("cafflow::xml_file_record");
  cfg.add_message_type<start_request>("cafflow::start_request");
  cfg.add_message_type<rerun_request>("cafflow::rerun_request");
  cfg.add_message_type<mark_request>("cafflow::mark_request");
  cfg.add_message_type<execution_record>("cafflow::execution_record");
  cfg.add_message_type<backfill_request>("cafflow::backfill_request");
  cfg.add_message_type<backfill_item_record>("cafflow::backfill_item_record");
  cfg.add_message_type<backfill_record>("cafflow::backfill_record");
  cfg.add_message_type<dependency_view>("cafflow::dependency_view");
  cfg.add_message_type<coordinator_view>("cafflow::coordinator_view");
  cfg.add_message_type<dag_node>("cafflow::dag_node");
  cfg.add_message_type<dag_edge>("cafflow::dag_edge");
  cfg.add_message_type<workflow_version_view>("cafflow::workflow_version_view");
  cfg.add_message_type<workflow_version_record>("cafflow::workflow_version_record");
  cfg.add_message_type<workflow_detail>("cafflow::workflow_detail");
  cfg.add_message_type<dependency_report>("cafflow::dependency_report");
  cfg.add_message_type<credential>("cafflow::credential");
  cfg.add_message_type<hello_msg>("cafflow::hello_msg");
  cfg.add_message_type<challenge_msg>("cafflow::challenge_msg");
  cfg.add_message_type<auth_proof>("cafflow::auth_proof");
  // The handles that cross processes: gates only (docs/DESIGN.md, "Gates").
  // cafflow::local_only is deliberately not registered.
  cfg.add_message_type<worker_actor>("cafflow::worker_actor");
  cfg.add_message_type<master_gate_actor>("cafflow::master_gate_actor");
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string result = "cafflow:";
                           result += to_string(static_cast<ec>(code));
                           if (ctx.match_elements<std::string>())
                             result += " " + ctx.get_as<std::string>(0);
                           return result;
                         });
}

} // namespace cafflow
