#include "workers/timed_backend.h"

namespace spikeline::workers {
namespace {

class TimedOperator final : public hal::CompiledOperator {
 public:
  TimedOperator(std::unique_ptr<hal::CompiledOperator> inner, OperatorSeries& series)
      : inner_(std::move(inner)), series_(series) {}
  const OperatorSpec& spec() const override { return inner_->spec(); }
  const hal::CompiledOperator& inner() const { return *inner_; }
  OperatorSeries& series() const { return series_; }

 private:
  std::unique_ptr<hal::CompiledOperator> inner_;
  OperatorSeries& series_;
};

class TimedBackend final : public hal::Backend {
 public:
  TimedBackend(hal::Backend& inner, WorkerMetrics& metrics, const Clock& clock, ModelRef model,
               std::string stage)
      : inner_(inner),
        metrics_(metrics),
        clock_(clock),
        model_(std::move(model)),
        stage_(std::move(stage)),
        backend_label_(backendKindName(inner.info().kind)) {}

  hal::BackendInfo info() const override { return inner_.info(); }
  Status supports(const OperatorSpec& spec) const override { return inner_.supports(spec); }
  hal::BackendHealth health() const override { return inner_.health(); }

  Result<std::unique_ptr<hal::CompiledOperator>> compile(const OperatorSpec& spec) override {
    SPIKELINE_ASSIGN_OR_RETURN(std::unique_ptr<hal::CompiledOperator> op, inner_.compile(spec));
    OperatorSeries& series = metrics_.op(model_, stage_, spec.name, backend_label_);
    return std::unique_ptr<hal::CompiledOperator>(new TimedOperator(std::move(op), series));
  }

  // REQUIRES: `op` was compiled by this decorator (StageProgram only runs what it compiled).
  Result<Tensor> run(const hal::CompiledOperator& op, std::span<const Tensor* const> inputs,
                     const hal::RunContext& ctx) override {
    const auto& timed = static_cast<const TimedOperator&>(op);
    const int64_t start = clock_.monotonicNs();
    Result<Tensor> out = inner_.run(timed.inner(), inputs, ctx);
    timed.series().compute_duration.observeNs(clock_.monotonicNs() - start);
    if (!out.isOk()) timed.series().failures.add();
    return out;
  }

 private:
  hal::Backend& inner_;
  WorkerMetrics& metrics_;
  const Clock& clock_;
  const ModelRef model_;
  const std::string stage_;
  const std::string backend_label_;
};

}  // namespace

std::unique_ptr<hal::Backend> makeTimedBackend(hal::Backend& inner, WorkerMetrics& metrics,
                                               const Clock& clock, const ModelRef& model,
                                               const std::string& stage) {
  return std::make_unique<TimedBackend>(inner, metrics, clock, model, stage);
}

}  // namespace spikeline::workers
