// WorkerMetrics: a worker's Prometheus metrics (issue 12; the hot-path design is decision 0007).
// The data plane bumps relaxed atomics (metrics/hot_counters.h): no lock, no allocation per frame.
// Series are made when a stage or operator is hosted (under a mutex, never per frame) and live as
// long as this object, so a Worker re-created to re-host keeps counting into the same series.
// exportTo() folds everything into a MetricsRegistry at scrape time. Owns its series; handed out
// references stay valid for its lifetime. Thread safety: every method is thread-safe.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "core/ids.h"
#include "core/status.h"
#include "metrics/hot_counters.h"
#include "metrics/registry.h"

namespace spikeline::workers {

// One hosted stage of one model on this worker's backend.
struct StageSeries {
  metrics::Counter frames_received;  // data frames accepted for compute
  metrics::Counter frames_sent;      // outputs produced (handed to the next hop or the client)
  metrics::Counter bytes_received;   // their encoded sizes
  metrics::Counter bytes_sent;
  metrics::Counter resent;           // output sends after the first (the next hop's custody)
  metrics::Counter rerouted;         // re-sends that went to another replica than the last try
  metrics::Counter nacks_received;   // nacks from the next hop
  metrics::Counter forward_failures; // outputs given up on (error reply to the client)
  metrics::Counter chip_faults;      // runs the backend failed with kUnavailable
  metrics::Counter compute_failures; // runs the backend failed (any code)
  metrics::Gauge queue_depth;        // accepted frames waiting for or in compute
  metrics::Gauge credits_in_flight;  // accepted frames not yet handed on (upstream credit held)
  metrics::DurationHistogram queue_duration;    // arrival -> compute starts
  metrics::DurationHistogram compute_duration;  // the stage program's run + encoding
  metrics::DurationHistogram request_duration;  // arrival -> handed on (or nacked)
};

// One operator of a hosted stage.
struct OperatorSeries {
  metrics::DurationHistogram compute_duration;
  metrics::Counter failures;
};

class WorkerMetrics {
 public:
  // Declares every family of this class in `registry` (call once per registry).
  static void declare(metrics::MetricsRegistry& registry);

  // The series of (model, stage) on `backend` ("cpu" | "cuda" | "chip"), made on first use.
  StageSeries& stage(const ModelRef& model, const std::string& stage, const std::string& backend);
  OperatorSeries& op(const ModelRef& model, const std::string& stage, const std::string& op,
                     const std::string& backend);
  // Lock-free: a nack this worker sent upstream, by its code.
  void countNackSent(StatusCode code);
  // Results or error replies dropped because their reply_to was unusable (empty, malformed, or
  // no client ever answered there). Lock-free.
  metrics::Counter& unusableReplyTo() { return unusable_reply_to_; }
  // The route epoch applied for `model` (not per frame: takes the mutex).
  void setRouteEpoch(const ModelRef& model, uint64_t epoch);
  // Writes the current values into `registry` (declared with declare()).
  void exportTo(metrics::MetricsRegistry& registry) const;

 private:
  using StageKey = std::tuple<ModelRef, std::string, std::string>;           // model, stage, backend
  using OpKey = std::tuple<ModelRef, std::string, std::string, std::string>;  // + operator
  static constexpr size_t kCodes = 16;

  mutable std::mutex mu_;
  std::map<StageKey, std::unique_ptr<StageSeries>> stages_;  // guarded by mu_ (the map only)
  std::map<OpKey, std::unique_ptr<OperatorSeries>> ops_;     // guarded by mu_ (the map only)
  std::map<ModelRef, uint64_t> epochs_;                      // guarded by mu_
  std::array<metrics::Counter, kCodes> nacks_sent_;
  metrics::Counter unusable_reply_to_;
};

}  // namespace spikeline::workers
