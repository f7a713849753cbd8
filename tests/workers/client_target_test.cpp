// The loadgen adapter drives a real worker and reports outcomes and predicted classes; the
// client's reply-to is the advertised endpoint, reachable from workers through a non-loopback
// address when the ROUTER binds 0.0.0.0.
#include <gtest/gtest.h>

#include <mutex>

#include "tests/workers/local_address.h"
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

TEST(ClientAdvertiseTest, ResultsArriveAtTheAdvertisedAddressWhenBoundToAllInterfaces) {
  const std::string ip = nonLoopbackIpv4();
  if (ip.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this host";
  PipelineFixture p;
  p.client_options.bind = "tcp://0.0.0.0:*";
  p.client_options.advertise = "tcp://" + ip + ":*";
  p.start({{"encoder"}, {"features"}, {"classifier"}});
  const std::string reply = p.client().replyEndpoint();
  ASSERT_EQ(reply.rfind("tcp://" + ip + ":", 0), 0u) << reply;
  EXPECT_NE(reply, "tcp://" + ip + ":*") << "the placeholder takes the bound port";
  for (uint64_t i = 0; i < 4; ++i) {
    auto f = p.client().submit(p.topology().model, imageInput(200 + i),
                               client::deadlineAfterMs(p.clock(), 10'000));
    Result<client::InferenceResult> r = f.get();
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(r->trace.size(), 3u);
  }
}

// The frames carry the advertised endpoint, not the bound one: advertising an address where
// nothing listens (the ROUTER bound loopback only) loses every result to the deadline.
TEST(ClientAdvertiseTest, FramesCarryTheAdvertisedEndpointNotTheBoundOne) {
  const std::string ip = nonLoopbackIpv4();
  if (ip.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this host";
  PipelineFixture p;
  p.client_options.bind = "tcp://127.0.0.1:*";
  p.client_options.advertise = "tcp://" + ip + ":*";
  p.start({{"encoder"}, {"features"}, {"classifier"}});
  auto f = p.client().submit(p.topology().model, imageInput(300),
                             client::deadlineAfterMs(p.clock(), 1500));
  Result<client::InferenceResult> r = f.get();
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().toString();
}

TEST(ClientAdvertiseTest, AnInvalidAdvertisedEndpointFailsClientCreation) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  workers::PipelineRoute route;
  route.model = p.topology().model;
  route.stages.push_back(workers::StageEndpoints{"encoder", {p.endpoint("mono")}});
  client::ClientOptions o;
  o.advertise = "ipc:///tmp/x";
  auto c = client::Client::make(p.topology(), route, o);
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::testing
