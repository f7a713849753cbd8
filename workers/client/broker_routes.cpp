#include "workers/client/broker_routes.h"

#include <span>
#include <variant>

#include "broker/agent/admin_client.h"
#include "broker/agent/broker_agent.h"
#include "wire/codec.h"

namespace spikeline::client {

Result<workers::PipelineRoute> fetchBrokerRoutes(const std::string& broker_endpoint,
                                                 const ModelRef& model, int timeout_ms) {
  SPIKELINE_ASSIGN_OR_RETURN(auto admin, broker::makeAdminClient(broker_endpoint));
  SPIKELINE_ASSIGN_OR_RETURN(broker::AdminReply reply,
                             admin->call(R"({"op":"routes"})", {}, timeout_ms));
  if (reply.attachments.empty()) return internalError("the broker's routes reply has no table");
  const std::string& raw = reply.attachments.front();
  SPIKELINE_ASSIGN_OR_RETURN(wire::Message msg,
                             wire::decode(std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(raw.data()), raw.size())));
  const auto* table = std::get_if<wire::RouteTable>(&msg);
  if (table == nullptr) return internalError("the broker's routes attachment is not a RouteTable");
  const wire::ModelRoute* m = broker::findModelRoute(*table, model);
  if (m == nullptr) return notFound("the broker has no route for " + model.toString());
  workers::PipelineRoute route{model, table->epoch, {}};
  for (const wire::StageRoute& s : m->stages) {
    workers::StageEndpoints ep{s.name, {}};
    for (const wire::Replica& r : s.replicas) ep.endpoints.push_back(r.endpoint);
    route.stages.push_back(std::move(ep));
  }
  return route;
}

Result<std::unique_ptr<Client>> makeClientFromBroker(const Topology& topology,
                                                     const std::string& broker_endpoint,
                                                     ClientOptions options, int timeout_ms) {
  SPIKELINE_ASSIGN_OR_RETURN(workers::PipelineRoute route,
                             fetchBrokerRoutes(broker_endpoint, topology.model, timeout_ms));
  return Client::make(topology, route, std::move(options));
}

}  // namespace spikeline::client
