// The whole system with CURVE (docs/decisions/0010), real processes on loopback: redis-server,
// `spikeline-broker --curve-key`, four `spikeline-worker --broker --curve-key` processes and a
// client with its own key. Results are bit-exact with the monolith's; a client whose key the
// workers do not trust, or one without CURVE, gets no credit at all (no frame gets in).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/cluster.h"
#include "transport/curve.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;
namespace fs = std::filesystem;

constexpr const char* kModel = "fmnist-scnn@1";

class CurveE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = cluster_.dir() / "keys";
    trust_ = cluster_.dir() / "trust";
    fs::create_directories(trust_);
    for (const char* name : {"broker", "enc-0", "feat-a", "feat-b", "cls-0", "app", "stranger"}) {
      auto pair = transport::generateCurveKeyPair();
      ASSERT_TRUE(pair.isOk());
      ASSERT_TRUE(transport::writeCurveKeyFiles(keys_.string(), name, *pair).isOk());
      if (std::string(name) == "stranger") continue;
      fs::copy_file(keys_ / (std::string(name) + ".key"), trust_ / (std::string(name) + ".key"));
    }
    cluster_.broker().restartWith(
        {"--curve-key", (keys_ / "broker.key_secret").string(), "--curve-trust", trust_.string()});
    cluster_.broker().useCurve(identity("app"));
    ASSERT_TRUE(cluster_.brokerReady()) << cluster_.broker().log();
    cluster_.setWorkerArgs(
        {"--curve-key", (keys_ / "{name}.key_secret").string(), "--curve-trust", trust_.string()});
    topology_ = loadModel(kModelPath);
    ASSERT_EQ(cluster_.startWorker("enc-0", "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("cls-0", "cpu"), "");
    for (const char* n : {"feat-a", "feat-b"}) ASSERT_EQ(cluster_.startWorker(n, "chip"), "");
    auto deployed = cluster_.deploy(kModelPath);
    ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
    ASSERT_TRUE(waitFor(
        [&] {
          return cluster_.routedAs(kModel, {{"encoder", 1}, {"features", 2}, {"classifier", 1}});
        },
        10'000))
        << cluster_.routes().dump();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- broker log ---\n" << cluster_.broker().log();
  }
  transport::CurveIdentity identity(const std::string& name) {
    auto id = transport::loadCurveIdentity(
        {(keys_ / (name + ".key_secret")).string(), trust_.string(), "", false}, true);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    return id.isOk() ? *id : transport::CurveIdentity{};
  }
  client::ClientOptions optionsFor(const transport::CurveIdentity& id) {
    client::ClientOptions o;
    o.name = "curve-client";
    o.curve = id;
    return o;
  }

  Cluster cluster_;
  Topology topology_;
  fs::path keys_, trust_;
};

TEST_F(CurveE2ETest, AnAuthenticatedPipelineServesBitExact) {
  auto client = cluster_.makeClient(topology_, optionsFor(identity("app")));
  ASSERT_NE(client, nullptr);
  const auto inputs = images(120, 7100);
  LoadRecord rec = runClosedLoop(*client, topology_.model, inputs, 16, 10'000, 30'000);
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  expectMatchesMonolith(topology_, rec, inputs);
  EXPECT_EQ(servedBy(rec, "feat-a") + servedBy(rec, "feat-b"), inputs.size());
}

TEST_F(CurveE2ETest, UntrustedOrPlaintextClientsGetNoCredit) {
  // The stranger reads routes through an authorised broker identity (the worst case: it learned
  // the endpoints and keys) but holds a key the workers do not trust.
  auto routes =
      client::fetchBrokerRoutes(cluster_.broker().bind(), topology_.model, 5000, identity("app"));
  ASSERT_TRUE(routes.isOk()) << routes.status().toString();
  transport::CurveIdentity stranger = identity("stranger");
  auto untrusted = client::Client::make(topology_, *routes, optionsFor(stranger));
  ASSERT_TRUE(untrusted.isOk()) << untrusted.status().toString();
  EXPECT_EQ((*untrusted)->waitReady(1500).code(), StatusCode::kDeadlineExceeded)
      << "the first stage must not grant credit to an untrusted key";
  auto plain = client::Client::make(topology_, *routes, client::ClientOptions{});
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ((*plain)->waitReady(1500).code(), StatusCode::kDeadlineExceeded)
      << "a plaintext client must not reach a CURVE worker";
  auto refused = (*untrusted)
                     ->submit(topology_.model, images(1, 1)[0],
                              client::deadlineAfterMs(*makeSystemClock(), 1000));
  EXPECT_EQ(refused.get().status().code(), StatusCode::kOverloaded);
  // The first stage (a cpu worker) logged the refusal.
  const std::string logs = cluster_.workerLog("enc-0") + cluster_.workerLog("cls-0");
  EXPECT_NE(logs.find("refused a CURVE handshake"), std::string::npos) << logs;
}

}  // namespace
}  // namespace spikeline::testing
