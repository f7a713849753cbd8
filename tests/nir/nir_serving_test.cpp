// An imported NIR model served end to end. The Braille RNN of the NIR paper
// (braille_noDelay_noBias_subtract.nir: Linear -> CubaLIF(40) with its recurrent Linear ->
// Linear -> CubaLIF(7)), imported with `spikeline import-nir --reset subtract` one stage per
// layer, deployed on a real broker (redis-server + spikeline-broker) over real worker processes
// (two emulated chips and CPU workers), fed random spike trains through the client library: every
// request gets one result, and the results equal `spikeline run` on the same inputs — bit for bit
// in fixed precision (the recurrent stage runs on the chip), and in float32 on CPU workers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <random>

#include "npy/npy.h"
#include "tests/e2e/cluster.h"
#include "tests/nir/nir_test_util.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;

int runCli(const std::string& args, std::string* output = nullptr) {
  const std::string command = std::string("'") + SPIKELINE_CLI_PATH + "' " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

constexpr uint32_t kSteps = 48;
constexpr size_t kSamples = 24;

// Random Braille-like event trains: [T, 12] spikes at 15% density.
std::vector<Tensor> spikeTrains(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution on(0.15);
  std::vector<Tensor> out;
  for (size_t n = 0; n < kSamples; ++n) {
    SpikeTensor s(Shape{12}, kSteps);
    for (uint32_t t = 0; t < kSteps; ++t) {
      for (uint32_t i = 0; i < 12; ++i) s.set(t, i, on(rng));
    }
    out.emplace_back(std::move(s));
  }
  return out;
}

std::vector<float> asFloats(const Tensor& y) {
  std::vector<float> v;
  const auto& s = std::get<SpikeTensor>(y);
  for (uint32_t t = 0; t < s.timesteps(); ++t) {
    for (uint32_t i = 0; i < s.shape().numel(); ++i) v.push_back(s.get(t, i) ? 1.0f : 0.0f);
  }
  return v;
}

// `spikeline run` on the inputs: the outputs, one vector per sample.
std::vector<std::vector<float>> runMonolithCli(const std::filesystem::path& yaml,
                                               const std::vector<Tensor>& inputs,
                                               const std::filesystem::path& dir) {
  std::vector<float> x;
  for (const Tensor& in : inputs) {
    const auto v = asFloats(in);
    x.insert(x.end(), v.begin(), v.end());
  }
  EXPECT_TRUE(npy::writeFile(dir / "x.npy", npy::encodeFloat32({kSamples, kSteps, 12}, x)).isOk());
  std::string out;
  EXPECT_EQ(runCli("run '" + yaml.string() + "' --input '" + (dir / "x.npy").string() +
                       "' --output '" + (dir / "y.npy").string() + "' --quiet",
                   &out),
            0)
      << out;
  auto y = npy::readFile(dir / "y.npy");
  EXPECT_TRUE(y.isOk()) << y.status().toString();
  std::vector<std::vector<float>> per(kSamples);
  if (!y.isOk() || y->shape != std::vector<uint64_t>{kSamples, kSteps, 7}) return per;
  for (size_t n = 0; n < kSamples; ++n) {
    per[n].assign(y->values.begin() + long(n * kSteps * 7), y->values.begin() + long((n + 1) * kSteps * 7));
  }
  return per;
}

struct Served {
  LoadRecord rec;
  std::vector<std::vector<float>> cli;
  Topology topology;
};

Served serveBraille(const std::string& precision, bool with_chips) {
  Served s;
  Cluster cluster;
  EXPECT_TRUE(cluster.brokerReady()) << cluster.broker().log();
  std::string out;
  const int rc = runCli("import-nir '" + nir::testing::dataPath("braille_noDelay_noBias_subtract.nir") +
                            "' --dt 1e-4 --reset subtract --precision " + precision +
                            " --timesteps " + std::to_string(kSteps) + " --name braille --out '" +
                            cluster.dir().string() + "'",
                        &out);
  EXPECT_EQ(rc, 0) << out;
  const auto yaml = cluster.dir() / "braille.yaml";
  s.topology = loadModel(yaml);
  EXPECT_EQ(s.topology.stages.size(), 4u);
  if (with_chips) {
    for (const char* n : {"chip-0", "chip-1"}) EXPECT_EQ(cluster.startWorker(n, "chip"), "");
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(cluster.startWorker("cpu-" + std::to_string(i), "cpu"), "");
  auto deployed = cluster.deploy(yaml);
  EXPECT_TRUE(deployed.isOk()) << deployed.status().toString();
  std::map<std::string, size_t> shape;
  for (const Stage& st : s.topology.stages) shape[st.name] = 1;
  EXPECT_TRUE(waitFor([&] { return cluster.routedAs("braille@1", shape); }, 20'000))
      << cluster.routes().dump();
  const std::vector<Tensor> inputs = spikeTrains(42);
  auto client = cluster.makeClient(s.topology);
  if (client == nullptr) return s;
  s.rec = runClosedLoop(*client, s.topology.model, inputs, 8, 10'000, 60'000);
  EXPECT_FALSE(s.rec.timed_out);
  EXPECT_TRUE(s.rec.errors.empty()) << (s.rec.error_messages.empty() ? "" : s.rec.error_messages[0]);
  EXPECT_EQ(s.rec.completed, kSamples);
  if (with_chips) {
    EXPECT_GT(servedBy(s.rec, "chip-0") + servedBy(s.rec, "chip-1"), 0u) << "no stage ran on a chip";
  }
  s.cli = runMonolithCli(yaml, inputs, cluster.dir());
  return s;
}

TEST(NirServingTest, BrailleRnnFixedOnChipsIsBitIdenticalToSpikelineRun) {
  Served s = serveBraille("fixed", true);
  uint64_t spikes = 0;
  for (const auto& [id, out] : s.rec.results) {
    const std::vector<float> got = asFloats(out);
    EXPECT_EQ(got, s.cli[s.rec.input_of.at(id)]) << "request " << id;
    for (float v : got) spikes += v != 0;
  }
  EXPECT_GT(spikes, 0u) << "the output layer never spiked: the comparison would be vacuous";
  std::cout << "[ nir ] braille fixed: " << s.rec.completed << " requests through 4 stages, "
            << spikes << " output spikes, identical to spikeline run\n";
}

TEST(NirServingTest, BrailleRnnFloat32MatchesSpikelineRun) {
  Served s = serveBraille("float32", false);
  size_t differ = 0, total = 0;
  for (const auto& [id, out] : s.rec.results) {
    const std::vector<float> got = asFloats(out);
    const std::vector<float>& want = s.cli[s.rec.input_of.at(id)];
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < got.size(); ++k) differ += got[k] != want[k];
    total += got.size();
  }
  // Same CPU kernels on both sides: float32 too is expected identical; the tolerance of
  // docs/operators.md (a spike may flip where a membrane ties its threshold) is the bound.
  EXPECT_LE(differ * 100, total) << differ << " of " << total << " outputs differ";
}

}  // namespace
}  // namespace spikeline::testing
