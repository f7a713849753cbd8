// Every shipped model file (topology/models/*.yaml) and the finest granularity variants
// (tests/models/data/*_finest.yaml), deployed on a real broker (redis-server +
// spikeline-broker, tests/e2e/cluster.h) over real `spikeline-worker --broker` processes (two
// emulated chips for fixed models, a cpu worker per stage) and served end to end: every request
// of 48 Fashion-MNIST test images gets exactly one result, bit-identical to the in-process
// monolith on the CPU.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "tests/e2e/cluster.h"
#include "tests/models/model_zoo.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;

std::vector<std::string> servedFiles() {
  std::set<std::string> files;
  for (const auto& dir : {kZooDir, kZooData}) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() != ".yaml") continue;
      if (dir == kZooData && !name.ends_with("_finest.yaml")) continue;
      files.insert(e.path().string());
    }
  }
  return {files.begin(), files.end()};
}

// Copies a model file and its weight files into `dir`, flat (a weight path like
// ../../../topology/models/x.safetensors becomes x.safetensors), as a user deploying from one
// folder would have them. Returns the copy's path.
std::filesystem::path copyModel(const std::filesystem::path& yaml, const std::filesystem::path& dir) {
  std::ifstream in(yaml);
  std::string text, line;
  while (std::getline(in, line)) {
    const std::string key = "    path: ";
    if (line.starts_with(key)) {
      const std::filesystem::path weights = yaml.parent_path() / line.substr(key.size());
      std::filesystem::copy_file(weights, dir / weights.filename(),
                                 std::filesystem::copy_options::overwrite_existing);
      line = key + weights.filename().string();
    }
    text += line + "\n";
  }
  const auto out = dir / yaml.filename();
  std::ofstream(out) << text;
  return out;
}

class ServingTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServingTest, DeploysAndServesBitIdenticalToTheMonolith) {
  const std::filesystem::path path = GetParam();
  const Topology t = loadModel(path);
  ASSERT_FALSE(t.stages.empty());
  Cluster cluster;
  ASSERT_TRUE(cluster.brokerReady()) << cluster.broker().log();
  if (t.precision == Precision::kFixed) {
    for (const char* n : {"chip-0", "chip-1"}) ASSERT_EQ(cluster.startWorker(n, "chip"), "");
  }
  size_t wanted = 0;
  for (const Stage& s : t.stages) wanted += s.placement.replicas + s.placement.standby;
  for (size_t i = 0; i < wanted; ++i) {
    ASSERT_EQ(cluster.startWorker("cpu-" + std::to_string(i), "cpu"), "");
  }
  auto deployed = cluster.deploy(copyModel(path, cluster.dir()));
  ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
  std::map<std::string, size_t> shape;
  for (const Stage& s : t.stages) shape[s.name] = s.placement.replicas;
  const std::string model = t.model.toString();
  ASSERT_TRUE(waitFor([&] { return cluster.routedAs(model, shape); }, 20'000))
      << cluster.routes().dump();

  auto inputs = zooInputs(t, 48, {});
  ASSERT_TRUE(inputs.isOk()) << inputs.status().toString();
  auto client = cluster.makeClient(t);
  ASSERT_NE(client, nullptr);
  const LoadRecord rec = runClosedLoop(*client, t.model, inputs->tensors, 8, 10'000, 60'000);
  EXPECT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << (rec.error_messages.empty() ? "" : rec.error_messages[0]);
  expectMatchesMonolith(t, rec, inputs->tensors);
  std::cout << "[ zoo ] " << model << ": " << rec.completed << " served through "
            << t.stages.size() << " stages\n";
}

// The 3-class model reuses the SCNN's trained encoder and features (same operator identity):
// deployed together, the broker serves those stages from one pool, `models` says so, and both
// models answer through the shared workers, each bit-identical to its own monolith.
TEST(ZooSharingTest, ScnnAndGroup3ShareEncoderAndFeaturesPools) {
  Cluster cluster;
  ASSERT_TRUE(cluster.brokerReady()) << cluster.broker().log();
  const Topology scnn = loadModel(kZooDir / "fmnist_scnn.yaml");
  const Topology group3 = loadModel(kZooDir / "fmnist_group3.yaml");
  for (const char* n : {"chip-0", "chip-1", "chip-2"}) ASSERT_EQ(cluster.startWorker(n, "chip"), "");
  for (const char* n : {"cpu-0", "cpu-1", "cpu-2"}) ASSERT_EQ(cluster.startWorker(n, "cpu"), "");
  for (const char* f : {"fmnist_scnn.yaml", "fmnist_group3.yaml"}) {
    auto d = cluster.deploy(copyModel(kZooDir / f, cluster.dir()));
    ASSERT_TRUE(d.isOk()) << d.status().toString();
  }
  const std::map<std::string, size_t> shape{{"encoder", 1}, {"features", 2}, {"classifier", 1}};
  ASSERT_TRUE(waitFor([&] {
    return cluster.routedAs("fmnist-scnn@1", shape) && cluster.routedAs("fmnist-group3@1", shape);
  }, 20'000)) << cluster.routes().dump();
  std::set<std::string> shared;
  const json models = cluster.call("models");
  for (const json& m : models["models"]) {
    for (const json& s : m["stages"]) {
      if (s["shared_with"].empty()) continue;
      shared.insert(m["name"].get<std::string>() + "@" + std::to_string(m["version"].get<int>()) +
                    "/" + s["name"].get<std::string>());
    }
  }
  EXPECT_EQ(shared, (std::set<std::string>{"fmnist-scnn@1/encoder", "fmnist-scnn@1/features",
                                           "fmnist-group3@1/encoder", "fmnist-group3@1/features"}))
      << models.dump();
  for (const Topology* t : {&scnn, &group3}) {
    auto inputs = zooInputs(*t, 32, {});
    ASSERT_TRUE(inputs.isOk());
    auto client = cluster.makeClient(*t);
    ASSERT_NE(client, nullptr);
    const LoadRecord rec = runClosedLoop(*client, t->model, inputs->tensors, 8, 10'000, 60'000);
    EXPECT_TRUE(rec.errors.empty()) << (rec.error_messages.empty() ? "" : rec.error_messages[0]);
    expectMatchesMonolith(*t, rec, inputs->tensors);
  }
}

std::string nameOf(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = std::filesystem::path(info.param).stem().string();
  std::erase(s, '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Shipped, ServingTest, ::testing::ValuesIn(servedFiles()), nameOf);

}  // namespace
}  // namespace spikeline::testing
