#include "workers/client/loadgen_target.h"

#include <vector>

namespace spikeline::client {
namespace {

class ClientTarget final : public loadgen::Target {
 public:
  ClientTarget(Client& client, const Clock& clock, std::function<Tensor(uint64_t)> input_for,
               ClientTargetOptions options)
      : client_(client), clock_(clock), input_for_(std::move(input_for)), options_(options) {}

  void submit(uint64_t request_index, int64_t /*intended_send_ns*/,
              loadgen::CompletionSink& sink) override {
    loadgen::CompletionSink* out = &sink;  // borrowed until the driver's run returns
    client_.submit(options_.model, input_for_(request_index),
                   deadlineAfterMs(clock_, options_.timeout_ms),
                   [out, request_index](RequestId, Result<InferenceResult> r) {
                     loadgen::Completion c;
                     c.request_index = request_index;
                     c.outcome = r.isOk() ? loadgen::Outcome::kOk
                                          : loadgen::outcomeFromStatus(r.status());
                     if (r.isOk()) c.predicted_class = predictedClass(r->output);
                     out->complete(c);
                   });
  }

 private:
  Client& client_;
  const Clock& clock_;
  std::function<Tensor(uint64_t)> input_for_;
  ClientTargetOptions options_;
};

}  // namespace

int32_t predictedClass(const Tensor& output) {
  std::vector<double> score;
  if (const auto* d = std::get_if<DenseTensor>(&output)) {
    const size_t n = d->shape().numel();
    if (d->size() == 0) return -1;
    score.assign(n, 0.0);
    for (size_t i = 0; i < d->size() && n > 0; ++i) {
      score[i % n] += d->dtype() == DType::kFloat32 ? double(d->floats()[i]) : double(d->ints()[i]);
    }
  } else {
    const auto& s = std::get<SpikeTensor>(output);
    score.assign(s.numNeurons(), 0.0);
    for (uint32_t t = 0; t < s.timesteps(); ++t) s.forEachSpike(t, [&](uint32_t i) { score[i] += 1; });
  }
  int32_t best = -1;
  for (size_t i = 0; i < score.size(); ++i) {
    if (best < 0 || score[i] > score[size_t(best)]) best = static_cast<int32_t>(i);
  }
  return best;
}

std::unique_ptr<loadgen::Target> makeClientTarget(Client& client, const Clock& clock,
                                                  std::function<Tensor(uint64_t)> input_for,
                                                  ClientTargetOptions options) {
  return std::make_unique<ClientTarget>(client, clock, std::move(input_for), std::move(options));
}

}  // namespace spikeline::client
