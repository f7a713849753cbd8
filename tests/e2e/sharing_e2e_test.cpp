// End to end, operator sharing (tests/e2e/cluster.h): two models whose encoder and features
// stages are identical (same operator identity) and whose classifiers differ. The broker gives
// the identical stages one pool of workers each; those workers host the stage once per model and
// each model's routes pick its own next hop (the frame's model id), so both models serve through
// the same workers with results bit-identical to each model's monolith.
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <thread>

#include "tests/e2e/cluster.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;
using broker::testing::writeModel;

TEST(SharingE2ETest, TwoModelsSharingStagesServeThroughOnePoolBitExact) {
  Cluster cluster;
  ASSERT_TRUE(cluster.brokerReady()) << cluster.broker().log();
  const auto path_a = writeModel(cluster.dir(), "share-a");
  // Only the classifier's readout differs: encoder and features keep their identity.
  const auto path_b = writeModel(cluster.dir(), "share-b",
                                 {{"params: {mode: membrane, tau: 0.002}\n",
                                   "params: {mode: membrane, tau: 0.004}\n"}});
  const Topology a = loadModel(path_a);
  const Topology b = loadModel(path_b);
  for (const char* n : {"cpu-0", "cpu-1", "cpu-2"}) ASSERT_EQ(cluster.startWorker(n, "cpu"), "");
  for (const char* n : {"chip-0", "chip-1"}) ASSERT_EQ(cluster.startWorker(n, "chip"), "");
  for (const auto& p : {path_a, path_b}) {
    auto d = cluster.deploy(p);
    ASSERT_TRUE(d.isOk()) << d.status().toString();
  }
  const std::map<std::string, size_t> shape{{"encoder", 1}, {"features", 2}, {"classifier", 1}};
  ASSERT_TRUE(waitFor([&] {
    return cluster.routedAs("share-a@1", shape) && cluster.routedAs("share-b@1", shape);
  }, 10'000)) << cluster.routes().dump();

  // One pool: the same workers serve encoder and features in both models; classifiers differ.
  const json routes = cluster.routes();
  auto workersOf = [&](const std::string& model, const std::string& stage) {
    std::set<std::string> out;
    for (const Replica& r : Cluster::replicas(routes, model, stage)) out.insert(r.worker);
    return out;
  };
  EXPECT_EQ(workersOf("share-a@1", "encoder"), workersOf("share-b@1", "encoder"));
  EXPECT_EQ(workersOf("share-a@1", "features"), workersOf("share-b@1", "features"));
  EXPECT_NE(workersOf("share-a@1", "classifier"), workersOf("share-b@1", "classifier"));
  size_t shared_stages = 0;
  const json models = cluster.call("models");
  for (const json& m : models["models"]) {
    for (const json& s : m["stages"]) shared_stages += s["shared_with"].empty() ? 0 : 1;
  }
  EXPECT_EQ(shared_stages, 4u) << "encoder and features, in each model: " << models.dump();

  // Both models serve at the same time through the shared workers, each bit-exact.
  auto client_a = cluster.makeClient(a);
  auto client_b = cluster.makeClient(b);
  ASSERT_NE(client_a, nullptr);
  ASSERT_NE(client_b, nullptr);
  const auto inputs = images(150, 123000);
  LoadRecord rec_a, rec_b;
  std::thread other([&] { rec_b = runClosedLoop(*client_b, b.model, inputs, 8, 15'000, 30'000); });
  rec_a = runClosedLoop(*client_a, a.model, inputs, 8, 15'000, 30'000);
  other.join();
  for (const LoadRecord* r : {&rec_a, &rec_b}) {
    ASSERT_FALSE(r->timed_out);
    EXPECT_TRUE(r->errors.empty()) << (r->error_messages.empty() ? "" : r->error_messages.front());
  }
  expectMatchesMonolith(a, rec_a, inputs);
  expectMatchesMonolith(b, rec_b, inputs);
  for (const std::string& w : workersOf("share-a@1", "features")) {
    EXPECT_GT(servedBy(rec_a, w), 0u) << w;
    EXPECT_GT(servedBy(rec_b, w), 0u) << w;
  }
  // The classifiers really differ, so the two models' results are not simply the same.
  size_t differ = 0;
  for (const auto& [id, out] : rec_a.results) {
    for (const auto& [id_b, out_b] : rec_b.results) {
      if (rec_a.input_of.at(id) == rec_b.input_of.at(id_b) && !(out == out_b)) ++differ;
    }
  }
  std::cout << "shared encoder/features pools served both models; " << differ << " of "
            << inputs.size() << " inputs classified differently by the two classifiers\n";
}

}  // namespace
}  // namespace spikeline::testing
