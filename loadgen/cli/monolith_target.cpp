#include "loadgen/cli/monolith_target.h"

#include <utility>

#include "workers/client/loadgen_target.h"

namespace spikeline::loadgen::cli {
namespace {

class MonolithTarget final : public Target {
 public:
  MonolithTarget(const workers::Monolith& monolith,
                 std::function<const Tensor&(uint64_t)> input_for)
      : monolith_(monolith), input_for_(std::move(input_for)) {}

  void submit(uint64_t request_index, int64_t, CompletionSink& sink) override {
    Result<Tensor> out = monolith_.run(input_for_(request_index), RequestId(request_index + 1));
    Completion c;
    c.request_index = request_index;
    c.outcome = outcomeFromStatus(out.status());
    if (out.isOk()) c.predicted_class = client::predictedClass(*out);
    sink.complete(c);
  }

 private:
  const workers::Monolith& monolith_;
  std::function<const Tensor&(uint64_t)> input_for_;
};

}  // namespace

std::unique_ptr<Target> makeMonolithTarget(const workers::Monolith& monolith,
                                           std::function<const Tensor&(uint64_t)> input_for) {
  return std::make_unique<MonolithTarget>(monolith, std::move(input_for));
}

}  // namespace spikeline::loadgen::cli
