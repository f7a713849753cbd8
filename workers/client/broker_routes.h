// Client-side routes from the broker (decision 0004): a snapshot of the broker's route table
// (admin `routes` op) turned into the PipelineRoute a Client takes, and Client creation from a
// broker address. A snapshot, not a subscription: a client made this way does not follow later
// first-stage changes (re-create it, or watch `spikeline routes`). Stateless; thread-safe.
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
Result<workers::PipelineRoute> fetchBrokerRoutes(const std::string& broker_endpoint,
                                                 const ModelRef& model, int timeout_ms = 5000);

// Client::make with the first-stage replicas taken from the broker at `broker_endpoint`.
Result<std::unique_ptr<Client>> makeClientFromBroker(const Topology& topology,
                                                     const std::string& broker_endpoint,
                                                     ClientOptions options = {},
                                                     int timeout_ms = 5000);

}  // namespace spikeline::client
