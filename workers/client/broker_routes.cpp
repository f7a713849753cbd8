#include "workers/client/broker_routes.h"

#include <span>
#include <variant>

#include "broker/agent/admin_client.h"
#include "broker/agent/broker_agent.h"
#include "broker/agent/route_subscriber.h"
#include "wire/codec.h"

namespace spikeline::client {

Result<workers::PipelineRoute> fetchBrokerRoutes(const std::string& broker_endpoint,
                                                 const ModelRef& model, int timeout_ms,
                                                 const transport::CurveIdentity& curve) {
  SPIKELINE_ASSIGN_OR_RETURN(auto admin, broker::makeAdminClient(broker_endpoint, curve));
  SPIKELINE_ASSIGN_OR_RETURN(broker::AdminReply reply,
                             admin->call(R"({"op":"routes"})", {}, timeout_ms));
  if (reply.attachments.empty()) return internalError("the broker's routes reply has no table");
  const std::string& raw = reply.attachments.front();
  SPIKELINE_ASSIGN_OR_RETURN(wire::Message msg,
                             wire::decode(std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(raw.data()), raw.size())));
  const auto* table = std::get_if<wire::RouteTable>(&msg);
  if (table == nullptr) return internalError("the broker's routes attachment is not a RouteTable");
  if (broker::findModelRoute(*table, model) == nullptr) {
    return notFound("the broker has no route for " + model.toString());
  }
  return workers::fromRouteTable(*table, model);
}

namespace {

// A Client that follows the broker's routes: owns the client and the subscription (destroyed
// first, so its callback never outlives the client).
class FollowingClient final : public Client {
 public:
  explicit FollowingClient(std::unique_ptr<Client> inner) : inner_(std::move(inner)) {}
  ~FollowingClient() override { subscriber_.reset(); }
  void follow(std::unique_ptr<broker::RouteSubscriber> s) { subscriber_ = std::move(s); }

  RequestId submit(const ModelRef& model, Tensor input, int64_t deadline_ns,
                   ResultCallback callback) override {
    return inner_->submit(model, std::move(input), deadline_ns, std::move(callback));
  }
  std::future<Result<InferenceResult>> submit(const ModelRef& model, Tensor input,
                                              int64_t deadline_ns) override {
    return inner_->submit(model, std::move(input), deadline_ns);
  }
  void updateRoutes(const workers::PipelineRoute& route) override { inner_->updateRoutes(route); }
  Status waitReady(int timeout_ms) override { return inner_->waitReady(timeout_ms); }
  ClientStats stats() const override { return inner_->stats(); }
  const std::string& replyEndpoint() const override { return inner_->replyEndpoint(); }

 private:
  std::unique_ptr<Client> inner_;
  std::unique_ptr<broker::RouteSubscriber> subscriber_;
};

}  // namespace

Result<std::unique_ptr<Client>> makeClientFromBroker(const Topology& topology,
                                                     const std::string& broker_endpoint,
                                                     ClientOptions options, int timeout_ms,
                                                     const std::string& routes_endpoint) {
  SPIKELINE_ASSIGN_OR_RETURN(workers::PipelineRoute route,
                             fetchBrokerRoutes(broker_endpoint, topology.model, timeout_ms,
                                               options.curve));
  const transport::CurveIdentity curve = options.curve;
  SPIKELINE_ASSIGN_OR_RETURN(auto inner, Client::make(topology, route, std::move(options)));
  std::string pub = routes_endpoint;
  if (pub.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(pub, workers::defaultRoutesEndpoint(broker_endpoint));
  }
  auto client = std::make_unique<FollowingClient>(std::move(inner));
  Client* target = client.get();
  const ModelRef model = topology.model;
  SPIKELINE_ASSIGN_OR_RETURN(
      auto subscriber,
      broker::startRouteSubscriber({broker_endpoint, pub, 500, curve},
                                   [target, model](const wire::RouteTable& t) {
                                     target->updateRoutes(workers::fromRouteTable(t, model));
                                   }));
  client->follow(std::move(subscriber));
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace spikeline::client
