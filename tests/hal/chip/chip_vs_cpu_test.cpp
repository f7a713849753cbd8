// The emulated chip gives the CPU reference's results bit for bit in fixed precision, for every
// operator it runs, with operators spread over several small cores.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hal/chip/chip_backend.h"
#include "hal/cpu/cpu_backend.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/random_tensors.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::makeSpec;
using testing::runOnce;
using testing::setWeight;

constexpr Precision kFixed = Precision::kFixed;

std::vector<float> randomValues(size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Dense int32 activations in [-range, range] at 2^-10.
Tensor randomInts(const Shape& shape, uint32_t steps, int32_t range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> dist(-range, range);
  std::vector<int32_t> v(shape.numel() * steps);
  for (int32_t& x : v) x = dist(rng);
  return DenseTensor(shape, steps, std::move(v));
}

class ChipVsCpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ChipConfig config;
    config.name = "conformance";
    config.num_cores = 128;
    config.neurons_per_core = 37;  // odd sizes so slices straddle channels and rows
    config.synapse_entries_per_core = 4096;
    ASSERT_OK_AND_ASSIGN(chip_, makeChipBackend(ChipOptions{config, nullptr}));
    ASSERT_OK_AND_ASSIGN(cpu_, makeCpuBackend({}));
  }

  // Runs `spec` on both backends and expects identical tensors.
  void expectSame(const OperatorSpec& spec, const std::vector<Tensor>& inputs,
                  RunContext ctx = {7, 0}) {
    ASSERT_OK_AND_ASSIGN(Tensor want, runOnce(*cpu_, spec, inputs, ctx));
    ASSERT_OK_AND_ASSIGN(Tensor got, runOnce(*chip_, spec, inputs, ctx));
    EXPECT_TRUE(got == want) << spec.kind << " differs from the CPU reference";
  }

  std::unique_ptr<Backend> chip_, cpu_;
};

TEST_F(ChipVsCpuTest, LinearWithSpikeAndDenseInput) {
  OperatorSpec s = makeSpec("linear", Shape{2, 30}, kFixed);
  setWeight(s, "weight", Shape{90, 60}, randomValues(90 * 60, 1));
  setWeight(s, "bias", Shape{90}, randomValues(90, 2));
  expectSame(s, {spikeline::testing::randomSpikes(Shape{2, 30}, 5, 0.3, 3)});
  expectSame(s, {spikeline::testing::randomSpikes(Shape{2, 30}, 5, 0.9, 4)});
  expectSame(s, {randomInts(Shape{2, 30}, 5, 3000, 5)});
}

TEST_F(ChipVsCpuTest, PerRowLinearWithSlicesStraddlingRows) {
  // 37 neurons per core over rows of 11 outputs: slices start and end inside rows.
  for (const Shape& x : {Shape{9, 70}, Shape{2, 5, 70}}) {
    OperatorSpec s = makeSpec("linear", x, kFixed);
    setWeight(s, "weight", Shape{11, 70}, randomValues(11 * 70, 6));
    setWeight(s, "bias", Shape{11}, randomValues(11, 7));
    SCOPED_TRACE(x.toString());
    expectSame(s, {spikeline::testing::randomSpikes(x, 4, 0.03, 8)});
    expectSame(s, {spikeline::testing::randomSpikes(x, 4, 0.8, 9)});
    expectSame(s, {randomInts(x, 4, 3000, 10)});
  }
}

TEST_F(ChipVsCpuTest, ToTokensOfSpikesAndValues) {
  const Shape shape{6, 5, 7};  // 210 neurons: several cores
  expectSame(makeSpec("to_tokens", shape, kFixed),
             {spikeline::testing::randomSpikes(shape, 3, 0.4, 11)});
  expectSame(makeSpec("to_tokens", shape, kFixed), {randomInts(shape, 3, 1 << 30, 12)});
}

TEST_F(ChipVsCpuTest, Conv2dOverGeometries) {
  struct Case {
    uint32_t cin, cout, k, stride, pad, dil, groups;
  };
  for (const Case& c : {Case{2, 6, 3, 1, 0, 1, 1}, Case{4, 6, 3, 2, 1, 1, 2},
                        Case{3, 5, 2, 1, 2, 2, 1}, Case{4, 8, 1, 1, 0, 1, 4}}) {
    OperatorSpec s = makeSpec("conv2d", Shape{c.cin, 9, 11}, kFixed);
    const uint32_t cin_pg = c.cin / c.groups;
    setWeight(s, "weight", Shape{c.cout, cin_pg, c.k, c.k},
              randomValues(size_t(c.cout) * cin_pg * c.k * c.k, c.cout * 10 + c.k));
    setWeight(s, "bias", Shape{c.cout}, randomValues(c.cout, 9));
    s.params.set("stride", int64_t{c.stride});
    s.params.set("padding", int64_t{c.pad});
    s.params.set("dilation", int64_t{c.dil});
    s.params.set("groups", int64_t{c.groups});
    SCOPED_TRACE("cin " + std::to_string(c.cin) + " stride " + std::to_string(c.stride));
    expectSame(s, {spikeline::testing::randomSpikes(Shape{c.cin, 9, 11}, 3, 0.2, 11)});
    expectSame(s, {spikeline::testing::randomSpikes(Shape{c.cin, 9, 11}, 3, 0.8, 12)});
    expectSame(s, {randomInts(Shape{c.cin, 9, 11}, 3, 2048, 13)});
  }
}

TEST_F(ChipVsCpuTest, Conv2dWithFoldedBatchNorm) {
  OperatorSpec s = makeSpec("conv2d", Shape{2, 6, 6}, kFixed);
  setWeight(s, "weight", Shape{3, 2, 3, 3}, randomValues(54, 21));
  setWeight(s, "bn_weight", Shape{3}, {1.0f, 0.5f, 2.0f});
  setWeight(s, "bn_bias", Shape{3}, {0.1f, -0.2f, 0.0f});
  setWeight(s, "bn_mean", Shape{3}, {0.0f, 0.3f, -0.1f});
  setWeight(s, "bn_var", Shape{3}, {1.0f, 2.0f, 0.5f});
  expectSame(s, {spikeline::testing::randomSpikes(Shape{2, 6, 6}, 4, 0.4, 22)});
}

TEST_F(ChipVsCpuTest, NeuronsWithBothResets) {
  for (const char* kind : {"lif", "if"}) {
    for (const char* reset : {"value", "subtract"}) {
      OperatorSpec s = makeSpec(kind, Shape{5, 20}, kFixed);
      s.params.set("v_threshold", 0.6);
      s.params.set("v_reset", -0.1);
      s.params.set("reset", std::string(reset));
      if (std::string(kind) == "lif") {
        s.params.set("tau", 5e-3);
        s.params.set("v_leak", 0.05);
        s.params.set("r", 1.5);
      }
      SCOPED_TRACE(std::string(kind) + " " + reset);
      expectSame(s, {randomInts(Shape{5, 20}, 8, 900, 31)});
    }
  }
}

TEST_F(ChipVsCpuTest, RecurrentLifAcrossCores) {
  OperatorSpec s = makeSpec("recurrent_lif", Shape{60}, kFixed);
  s.params.set("tau", 2e-3);
  s.params.set("v_threshold", 0.3);
  setWeight(s, "recurrent", Shape{60, 60}, randomValues(3600, 41, -0.5f, 0.8f));
  expectSame(s, {randomInts(Shape{60}, 10, 1500, 42)});
}

// The NIR kinds with their neurons spread over cores of 37 (cuba_lif's recurrence crosses them).
TEST_F(ChipVsCpuTest, NirNeuronsAcrossCores) {
  for (const char* kind : {"li", "integrator", "cuba_li", "cuba_lif", "threshold"}) {
    OperatorSpec s = makeSpec(kind, Shape{3, 20}, kFixed);
    if (std::string(kind) == "li") s.params.set("tau", 4e-3);
    if (std::string(kind) == "integrator") s.params.set("dt", 0.2);
    if (std::string(kind).rfind("cuba", 0) == 0) {
      s.params.set("tau_syn", 2e-3);
      s.params.set("tau_mem", 5e-3);
      s.params.set("w_in", 3.0);
    }
    if (std::string(kind) == "cuba_lif" || std::string(kind) == "threshold")
      s.params.set("v_threshold", 0.3);
    expectSame(s, {randomInts(Shape{3, 20}, 12, 1500, 43)});
    expectSame(s, {spikeline::testing::randomSpikes(Shape{3, 20}, 12, 0.4, 44)});
  }
  OperatorSpec rec = makeSpec("cuba_lif", Shape{60}, kFixed);
  rec.params.set("tau_syn", 2e-3);
  rec.params.set("tau_mem", 4e-3);
  rec.params.set("w_in", 2.0);
  rec.params.set("v_threshold", 0.3);
  rec.params.set("reset", std::string("subtract"));
  setWeight(rec, "recurrent", Shape{60, 60}, randomValues(3600, 45, -0.5f, 0.8f));
  expectSame(rec, {randomInts(Shape{60}, 10, 1500, 46)});
  expectSame(rec, {spikeline::testing::randomSpikes(Shape{60}, 10, 0.3, 47)});
}

TEST_F(ChipVsCpuTest, DelayScaleAndConv1dAcrossCores) {
  OperatorSpec delay = makeSpec("delay", Shape{2, 50}, kFixed);
  delay.params.set("steps", int64_t{3});
  expectSame(delay, {spikeline::testing::randomSpikes(Shape{2, 50}, 8, 0.3, 48)});
  expectSame(delay, {randomInts(Shape{2, 50}, 8, 1500, 49)});
  OperatorSpec scale = makeSpec("scale", Shape{2, 50}, kFixed);
  setWeight(scale, "scale", Shape{2, 50}, randomValues(100, 50, -2.0f, 2.0f));
  expectSame(scale, {spikeline::testing::randomSpikes(Shape{2, 50}, 5, 0.3, 51)});
  expectSame(scale, {randomInts(Shape{2, 50}, 5, 1500, 52)});
  OperatorSpec conv = makeSpec("conv1d", Shape{4, 30}, kFixed);
  setWeight(conv, "weight", Shape{6, 2, 5}, randomValues(60, 53));
  setWeight(conv, "bias", Shape{6}, randomValues(6, 54));
  conv.params.set("groups", int64_t{2});
  conv.params.set("stride", int64_t{2});
  conv.params.set("padding", int64_t{2});
  expectSame(conv, {spikeline::testing::randomSpikes(Shape{4, 30}, 4, 0.3, 55)});
  expectSame(conv, {randomInts(Shape{4, 30}, 4, 1500, 56)});
}

TEST_F(ChipVsCpuTest, PoolingOfSpikesAndValues) {
  for (const char* kind : {"maxpool2d", "avgpool2d", "sumpool2d"}) {
    OperatorSpec s = makeSpec(kind, Shape{3, 9, 10}, kFixed);
    s.params.set("kernel", int64_t{3});
    s.params.set("stride", int64_t{2});
    s.params.set("padding", int64_t{1});
    SCOPED_TRACE(kind);
    expectSame(s, {spikeline::testing::randomSpikes(Shape{3, 9, 10}, 3, 0.3, 51)});
    expectSame(s, {randomInts(Shape{3, 9, 10}, 3, 5000, 52)});
  }
}

TEST_F(ChipVsCpuTest, FlattenAddAndIand) {
  const Shape shape{4, 5, 3};
  const Tensor a = spikeline::testing::randomSpikes(shape, 4, 0.5, 61);
  const Tensor b = spikeline::testing::randomSpikes(shape, 4, 0.5, 62);
  const Tensor d = randomInts(shape, 4, 1 << 30, 63);  // large: add must saturate alike
  expectSame(makeSpec("flatten", shape, kFixed), {a});
  expectSame(makeSpec("flatten", shape, kFixed), {d});
  expectSame(makeSpec("add", shape, kFixed), {a, d});
  expectSame(makeSpec("add", shape, kFixed), {d, d});
  expectSame(makeSpec("iand", shape, kFixed), {a, b});
}

TEST_F(ChipVsCpuTest, EncodersOverTheModelT) {
  const Tensor x = spikeline::testing::randomFloats(Shape{70}, 1, -0.2f, 1.2f, 71);
  expectSame(makeSpec("encode_direct", Shape{70}, kFixed), {x}, RunContext{3, 6});
  OperatorSpec rate = makeSpec("encode_rate", Shape{70}, kFixed);
  rate.params.set("seed", int64_t{9});
  rate.params.set("gain", 0.8);
  expectSame(rate, {x}, RunContext{3, 16});
  expectSame(rate, {randomInts(Shape{70}, 4, 1024, 72)}, RunContext{5, 0});
  OperatorSpec latency = makeSpec("encode_latency", Shape{70}, kFixed);
  latency.params.set("threshold", 0.1);
  expectSame(latency, {x}, RunContext{3, 12});
}

TEST_F(ChipVsCpuTest, ReadoutCountsAndMembrane) {
  expectSame(makeSpec("readout", Shape{50}, kFixed),
             {spikeline::testing::randomSpikes(Shape{50}, 9, 0.4, 81)});
  OperatorSpec m = makeSpec("readout", Shape{50}, kFixed);
  m.params.set("mode", std::string("membrane"));
  m.params.set("tau", 4e-3);
  expectSame(m, {randomInts(Shape{50}, 9, 4000, 82)});
}

TEST_F(ChipVsCpuTest, GraphAggregateWithAndWithoutSelfLoops) {
  std::mt19937_64 rng(101);
  std::uniform_int_distribution<int64_t> node(0, 29);
  std::vector<int64_t> src, dst;
  for (int e = 0; e < 120; ++e) {
    src.push_back(node(rng));
    dst.push_back(node(rng));
  }
  for (bool loops : {false, true}) {
    OperatorSpec s = makeSpec("graph_aggregate", Shape{30, 7}, kFixed);
    s.params.set("edge_src", src);
    s.params.set("edge_dst", dst);
    s.params.set("self_loops", loops);
    setWeight(s, "edge_weight", Shape{120}, randomValues(120, 102));
    SCOPED_TRACE(loops ? "self loops" : "no self loops");
    expectSame(s, {spikeline::testing::randomSpikes(Shape{30, 7}, 4, 0.3, 103)});
    expectSame(s, {randomInts(Shape{30, 7}, 4, 3000, 104)});
  }
}

TEST_F(ChipVsCpuTest, ConvLifPoolLinearChain) {
  OperatorSpec conv = makeSpec("conv2d", Shape{1, 12, 12}, kFixed);
  setWeight(conv, "weight", Shape{4, 1, 3, 3}, randomValues(36, 91, -0.4f, 1.0f));
  OperatorSpec lif1 = makeSpec("lif", Shape{4, 10, 10}, kFixed);
  lif1.params.set("tau", 2e-3);
  lif1.params.set("v_threshold", 0.2);
  OperatorSpec pool = makeSpec("maxpool2d", Shape{4, 10, 10}, kFixed);
  pool.params.set("kernel", int64_t{2});
  OperatorSpec flat = makeSpec("flatten", Shape{4, 5, 5}, kFixed);
  OperatorSpec fc = makeSpec("linear", Shape{100}, kFixed);
  setWeight(fc, "weight", Shape{10, 100}, randomValues(1000, 92));
  OperatorSpec lif2 = makeSpec("lif", Shape{10}, kFixed);
  lif2.params.set("tau", 3e-3);
  lif2.params.set("v_threshold", 0.1);
  Tensor x_cpu = spikeline::testing::randomSpikes(Shape{1, 12, 12}, 12, 0.3, 93);
  Tensor x_chip = x_cpu;
  for (const OperatorSpec* s : {&conv, &lif1, &pool, &flat, &fc, &lif2}) {
    ASSERT_OK_AND_ASSIGN(x_cpu, runOnce(*cpu_, *s, {x_cpu}));
    ASSERT_OK_AND_ASSIGN(x_chip, runOnce(*chip_, *s, {x_chip}));
    ASSERT_TRUE(x_chip == x_cpu) << "after " << s->kind;
  }
  EXPECT_GT(std::get<SpikeTensor>(x_chip).countSpikes(), 0u);  // the chain carries activity
}

}  // namespace
}  // namespace spikeline::hal
