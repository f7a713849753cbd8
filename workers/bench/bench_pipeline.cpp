#include "workers/bench/bench_pipeline.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "hal/cpu/cpu_backend.h"
#include "transport/data_socket.h"
#include "workers/worker.h"

namespace spikeline::bench {
namespace {

using Steady = std::chrono::steady_clock;

double percentileUs(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * double(v.size())))];
}

}  // namespace

struct InProcessPipeline::Node {
  std::unique_ptr<transport::TransportContext> context;
  std::unique_ptr<hal::Backend> backend;
  std::unique_ptr<Clock> clock;
  workers::WorkerMetrics metrics;  // outlives the worker and its stages
  std::unique_ptr<workers::Worker> worker;
  std::thread thread;
};

Result<std::unique_ptr<InProcessPipeline>> InProcessPipeline::start(const Topology& topology,
                                                                   bool monolith,
                                                                   uint32_t threads) {
  auto p = std::make_unique<InProcessPipeline>();
  workers::PipelineRoute routes{topology.model, 1, {}};
  for (const Stage& s : topology.stages) routes.stages.push_back({s.name, {}});
  const size_t count = monolith ? 1 : topology.stages.size();
  for (size_t k = count; k-- > 0;) {
    auto node = std::make_unique<Node>();
    SPIKELINE_ASSIGN_OR_RETURN(node->context, transport::makeTransportContext(1));
    SPIKELINE_ASSIGN_OR_RETURN(node->backend, hal::makeCpuBackend(hal::CpuOptions{threads, -1.0}));
    node->clock = makeSystemClock();
    // Measured as deployed: the worker's counters and per-operator timing on (decision 0007).
    const workers::OperatorTiming timing{&node->metrics, node->clock.get()};
    auto stages = monolith ? workers::prepareMonolith(*node->backend, topology, timing)
                           : workers::prepareStages(*node->backend, topology,
                                                    {topology.stages[k].name}, routes, false,
                                                    timing);
    if (!stages.isOk()) return stages.status();
    workers::WorkerOptions wo;
    wo.name = "bench-" + std::to_string(k);
    wo.threads = threads;
    wo.metrics = &node->metrics;
    SPIKELINE_ASSIGN_OR_RETURN(node->worker,
                               workers::Worker::make(*node->context, *node->clock, *node->backend,
                                                     topology, std::move(stages).value(), wo));
    SPIKELINE_ASSIGN_OR_RETURN(std::string endpoint, node->worker->bind());
    routes.stages[k].endpoints = {endpoint};
    workers::Worker* w = node->worker.get();
    std::atomic<bool>* stop = &p->stop_;
    node->thread = std::thread([w, stop] { (void)w->run(*stop); });
    p->nodes_.push_back(std::move(node));
  }
  SPIKELINE_ASSIGN_OR_RETURN(p->client_, client::Client::make(topology, routes));
  SPIKELINE_RETURN_IF_ERROR(p->client_->waitReady(10'000));
  return p;
}

InProcessPipeline::~InProcessPipeline() {
  client_.reset();
  stop_.store(true);
  for (auto& n : nodes_) n->thread.join();
}

double measureThroughput(client::Client& client, const ModelRef& model,
                         const std::vector<Tensor>& inputs, size_t window, double seconds) {
  std::mutex mu;
  std::condition_variable cv;
  size_t outstanding = 0;
  uint64_t done = 0;
  uint64_t refused = 0;
  std::unique_ptr<Clock> clock = makeSystemClock();
  const auto start = Steady::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::unique_lock<std::mutex> lock(mu);
  for (size_t i = 0; Steady::now() < until; ++i) {
    cv.wait(lock, [&] { return outstanding < window; });
    ++outstanding;
    const uint64_t refused_before = refused;
    const uint64_t done_before = done;
    lock.unlock();
    client.submit(model, inputs[i % inputs.size()], client::deadlineAfterMs(*clock, 10'000),
                  [&](RequestId, Result<client::InferenceResult> r) {
                    std::lock_guard<std::mutex> g(mu);
                    --outstanding;
                    ++(r.isOk() ? done : refused);
                    cv.notify_all();
                  });
    lock.lock();
    if (refused != refused_before) {
      // No credit: back off until a request completes (credit returns) instead of spinning.
      cv.wait_for(lock, std::chrono::milliseconds(2), [&] { return done != done_before; });
    }
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  const uint64_t completed = done;
  cv.wait(lock, [&] { return outstanding == 0; });
  return double(completed) / elapsed;
}

Figures measureLatency(client::Client& client, const ModelRef& model,
                       const std::vector<Tensor>& inputs, size_t n) {
  std::unique_ptr<Clock> clock = makeSystemClock();
  std::vector<double> us;
  for (size_t i = 0; i < n; ++i) {
    const auto t0 = Steady::now();
    auto f = client.submit(model, inputs[i % inputs.size()], client::deadlineAfterMs(*clock, 10'000));
    Result<client::InferenceResult> r = f.get();
    if (!r.isOk()) continue;  // overloaded at admission: not a round trip
    us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
  }
  return Figures{0, percentileUs(us, 0.50), percentileUs(us, 0.99)};
}

}  // namespace spikeline::bench
