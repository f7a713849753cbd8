// External check: one LIF neuron exported by Norse (tests/nir/data/lif_norse.nir), driven
// by the input column of lif_norse.csv, must reproduce its spike column exactly and its membrane
// within 1e-6 on the CPU backend in float32.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
#include "hal/op_params.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::makeSpec;

struct Trace {
  std::vector<float> input, membrane, spike;
};

Trace readCsv(const std::string& path) {
  Trace tr;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string a, b, c;
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    std::getline(ss, c, ',');
    tr.input.push_back(std::stof(a));
    tr.membrane.push_back(std::stof(b));
    tr.spike.push_back(std::stof(c));
  }
  return tr;
}

TEST(LifNorseTest, ReproducesNorseTraceOfSingleNeuron) {
  // The repo's copy of shared/data/nir/lif_norse.csv (identical bytes; tests/nir/data/README.md),
  // so a clone tests on its own.
  const std::string path = std::string(SPIKELINE_SOURCE_DIR) + "/tests/nir/data/lif_norse.csv";
  ASSERT_TRUE(std::ifstream(path).good()) << "cannot read " << path;
  const Trace tr = readCsv(path);
  ASSERT_EQ(tr.input.size(), 1000u);
  const uint32_t steps = uint32_t(tr.input.size());
  auto backend = std::move(makeCpuBackend({})).value();

  // Values read with `h5dump lif_norse.nir` (all float32 datasets): node "0" Affine weight
  // [[1]], bias [0]; node "1" LIF tau 0.0025, r 1, v_leak 0, v_threshold 0.1. dt = 1e-4 and
  // reset to 0 come from /work/shared/data/README.md (NIR stores neither).
  OperatorSpec affine = makeSpec("linear", Shape{1});
  testing::setWeight(affine, "weight", Shape{1, 1}, {1.0f});
  testing::setWeight(affine, "bias", Shape{1}, {0.0f});
  OperatorSpec lif = makeSpec("lif", Shape{1});
  lif.params.set("tau", double(0.0025f));
  lif.params.set("r", 1.0);
  lif.params.set("v_leak", 0.0);
  lif.params.set("v_threshold", double(0.1f));
  lif.params.set("dt", 1e-4);
  lif.params.set("reset", std::string("value"));

  ASSERT_OK_AND_ASSIGN(
      Tensor current,
      testing::runOnce(*backend, affine, {testing::floats(Shape{1}, steps, tr.input)}));
  ASSERT_OK_AND_ASSIGN(Tensor out, testing::runOnce(*backend, lif, {current}));
  const auto& s = std::get<SpikeTensor>(out);
  int spikes = 0;
  for (uint32_t t = 0; t < steps; ++t) {
    EXPECT_EQ(s.get(t, 0), tr.spike[t] != 0.0f) << "step " << t;
    spikes += s.get(t, 0);
  }
  EXPECT_GT(spikes, 0);

  // The membrane after each step: the same update through the shared math (hal/math/neuron.h),
  // as the kernel applies it.
  ASSERT_OK_AND_ASSIGN(NeuronConfig c, neuronConfig(lif));
  float v = 0.0f;
  for (uint32_t t = 0; t < steps; ++t) {
    c.lif.step(v, std::get<DenseTensor>(current).floats()[t]);
    EXPECT_NEAR(v, tr.membrane[t], 1e-6) << "step " << t;
  }
}

}  // namespace
}  // namespace spikeline::hal
