// Benchmark harness: a pipeline of Workers on threads of this process (one thread, transport
// context and CPU backend per worker, TCP loopback between them, exactly the sockets of separate
// processes), a raw ZeroMQ chain of K hops as the baseline, and closed-loop/latency drivers.
// Owns its threads and sockets. Driven from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "core/topology.h"
#include "workers/client/client.h"

namespace spikeline::bench {

struct Figures {
  double requests_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
};

class InProcessPipeline {
 public:
  // One worker per stage (or one monolith worker), each with `threads` compute threads.
  static Result<std::unique_ptr<InProcessPipeline>> start(const Topology& topology, bool monolith,
                                                          uint32_t threads);
  ~InProcessPipeline();
  client::Client& client() { return *client_; }

 private:
  struct Node;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<client::Client> client_;
};

// Requests per second with `window` outstanding for `seconds` (overloaded refusals re-sent).
double measureThroughput(client::Client& client, const ModelRef& model,
                         const std::vector<Tensor>& inputs, size_t window, double seconds);
// One request at a time: p50/p99 of `n` round trips, in microseconds.
Figures measureLatency(client::Client& client, const ModelRef& model,
                       const std::vector<Tensor>& inputs, size_t n);

// The baseline: client PUSH -> K forwarding hops (PULL -> PUSH) -> client PULL, over TCP
// loopback, each hop a thread; messages of `bytes` bytes.
class RawChain {
 public:
  static Result<std::unique_ptr<RawChain>> start(int hops);
  ~RawChain();
  double throughput(size_t bytes, size_t window, double seconds);
  Figures latency(size_t bytes, size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spikeline::bench
