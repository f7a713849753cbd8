// End to end without Docker: a real redis-server (AOF, temp dir), a real spikeline-broker, five
// real `spikeline-worker --broker` processes (cpu encoder, cpu classifier, three chip workers for
// the features stage: 2 serving + 1 standby), the fmnist model deployed through the broker, and
// a client whose first-stage replicas come from the broker's route table. Every process is
// reaped by its owner's destructor when an assertion fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hal/cpu/cpu_backend.h"
#include "tests/broker/broker_harness.h"
#include "tests/workers/child_process.h"
#include "tests/workers/closed_loop.h"
#include "tests/workers/pipeline_fixture.h"
#include "topology/topology_loader.h"
#include "workers/client/broker_routes.h"
#include "workers/client/client.h"
#include "workers/monolith.h"

namespace spikeline::testing {
namespace {

using broker::testing::BrokerProcess;
using broker::testing::RedisServer;
using broker::testing::waitFor;
using nlohmann::json;

constexpr const char* kModel = "fmnist-scnn@1";

struct Replica {
  std::string worker;
  std::string endpoint;
};

class BrokerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<BrokerProcess>(redis_, /*heartbeat_ms=*/100, /*liveness=*/3);
    ASSERT_TRUE(broker_->waitReady()) << broker_->log();
    auto topo = topology::loadTopologyFile(kModelPath);
    ASSERT_TRUE(topo.isOk()) << topo.status().toString();
    topology_ = std::move(topo).value();
  }

  void startWorker(const std::string& name, const std::string& backend) {
    auto child = std::make_unique<ChildProcess>();
    const std::string log = (redis_.dir() / (name + ".log")).string();
    ASSERT_TRUE(child->start({SPIKELINE_WORKER_BIN, "--broker", broker_->bind(), "--broker-routes",
                              broker_->pub(), "--name", name, "--backend", backend, "--node",
                              "node-" + name, "--work-dir", (redis_.dir() / name).string()},
                             log));
    ASSERT_FALSE(child->waitReady(20'000).empty()) << name << " log:\n" << readLog(name);
    workers_[name] = std::move(child);
  }

  std::string readLog(const std::string& name) {
    return broker::testing::readText(redis_.dir() / (name + ".log"));
  }

  json routes() {
    auto r = broker_->call({{"op", "routes"}}, {}, 1000);
    return r.isOk() ? *r : json::object();
  }
  std::vector<Replica> replicas(const json& table, const std::string& stage) {
    std::vector<Replica> out;
    for (const json& m : table.value("models", json::array())) {
      if (m.value("model", "") != kModel) continue;
      for (const json& s : m["stages"]) {
        if (s.value("stage", "") != stage) continue;
        for (const json& r : s["replicas"]) {
          out.push_back({r["worker"].get<std::string>(), r["endpoint"].get<std::string>()});
        }
      }
    }
    return out;
  }
  bool fullyRouted() {
    const json t = routes();
    return replicas(t, "encoder").size() == 1 && replicas(t, "features").size() == 2 &&
           replicas(t, "classifier").size() == 1;
  }

  // The client's first-stage replicas come from the broker's route table.
  std::unique_ptr<client::Client> makeClient() {
    auto c = client::makeClientFromBroker(topology_, broker_->bind());
    EXPECT_TRUE(c.isOk()) << c.status().toString();
    if (!c.isOk()) return nullptr;
    EXPECT_TRUE((*c)->waitReady(20'000).isOk());
    return std::move(c).value();
  }

  // Every ok result equals the in-process monolith's, bit for bit; one callback per request.
  void expectMatchesMonolith(const LoadRecord& rec, const std::vector<Tensor>& inputs) {
    auto cpu = hal::makeCpuBackend(hal::CpuOptions{});
    ASSERT_TRUE(cpu.isOk());
    auto mono = workers::Monolith::make(**cpu, topology_);
    ASSERT_TRUE(mono.isOk()) << mono.status().toString();
    for (const auto& [id, n] : rec.callbacks) EXPECT_EQ(n, 1) << "request " << id;
    size_t checked = 0;
    for (const auto& [id, out] : rec.results) {
      Result<Tensor> want = (*mono)->run(inputs[rec.input_of.at(id)], id);
      ASSERT_TRUE(want.isOk());
      EXPECT_TRUE(out == *want) << "request " << id << " differs from the monolith";
      ++checked;
    }
    EXPECT_EQ(checked, inputs.size());
  }

  RedisServer redis_;
  std::unique_ptr<BrokerProcess> broker_;
  std::map<std::string, std::unique_ptr<ChildProcess>> workers_;
  Topology topology_;
};

std::vector<Tensor> images(size_t n, uint64_t seed) {
  std::vector<Tensor> v;
  for (size_t i = 0; i < n; ++i) v.push_back(imageInput(seed + i));
  return v;
}

TEST_F(BrokerE2ETest, DeployedPipelineServesBitExactAndSurvivesKillOfServingWorker) {
  startWorker("enc-0", "cpu");
  startWorker("cls-0", "cpu");
  for (const char* n : {"feat-a", "feat-b", "feat-c"}) startWorker(n, "chip");
  auto deployed = broker_->deploy(kModelPath);
  ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
  ASSERT_TRUE(waitFor([&] { return fullyRouted(); }, 10'000)) << routes().dump();
  auto client = makeClient();
  ASSERT_NE(client, nullptr);

  // 1. Bit-exact through the broker-assigned pipeline.
  const auto first = images(200, 5000);
  LoadRecord rec = runClosedLoop(*client, topology_.model, first, 16, 10'000, 30'000);
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  expectMatchesMonolith(rec, first);

  // 2. kill -9 a serving features worker under load: nothing lost, nothing doubled, a new
  //    epoch without it, and the standby serving in its place.
  const json before = routes();
  const std::vector<Replica> serving = replicas(before, "features");
  ASSERT_EQ(serving.size(), 2u);
  std::string standby;
  for (const char* n : {"feat-a", "feat-b", "feat-c"}) {
    if (serving[0].worker != n && serving[1].worker != n) standby = n;
  }
  const std::string victim = serving[0].worker;
  const auto second = images(300, 9000);
  std::atomic<bool> killed{false};
  std::chrono::steady_clock::time_point killed_at;
  rec = runClosedLoop(*client, topology_.model, second, 16, 15'000, 30'000, [&](size_t done) {
    if (done == 60 && !killed.exchange(true)) {
      killed_at = std::chrono::steady_clock::now();
      workers_.at(victim)->kill(SIGKILL);
    }
  });
  ASSERT_TRUE(killed.load());
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << rec.errors.size() << " error kinds (lost requests)";
  expectMatchesMonolith(rec, second);
  EXPECT_EQ(client->stats().results, first.size() + second.size());

  json after;
  ASSERT_TRUE(waitFor([&] {
    after = routes();
    const auto now = replicas(after, "features");
    return after.value("epoch", uint64_t{0}) > before.value("epoch", uint64_t{0}) &&
           std::none_of(now.begin(), now.end(), [&](const Replica& r) { return r.worker == victim; });
  }, 5'000)) << after.dump();
  const auto now = replicas(after, "features");
  EXPECT_TRUE(std::any_of(now.begin(), now.end(), [&](const Replica& r) { return r.worker == standby; }))
      << "standby " << standby << " not promoted: " << after.dump();
  // The standby carried traffic once promoted.
  const auto third = images(40, 20000);
  rec = runClosedLoop(*client, topology_.model, third, 8, 10'000, 20'000);
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  size_t via_standby = 0;
  for (const auto& [id, hops] : rec.hops) via_standby += std::count(hops.begin(), hops.end(), standby);
  EXPECT_GT(via_standby, 0u) << readLog(standby);
  std::cout << "kill -9 " << victim << ": new epoch " << after["epoch"] << " (was " << before["epoch"]
            << ") seen by "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     killed_at).count()
            << " ms after the kill (polled after the load finished); standby " << standby
            << " served " << via_standby << " of " << third.size() << "; client duplicates dropped "
            << client->stats().duplicates << "\n";
}

}  // namespace
}  // namespace spikeline::testing
