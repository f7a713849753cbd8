// End to end through the broker, without Docker (tests/e2e/cluster.h): redis-server,
// spikeline-broker, five `spikeline-worker --broker` processes (cpu encoder, cpu classifier,
// three chip workers for the features stage: 2 serving + 1 standby), the shipped fmnist model
// deployed through the broker, and a client whose first stage comes from the broker's routes.
// 1. kill -9 of a serving worker under load: 0 lost, the standby takes over.
// 2. the broker killed and restarted under load: 0 lost, and the broker's state is identical.
// 3. kill -9 of the only first-stage worker: the broker moves the stage to a free worker and the
//    client follows the broker's routes to it: 0 lost.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "tests/e2e/cluster.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;

constexpr const char* kModel = "fmnist-scnn@1";

class BrokerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.brokerReady()) << cluster_.broker().log();
    topology_ = loadModel(kModelPath);
    ASSERT_EQ(cluster_.startWorker("enc-0", "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("cls-0", "cpu"), "");
    for (const char* n : {"feat-a", "feat-b", "feat-c"}) ASSERT_EQ(cluster_.startWorker(n, "chip"), "");
    auto deployed = cluster_.deploy(kModelPath);
    ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
    ASSERT_TRUE(waitFor([&] { return fullyRouted(); }, 10'000)) << cluster_.routes().dump();
    client_ = cluster_.makeClient(topology_);
    ASSERT_NE(client_, nullptr);
  }

  bool fullyRouted() {
    return cluster_.routedAs(kModel, {{"encoder", 1}, {"features", 2}, {"classifier", 1}});
  }

  Cluster cluster_;
  Topology topology_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(BrokerE2ETest, DeployedPipelineServesBitExactAndSurvivesKillOfServingWorker) {
  // 1. Bit-exact through the broker-assigned pipeline.
  const auto first = images(200, 5000);
  LoadRecord rec = runClosedLoop(*client_, topology_.model, first, 16, 10'000, 30'000);
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  expectMatchesMonolith(topology_, rec, first);

  // 2. kill -9 a serving features worker under load: nothing lost, nothing doubled, a new
  //    epoch without it, and the standby serving in its place.
  const json before = cluster_.routes();
  const std::vector<Replica> serving = Cluster::replicas(before, kModel, "features");
  ASSERT_EQ(serving.size(), 2u);
  std::string standby;
  for (const char* n : {"feat-a", "feat-b", "feat-c"}) {
    if (serving[0].worker != n && serving[1].worker != n) standby = n;
  }
  const std::string victim = serving[0].worker;
  const auto second = images(300, 9000);
  std::atomic<bool> killed{false};
  std::chrono::steady_clock::time_point killed_at;
  rec = runClosedLoop(*client_, topology_.model, second, 16, 15'000, 30'000, [&](size_t done) {
    if (done == 60 && !killed.exchange(true)) {
      killed_at = std::chrono::steady_clock::now();
      cluster_.killWorker(victim);
    }
  });
  ASSERT_TRUE(killed.load());
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << rec.errors.size() << " error kinds (lost requests)";
  expectMatchesMonolith(topology_, rec, second);
  EXPECT_EQ(client_->stats().results, first.size() + second.size());

  json after;
  ASSERT_TRUE(waitFor([&] {
    after = cluster_.routes();
    const auto now = Cluster::replicas(after, kModel, "features");
    return after.value("epoch", uint64_t{0}) > before.value("epoch", uint64_t{0}) &&
           std::none_of(now.begin(), now.end(), [&](const Replica& r) { return r.worker == victim; });
  }, 5'000)) << after.dump();
  const auto now = Cluster::replicas(after, kModel, "features");
  EXPECT_TRUE(std::any_of(now.begin(), now.end(), [&](const Replica& r) { return r.worker == standby; }))
      << "standby " << standby << " not promoted: " << after.dump();
  // The standby carried traffic once promoted.
  const auto third = images(40, 20000);
  rec = runClosedLoop(*client_, topology_.model, third, 8, 10'000, 20'000);
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  const size_t via_standby = servedBy(rec, standby);
  EXPECT_GT(via_standby, 0u) << cluster_.workerLog(standby);
  std::cout << "kill -9 " << victim << ": new epoch " << after["epoch"] << " (was " << before["epoch"]
            << ") seen by "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     killed_at).count()
            << " ms after the kill (polled after the load finished); standby " << standby
            << " served " << via_standby << " of " << third.size() << "; client duplicates dropped "
            << client_->stats().duplicates << "\n";
}

// The broker is kill -9'd a fifth of the way into the load and restarted (same Redis, same
// ports) half way: the data plane serves on its last routes meanwhile, nothing is lost, and the
// restarted broker rebuilds exactly the state it had (routes and epoch, models and placement,
// workers and health) from Redis while the workers re-attach.
TEST_F(BrokerE2ETest, BrokerKilledAndRestartedUnderLoadLosesNothingAndRebuildsSameState) {
  const json routes_before = cluster_.routes();
  const json models_before = cluster_.call("models");
  const json workers_before = cluster_.call("workers");
  ASSERT_TRUE(routes_before.contains("epoch")) << routes_before.dump();

  const auto inputs = images(600, 31000);
  std::atomic<size_t> progress{0};
  LoadRecord rec;
  std::thread load([&] {
    rec = runClosedLoop(*client_, topology_.model, inputs, 16, 20'000, 60'000,
                        [&](size_t done) { progress.store(done); });
  });
  ASSERT_TRUE(waitFor([&] { return progress.load() >= 120; }, 30'000));
  cluster_.broker().stop(SIGKILL);
  const size_t at_kill = progress.load();
  // Traffic goes on without a broker.
  const bool served_without_broker = waitFor([&] { return progress.load() >= 300; }, 30'000);
  const size_t while_down = progress.load() - at_kill;
  cluster_.broker().start();
  const bool back = cluster_.brokerReady();
  load.join();
  ASSERT_TRUE(served_without_broker) << "no progress while the broker was down";
  ASSERT_TRUE(back) << cluster_.broker().log();
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << rec.errors.size() << " error kinds (lost requests)";
  expectMatchesMonolith(topology_, rec, inputs);

  // Same state after the restart, and it stays so once every worker's heartbeats are back.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(cluster_.routes(), routes_before);
  EXPECT_EQ(cluster_.call("models"), models_before);
  EXPECT_EQ(cluster_.call("workers"), workers_before);
  // And it still serves, with routes from the restarted broker.
  const auto after = images(40, 41000);
  rec = runClosedLoop(*client_, topology_.model, after, 8, 10'000, 20'000);
  EXPECT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  std::cout << "broker down for " << while_down << " requests served on the last routes; epoch "
            << routes_before["epoch"] << " before and after the restart\n";
}

// The client's first stage (the encoder, one replica) is killed: the broker assigns the stage to
// a free cpu worker, which hosts it, and the client, following the broker's route stream, sends
// there; requests in its custody are re-sent. Nothing is lost.
TEST_F(BrokerE2ETest, KilledFirstStageMovesToAFreeWorkerAndTheClientFollows) {
  ASSERT_EQ(cluster_.startWorker("cpu-spare", "cpu"), "");
  const std::vector<Replica> first = Cluster::replicas(cluster_.routes(), kModel, "encoder");
  ASSERT_EQ(first.size(), 1u);
  const std::string victim = first[0].worker;
  const auto inputs = images(300, 52000);
  std::atomic<bool> killed{false};
  LoadRecord rec = runClosedLoop(*client_, topology_.model, inputs, 16, 15'000, 40'000,
                                 [&](size_t done) {
                                   if (done == 60 && !killed.exchange(true)) {
                                     cluster_.killWorker(victim);
                                   }
                                 });
  ASSERT_TRUE(killed.load());
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << (rec.error_messages.empty() ? "" : rec.error_messages.front());
  expectMatchesMonolith(topology_, rec, inputs);
  const std::vector<Replica> now = Cluster::replicas(cluster_.routes(), kModel, "encoder");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].worker, "cpu-spare");
  const size_t moved = servedBy(rec, "cpu-spare");
  EXPECT_GT(moved, 0u) << cluster_.workerLog("cpu-spare");
  std::cout << "first stage " << victim << " killed after 60 of " << inputs.size()
            << ": cpu-spare served " << moved << ", 0 lost\n";
}

// spikeline-loadgen pointed at the broker (`--broker`): it finds the first stage in the broker's
// routes and drives the deployed pipeline; nothing lost, no errors.
TEST_F(BrokerE2ETest, LoadgenFindsThePipelineThroughTheBroker) {
  const std::string json_path = (cluster_.dir() / "loadgen.json").string();
  harness::Process loadgen;
  ASSERT_OK(loadgen.start({SPIKELINE_LOADGEN_BIN, "--broker", cluster_.broker().bind(),
                             "--broker-routes", cluster_.broker().pub(), "--topology", kModelPath,
                             "--concurrency", "4", "--duration", "2", "--input", "random",
                             "--json", json_path, "--no-progress"},
                          (cluster_.dir() / "loadgen.log").string()));
  ASSERT_EQ(loadgen.reap(60'000), 0) << broker::testing::readText(cluster_.dir() / "loadgen.log");
  const json j = json::parse(broker::testing::readText(json_path), nullptr, false);
  ASSERT_TRUE(j.is_object()) << "no JSON report";
  EXPECT_GT(j["completed"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_EQ(j["errors"], 0);
  std::cout << "loadgen --broker: " << j["completed"] << " completed, p50 "
            << j["latency"]["p50_ns"].get<int64_t>() / 1000 << " us\n";
}

}  // namespace
}  // namespace spikeline::testing
