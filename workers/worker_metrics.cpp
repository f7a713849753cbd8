#include "workers/worker_metrics.h"

namespace spikeline::workers {
namespace {

using metrics::Labels;
using metrics::MetricType;
using metrics::MetricsRegistry;

struct CounterFamily {
  const char* name;
  metrics::Counter StageSeries::*cell;
  const char* help;
};

constexpr CounterFamily kStageCounters[] = {
    {"spikeline_worker_frames_received_total", &StageSeries::frames_received,
     "Data frames a stage accepted for compute."},
    {"spikeline_worker_frames_sent_total", &StageSeries::frames_sent,
     "Output frames a stage produced for the next stage or the client."},
    {"spikeline_worker_bytes_received_total", &StageSeries::bytes_received,
     "Encoded bytes of the data frames a stage accepted."},
    {"spikeline_worker_bytes_sent_total", &StageSeries::bytes_sent,
     "Encoded bytes of the output frames a stage produced."},
    {"spikeline_worker_resends_total", &StageSeries::resent,
     "Output frames sent again to the next stage (no received in time, nack, replica down)."},
    {"spikeline_worker_reroutes_total", &StageSeries::rerouted,
     "Re-sends that went to another replica of the next stage than the previous attempt."},
    {"spikeline_worker_nacks_received_total", &StageSeries::nacks_received,
     "Nacks the next stage's replicas answered to this stage's outputs."},
    {"spikeline_worker_forward_failures_total", &StageSeries::forward_failures,
     "Outputs given up on (attempts, deadline or a permanent nack): an error went to the client."},
    {"spikeline_worker_chip_faults_total", &StageSeries::chip_faults,
     "Frames the backend failed with unavailable (a failed chip, core or device)."},
    {"spikeline_worker_compute_failures_total", &StageSeries::compute_failures,
     "Frames the backend failed, any reason."},
};

struct GaugeFamily {
  const char* name;
  metrics::Gauge StageSeries::*cell;
  const char* help;
};

constexpr GaugeFamily kStageGauges[] = {
    {"spikeline_stage_queue_depth", &StageSeries::queue_depth,
     "Frames a stage accepted that wait for or are in compute (the autoscaling signal)."},
    {"spikeline_worker_credits_in_flight", &StageSeries::credits_in_flight,
     "Frames a stage accepted and not yet handed on: upstream credit in use."},
};

struct HistogramFamily {
  const char* name;
  metrics::DurationHistogram StageSeries::*cell;
  const char* help;
};

constexpr HistogramFamily kStageHistograms[] = {
    {"spikeline_stage_queue_duration_seconds", &StageSeries::queue_duration,
     "Frame arrival at the worker to the start of its compute."},
    {"spikeline_stage_compute_duration_seconds", &StageSeries::compute_duration,
     "The stage's compute for one frame (every operator, output encoding included)."},
    {"spikeline_stage_request_duration_seconds", &StageSeries::request_duration,
     "Frame arrival to handed-on upstream (queue, compute and the next hop's received)."},
};

constexpr const char* kOpDuration = "spikeline_operator_compute_duration_seconds";
constexpr const char* kOpFailures = "spikeline_operator_failures_total";
constexpr const char* kNacksSent = "spikeline_worker_nacks_sent_total";
constexpr const char* kUnusableReplyTo = "spikeline_worker_unusable_reply_to_total";
constexpr const char* kEpoch = "spikeline_worker_route_epoch";

Labels modelLabels(const ModelRef& m) {
  return {{"model", m.name}, {"version", std::to_string(m.version)}};
}

void putHistogram(MetricsRegistry& r, const char* name, const Labels& labels,
                  const metrics::DurationHistogram& h) {
  const metrics::DurationHistogram::Snapshot s = h.snapshot();
  r.setHistogram(name, labels, s.buckets, s.count, s.sum_seconds);
}

}  // namespace

void WorkerMetrics::declare(MetricsRegistry& r) {
  for (const CounterFamily& f : kStageCounters) r.declare(f.name, MetricType::kCounter, f.help);
  for (const GaugeFamily& f : kStageGauges) r.declare(f.name, MetricType::kGauge, f.help);
  for (const HistogramFamily& f : kStageHistograms) {
    r.declare(f.name, MetricType::kHistogram, f.help, metrics::hopBucketsSeconds());
  }
  r.declare(kOpDuration, MetricType::kHistogram,
            "One operator's run on the backend for one frame (all timesteps).",
            metrics::hopBucketsSeconds());
  r.declare(kOpFailures, MetricType::kCounter, "Runs of an operator the backend failed.");
  r.declare(kNacksSent, MetricType::kCounter,
            "Nacks this worker answered upstream senders, by reason (a status code name).");
  r.declare(kEpoch, MetricType::kGauge, "Route epoch the worker applied, per model.");
  r.declare(kUnusableReplyTo, MetricType::kCounter,
            "Results and error replies dropped: their reply_to was empty, malformed, or no client "
            "answered there before the deadline.");
  r.setTotal(kUnusableReplyTo, {}, 0);
}

StageSeries& WorkerMetrics::stage(const ModelRef& model, const std::string& stage,
                                  const std::string& backend) {
  std::lock_guard lock(mu_);
  std::unique_ptr<StageSeries>& s = stages_[StageKey{model, stage, backend}];
  if (s == nullptr) s = std::make_unique<StageSeries>();
  return *s;
}

OperatorSeries& WorkerMetrics::op(const ModelRef& model, const std::string& stage,
                                  const std::string& op, const std::string& backend) {
  std::lock_guard lock(mu_);
  std::unique_ptr<OperatorSeries>& s = ops_[OpKey{model, stage, op, backend}];
  if (s == nullptr) s = std::make_unique<OperatorSeries>();
  return *s;
}

void WorkerMetrics::countNackSent(StatusCode code) {
  const auto i = static_cast<size_t>(code);
  nacks_sent_[i < kCodes ? i : static_cast<size_t>(StatusCode::kInternal)].add();
}

void WorkerMetrics::setRouteEpoch(const ModelRef& model, uint64_t epoch) {
  std::lock_guard lock(mu_);
  epochs_[model] = epoch;
}

void WorkerMetrics::exportTo(MetricsRegistry& r) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, s] : stages_) {
    const auto& [model, stage, backend] = key;
    Labels labels = modelLabels(model);
    labels["stage"] = stage;
    Labels with_backend = labels;
    with_backend["backend"] = backend;
    for (const CounterFamily& f : kStageCounters) {
      r.setTotal(f.name, with_backend, static_cast<double>(((*s).*f.cell).load()));
    }
    for (const GaugeFamily& f : kStageGauges) {
      r.set(f.name, with_backend, static_cast<double>(((*s).*f.cell).load()));
    }
    for (const HistogramFamily& f : kStageHistograms) {
      putHistogram(r, f.name, with_backend, (*s).*f.cell);
    }
  }
  for (const auto& [key, s] : ops_) {
    const auto& [model, stage, op, backend] = key;
    Labels labels = modelLabels(model);
    labels["stage"] = stage;
    labels["operator"] = op;
    labels["backend"] = backend;
    putHistogram(r, kOpDuration, labels, s->compute_duration);
    r.setTotal(kOpFailures, labels, static_cast<double>(s->failures.load()));
  }
  for (size_t i = 1; i < kCodes; ++i) {
    const uint64_t n = nacks_sent_[i].load();
    if (n == 0) continue;  // only reasons that occurred: no series per unused code
    r.setTotal(kNacksSent, {{"reason", std::string(statusCodeName(static_cast<StatusCode>(i)))}},
               static_cast<double>(n));
  }
  for (const auto& [model, epoch] : epochs_) r.set(kEpoch, modelLabels(model), double(epoch));
  r.setTotal(kUnusableReplyTo, {}, static_cast<double>(unusable_reply_to_.load()));
}

}  // namespace spikeline::workers
