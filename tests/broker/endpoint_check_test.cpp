// The broker routes a worker only once its advertised data endpoint answered a hello (issue 14):
// a registration naming an endpoint nobody serves (a typo, a forged or stale address) stays out
// of the routes with one `endpoint_unreachable` event, and enters them as soon as something
// answers there. Real broker, real sockets.
#include <gtest/gtest.h>

#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"
#include "transport/data_socket.h"
#include "transport/envelope.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

class EndpointCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.waitReady()) << broker_.log();
    ASSERT_OK(broker_.deploy(writeModel(redis_.dir(), "alpha")));
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- broker log ---\n" << broker_.log();
  }
  json worker(const std::string& name) { return workerEntry(broker_, name); }
  size_t events(const std::string& kind, const std::string& subject) {
    auto r = broker_.call({{"op", "events"}, {"count", 500}});
    size_t n = 0;
    if (!r) return n;
    for (const auto& e : (*r)["events"]) n += e["kind"] == kind && e["subject"] == subject;
    return n;
  }
  bool routed(const std::string& name) {
    auto r = broker_.call({{"op", "routes"}});
    return r && r->dump().find("\"" + name + "\"") != std::string::npos;
  }

  RedisServer redis_;
  BrokerProcess broker_{redis_, 100, 5, /*check_endpoints=*/true};
};

TEST_F(EndpointCheckTest, AnEndpointNobodyServesIsNotRoutedUntilItAnswers) {
  // startAgent advertises a port this test holds and nothing listens on.
  auto agent = startAgent(broker_, "w1", BackendKind::kCpu);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(waitFor([&] { return events("endpoint_unreachable", "w1") == 1; }, 5000));
  const json w = worker("w1");
  EXPECT_FALSE(w.value("up", true)) << w.dump();
  EXPECT_NE(w.dump().find("endpoint unreachable: no answer to a hello at"), std::string::npos)
      << w.dump();
  EXPECT_FALSE(routed("w1"));
  // A second check fails too (the broker logs each at debug): still one event.
  const std::string failed = "endpoint check of w1 at ";
  ASSERT_TRUE(waitFor(
      [&] {
        const std::string log = broker_.log();
        const size_t first = log.find(failed);
        return first != std::string::npos && log.find(failed, first + 1) != std::string::npos;
      },
      10'000))
      << broker_.log();
  EXPECT_EQ(events("endpoint_unreachable", "w1"), 1u) << "one event, not one per retry";

  // Something starts answering hellos there: the next check admits the worker.
  const std::string endpoint = w["endpoint"];
  auto ctx = std::move(transport::makeTransportContext()).value();
  auto port = std::move(transport::makeDataSocket(*ctx, transport::SocketRole::kReceiver)).value();
  ASSERT_OK(port->bind(endpoint));
  std::atomic<bool> stop{false};
  std::thread answer([&] {
    while (!stop.load()) {
      auto m = port->recv(20);
      if (!m.isOk()) continue;
      auto e = transport::parseEnvelope(std::move(m).value(), transport::Side::kRouter);
      if (!e.isOk()) continue;
      (void)port->send(transport::toMultipart(
          transport::Envelope{e->routing_id, transport::MessageKind::kControl, {1}},
          transport::Side::kRouter));
    }
  });
  EXPECT_TRUE(waitFor([&] { return routed("w1"); }, 6000));
  EXPECT_EQ(events("endpoint_verified", "w1"), 1u);
  EXPECT_TRUE(worker("w1").value("up", false));
  stop.store(true);
  answer.join();
}

}  // namespace
}  // namespace spikeline::broker
