#include "broker/broker_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/broker/fake_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

using nlohmann::json;
constexpr int64_t kMs = 1'000'000;

std::string encoded(const wire::Message& m) {
  auto b = wire::encode(m);
  return std::string(reinterpret_cast<const char*>(b->bytes().data()), b->size());
}

class BrokerServiceTest : public ::testing::Test {
 protected:
  BrokerServiceTest() : service_(store_, clock_, options()) {}
  static ServiceOptions options() {
    ServiceOptions o;
    o.health = HealthOptions{100 * kMs, 3};
    return o;
  }
  void SetUp() override {
    // A model deployed earlier (as the broker would have stored it).
    StoredModel m;
    m.summary = DeployedModel{
        ModelRef{"m", 1},
        Precision::kFixed,
        {DeployedStage{"s", OperatorId{7}, {"op"}, Placement{{BackendKind::kCpu}, 1, 0, true}}}};
    store_.models[m.summary.model] = m;
    ASSERT_OK(service_.restore(out_));
  }
  // The reply JSON sent to `peer` last, or null.
  json lastReply(const std::string& peer) {
    json last = nullptr;
    for (const auto& [to, parts] : out_.to_peers) {
      if (to == peer && parts.size() >= 2 && parts[0] == kTagReply) last = json::parse(parts[1]);
    }
    return last;
  }
  void send(const std::string& peer, const Parts& parts) { service_.onMessage(peer, parts, out_); }
  void registerWorker(const std::string& name) {
    wire::RegisterWorker r;
    r.worker = WorkerId{name};
    r.capacity = 4;
    r.data_endpoint = "tcp://" + name + ":1";
    send(name, {kTagWire, encoded(r)});
  }

  testing::FakeStore store_;
  spikeline::testing::FakeClock clock_;
  BrokerService service_;
  Outbox out_;
};

TEST_F(BrokerServiceTest, RegisteredWorkerServesAndIsAssigned) {
  const RouteEpoch start = service_.routes().epoch;
  registerWorker("w0");
  EXPECT_EQ(service_.routes().epoch, start + 1);
  ASSERT_EQ(service_.routes().models[0].stages[0].replicas.size(), 1u);
  EXPECT_EQ(store_.routes, service_.routes());
  bool assigned = false;
  for (const auto& [peer, parts] : out_.to_peers) {
    auto a = decodeAssignment(parts);
    if (peer == "w0" && a && a->role == AssignmentRole::kServing) assigned = true;
  }
  EXPECT_TRUE(assigned);
}

TEST_F(BrokerServiceTest, SilentWorkerGoesDownOnFakeTime) {
  registerWorker("w0");
  clock_.advanceNs(299 * kMs);
  service_.tick(out_);
  EXPECT_EQ(service_.routes().models[0].stages[0].replicas.size(), 1u);
  clock_.advanceNs(1 * kMs);
  service_.tick(out_);
  EXPECT_TRUE(service_.routes().models[0].stages[0].replicas.empty());
  EXPECT_EQ(store_.events.back().event.kind, "routes");
}

TEST_F(BrokerServiceTest, UnknownWorkerAndModelGetClearErrors) {
  send("ghost", {kTagWire, encoded(wire::Heartbeat{WorkerId{"ghost"}, 1, 0.0f, {}, {}})});
  EXPECT_EQ(lastReply("ghost")["code"], "not_found");
  send("cli", {kTagAdmin, R"({"op":"undeploy","model":"zzz","id":4})"});
  json r = lastReply("cli");
  EXPECT_EQ(r["id"], 4);
  EXPECT_EQ(r["code"], "not_found");
  EXPECT_EQ(r["message"], "unknown model zzz");
}

TEST_F(BrokerServiceTest, StoreOutageIsCaughtUpWhenItReturns) {
  store_.available = false;
  registerWorker("w0");  // accepted from memory
  EXPECT_EQ(service_.routes().models[0].stages[0].replicas.size(), 1u);
  EXPECT_TRUE(store_.workers.empty());
  store_.available = true;
  clock_.advanceNs(50 * kMs);  // within liveness; beats keep it up
  send("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, 1, 0.0f, {}, {}})});
  service_.tick(out_);
  EXPECT_EQ(store_.workers.count("w0"), 1u);
  EXPECT_EQ(store_.routes, service_.routes());
  EXPECT_EQ(store_.events.back().event.kind, "store_recovered");
}

TEST_F(BrokerServiceTest, ReconnectedStoreIsRewritten) {
  registerWorker("w0");
  store_.workers.clear();  // the server came back empty
  store_.connections = 2;
  clock_.advanceNs(50 * kMs);
  send("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, 1, 0.0f, {}, {}})});
  service_.tick(out_);  // notices the new connection and rewrites
  EXPECT_EQ(store_.workers.count("w0"), 1u);
}

TEST_F(BrokerServiceTest, MessagesFromAnotherPeerThanTheSessionAreRefused) {
  registerWorker("w0");
  const wire::RouteTable routes = service_.routes();
  wire::HardwareFault f;
  f.worker = WorkerId{"w0"};
  f.whole_device = true;
  send("forger", {kTagWire, encoded(f)});
  EXPECT_EQ(lastReply("forger")["code"], "already_exists");
  send("forger", {kTagWire, encoded(wire::Deregister{WorkerId{"w0"}, "forged"})});
  send("forger", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, 1, 0.0f,
                                                     wire::BackendHealth::kFailed, {}})});
  wire::RegisterWorker r;
  r.worker = WorkerId{"w0"};
  r.capacity = 4;
  r.data_endpoint = "tcp://127.0.0.1:9";
  send("forger", {kTagWire, encoded(r)});
  EXPECT_EQ(lastReply("forger")["code"], "already_exists");
  EXPECT_EQ(service_.routes(), routes);
  EXPECT_EQ(store_.workers.at("w0").endpoint, "tcp://w0:1");
  EXPECT_EQ(store_.health.down.size(), 0u);
  size_t refused = 0;
  for (const auto& e : store_.events) refused += e.event.kind == "refused";
  EXPECT_EQ(refused, 4u);  // one per kind of message; repeats are not recorded again
  send("forger", {kTagWire, encoded(f)});
  refused = 0;
  for (const auto& e : store_.events) refused += e.event.kind == "refused";
  EXPECT_EQ(refused, 4u);
}

TEST_F(BrokerServiceTest, ReplaceTakesALiveNameOver) {
  registerWorker("w0");
  wire::RegisterWorker r;
  r.worker = WorkerId{"w0"};
  r.capacity = 4;
  r.data_endpoint = "tcp://new:1";
  send("w0-new", {kTagWire, encoded(r), R"({"replace":true})"});
  EXPECT_EQ(lastReply("w0-new"), nullptr);
  EXPECT_EQ(service_.routes().models[0].stages[0].replicas[0].endpoint, "tcp://new:1");
  send("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, 1, 0.0f, {}, {}})});
  EXPECT_EQ(lastReply("w0")["code"], "already_exists");
}

TEST_F(BrokerServiceTest, WholeChipFaultIsOneEventWhileItPersists) {
  registerWorker("w0");
  wire::HardwareFault f;
  f.worker = WorkerId{"w0"};
  f.whole_device = true;
  f.detail = "chip lost";
  send("w0", {kTagWire, encoded(f)});
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    send("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, seq, 0.0f,
                                                   wire::BackendHealth::kFailed, {}})});
  }
  size_t faults = 0;
  for (const auto& e : store_.events) faults += e.event.kind == "hardware_fault";
  EXPECT_EQ(faults, 1u);
  EXPECT_NE(store_.health.down.at("w0").find("chip lost"), std::string::npos);
}

TEST_F(BrokerServiceTest, FailedHeartbeatsAloneAreOneEvent) {
  registerWorker("w0");
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    send("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, seq, 0.0f,
                                                   wire::BackendHealth::kFailed, {}})});
  }
  size_t faults = 0;
  for (const auto& e : store_.events) faults += e.event.kind == "hardware_fault";
  EXPECT_EQ(faults, 1u);
}

TEST_F(BrokerServiceTest, NegativeEventCountIsInvalidAndRecordsNothing) {
  const size_t events = store_.events.size();
  send("cli", {kTagAdmin, R"({"op":"events","count":-1,"id":3})"});
  json r = lastReply("cli");
  EXPECT_EQ(r["code"], "invalid_argument");
  EXPECT_EQ(r["message"], "events: 'count' must be an integer from 1 to 10000, not -1");
  clock_.advanceNs(2000 * kMs);
  service_.tick(out_);
  EXPECT_EQ(store_.events.size(), events);  // no store_recovered: nothing failed
}

TEST_F(BrokerServiceTest, AdminTypeErrorsNameTheField) {
  send("cli", {kTagAdmin, R"({"op":"undeploy","model":5,"id":2})"});
  json r = lastReply("cli");
  EXPECT_EQ(r["code"], "invalid_argument");
  EXPECT_EQ(r["message"], "undeploy: 'model' must be a string, not number");
  send("cli", {kTagAdmin, R"({"op":"fault","worker":"w0","core":"x","id":2})"});
  EXPECT_NE(lastReply("cli")["message"].get<std::string>().find("'core'"), std::string::npos);
  EXPECT_EQ(lastReply("cli")["message"].get<std::string>().find("json.exception"),
            std::string::npos);
}

TEST_F(BrokerServiceTest, UnknownTagGetsAnErrorReply) {
  send("peer", {"bogus", "x"});
  EXPECT_EQ(lastReply("peer")["code"], "invalid_argument");
}

}  // namespace
}  // namespace spikeline::broker
