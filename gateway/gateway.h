// Gateway: the OIP v2 front door's logic, shared by the REST and gRPC adapters: model metadata,
// readiness from the broker's route stream, and blocking inference through the data-plane client
// library (one Client per model, created on first use, kept current from the route stream).
// Owns the route subscription and the clients. Thread safety: every method is safe from any
// thread; infer() blocks the calling thread (an HTTP/gRPC worker thread) on a promise that the
// client's I/O thread fulfils, so no socket is ever touched from a server thread (decision 0005).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/topology.h"
#include "gateway/inference_types.h"
#include "metrics/registry.h"
#include "transport/curve.h"

namespace spikeline::gateway {

using metrics::MetricsRegistry;

struct GatewayOptions {
  std::string broker_endpoint;  // the broker's ROUTER, e.g. "tcp://127.0.0.1:5555"
  std::string routes_endpoint;  // its route PUB; "" = the broker's port + 1
  std::string client_bind = "tcp://127.0.0.1:*";  // the clients' reply-to ROUTERs
  std::string client_advertise;  // their reply-to in frames; "" = bound (client::ClientOptions)
  int64_t default_timeout_ms = 5000;              // per request unless it names `timeout`
  uint32_t max_batch = 64;                        // leading batch dimension limit
  int client_ready_timeout_ms = 2000;             // a new client waits this long for first credit
  // CURVE (docs/decisions/0010) towards the broker and on the data plane (the clients' reply
  // ROUTERs admit `curve.authorized` workers). Disabled: plaintext.
  transport::CurveIdentity curve;
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  virtual ServerMetadata serverMetadata() const = 0;
  // Every configured model ready (issue 12's "readiness that tells the truth").
  virtual Readiness serverReady() const = 0;
  // kNotFound for an unknown model or version.
  virtual Result<ModelMetadata> modelMetadata(const std::string& name,
                                              const std::string& version) const = 0;
  virtual Result<Readiness> modelReady(const std::string& name,
                                       const std::string& version) const = 0;
  // Runs one request (a batch fans out as frames, answered as one response). Errors:
  // kNotFound (model/version), kInvalidArgument (input), kUnavailable (not ready, no healthy
  // replica), kOverloaded (no credit), kDeadlineExceeded; messages name the failing stage.
  // `protocol` ("rest", "grpc") labels the metrics.
  virtual Result<InferResponse> infer(const InferRequest& request, const std::string& protocol) = 0;
  // Counts a request rejected before infer() (malformed body) in the failure metrics.
  virtual void countRejected(const std::string& protocol, StatusCode code) = 0;
  // Counts a request refused before anything else by authentication (auth.h): `reason` is
  // "missing" or "invalid" (spikeline_gateway_auth_failures_total).
  virtual void countAuthFailure(const std::string& reason) = 0;
  // Counts a request let in by the API key named `caller` (never the key itself).
  virtual void countAuthenticated(const std::string& caller) = 0;
  // The Prometheus text exposition of the gateway's metrics (refreshes the process gauges).
  virtual std::string metricsText() = 0;
  virtual const MetricsRegistry& metrics() const = 0;
};

// Subscribes to the broker's routes (does not wait for the first table: readiness says so).
// kInvalidArgument without models or a broker endpoint.
Result<std::unique_ptr<Gateway>> makeGateway(GatewayOptions options, std::vector<Topology> models);

}  // namespace spikeline::gateway
