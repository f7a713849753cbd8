// makeTimedBackend: a hal::Backend decorator that times every operator it compiles into its
// OperatorSeries (spikeline_operator_compute_duration_seconds, decision 0007): compile() wraps the
// inner backend's compiled operator; run() unwraps it, runs it on the inner backend and records
// the duration and failures with relaxed atomics. One per hosted stage (the labels name it).
// Borrows `inner`, `metrics` and `clock` (all must outlive it and its compiled operators).
// Thread safety: as the inner backend (run() adds only atomics).
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "hal/backend.h"
#include "workers/worker_metrics.h"

namespace spikeline::workers {

std::unique_ptr<hal::Backend> makeTimedBackend(hal::Backend& inner, WorkerMetrics& metrics,
                                               const Clock& clock, const ModelRef& model,
                                               const std::string& stage);

}  // namespace spikeline::workers
