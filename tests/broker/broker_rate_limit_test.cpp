// Per-connection rate limits on a real broker's admin port (issue 14): a flood from one
// connection gets resource_exhausted replies (every request answered), while another connection's
// requests and the workers' heartbeats keep being served.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <zmq.hpp>

#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

// Replies the flood got, by code ("ok" when served).
struct FloodResult {
  std::map<std::string, int> codes;
  std::set<uint64_t> answered;  // request ids
  uint64_t retry_after_ms = 0;  // of the first refusal
  std::string message;          // of the first refusal
};

// Sends `count` `models` requests (ids first_id...) on `s` without waiting, then reads their
// replies (3 s at most per reply).
void floodBatch(zmq::socket_t& s, uint64_t first_id, int count, FloodResult& result) {
  for (int i = 0; i < count; ++i) {
    s.send(zmq::buffer(std::string(kTagAdmin)), zmq::send_flags::sndmore);
    const std::string body = json{{"op", "models"}, {"id", first_id + i}}.dump();
    s.send(zmq::buffer(body), zmq::send_flags::none);
  }
  zmq::message_t m;
  for (int got = 0; got < count && s.recv(m); ++got) {
    std::vector<std::string> parts{m.to_string()};
    while (m.more() && s.recv(m)) parts.push_back(m.to_string());
    ASSERT_GE(parts.size(), 2u);
    ASSERT_EQ(parts[0], kTagReply);
    const json r = json::parse(parts[1]);
    result.answered.insert(r["id"].get<uint64_t>());
    const std::string code = r["ok"] == true ? "ok" : r["code"].get<std::string>();
    if (code == "resource_exhausted" && result.message.empty()) {
      result.message = r["message"];
      result.retry_after_ms = r["retry_after_ms"];
    }
    ++result.codes[code];
  }
}

class BrokerRateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The defaults (50/s, burst 100) and heartbeats every 50 ms, down after 5 missed at 100 ms.
    ASSERT_TRUE(broker_.waitReady()) << broker_.log();
    agent_ = startAgent(broker_, "w1", BackendKind::kCpu);
    ASSERT_TRUE(waitFor([&] { return agent_->connected() && workerUp("w1"); }));
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- broker log ---\n" << broker_.log();
  }
  bool workerUp(const std::string& name) {
    auto r = broker_.call({{"op", "workers"}});
    if (!r) return false;
    for (const auto& w : (*r)["workers"]) {
      if (w["name"] == name) return w["up"] == true;
    }
    return false;
  }

  RedisServer redis_;
  BrokerProcess broker_{redis_};
  std::unique_ptr<BrokerAgent> agent_;
};

TEST_F(BrokerRateLimitTest, AFloodIsRefusedWhileAnotherConnectionAndHeartbeatsAreServed) {
  zmq::context_t ctx;
  zmq::socket_t flood(ctx, zmq::socket_type::dealer);
  flood.set(zmq::sockopt::linger, 0);
  flood.set(zmq::sockopt::rcvtimeo, 3000);
  flood.connect(broker_.bind());
  FloodResult result;
  const auto start = std::chrono::steady_clock::now();
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 200;  // under ZeroMQ's 1000-message queues, so nothing is dropped
  for (int b = 0; b < kBatches; ++b) {
    floodBatch(flood, uint64_t(b) * kPerBatch + 1, kPerBatch, result);
    // Another connection is served during the flood, and the worker stays up.
    auto other = broker_.call({{"op", "routes"}}, {}, 2000);
    ASSERT_OK(other.status()) << "batch " << b;
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(result.answered.size(), size_t(kBatches * kPerBatch)) << "every request is answered";
  // Served: the burst plus 50 a second while the flood lasted (+1 for rounding).
  EXPECT_GE(result.codes["ok"], 100);
  EXPECT_LE(result.codes["ok"], 100 + int(50 * elapsed_s) + 1) << elapsed_s << " s";
  EXPECT_EQ(result.codes["ok"] + result.codes["resource_exhausted"], kBatches * kPerBatch);
  EXPECT_NE(result.message.find("admin rate limit exceeded: 50 requests/s per connection, "
                                "burst 100; retry in "),
            std::string::npos)
      << result.message;
  EXPECT_GE(result.retry_after_ms, 1u);
  EXPECT_LE(result.retry_after_ms, 20u);

  // Heartbeats were never refused: the worker is up and was never declared down.
  EXPECT_TRUE(workerUp("w1"));
  auto events = broker_.call({{"op", "events"}, {"count", 200}});
  ASSERT_OK(events.status());
  EXPECT_FALSE(hasEvent(*events, "worker_down", "w1"));
  // The flooding connection is logged once for the whole flood (once per 10 s), not per request.
  const std::string log = broker_.log();
  size_t lines = 0;
  for (size_t at = log.find("admin rate limit: refused"); at != std::string::npos;
       at = log.find("admin rate limit: refused", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << "flood lasted " << elapsed_s << " s";
}

// The CLI's client waits out a refusal (retry_after_ms) within its timeout instead of failing.
TEST_F(BrokerRateLimitTest, TheAdminClientRetriesAfterTheHintWithinItsTimeout) {
  broker_.restartWith({"--admin-rate", "5", "--admin-burst", "2"});
  ASSERT_TRUE(broker_.waitReady()) << broker_.log();
  auto client = makeAdminClient(broker_.bind());
  ASSERT_OK(client.status());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) ASSERT_OK((*client)->call(R"({"op":"models"})", {}, 2000).status());
  // 2 at once, then one each 200 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(550));
  // A timeout shorter than the wait returns the refusal.
  auto refused = (*client)->call(R"({"op":"models"})", {}, 50);
  EXPECT_STATUS_CODE(refused, StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace spikeline::broker
