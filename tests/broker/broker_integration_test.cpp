// The broker as users run it: a real spikeline-broker process, a real redis-server, agents.
#include <gtest/gtest.h>

#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

constexpr auto kChip = BackendKind::kChip;
constexpr auto kCpu = BackendKind::kCpu;
const std::pair<std::string, std::string> kOtherClassifier{
    "params: {mode: membrane, tau: 0.002}\n", "params: {mode: membrane, tau: 0.004}\n"};

class BrokerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<BrokerProcess>(redis_);
    ASSERT_TRUE(broker_->waitReady()) << broker_->log();
  }
  void TearDown() override {
    agents_.clear();
    if (HasFailure()) std::cerr << "--- broker log ---\n" << broker_->log();
  }
  // cpu-0..cpu-{cpus-1}, chip-0..chip-{chips-1}.
  void startWorkers(int cpus, int chips) {
    for (int i = 0; i < cpus; ++i) {
      agents_["cpu-" + std::to_string(i)] = startAgent(*broker_, "cpu-" + std::to_string(i), kCpu);
    }
    for (int i = 0; i < chips; ++i) {
      agents_["chip-" + std::to_string(i)] =
          startAgent(*broker_, "chip-" + std::to_string(i), kChip, "n" + std::to_string(i));
    }
    const size_t want = static_cast<size_t>(cpus + chips);
    ASSERT_TRUE(waitFor([&] {
      auto w = broker_->call({{"op", "workers"}});
      return w && w->at("workers").size() == want;
    }));
  }
  json routes() {
    auto r = broker_->call({{"op", "routes"}});
    return r ? *r : json::object();
  }
  json events() {
    auto r = broker_->call({{"op", "events"}, {"count", 200}});
    return r ? *r : json::object();
  }
  std::vector<std::string> features(const std::string& model = "alpha@1") {
    return replicasOf(routes(), model, "features");
  }
  bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  RedisServer redis_;
  std::unique_ptr<BrokerProcess> broker_;
  std::map<std::string, std::unique_ptr<BrokerAgent>> agents_;
};

TEST_F(BrokerIntegrationTest, ModelsSharingAnOperatorShareOnePool) {
  startWorkers(3, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "beta", {kOtherClassifier})));
  ASSERT_TRUE(waitFor([&] { return features("alpha@1").size() == 2; }));
  EXPECT_EQ(features("alpha@1"), features("beta@1"));
  auto r = routes();
  EXPECT_NE(replicasOf(r, "alpha@1", "classifier"), replicasOf(r, "beta@1", "classifier"));
  ASSERT_OK_AND_ASSIGN(json models, broker_->call({{"op", "models"}}));
  ASSERT_EQ(models["models"].size(), 2u);
  const json& alpha_stages = models["models"][0]["stages"];
  EXPECT_EQ(alpha_stages[1]["shared_with"], json::array({"beta@1/features"}));
  EXPECT_EQ(alpha_stages[2]["shared_with"], json::array());
}

TEST_F(BrokerIntegrationTest, MissedHeartbeatsRemoveWorkerWithNewEpochAndEvent) {
  startWorkers(2, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  ASSERT_TRUE(waitFor([&] { return features().size() == 2; }));
  const auto before = routes();
  const std::string victim = features()[0];
  agents_[victim]->pauseHeartbeats(true);
  ASSERT_TRUE(waitFor([&] { return !contains(features(), victim) && features().size() == 2; }));
  EXPECT_GT(routes()["epoch"].get<uint64_t>(), before["epoch"].get<uint64_t>());
  EXPECT_TRUE(hasEvent(events(), "worker_down", victim));
  EXPECT_TRUE(hasEvent(events(), "promoted", "chip-2"));
}

TEST_F(BrokerIntegrationTest, HardwareFaultPromotesSameBackendStandbyThenFallsBack) {
  startWorkers(3, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  ASSERT_TRUE(waitFor([&] { return features().size() == 2; }));
  agents_["chip-0"]->reportFault(
      wire::HardwareFault{WorkerId{"chip-0"}, kChip, {}, true, "test", 0});
  ASSERT_TRUE(waitFor([&] { return features() == std::vector<std::string>{"chip-1", "chip-2"}; }));
  EXPECT_TRUE(hasEvent(events(), "hardware_fault", "chip-0"));
  agents_["chip-1"]->reportFault(wire::HardwareFault{WorkerId{"chip-1"}, kChip, {3}, false, "", 0});
  // No chip left in standby: the free CPU worker (fallback allowed) serves beside chip-2.
  ASSERT_TRUE(waitFor([&] { return features() == std::vector<std::string>{"chip-2", "cpu-2"}; }));
}

TEST_F(BrokerIntegrationTest, FaultWithoutAllowedFallbackIsRefusedClearly) {
  startWorkers(3, 1);
  ASSERT_OK_AND_ASSIGN(json reply,
                       broker_->deploy(writeModel(redis_.dir(), "strict",
                                                  {{"standby: 1, fallback: true}", "standby: 1, fallback: false}"}})));
  EXPECT_TRUE(reply["warnings"].empty());
  ASSERT_TRUE(waitFor([&] { return features("strict@1") == std::vector<std::string>{"chip-0"}; }));
  agents_["chip-0"]->reportFault(wire::HardwareFault{WorkerId{"chip-0"}, kChip, {}, true, "", 0});
  ASSERT_TRUE(waitFor([&] { return features("strict@1").empty(); }));
  json ev = events();
  ASSERT_TRUE(hasEvent(ev, "unplaced", ""));
  bool explained = false;
  for (const auto& e : ev.value("events", json::array())) {
    if (e["kind"] == "unplaced") {
      explained = e["detail"].get<std::string>().find("fallback not allowed") != std::string::npos;
    }
  }
  EXPECT_TRUE(explained);
  EXPECT_EQ(replicasOf(routes(), "strict@1", "encoder").size(), 1u);  // others keep serving
}

TEST_F(BrokerIntegrationTest, BrokerRestartKeepsRoutesAndModelsIdentical) {
  startWorkers(3, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "beta", {kOtherClassifier})));
  ASSERT_TRUE(waitFor([&] { return features("beta@1").size() == 2; }));
  json routes_before = routes();
  ASSERT_OK_AND_ASSIGN(json models_before, broker_->call({{"op", "models"}}));
  broker_->stop(SIGKILL);
  broker_->start();
  ASSERT_TRUE(broker_->waitReady());
  json routes_after = routes();
  routes_after.erase("id");
  routes_before.erase("id");
  EXPECT_EQ(routes_after, routes_before);
  ASSERT_OK_AND_ASSIGN(json models_after, broker_->call({{"op", "models"}}));
  models_before.erase("id");
  models_after.erase("id");
  EXPECT_EQ(models_after, models_before);
}

TEST_F(BrokerIntegrationTest, RedisRestartForgetsNothingDeployed) {
  startWorkers(3, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  redis_.kill();
  // Redis is away: the broker serves from memory and accepts a deployment.
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "beta", {kOtherClassifier})));
  ASSERT_TRUE(redis_.start());
  ASSERT_TRUE(waitFor([&] { return hasEvent(events(), "store_recovered", "redis"); }));
  const int status = broker_->stop();  // SIGTERM: a clean exit
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  broker_->start();
  ASSERT_TRUE(broker_->waitReady());
  ASSERT_OK_AND_ASSIGN(json models, broker_->call({{"op", "models"}}));
  ASSERT_EQ(models["models"].size(), 2u);
  EXPECT_EQ(models["models"][1]["name"], "beta");
  EXPECT_TRUE(hasEvent(events(), "deployed", "beta@1"));
}

TEST_F(BrokerIntegrationTest, RedisThatComesBackEmptyIsRefilled) {
  startWorkers(3, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  ASSERT_TRUE(waitFor([&] { return features().size() == 2; }));
  const json routes_before = routes();
  redis_.kill();
  redis_.wipe();
  ASSERT_TRUE(redis_.start());
  ASSERT_TRUE(waitFor([&] { return hasEvent(events(), "store_recovered", "redis"); }));
  broker_->stop(SIGKILL);
  broker_->start();
  ASSERT_TRUE(broker_->waitReady());
  ASSERT_OK_AND_ASSIGN(json models, broker_->call({{"op", "models"}}));
  ASSERT_EQ(models["models"].size(), 1u);
  EXPECT_EQ(routes()["epoch"], routes_before["epoch"]);
}

TEST_F(BrokerIntegrationTest, AgentGetsAssignmentWithModelBytesAndLateRoutes) {
  startWorkers(3, 3);
  ASSERT_OK(broker_->deploy(writeModel(redis_.dir(), "alpha")));
  ASSERT_TRUE(waitFor([&] { return features().size() == 2; }));
  ASSERT_TRUE(waitFor([&] {
    return agents_["chip-0"]->assignment().has_value() &&
           !agents_["chip-0"]->assignment()->stages.empty();
  }));
  Assignment a = *agents_["chip-0"]->assignment();
  EXPECT_EQ(a.role, AssignmentRole::kServing);
  ASSERT_EQ(a.stages.size(), 1u);
  EXPECT_EQ(a.stages[0].stage, "features");
  EXPECT_NE(a.stages[0].yaml.find("name: alpha"), std::string::npos);
  EXPECT_EQ(a.stages[0].files.at("fmnist_scnn.safetensors").size(),
            std::filesystem::file_size(redis_.dir() / "fmnist_scnn.safetensors"));
  EXPECT_TRUE(waitFor([&] {
    auto standby = agents_["chip-2"]->assignment();
    return standby && standby->role == AssignmentRole::kStandby;
  }));
  // A late subscriber converges on the current table.
  auto late = startAgent(*broker_, "late", kCpu);
  const uint64_t epoch = routes()["epoch"];
  ASSERT_TRUE(waitFor([&] { return late->routes().epoch >= epoch; }));
  EXPECT_EQ(findModelRoute(late->routes(), ModelRef{"alpha", 1})->stages.size(), 3u);
}

TEST_F(BrokerIntegrationTest, FaultCommandWaitsForTheWorkersAnswer) {
  std::atomic<int> injected{0};
  InjectFault seen;
  std::mutex mu;
  AgentCallbacks cb;
  cb.on_inject_fault = [&](const InjectFault& f) {
    std::lock_guard<std::mutex> lock(mu);
    seen = f;
    injected.fetch_add(1);
    return f.core < 128 ? Status::ok() : invalidArgument("core " + std::to_string(f.core) +
                                                         " out of range (0..127)");
  };
  auto agent = startAgent(*broker_, "chip-7", kChip, "n1", cb);
  ASSERT_TRUE(waitFor([&] { return agent->connected(); }));
  auto ok = broker_->call({{"op", "fault"},
                           {"worker", "chip-7"},
                           {"whole_chip", false},
                           {"core", 3},
                           {"permanent", false},
                           {"failing_runs", 5}});
  ASSERT_OK(ok.status());
  EXPECT_EQ((*ok)["injected"], "chip-7") << ok->dump();
  EXPECT_EQ(injected.load(), 1);  // answered only once the worker applied it
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(seen, (InjectFault{false, 3, false, 5}));
  }
  // The worker's refusal comes back to the caller, and the event says refused, not injected.
  auto refused = broker_->call({{"op", "fault"}, {"worker", "chip-7"}, {"whole_chip", false},
                                {"core", 99999}});
  EXPECT_STATUS_CODE(refused, StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find(
                "worker 'chip-7' refused the fault: core 99999 out of range"),
            std::string::npos)
      << refused.status().toString();
  auto events = broker_->call({{"op", "events"}, {"count", 20}});
  ASSERT_OK(events.status());
  int injected_events = 0, refused_events = 0;
  for (const auto& e : (*events)["events"]) {
    injected_events += e["kind"] == "fault_injected";
    refused_events += e["kind"] == "fault_refused";
  }
  EXPECT_EQ(injected_events, 1) << events->dump();
  EXPECT_EQ(refused_events, 1) << events->dump();
}

// A worker that never answers (an old one, or stuck): the caller gets deadline_exceeded.
TEST_F(BrokerIntegrationTest, FaultCommandTimesOutWhenTheWorkerDoesNotAnswer) {
  AgentCallbacks cb;
  cb.on_inject_fault = [](const InjectFault&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the broker's 2 s
    return Status::ok();
  };
  auto agent = startAgent(*broker_, "chip-8", kChip, "n1", cb);
  ASSERT_TRUE(waitFor([&] { return agent->connected(); }));
  auto r = broker_->call({{"op", "fault"}, {"worker", "chip-8"}}, {}, 5000);
  EXPECT_STATUS_CODE(r, StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("did not answer the fault within 2000 ms"),
            std::string::npos)
      << r.status().toString();
}

}  // namespace
}  // namespace spikeline::broker
