// Worker identity against a real broker (docs/decisions/0008): messages naming a worker are
// accepted only from the connection its registration came from; a live name is not taken over
// except with --replace.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

std::string encoded(const wire::Message& m) {
  auto b = wire::encode(m);
  return std::string(reinterpret_cast<const char*>(b->bytes().data()), b->size());
}

// A peer on its own connection (a forger): sends one worker message, returns the broker's
// reply JSON (or null after 3 s).
json forge(const std::string& endpoint, const wire::Message& m) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::rcvtimeo, 3000);
  s.connect(endpoint);
  s.send(zmq::buffer(std::string(kTagWire)), zmq::send_flags::sndmore);
  s.send(zmq::buffer(encoded(m)), zmq::send_flags::none);
  zmq::message_t msg;
  while (s.recv(msg)) {
    const bool is_reply = msg.to_string() == kTagReply;
    std::vector<std::string> rest;
    while (msg.more() && s.recv(msg)) rest.push_back(msg.to_string());
    if (is_reply && !rest.empty()) return json::parse(rest[0], nullptr, false);
  }
  return nullptr;
}

class BrokerIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.waitReady()) << broker_.log();
    f1_ = startAgent(broker_, "f1", BackendKind::kCpu);
    ASSERT_TRUE(waitFor([&] { return f1_->connected() && worker("f1").value("up", false); }));
    endpoint_ = worker("f1")["endpoint"];
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- broker log ---\n" << broker_.log();
  }
  // The `workers` entry of `name`, or an empty object.
  json worker(const std::string& name) { return workerEntry(broker_, name); }
  json events() {
    auto r = broker_.call({{"op", "events"}, {"count", 200}});
    return r ? *r : json::object();
  }
  // Long enough for the broker to have declared f1 down had it applied a forged message, and
  // for several of f1's heartbeats (50 ms) to be judged.
  static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(700)); }

  RedisServer redis_;
  BrokerProcess broker_{redis_};
  std::unique_ptr<BrokerAgent> f1_;
  std::string endpoint_;
};

TEST_F(BrokerIdentityTest, NameHeldByLiveSessionIsRefusedOnBothSides) {
  std::string refused;
  std::mutex mu;
  AgentCallbacks cb;
  cb.on_refused = [&](const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    refused = m;
  };
  auto second = startAgent(broker_, "f1", BackendKind::kCpu, "n2", std::move(cb));
  ASSERT_TRUE(waitFor([&] { return !second->refusal().empty(); }));
  EXPECT_NE(second->refusal().find("worker name 'f1' is held by a live session (registered "),
            std::string::npos)
      << second->refusal();
  EXPECT_NE(second->refusal().find(endpoint_ + "); start with --replace to take it over"),
            std::string::npos)
      << second->refusal();
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(refused, second->refusal());
  }
  second.reset();  // the refused agent leaves without deregistering the name
  settle();
  json w = worker("f1");
  EXPECT_TRUE(w["up"]) << w;
  EXPECT_EQ(w["endpoint"], endpoint_);
  EXPECT_TRUE(hasEvent(events(), "refused", "f1"));
  EXPECT_NE(broker_.log().find("refused registration for worker 'f1'"), std::string::npos);
}

TEST_F(BrokerIdentityTest, ForgedHardwareFaultFromAnotherConnectionIsRefused) {
  wire::HardwareFault f;
  f.worker = WorkerId{"f1"};
  f.whole_device = true;
  f.detail = "forged";
  json reply = forge(broker_.bind(), wire::Message{f});
  EXPECT_EQ(reply["code"], "already_exists") << reply;
  EXPECT_NE(reply["message"].get<std::string>().find("does not come from the connection"),
            std::string::npos);
  settle();
  json w = worker("f1");
  EXPECT_TRUE(w["up"]) << w;
  EXPECT_FALSE(hasEvent(events(), "hardware_fault", "f1"));
  EXPECT_TRUE(hasEvent(events(), "refused", "f1"));
}

TEST_F(BrokerIdentityTest, ForgedDeregisterIsRefused) {
  json reply = forge(broker_.bind(), wire::Message{wire::Deregister{WorkerId{"f1"}, "forged"}});
  EXPECT_EQ(reply["code"], "already_exists") << reply;
  settle();
  EXPECT_TRUE(worker("f1").value("up", false));
  EXPECT_FALSE(hasEvent(events(), "deregistered", "f1"));
}

TEST_F(BrokerIdentityTest, ForgedReRegistrationWithDeadEndpointLeavesRoutesUnchanged) {
  ASSERT_OK(broker_.deploy(writeModel(redis_.dir(), "alpha")));  // f1 serves one stage
  ASSERT_OK_AND_ASSIGN(json before, broker_.call({{"op", "routes"}}));
  ASSERT_NE(before.dump().find(endpoint_), std::string::npos) << before;
  wire::RegisterWorker r;
  r.worker = WorkerId{"f1"};
  r.capacity = 8;
  r.data_endpoint = "tcp://127.0.0.1:9";
  r.node = "n1";
  json reply = forge(broker_.bind(), wire::Message{r});
  EXPECT_EQ(reply["code"], "already_exists") << reply;
  settle();
  ASSERT_OK_AND_ASSIGN(json after, broker_.call({{"op", "routes"}}));
  EXPECT_EQ(after["epoch"], before["epoch"]);
  EXPECT_EQ(after.dump().find("tcp://127.0.0.1:9\""), std::string::npos) << after;
  EXPECT_EQ(worker("f1")["endpoint"], endpoint_);
}

TEST_F(BrokerIdentityTest, ReplaceTakesTheNameOverAndEndsTheOldSession) {
  AgentOptions o;
  o.broker_endpoint = broker_.bind();
  o.routes_endpoint = broker_.pub();
  o.self.worker = WorkerId{"f1"};
  o.self.capacity = 8;
  ReservedPort nobody_serves;  // the broker does not check endpoints here
  o.self.data_endpoint = nobody_serves.tcp();
  o.self.node = "n2";
  o.heartbeat_interval_ns = 50'000'000;
  o.replace = true;
  ASSERT_OK_AND_ASSIGN(auto replacement, startBrokerAgent(o, {}));
  ASSERT_TRUE(waitFor([&] { return worker("f1")["endpoint"] == o.self.data_endpoint; }));
  // The old session's next heartbeat is refused: it stops claiming the name.
  ASSERT_TRUE(waitFor([&] { return !f1_->refusal().empty(); })) << f1_->refusal();
  EXPECT_TRUE(replacement->refusal().empty());
  settle();
  json w = worker("f1");
  EXPECT_TRUE(w["up"]) << w;
  EXPECT_EQ(w["endpoint"], o.self.data_endpoint);
  EXPECT_TRUE(hasEvent(events(), "replaced", "f1"));
}

TEST_F(BrokerIdentityTest, RegistrationAfterTheOldSessionIsDownTakesOver) {
  f1_->pauseHeartbeats(true);
  ASSERT_TRUE(waitFor([&] { return !worker("f1").value("up", true); }));
  auto next = startAgent(broker_, "f1", BackendKind::kCpu, "n2");
  ASSERT_TRUE(waitFor([&] { return worker("f1").value("up", false); }));
  EXPECT_NE(worker("f1")["endpoint"], endpoint_);
  EXPECT_TRUE(next->refusal().empty());
}

}  // namespace
}  // namespace spikeline::broker
