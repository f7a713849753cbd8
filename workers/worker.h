// Worker: one spikeline-worker's data plane (decisions 0002, 0003): the bound ROUTER, credit
// to upstream senders (CreditGrantor), custody of its outputs towards the next stage
// (HopGroup) or the client (ReplyGroup), and compute threads (ComputePool). run() is the one
// I/O thread: it owns every socket and never runs an operator. Owns its groups and pool;
// borrows context, clock and backend (all must outlive it). Not thread-safe except through
// the atomics passed to run(). Never throws.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/topology.h"
#include "hal/backend.h"
#include "transport/credit_grantor.h"
#include "transport/custody_table.h"
#include "transport/data_socket.h"
#include "workers/compute_pool.h"
#include "workers/hop_group.h"
#include "workers/pipeline_plan.h"
#include "workers/reply_group.h"
#include "workers/route_source.h"
#include "workers/worker_metrics.h"

namespace spikeline::workers {

// A fault to inject into this worker's chip (tests, `spikeline fault`).
struct FaultRequest {
  bool whole_chip = true;
  uint32_t core = 0;       // when !whole_chip
  bool permanent = true;
  uint32_t failing_runs = 0;  // transient only: runs it fails before healing; 0 = until cleared
};

struct WorkerOptions {
  std::string name = "worker";           // in traces and logs; routing ids derive from it
  std::string bind = "tcp://127.0.0.1:*";
  uint32_t threads = 1;                  // compute threads
  uint32_t window = 16;                  // credit window per upstream sender
  transport::CustodyOptions custody;     // towards the next stage and the client
  int64_t heartbeat_interval_ns = 100'000'000;
  int64_t liveness_timeout_ns = 300'000'000;
  // Towards the next hop: a replica holding our frames is probed after this much quiet and
  // dropped when a probe goes unanswered for busy_liveness_timeout_ns (decision 0009).
  int64_t probe_interval_ns = 10'000'000;
  int64_t busy_liveness_timeout_ns = 40'000'000;
  int64_t drain_timeout_ns = 5'000'000'000;  // bounded wait for in-flight frames on stop
  size_t max_clients = 64;
  // Where the data plane counts (decision 0007); borrowed, must outlive the worker. Null: the
  // worker counts into a WorkerMetrics of its own (the cost is the same; nobody reads it).
  WorkerMetrics* metrics = nullptr;
  // CURVE (decision 0010): the data port is a CURVE server with these keys and lets in only
  // `authorized` clients; the DEALERs to next stages and clients are CURVE clients. Disabled:
  // plaintext, as before.
  transport::CurveIdentity curve;
};

// One stage this worker hosts, with where its outputs go.
struct HostedStage {
  ModelRef model;           // set by Worker::host from the topology
  uint32_t timesteps = 0;   // set by Worker::host from the topology
  StagePlan plan;
  // Per-operator timing decorators (timed_backend.h) the programs below borrow; declared before
  // them so they are destroyed after them. Empty when the stage was prepared without metrics.
  std::vector<std::unique_ptr<hal::Backend>> timed;
  std::unique_ptr<hal::StageProgram> program;
  std::vector<std::unique_ptr<hal::StageProgram>> then;  // monolith: the later stages, chained
  std::vector<transport::PeerAddress>
      next_endpoints;      // empty at the last stage (results go to clients)
  std::string next_stage;  // empty at the last stage
  OperatorId next_target;
};

struct WorkerHooks {
  // Injects a chip fault; empty when the backend has none to inject.
  std::function<Status(const FaultRequest&)> inject_fault;
  // Called on the I/O thread when the backend first fails a frame with kUnavailable (a failed
  // core or chip): the broker agent reports a HardwareFault at once. May be empty.
  std::function<void(const Status&)> on_backend_fault;
};

struct WorkerStats {
  uint64_t frames_in = 0;         // data frames accepted for compute
  uint64_t frames_out = 0;        // outputs produced
  uint64_t malformed = 0;         // undecodable data frames
  uint64_t rejected = 0;          // beyond credit: nack(overloaded)
  uint64_t not_hosted = 0;        // nack(invalid_argument)
  uint64_t deadline_expired = 0;  // error reply deadline_exceeded
  uint64_t duplicates = 0;        // already held: acked and dropped
  uint64_t compute_errors = 0;    // the backend failed a frame
};

class Worker {
 public:
  static Result<std::unique_ptr<Worker>> make(transport::TransportContext& context,
                                              const Clock& clock, hal::Backend& backend,
                                              const Topology& topology,
                                              std::vector<HostedStage> stages,
                                              WorkerOptions options, WorkerHooks hooks = {});
  // A worker that hosts nothing yet (broker mode before its assignment): bind() works; host()
  // must be called before run().
  static Result<std::unique_ptr<Worker>> makeUnassigned(transport::TransportContext& context,
                                                        const Clock& clock, hal::Backend& backend,
                                                        WorkerOptions options,
                                                        WorkerHooks hooks = {});
  ~Worker();

  // Thread-safe: hosts `stages` of `topology`'s model, once per model; before run() or while it
  // runs (the I/O thread adopts them within one loop: a model added to a shared pool does not
  // interrupt the models served already). A worker of a pool shared across models hosts the
  // stage of each model: frames are matched by (model, stage, target), and each model's routes
  // pick its next hop. A stage with a next_stage but no next_endpoints waits for routes
  // (updateRoutes). kInvalidArgument when empty; kAlreadyExists when this model is hosted.
  Status host(const Topology& topology, std::vector<HostedStage> stages);
  // Thread-safe: `model` is about to be hosted here (broker mode: its stages are being loaded).
  // Until then a frame for it is nacked `unavailable` (re-sent later or elsewhere) rather than
  // `invalid_argument` (not hosted: a permanent failure).
  void expect(const ModelRef& model);
  // Thread-safe: hands newer routes of `route.model` to the I/O thread, which re-points the
  // next-stage replica set of each stage hosted for that model (HopGroup::setEndpoints). Older
  // or equal epochs (per model) are ignored.
  void updateRoutes(PipelineRoute route);
  // Thread-safe: injects a chip fault (runs the hook on the caller's thread; the device is
  // thread-safe).
  Status injectFault(const FaultRequest& fault);
  // Thread-safe: frames in flight here (inputs not yet handed on).
  size_t inFlight() const { return in_flight_.load(); }
  // Binds the data ROUTER; returns the endpoint actually bound (port resolved).
  Result<std::string> bind();
  // The I/O loop. Returns when `stop` is set and in-flight frames drained (or the drain timed
  // out). A wire::InjectFault control message on the data port injects a chip fault.
  Status run(const std::atomic<bool>& stop);

  const WorkerStats& stats() const { return stats_; }

 private:
  struct Upstream {
    std::string sender;
    uint32_t attempt = 0;
    int64_t arrived_ns = 0;  // monotonic (spikeline_stage_request_duration_seconds)
  };
  struct Output {
    std::string reply_to;
    std::string reply_key;
    RequestId request_id = 0;
  };
  using Key = std::pair<size_t, RequestId>;  // (hosted stage, request)

  Worker(transport::TransportContext& context, const Clock& clock, hal::Backend& backend,
         WorkerOptions options, WorkerHooks hooks);
  // worker_ingress.cpp: the ROUTER side.
  void drainRouter();
  void onRouterMessage(transport::Multipart parts);
  void onData(const std::string& sender, const transport::Bytes& payload);
  void onControl(const std::string& sender, const transport::Bytes& payload);
  int findHosted(const wire::SpikeFrame& frame) const;
  void dispatch(const Key& key, wire::SpikeFrame frame);
  void sendAck(const std::string& sender, RequestId id, uint32_t attempt, const std::string& stage,
               wire::AckKind kind, const Status& nack = Status::ok());
  void completeUpstream(const std::string& sender);
  void grantTo(const std::string& sender, const transport::Grant& grant);
  // worker.cpp: compute results and the downstream side.
  void onJobDone(std::unique_ptr<ComputeJob> job);
  void onEvents(size_t stage, std::vector<HopEvent>& events);
  void handOnUpstream(const Key& key);
  // Ends an input's stay (handed on or nacked): its duration and credit, then its grant back.
  void finishUpstream(std::map<Key, Upstream>::iterator up);
  void publishHopStats(size_t stage);  // HopStats -> the stage's series (deltas)
  void periodic();
  void applyRoutes();
  void adoptHosted();  // I/O thread: stages hosted while running
  Status hostLocked(const Topology& topology, std::vector<HostedStage> stages);  // REQUIRES host_mu_
  bool idle() const;
  int pollTimeoutMs() const;

  transport::TransportContext& context_;
  const Clock& clock_;
  hal::Backend& backend_;
  WorkerOptions options_;
  WorkerHooks hooks_;
  std::string routing_id_;
  std::vector<HostedStage> stages_;
  std::unique_ptr<transport::DataSocket> router_;
  std::unique_ptr<transport::CreditGrantor> grantor_;
  std::vector<std::unique_ptr<HopGroup>> groups_;  // per hosted stage; null at the last stage
  std::unique_ptr<ReplyGroup> replies_;
  std::unique_ptr<ComputePool> pool_;
  std::map<Key, Upstream> upstream_;  // inputs not yet handed on
  std::map<Key, Output> outputs_;     // outputs in custody downstream
  WorkerStats stats_;
  std::unique_ptr<WorkerMetrics> own_metrics_;  // when options_.metrics is null
  WorkerMetrics* metrics_ = nullptr;            // options_.metrics or own_metrics_
  std::vector<StageSeries*> series_;            // per hosted stage (owned by metrics_)
  std::vector<HopStats> published_;             // per hosted stage: HopStats already counted
  bool draining_ = false;
  bool unhealthy_ = false;
  int64_t next_periodic_ns_ = 0;
  std::map<ModelRef, uint64_t> route_epochs_;  // I/O thread: the epoch applied, per model
  std::mutex route_mu_;
  std::map<ModelRef, PipelineRoute> pending_routes_;  // guarded by route_mu_
  std::atomic<bool> route_dirty_{false};
  std::mutex host_mu_;
  bool running_ = false;                                            // guarded by host_mu_
  std::vector<std::pair<Topology, std::vector<HostedStage>>> pending_hosts_;  // guarded by host_mu_
  std::atomic<bool> host_dirty_{false};
  std::set<ModelRef> expected_;  // guarded by host_mu_
  std::atomic<size_t> in_flight_{0};
};

// Per-operator timing for prepareStages/prepareMonolith: both borrowed, must outlive the stages.
struct OperatorTiming {
  WorkerMetrics* metrics = nullptr;  // null: operators are not timed
  const Clock* clock = nullptr;      // REQUIRES non-null when metrics is
};

// Loads `topology`'s stages named in `hosted` (all when empty), compiles them on `backend`, and
// resolves the next stage's endpoints from `routes`. kInvalidArgument for an unknown stage name
// or (unless `allow_unrouted`: broker mode, routes come later) a next stage without endpoints.
Result<std::vector<HostedStage>> prepareStages(hal::Backend& backend, const Topology& topology,
                                               const std::vector<std::string>& hosted,
                                               const PipelineRoute& routes,
                                               bool allow_unrouted = false,
                                               OperatorTiming timing = {});
// Monolith mode served over the data plane: one hosted stage addressed like the first stage
// that runs every stage in-process (no sockets between them) and replies to the client.
Result<std::vector<HostedStage>> prepareMonolith(hal::Backend& backend, const Topology& topology,
                                                 OperatorTiming timing = {});

// The failure of `status` while `worker` ran `stage`, as every client error names it:
// "stage 'features' operator 'conv2' on worker 'chip-1': <what failed>": the operator from the
// stage program's "op 'NAME': " prefix; without one (the stage input was rejected before any
// operator ran), `input_operator`, the operator that reads the stage input, when not empty.
// The code is kept.
Status describeStageFailure(const Status& status, const std::string& stage,
                            const std::string& worker, const std::string& input_operator = "");

}  // namespace spikeline::workers
