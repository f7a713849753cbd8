// End to end, a chip failing under load (tests/e2e/cluster.h): the features stage runs on the
// only chip worker. When the stage allows fallback, its standby is a cpu worker holding the
// stage loaded; the chip fault makes the broker promote it and the results stay bit-identical
// (fixed precision). When it does not, the broker refuses with a clear reason (routes `problems`,
// an `unplaced` event) and every request gets kUnavailable naming the stage: none is lost, none
// hangs until its deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <iostream>

#include "tests/e2e/cluster.h"

namespace spikeline::testing {
namespace {

using broker::testing::hasEvent;
using broker::testing::waitFor;
using broker::testing::writeModel;

constexpr const char* kModel = "fmnist-fb@1";

class ChipFaultE2ETest : public ::testing::Test {
 protected:
  // The shipped model renamed, with the features stage edited, deployed on two cpu workers for
  // encoder/classifier, one chip worker and one spare cpu worker.
  void deployWith(const std::string& features_placement) {
    ASSERT_TRUE(cluster_.brokerReady()) << cluster_.broker().log();
    const auto path = writeModel(cluster_.dir(), "fmnist-fb",
                                 {{broker::testing::kScnnFeaturesPlacement,
                                   "{" + features_placement + "}"}});
    topology_ = loadModel(path);
    ASSERT_EQ(cluster_.startWorker("cpu-0", "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("cpu-1", "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("cpu-2", "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("chip-0", "chip"), "");
    auto deployed = cluster_.deploy(path);
    ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
    ASSERT_TRUE(waitFor([&] {
      return cluster_.routedAs(kModel, {{"encoder", 1}, {"features", 1}, {"classifier", 1}});
    }, 10'000)) << cluster_.routes().dump();
    const auto features = Cluster::replicas(cluster_.routes(), kModel, "features");
    ASSERT_EQ(features.front().worker, "chip-0");
    client_ = cluster_.makeClient(topology_);
    ASSERT_NE(client_, nullptr);
  }

  void injectChipFault() {
    auto r = cluster_.broker().call({{"op", "fault"}, {"worker", "chip-0"}, {"whole_chip", true},
                                     {"permanent", true}});
    ASSERT_TRUE(r.isOk()) << r.status().toString();
  }

  Cluster cluster_;
  Topology topology_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(ChipFaultE2ETest, FallsBackToCpuStandbyUnderLoadWithBitIdenticalResults) {
  deployWith("backends: [chip, cpu], replicas: 1, standby: 1, fallback: true");
  if (HasFatalFailure()) return;
  const json models = cluster_.call("models");
  std::string standby;
  for (const json& m : models["models"]) {
    for (const json& s : m["stages"]) {
      if (s["name"] == "features" && !s["workers"]["standby"].empty()) {
        standby = s["workers"]["standby"][0];
      }
    }
  }
  ASSERT_FALSE(standby.empty()) << "no cpu standby for features: " << models.dump();

  const auto inputs = images(300, 70000);
  std::atomic<bool> faulted{false};
  std::atomic<bool> fault_now{false};
  LoadRecord rec;
  std::thread load([&] {
    rec = runClosedLoop(*client_, topology_.model, inputs, 16, 20'000, 60'000, [&](size_t done) {
      if (done == 60 && !fault_now.exchange(true)) faulted.store(true);
    });
  });
  ASSERT_TRUE(waitFor([&] { return faulted.load(); }, 30'000));
  injectChipFault();
  load.join();
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << rec.errors.size() << " error kinds (lost requests)";
  expectMatchesMonolith(topology_, rec, inputs);  // chip before, cpu after: bit-identical

  const auto features = Cluster::replicas(cluster_.routes(), kModel, "features");
  ASSERT_EQ(features.size(), 1u);
  EXPECT_EQ(features[0].worker, standby);
  const size_t on_cpu = servedBy(rec, standby);
  const size_t on_chip = servedBy(rec, "chip-0");
  EXPECT_GT(on_cpu, 0u);
  EXPECT_GT(on_chip, 0u);
  const json events = cluster_.broker().call({{"op", "events"}, {"count", 200}}).value();
  EXPECT_TRUE(hasEvent(events, "hardware_fault", "chip-0")) << events.dump();
  EXPECT_TRUE(hasEvent(events, "promoted", standby)) << events.dump();
  std::cout << "chip fault after 60 of " << inputs.size() << ": " << on_chip << " served on chip-0, "
            << on_cpu << " on cpu standby " << standby << ", all bit-identical to the monolith\n";
}

TEST_F(ChipFaultE2ETest, WithoutFallbackRefusesClearlyAndNoRequestHangsOrIsLost) {
  deployWith("backends: [chip], replicas: 1, fallback: false");
  if (HasFatalFailure()) return;
  const auto warm = images(20, 80000);
  LoadRecord rec = runClosedLoop(*client_, topology_.model, warm, 4, 10'000, 20'000);
  ASSERT_TRUE(rec.errors.empty());

  injectChipFault();
  json routes;
  ASSERT_TRUE(waitFor([&] {
    routes = cluster_.routes();
    return Cluster::replicas(routes, kModel, "features").empty();
  }, 5'000)) << routes.dump();
  ASSERT_FALSE(routes["problems"].empty()) << routes.dump();
  const std::string problem = routes["problems"][0];
  EXPECT_NE(problem.find("features"), std::string::npos) << problem;
  EXPECT_NE(problem.find("fallback not allowed"), std::string::npos) << problem;
  const json events = cluster_.broker().call({{"op", "events"}, {"count", 200}}).value();
  EXPECT_TRUE(hasEvent(events, "unplaced", "")) << events.dump();
  // No cpu worker took the stage.
  const json workers = cluster_.call("workers");
  ASSERT_FALSE(workers["workers"].empty());
  for (const json& w : workers["workers"]) {
    if (w["backend"] == "cpu" && w["role"] != "none") {
      EXPECT_NE(w["pool"], routes["models"][0]["stages"][1]["pool"]) << w.dump();
    }
  }

  // Once the encoder has seen no features replica for its grace period (1 s), requests fail at
  // once with kUnavailable naming the stage, each exactly once, long before their deadline.
  // One probe request waits out the grace (it fails when the grace ends), then the batch runs.
  auto clock = makeSystemClock();
  ASSERT_TRUE(waitFor([&] {
    auto probe = client_->submit(topology_.model, images(1, 89000)[0],
                                 client::deadlineAfterMs(*clock, 10'000));
    if (probe.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return false;
    return probe.get().status().code() == StatusCode::kUnavailable;
  }, 10'000)) << "the features stage never became unavailable";
  const auto inputs = images(10, 90000);
  const auto started = std::chrono::steady_clock::now();
  rec = runClosedLoop(*client_, topology_.model, inputs, 4, 10'000, 20'000);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(rec.timed_out) << "a request hung";
  EXPECT_LT(took, std::chrono::seconds(5)) << "errors came by the deadline, not at once";
  EXPECT_EQ(rec.errors[StatusCode::kUnavailable], int(inputs.size()));
  EXPECT_TRUE(rec.results.empty());
  size_t failed = 0;
  for (const auto& [code, n] : rec.errors) failed += size_t(n);
  EXPECT_EQ(failed, inputs.size());
  for (const auto& [id, n] : rec.callbacks) EXPECT_EQ(n, 1) << "request " << id;
  for (const std::string& m : rec.error_messages) {
    EXPECT_NE(m.find("stage 'features' has no replica in the route table"), std::string::npos) << m;
  }
  if (!rec.error_messages.empty()) std::cout << "client saw: " << rec.error_messages.front() << "\n";
  std::cout << "refused: " << problem << "; " << failed << " requests failed in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

}  // namespace
}  // namespace spikeline::testing
