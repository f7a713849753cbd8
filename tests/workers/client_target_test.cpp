// The loadgen adapter drives a real worker and reports outcomes and predicted classes.
#include <gtest/gtest.h>

#include <mutex>

#include "tests/workers/pipeline_fixture.h"
#include "workers/client/loadgen_target.h"

namespace spikeline::testing {
namespace {

class CollectingSink final : public loadgen::CompletionSink {
 public:
  void complete(const loadgen::Completion& c) override {
    std::lock_guard<std::mutex> lock(mu_);
    done_.push_back(c);
  }
  std::vector<loadgen::Completion> snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::vector<loadgen::Completion> done_;
};

TEST(ClientTargetTest, PredictedClassIsTheArgmaxOfTheResult) {
  EXPECT_EQ(client::predictedClass(DenseTensor(Shape{4}, 1, std::vector<int32_t>{3, 9, 9, 1})), 1);
  EXPECT_EQ(client::predictedClass(DenseTensor(Shape{2}, 2, std::vector<float>{1, 0, 0, 5})), 1);
  SpikeTensor s(Shape{3}, 2);
  s.set(0, 2);
  s.set(1, 2);
  s.set(1, 0);
  EXPECT_EQ(client::predictedClass(s), 2);
  EXPECT_EQ(client::predictedClass(DenseTensor()), -1);
}

TEST(ClientTargetTest, LoadgenTargetServesRequestsThroughAWorker) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  auto target = client::makeClientTarget(p.client(), p.clock(),
                                         [](uint64_t i) { return imageInput(100 + i); },
                                         client::ClientTargetOptions{p.topology().model, 10'000});
  CollectingSink sink;
  for (uint64_t i = 0; i < 8; ++i) {
    target->submit(i, 0, sink);
    // One at a time: the first stage's credit is not the subject here.
    for (int w = 0; w < 2000 && sink.snapshot().size() <= i; ++w) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  const auto done = sink.snapshot();
  ASSERT_EQ(done.size(), 8u);
  for (const auto& c : done) {
    EXPECT_EQ(c.outcome, loadgen::Outcome::kOk);
    EXPECT_GE(c.predicted_class, 0);
    EXPECT_LT(c.predicted_class, 10);
  }
}

}  // namespace
}  // namespace spikeline::testing
