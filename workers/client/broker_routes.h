// Client-side routes from the broker (decision 0004): a snapshot of the broker's route table
// (admin `routes` op) turned into the PipelineRoute a Client takes, and Client creation from a
// broker address. makeClientFromBroker's client follows the broker (a RouteSubscriber: snapshot
// + published tables), so a first stage moved by the broker (a killed or failed worker) is
// followed without re-creating the client. Stateless functions; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "core/topology.h"
#include "workers/client/client.h"
#include "workers/route_source.h"

namespace spikeline::client {

// The broker's current routes for `model`. kDeadlineExceeded when the broker does not answer in
// timeout_ms; kNotFound when the table has no route for the model (not deployed / not placed).
// With `curve` enabled the request is a CURVE client of the broker (decision 0010).
Result<workers::PipelineRoute> fetchBrokerRoutes(const std::string& broker_endpoint,
                                                 const ModelRef& model, int timeout_ms = 5000,
                                                 const transport::CurveIdentity& curve = {});

// Client::make with the first-stage replicas taken from the broker at `broker_endpoint`, then
// kept current from its route PUB (`routes_endpoint`; empty = the broker's port + 1, the
// broker's default). The returned client owns the subscription. `options.curve` applies to the
// broker connections too.
Result<std::unique_ptr<Client>> makeClientFromBroker(const Topology& topology,
                                                     const std::string& broker_endpoint,
                                                     ClientOptions options = {},
                                                     int timeout_ms = 5000,
                                                     const std::string& routes_endpoint = "");

}  // namespace spikeline::client
