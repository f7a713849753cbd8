// Bad input to a real broker: clear errors, no crash.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

// A raw DEALER that sends [tag, body], then (when `then_admin` is set) an admin request on the
// same connection, and returns the last reply JSON (or null after 3 s). The broker handles one
// connection's messages in order, so the admin reply shows the effect of the first message.
// A non-empty `routing_id` makes successive exchanges one session (the broker's ROUTER hands the
// id over to the newest connection), as one worker's agent is.
json rawExchange(const std::string& endpoint, const std::string& tag, const std::string& body,
                 const std::string& then_admin = "", const std::string& routing_id = "") {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  if (!routing_id.empty()) s.set(zmq::sockopt::routing_id, routing_id);
  s.set(zmq::sockopt::rcvtimeo, 3000);
  s.connect(endpoint);
  s.send(zmq::buffer(tag), zmq::send_flags::sndmore);
  s.send(zmq::buffer(body), zmq::send_flags::none);
  if (!then_admin.empty()) {
    s.send(zmq::buffer(std::string(kTagAdmin)), zmq::send_flags::sndmore);
    s.send(zmq::buffer(then_admin), zmq::send_flags::none);
  }
  json last = nullptr;
  zmq::message_t m;
  while (s.recv(m)) {
    const bool is_reply = m.to_string() == kTagReply;
    std::vector<std::string> rest;
    while (m.more() && s.recv(m)) rest.push_back(m.to_string());
    if (!is_reply || rest.empty()) continue;
    last = json::parse(rest[0], nullptr, false);
    if (then_admin.empty() || last.value("id", 0) == 99) break;
  }
  return last;
}

std::string encoded(const wire::Message& m) {
  auto b = wire::encode(m);
  return std::string(reinterpret_cast<const char*>(b->bytes().data()), b->size());
}

class BrokerBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.waitReady()) << broker_.log(); }
  void TearDown() override { EXPECT_TRUE(broker_.running()) << broker_.log(); }
  RedisServer redis_;
  BrokerProcess broker_{redis_};
};

TEST_F(BrokerBadInputTest, InvalidTopologyIsRejectedWithFileAndLine) {
  std::string yaml =
      readText(std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology/models/fmnist_scnn.yaml");
  replaceAll(yaml, "timesteps: 16", "timesteps: -3");
  auto r = broker_.call(
      {{"op", "deploy"}, {"file_name", "bad.yaml"}, {"yaml", yaml}, {"files", json::array()}});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad.yaml:"), std::string::npos) << r.status();
}

TEST_F(BrokerBadInputTest, DeployRefusesUnsafeFileNamesAndMismatchedAttachments) {
  auto r = broker_.call({{"op", "deploy"},
                         {"file_name", "x.yaml"},
                         {"yaml", "a: 1"},
                         {"files", {"../../etc/passwd"}}},
                        {"bytes"});
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  auto r2 = broker_.call(
      {{"op", "deploy"}, {"file_name", "x.yaml"}, {"yaml", "a: 1"}, {"files", {"w.safetensors"}}});
  EXPECT_STATUS_CODE(r2, StatusCode::kInvalidArgument);
}

TEST_F(BrokerBadInputTest, UnknownModelWorkerAndOpAreClearErrors) {
  auto r = broker_.call({{"op", "undeploy"}, {"model", "nope"}, {"version", 2}});
  EXPECT_STATUS_CODE(r, StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("unknown model nope@2"), std::string::npos);
  EXPECT_STATUS_CODE(broker_.call({{"op", "fault"}, {"worker", "ghost"}}), StatusCode::kNotFound);
  EXPECT_STATUS_CODE(broker_.call({{"op", "reboot"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(broker_.call({{"op", "undeploy"}}), StatusCode::kInvalidArgument);
}

TEST_F(BrokerBadInputTest, MessagesFromUnregisteredWorkersAreRefused) {
  json hb = rawExchange(broker_.bind(), kTagWire,
                        encoded(wire::Heartbeat{WorkerId{"ghost"}, 1, 0.0f, {}, {}}));
  ASSERT_FALSE(hb.is_null());
  EXPECT_EQ(hb["code"], "not_found");
  json fault = rawExchange(broker_.bind(), kTagWire,
                           encoded(wire::HardwareFault{WorkerId{"ghost"}, BackendKind::kChip}));
  ASSERT_FALSE(fault.is_null());
  EXPECT_EQ(fault["code"], "not_found");
  ASSERT_OK_AND_ASSIGN(json workers, broker_.call({{"op", "workers"}}));
  EXPECT_TRUE(workers["workers"].empty());
}

TEST_F(BrokerBadInputTest, MalformedBytesGetAnErrorReply) {
  json r = rawExchange(broker_.bind(), kTagWire, "definitely not capnp");
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r["code"], "invalid_argument");
  json a = rawExchange(broker_.bind(), kTagAdmin, "{not json");
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a["ok"], false);
}

TEST_F(BrokerBadInputTest, StaleHeartbeatsDoNotReviveAWorker) {
  wire::RegisterWorker reg;
  reg.worker = WorkerId{"w0"};
  reg.capacity = 4;
  reg.data_endpoint = "tcp://127.0.0.1:1";
  const std::string workers = R"({"op":"workers","id":99})";
  const std::string kSession = "w0/session";  // every message from the worker's one session
  json w = rawExchange(broker_.bind(), kTagWire, encoded(reg), workers, kSession);
  ASSERT_EQ(w["workers"].size(), 1u);
  w = rawExchange(broker_.bind(), kTagWire,
                  encoded(wire::Heartbeat{WorkerId{"w0"}, 5, 0.0f, {}, {}}), workers, kSession);
  ASSERT_TRUE(w["workers"][0]["up"].get<bool>());
  ASSERT_TRUE(waitFor([&] {
    auto r = broker_.call({{"op", "workers"}});
    return r && !r->at("workers")[0]["up"].get<bool>();
  }));
  // A replayed, older heartbeat must not bring it back; a newer one does.
  w = rawExchange(broker_.bind(), kTagWire,
                  encoded(wire::Heartbeat{WorkerId{"w0"}, 3, 0.0f, {}, {}}), workers, kSession);
  ASSERT_FALSE(w.is_null());
  EXPECT_FALSE(w["workers"][0]["up"].get<bool>());
  w = rawExchange(broker_.bind(), kTagWire,
                  encoded(wire::Heartbeat{WorkerId{"w0"}, 6, 0.0f, {}, {}}), workers, kSession);
  EXPECT_TRUE(w["workers"][0]["up"].get<bool>());
}

TEST_F(BrokerBadInputTest, OversizedControlMessageIsDroppedWithRssBounded) {
  const long before_kib = rssKiB(broker_.pid(), "VmHWM");
  ASSERT_GT(before_kib, 0);
  {
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 2000);
    s.connect(broker_.bind());
    std::string huge(size_t{256} << 20, 'x');  // 64x the limit (kMaxControlFrameBytes)
    s.send(zmq::buffer(std::string(kTagAdmin)), zmq::send_flags::sndmore);
    s.send(zmq::buffer(huge), zmq::send_flags::none);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(broker_.waitReady()) << broker_.log();
  const long peak_kib = rssKiB(broker_.pid(), "VmHWM");
  EXPECT_LT(peak_kib - before_kib, 64 * 1024) << "peak " << before_kib << " KiB -> " << peak_kib
                                             << " KiB";
}

TEST_F(BrokerBadInputTest, NegativeEventCountAndUnknownTagAreAnswered) {
  json r = rawExchange(broker_.bind(), kTagAdmin, R"({"op":"events","count":-1,"id":99})");
  EXPECT_EQ(r["code"], "invalid_argument") << r;
  EXPECT_NE(r["message"].get<std::string>().find("'count'"), std::string::npos) << r;
  json tag = rawExchange(broker_.bind(), "bogus", "x");
  EXPECT_EQ(tag["code"], "invalid_argument") << tag;
  ASSERT_OK_AND_ASSIGN(json events, broker_.call({{"op", "events"}, {"count", 100}}));
  EXPECT_FALSE(hasEvent(events, "store_recovered", ""));
}

}  // namespace
}  // namespace spikeline::broker
