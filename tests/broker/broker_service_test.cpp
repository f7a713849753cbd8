#include "broker/broker_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/broker_metrics.h"
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

// Issue 14: admin requests are limited per connection; every one is still answered, and the
// workers' messages are never limited.
TEST(BrokerAdminRateTest, AFloodGetsResourceExhaustedWhileOthersAndHeartbeatsAreServed) {
  testing::FakeStore store;
  spikeline::testing::FakeClock clock;
  metrics::MetricsRegistry registry;
  declareBrokerMetrics(registry);
  ServiceOptions options;
  options.health = HealthOptions{100 * kMs, 3};
  options.admin_rate.per_second = 10;
  options.admin_rate.burst = 5;
  options.metrics = &registry;
  BrokerService service(store, clock, options);
  Outbox out;
  ASSERT_OK(service.restore(out));
  wire::RegisterWorker r;
  r.worker = WorkerId{"w0"};
  r.capacity = 4;
  r.data_endpoint = "tcp://w0:1";
  service.onMessage("w0", {kTagWire, encoded(r)}, out);

  std::map<std::string, int> codes;
  int heartbeats_refused = 0;
  for (uint64_t i = 1; i <= 1000; ++i) {
    out = Outbox{};
    service.onMessage("flood", {kTagAdmin, json{{"op", "models"}, {"id", i}}.dump()}, out);
    ASSERT_EQ(out.to_peers.size(), 1u) << "request " << i << " was not answered";
    const json reply = json::parse(out.to_peers[0].second[1]);
    ASSERT_EQ(reply["id"], i);  // under its own id, so the client matches it
    ++codes[reply.value("code", std::string("ok"))];
    if (i == 6) {  // 5 ms into the flood: the next token comes at 100 ms
      EXPECT_EQ(reply["message"],
                "admin rate limit exceeded: 10 requests/s per connection, burst 5; retry in 95 ms");
      EXPECT_EQ(reply["retry_after_ms"], 95);
    }
    if (i % 100 == 0) {  // a heartbeat every 100 requests, as the flood goes on
      service.onMessage("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, i, 0.0f, {}, {}})},
                        out);
      // A heartbeat is answered only on error.
      heartbeats_refused += out.to_peers.size() > 1 ? 1 : 0;
      // Another connection is served meanwhile.
      service.onMessage("other", {kTagAdmin, json{{"op", "workers"}, {"id", i}}.dump()}, out);
      const json workers = json::parse(out.to_peers.back().second[1]);
      EXPECT_EQ(workers["ok"], true);
      EXPECT_EQ(workers["workers"][0]["up"], true) << "w0 went down during the flood";
    }
    clock.advanceNs(kMs);  // 1000 requests a second
  }
  EXPECT_EQ(heartbeats_refused, 0);
  // 5 at once, then one each 100 ms for the rest of the second the flood lasted.
  EXPECT_EQ(codes["ok"], 5 + 9);
  EXPECT_EQ(codes["resource_exhausted"], 1000 - 14);
  EXPECT_EQ(registry.value("spikeline_broker_rate_limited_total", {{"limit", "admin"}}), 986);
  // Messages with an unknown tag are charged to the same bucket (a refusal costs less than them).
  std::map<std::string, int> bogus;
  for (int i = 0; i < 10; ++i) {
    out = Outbox{};
    service.onMessage("flood", {"bogus", "x"}, out);
    ASSERT_EQ(out.to_peers.size(), 1u);
    ++bogus[json::parse(out.to_peers[0].second[1])["code"].get<std::string>()];
  }
  // The token that came at 1 s is served (and refused for its tag), the rest are over the limit.
  EXPECT_EQ(bogus["invalid_argument"], 1);
  EXPECT_EQ(bogus["resource_exhausted"], 9);
}

// Undecodable "worker" messages come from no worker: they are charged like admin traffic, so a
// garbage flood is answered without a log line each, while a real heartbeat is never charged.
TEST(BrokerAdminRateTest, GarbageWorkerMessagesAreChargedLikeAdminTraffic) {
  testing::FakeStore store;
  spikeline::testing::FakeClock clock;
  ServiceOptions options;
  options.admin_rate.per_second = 10;
  options.admin_rate.burst = 5;
  BrokerService service(store, clock, options);
  Outbox out;
  ASSERT_OK(service.restore(out));
  std::map<std::string, int> codes;
  for (int i = 0; i < 50; ++i) {
    out = Outbox{};
    service.onMessage("garbage", {kTagWire, "not capnp"}, out);
    service.onMessage("garbage", {kTagWire}, out);  // wrong shape
    for (const auto& [to, parts] : out.to_peers) {
      ++codes[json::parse(parts[1])["code"].get<std::string>()];
    }
  }
  EXPECT_EQ(codes["invalid_argument"], 5);
  EXPECT_EQ(codes["resource_exhausted"], 95);
  wire::RegisterWorker r;
  r.worker = WorkerId{"w0"};
  r.capacity = 4;
  r.data_endpoint = "tcp://w0:1";
  for (int i = 0; i < 50; ++i) {
    out = Outbox{};
    service.onMessage("w0", {kTagWire, encoded(r)}, out);
    service.onMessage("w0", {kTagWire, encoded(wire::Heartbeat{WorkerId{"w0"}, 1, 0.0f, {}, {}})},
                      out);
    for (const auto& [to, parts] : out.to_peers) {
      if (parts[0] == kTagReply) {
        EXPECT_NE(json::parse(parts[1])["code"], "resource_exhausted");
      }
    }
  }
}

}  // namespace
}  // namespace spikeline::broker
