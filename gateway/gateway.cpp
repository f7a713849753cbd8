#include "gateway/gateway.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "broker/agent/route_subscriber.h"
#include "core/clock.h"
#include "gateway/error_map.h"
#include "gateway/model_io.h"
#include "gateway/readiness.h"
#include "workers/client/client.h"
#include "workers/route_source.h"

namespace spikeline::gateway {
namespace {

using metrics::Labels;
using metrics::MetricType;

constexpr const char* kSuccess = "spikeline_inference_request_success_total";
constexpr const char* kFailure = "spikeline_inference_request_failure_total";
constexpr const char* kFrames = "spikeline_inference_frames_total";
constexpr const char* kDuration = "spikeline_inference_request_duration_seconds";
constexpr const char* kStage = "spikeline_stage_duration_seconds";
constexpr const char* kResends = "spikeline_client_resends_total";
constexpr const char* kDuplicates = "spikeline_client_duplicate_results_total";
constexpr const char* kRejected = "spikeline_client_rejected_total";
constexpr const char* kEpoch = "spikeline_route_epoch";
constexpr const char* kReady = "spikeline_model_ready";
constexpr const char* kAuthFailures = "spikeline_gateway_auth_failures_total";
constexpr const char* kAuthenticated = "spikeline_gateway_authenticated_requests_total";

void declareMetrics(MetricsRegistry& m) {
  m.declare(kSuccess, MetricType::kCounter, "Inference requests answered with outputs.");
  m.declare(kFailure, MetricType::kCounter,
            "Inference requests answered with an error, by reason.");
  m.declare(kFrames, MetricType::kCounter,
            "Data-plane frames submitted (a batch is one per item).");
  m.declare(kDuration, MetricType::kHistogram, "Request duration in the gateway, parse to reply.",
            metrics::latencyBucketsSeconds());
  m.declare(kStage, MetricType::kHistogram,
            "Per stage and worker: frame received to output sent (queue + compute), from traces.",
            metrics::latencyBucketsSeconds());
  m.declare(kResends, MetricType::kCounter, "Requests the gateway's client re-sent (backstop).");
  m.declare(kDuplicates, MetricType::kCounter, "Duplicate results the gateway's client dropped.");
  m.declare(kRejected, MetricType::kCounter,
            "Requests refused at submit (no first-stage credit or invalid).");
  m.declare(kEpoch, MetricType::kGauge, "Route epoch of the newest broker route table held.");
  m.declare(kReady, MetricType::kGauge, "1 when every stage of the model has a routed replica.");
  m.declare(kAuthFailures, MetricType::kCounter,
            "Requests refused by API-key authentication, by reason (missing, invalid).");
  m.declare(kAuthenticated, MetricType::kCounter,
            "Requests let in by an API key, by the key's name (caller).");
}

// The outcomes of one request's frames. Shared by the waiting server thread and the client's
// callbacks (shared_ptr: a callback may run after the waiter gave up at its deadline).
struct Pending {
  std::mutex mu;
  std::condition_variable cv;
  size_t remaining = 0;
  std::vector<Tensor> outputs;
  std::vector<uint64_t> ids;  // the data plane's request id per frame
  std::vector<std::vector<wire::HopTrace>> traces;
  std::optional<Status> error;
};

struct ModelEntry {
  Topology topology;
  std::mutex create_mu;                    // one creator at a time; held while it waits for credit
  std::mutex mu;                           // guards `client` (short: the route callback takes it)
  std::unique_ptr<client::Client> client;  // null until first use
};

class GatewayImpl final : public Gateway {
 public:
  GatewayImpl(GatewayOptions options, std::vector<Topology> models)
      : options_(std::move(options)), clock_(makeSystemClock()) {
    for (Topology& t : models) {
      auto e = std::make_unique<ModelEntry>();
      e->topology = std::move(t);
      topologies_.push_back(e->topology);
      models_.push_back(std::move(e));
    }
    declareMetrics(metrics_);
    metrics::declareProcessMetrics(metrics_, static_cast<double>(clock_->wallNs()) / 1e9);
  }
  ~GatewayImpl() override { subscriber_.reset(); }  // no callback after this

  Status start() {
    std::string pub = options_.routes_endpoint;
    if (pub.empty()) {
      SPIKELINE_ASSIGN_OR_RETURN(pub, workers::defaultRoutesEndpoint(options_.broker_endpoint));
    }
    SPIKELINE_ASSIGN_OR_RETURN(
        subscriber_,
        broker::startRouteSubscriber({options_.broker_endpoint, pub, 200, options_.curve},
                                     [this](const wire::RouteTable& t) { onRoutes(t); }));
    return Status::ok();
  }

  ServerMetadata serverMetadata() const override {
    return {"spikeline", "0.1.0", {"binary_tensor_data"}};
  }
  Readiness serverReady() const override { return serverReadiness(topologies_, table()); }

  Result<ModelMetadata> modelMetadata(const std::string& name,
                                      const std::string& version) const override {
    SPIKELINE_ASSIGN_OR_RETURN(const ModelEntry* e, find(name, version));
    return describeModel(e->topology);
  }
  Result<Readiness> modelReady(const std::string& name, const std::string& version) const override {
    SPIKELINE_ASSIGN_OR_RETURN(const ModelEntry* e, find(name, version));
    return modelReadiness(e->topology, table());
  }

  Result<InferResponse> infer(const InferRequest& request, const std::string& protocol) override {
    const int64_t start_ns = clock_->monotonicNs();
    Result<InferResponse> r = run(request);
    const std::string version = request.model_version.empty() ? "default" : request.model_version;
    const Labels labels{
        {"model", request.model_name}, {"version", version}, {"protocol", protocol}};
    if (r.isOk()) {
      metrics_.increment(kSuccess, labels);
    } else {
      Labels l = labels;
      l["reason"] = failureReason(r.status().code());
      metrics_.increment(kFailure, l);
    }
    metrics_.observe(kDuration, labels,
                     static_cast<double>(clock_->monotonicNs() - start_ns) / 1e9);
    return r;
  }

  void countRejected(const std::string& protocol, StatusCode code) override {
    metrics_.increment(
        kFailure,
        {{"model", ""}, {"version", ""}, {"protocol", protocol}, {"reason", failureReason(code)}});
  }

  void countAuthFailure(const std::string& reason) override {
    metrics_.increment(kAuthFailures, {{"reason", reason}});
  }
  void countAuthenticated(const std::string& caller) override {
    metrics_.increment(kAuthenticated, {{"caller", caller}});
  }

  std::string metricsText() override {
    metrics::refreshProcessMetrics(metrics_);
    for (auto& e : models_) {
      std::lock_guard lock(e->mu);
      if (!e->client) continue;
      const client::ClientStats s = e->client->stats();
      const Labels l{{"model", e->topology.model.name}};
      metrics_.setTotal(kResends, l, static_cast<double>(s.backstop_resends));
      metrics_.setTotal(kDuplicates, l, static_cast<double>(s.duplicates));
      metrics_.setTotal(kRejected, l, static_cast<double>(s.rejected));
    }
    const wire::RouteTable t = table();
    for (const Topology& m : topologies_) {
      metrics_.set(kReady, {{"model", m.model.name}, {"version", std::to_string(m.model.version)}},
                   modelReadiness(m, t).ready ? 1.0 : 0.0);
    }
    return metrics_.render();
  }
  const MetricsRegistry& metrics() const override { return metrics_; }

 private:
  wire::RouteTable table() const {
    return subscriber_ ? subscriber_->routes() : wire::RouteTable{};
  }

  // The entry is mutable through the unique_ptr even here (its client is created on first use).
  Result<ModelEntry*> find(const std::string& name, const std::string& version) const {
    for (const auto& e : models_) {
      if (e->topology.model.name != name) continue;
      SPIKELINE_RETURN_IF_ERROR(checkVersion(e->topology, version));
      return e.get();
    }
    return notFound("unknown model '" + name + "'");
  }

  // Stage k of a trace is the topology's stage k; its worker's time is sent - received.
  void observeStages(const Topology& t, const std::vector<std::vector<wire::HopTrace>>& traces) {
    for (const auto& trace : traces) {
      for (size_t k = 0; k < trace.size() && k < t.stages.size(); ++k) {
        const int64_t ns = trace[k].sent_ns - trace[k].received_ns;
        if (ns < 0) continue;
        metrics_.observe(
            kStage,
            {{"model", t.model.name}, {"stage", t.stages[k].name}, {"worker", trace[k].hop}},
            static_cast<double>(ns) / 1e9);
      }
    }
  }

  // On the subscriber's thread: keeps every created client on the newest routes.
  void onRoutes(const wire::RouteTable& t) {
    metrics_.set(kEpoch, {}, static_cast<double>(t.epoch));
    for (auto& e : models_) {
      std::lock_guard lock(e->mu);
      if (e->client) e->client->updateRoutes(workers::fromRouteTable(t, e->topology.model));
    }
  }

  Result<client::Client*> clientFor(ModelEntry& e) {
    std::lock_guard create(e.create_mu);
    client::Client* c = nullptr;
    {
      std::lock_guard lock(e.mu);
      c = e.client.get();
    }
    if (c != nullptr) return c;
    client::ClientOptions o;
    o.name = "gateway-" + std::to_string(::getpid()) + "-" + e.topology.model.name;
    o.bind = options_.client_bind;
    o.advertise = options_.client_advertise;
    o.curve = options_.curve;
    SPIKELINE_ASSIGN_OR_RETURN(
        std::unique_ptr<client::Client> made,
        client::Client::make(e.topology, workers::fromRouteTable(table(), e.topology.model), o));
    c = made.get();
    {
      std::lock_guard lock(e.mu);
      e.client = std::move(made);
    }
    // A table that arrived while the client was made (older or equal epochs are ignored).
    c->updateRoutes(workers::fromRouteTable(table(), e.topology.model));
    Status ready = c->waitReady(options_.client_ready_timeout_ms);
    if (!ready.isOk()) {
      return unavailable("model " + e.topology.model.toString() +
                         ": the first stage granted no credit yet (" + ready.message() + ")");
    }
    return c;
  }

  Result<InferResponse> run(const InferRequest& request) {
    SPIKELINE_ASSIGN_OR_RETURN(ModelEntry * found, find(request.model_name, request.model_version));
    ModelEntry& e = *found;
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<Tensor> frames,
                               requestToFrames(e.topology, request, options_.max_batch));
    const Readiness ready = modelReadiness(e.topology, table());
    if (!ready.ready) return unavailable(ready.reason);
    SPIKELINE_ASSIGN_OR_RETURN(client::Client * c, clientFor(e));
    const int64_t timeout_ms =
        request.timeout_ms > 0 ? request.timeout_ms : options_.default_timeout_ms;
    const int64_t deadline_ns = client::deadlineAfterMs(*clock_, timeout_ms);
    auto pending = std::make_shared<Pending>();
    pending->remaining = frames.size();
    pending->outputs.resize(frames.size());
    pending->ids.resize(frames.size());
    metrics_.increment(kFrames, {{"model", request.model_name}},
                       static_cast<double>(frames.size()));
    for (size_t i = 0; i < frames.size(); ++i) {
      c->submit(e.topology.model, std::move(frames[i]), deadline_ns,
                [pending, i](RequestId id, Result<client::InferenceResult> r) {
                  std::lock_guard lock(pending->mu);
                  pending->ids[i] = id;
                  if (r.isOk()) {
                    pending->outputs[i] = std::move(r->output);
                    pending->traces.push_back(std::move(r->trace));
                  } else if (!pending->error) {
                    pending->error = r.status();
                  }
                  if (--pending->remaining == 0) pending->cv.notify_all();
                });
    }
    std::unique_lock lock(pending->mu);
    // The client answers every request by its deadline; the grace covers a stuck client.
    const bool done = pending->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms + 1000),
                                           [&] { return pending->remaining == 0; });
    if (!done)
      return deadlineExceeded("no answer from the data plane within " + std::to_string(timeout_ms) +
                              " ms");
    if (pending->error) {
      return pending->error->withContext("model " + e.topology.model.toString());
    }
    SPIKELINE_ASSIGN_OR_RETURN(OutputTensor out, framesToOutput(e.topology, pending->outputs,
                                                                isBatched(e.topology, request)));
    InferResponse response{
        e.topology.model.name, std::to_string(e.topology.model.version), request.id, {}};
    response.outputs.push_back(std::move(out));
    response.request_ids = pending->ids;
    observeStages(e.topology, pending->traces);
    return response;
  }

  const GatewayOptions options_;
  std::unique_ptr<Clock> clock_;
  std::vector<std::unique_ptr<ModelEntry>> models_;
  std::vector<Topology> topologies_;  // copies for the readiness functions
  mutable MetricsRegistry metrics_;
  std::unique_ptr<broker::RouteSubscriber> subscriber_;  // last member: destroyed first
};

}  // namespace

Result<std::unique_ptr<Gateway>> makeGateway(GatewayOptions options, std::vector<Topology> models) {
  if (models.empty()) return invalidArgument("the gateway needs at least one model");
  if (options.broker_endpoint.empty()) return invalidArgument("the gateway needs --broker");
  auto g = std::make_unique<GatewayImpl>(std::move(options), std::move(models));
  SPIKELINE_RETURN_IF_ERROR(g->start());
  return std::unique_ptr<Gateway>(std::move(g));
}

}  // namespace spikeline::gateway
