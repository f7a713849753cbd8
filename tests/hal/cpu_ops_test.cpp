// Per-operator correctness of the CPU reference on small hand-computed cases, float32 and fixed.
#include <vector>

#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
#include "hal/math/hash.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::floats;
using testing::floatValues;
using testing::ints;
using testing::intValues;
using testing::makeSpec;
using testing::runOnce;
using testing::setWeight;
using testing::spikeRows;
using testing::spikes;
using V = std::vector<float>;
using VI = std::vector<int32_t>;
using Rows = std::vector<std::string>;

constexpr Precision kFixed = Precision::kFixed;

class CpuOpsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> cpu_ = std::move(makeCpuBackend({})).value();
};

TEST_F(CpuOpsTest, EncodeDirectRepeatsOneStepInputOverModelT) {
  RunContext ctx{1, 3};
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, makeSpec("encode_direct", Shape{2}),
                                         {floats(Shape{2}, 1, {0.5f, -1.0f})}, ctx));
  EXPECT_EQ(floatValues(f), (V{0.5f, -1.0f, 0.5f, -1.0f, 0.5f, -1.0f}));
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, makeSpec("encode_direct", Shape{2}, kFixed),
                                         {floats(Shape{2}, 1, {0.5f, -1.0f})}, ctx));
  EXPECT_EQ(intValues(q), (VI{512, -1024, 512, -1024, 512, -1024}));
}

TEST_F(CpuOpsTest, EncodeRateFollowsCounterHashOfRequest) {
  OperatorSpec spec = makeSpec("encode_rate", Shape{3});
  spec.params.set("seed", int64_t{42});
  const Tensor x = floats(Shape{3}, 1, {0.0f, 1.0f, 0.3f});
  ASSERT_OK_AND_ASSIGN(Tensor a, runOnce(*cpu_, spec, {x}, RunContext{7, 64}));
  ASSERT_OK_AND_ASSIGN(Tensor b, runOnce(*cpu_, spec, {x}, RunContext{7, 64}));
  ASSERT_OK_AND_ASSIGN(Tensor c, runOnce(*cpu_, spec, {x}, RunContext{8, 64}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto& s = std::get<SpikeTensor>(a);
  const uint64_t thr = math::rateThresholdFloat(double(0.3f));
  for (uint32_t t = 0; t < 64; ++t) {
    EXPECT_FALSE(s.get(t, 0));
    EXPECT_TRUE(s.get(t, 1));
    EXPECT_EQ(s.get(t, 2), math::rateSpike(42, 7, t, 2, thr)) << t;
  }
}

TEST_F(CpuOpsTest, EncodeLatencyFiresOnceEarlierForLargerValues) {
  const Tensor x = floats(Shape{3}, 1, {1.0f, 0.5f, 0.0f});
  const Rows want = {"100", "000", "010", "000", "000"};
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, makeSpec("encode_latency", Shape{3}), {x}, {1, 5}));
  EXPECT_EQ(spikeRows(f), want);
  ASSERT_OK_AND_ASSIGN(Tensor q,
                       runOnce(*cpu_, makeSpec("encode_latency", Shape{3}, kFixed), {x}, {1, 5}));
  EXPECT_EQ(spikeRows(q), want);
}

OperatorSpec linearSpec(Precision p) {
  OperatorSpec s = makeSpec("linear", Shape{2}, p);
  setWeight(s, "weight", Shape{2, 2}, {1, 2, 3, -1});
  setWeight(s, "bias", Shape{2}, {0.5f, 0});
  return s;
}

TEST_F(CpuOpsTest, LinearEventDrivenAndDensePathsAgree) {
  const Tensor x = spikes(Shape{2}, {"10", "11", "00"});
  for (double crossover : {0.0, 2.0}) {
    auto backend = std::move(makeCpuBackend({1, crossover})).value();
    ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*backend, linearSpec(Precision::kFloat32), {x}));
    EXPECT_EQ(floatValues(f), (V{1.5f, 3, 3.5f, 2, 0.5f, 0})) << crossover;
    // W_q = {32, 64, 96, -32} at 2^-5, bias 512 at 2^-10.
    ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*backend, linearSpec(kFixed), {x}));
    EXPECT_EQ(intValues(q), (VI{1536, 3072, 3584, 2048, 512, 0})) << crossover;
  }
  ASSERT_OK_AND_ASSIGN(
      Tensor d, runOnce(*cpu_, linearSpec(Precision::kFloat32), {floats(Shape{2}, 1, {1, 2})}));
  EXPECT_EQ(floatValues(d), (V{5.5f, 1}));
  ASSERT_OK_AND_ASSIGN(Tensor dq,
                       runOnce(*cpu_, linearSpec(kFixed), {ints(Shape{2}, 1, {-1, 2048})}));
  // o0: floor((32*-1 + 64*2048) / 32) + 512 = 4095 + 512; o1: floor((-96 - 65536) / 32) = -2051.
  EXPECT_EQ(intValues(dq), (VI{4607, -2051}));
}

// Per-row form: weight [3, 2] applied to each of the 2 rows of a [2, 2] input.
OperatorSpec rowLinearSpec(Precision p, Shape in = Shape{2, 2}) {
  OperatorSpec s = makeSpec("linear", std::move(in), p);
  setWeight(s, "weight", Shape{3, 2}, {1, 2, 3, -1, 0, 1});
  setWeight(s, "bias", Shape{3}, {0.5f, 0, -1});
  return s;
}

TEST_F(CpuOpsTest, LinearPerRowAppliesTheLayerToEveryRow) {
  const Tensor x = spikes(Shape{2, 2}, {"1001", "1111", "0000"});
  for (double crossover : {0.0, 2.0}) {
    auto backend = std::move(makeCpuBackend({1, crossover})).value();
    ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*backend, rowLinearSpec(Precision::kFloat32), {x}));
    EXPECT_EQ(tensorShape(f), (Shape{2, 3}));
    // Row 0 sees (1, 0) then (1, 1); row 1 sees (0, 1) then (1, 1).
    EXPECT_EQ(floatValues(f),
              (V{1.5f, 3, -1, 2.5f, -1, 0, 3.5f, 2, 0, 3.5f, 2, 0, 0.5f, 0, -1, 0.5f, 0, -1}))
        << crossover;
    // W_q = {32, 64, 96, -32, 0, 32} at 2^-5, bias {512, 0, -1024} at 2^-10.
    ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*backend, rowLinearSpec(kFixed), {x}));
    EXPECT_EQ(intValues(q), (VI{1536, 3072, -1024, 2560, -1024, 0, 3584, 2048, 0, 3584, 2048, 0,
                                512, 0, -1024, 512, 0, -1024}))
        << crossover;
  }
  ASSERT_OK_AND_ASSIGN(Tensor d, runOnce(*cpu_, rowLinearSpec(Precision::kFloat32),
                                         {floats(Shape{2, 2}, 1, {1, 2, -1, 0.5f})}));
  EXPECT_EQ(floatValues(d), (V{5.5f, 1, 1, 0.5f, -3.5f, -0.5f}));
  ASSERT_OK_AND_ASSIGN(Tensor dq, runOnce(*cpu_, rowLinearSpec(kFixed),
                                          {ints(Shape{2, 2}, 1, {-1, 2048, 1024, 0})}));
  // Row 0 as the flattening test above (o2: floor(65536 / 32) - 1024); row 1 = (1.0, 0).
  EXPECT_EQ(intValues(dq), (VI{4607, -2051, 1024, 1536, 3072, -1024}));
  ASSERT_OK_AND_ASSIGN(Tensor deep, runOnce(*cpu_, rowLinearSpec(kFixed, Shape{2, 1, 2}),
                                            {spikes(Shape{2, 1, 2}, {"1001"})}));
  EXPECT_EQ(tensorShape(deep), (Shape{2, 1, 3}));
  EXPECT_EQ(intValues(deep), (VI{1536, 3072, -1024, 2560, -1024, 0}));
}

OperatorSpec convSpec(Precision p, Shape in, Shape w, V values) {
  OperatorSpec s = makeSpec("conv2d", std::move(in), p);
  setWeight(s, "weight", std::move(w), std::move(values));
  return s;
}

TEST_F(CpuOpsTest, Conv2dScattersOneSpikeThroughFlippedKernel) {
  const Tensor x = spikes(Shape{1, 3, 3}, {"000010000"});
  for (double crossover : {0.0, 2.0}) {
    auto backend = std::move(makeCpuBackend({1, crossover})).value();
    ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*backend,
                                           convSpec(Precision::kFloat32, Shape{1, 3, 3},
                                                    Shape{1, 1, 2, 2}, {1, 2, 3, 4}),
                                           {x}));
    EXPECT_EQ(floatValues(f), (V{4, 3, 2, 1}));
    // max 4 -> shift 4 (64); a spike gives w_q << (10 - 4).
    ASSERT_OK_AND_ASSIGN(
        Tensor q,
        runOnce(*backend, convSpec(kFixed, Shape{1, 3, 3}, Shape{1, 1, 2, 2}, {1, 2, 3, 4}), {x}));
    EXPECT_EQ(intValues(q), (VI{4096, 3072, 2048, 1024}));
  }
}

TEST_F(CpuOpsTest, Conv2dStridePaddingDilationGroupsAndBatchNorm) {
  // Two groups of one channel each, stride 2, padding 1, dilation 2 on 3x3 -> 2x2 outputs.
  OperatorSpec s =
      convSpec(Precision::kFloat32, Shape{2, 3, 3}, Shape{2, 1, 2, 2}, {1, 0, 0, 0, 0, 0, 0, 1});
  s.params.set("groups", int64_t{2});
  s.params.set("stride", int64_t{2});
  s.params.set("padding", int64_t{1});
  s.params.set("dilation", int64_t{2});
  setWeight(s, "bn_weight", Shape{2}, {4, 1});
  setWeight(s, "bn_bias", Shape{2}, {0.5f, 0});
  setWeight(s, "bn_mean", Shape{2}, {1, 0});
  setWeight(s, "bn_var", Shape{2}, {3, 0});
  s.params.set("bn_eps", 1.0);  // channel 0: scale 4/sqrt(4) = 2, bias -2 + 0.5; channel 1: 1, 0
  V in(18);
  for (int i = 0; i < 18; ++i) in[i] = float(i + 1);
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, s, {floats(Shape{2, 3, 3}, 1, in)}));
  // ch0 tap (0,0) reads input (2*oy - 1, 2*ox - 1): only (1,1) is inside -> x0[1][1] = 5.
  // ch1 tap (1,1) reads (2*oy + 1, 2*ox + 1): (0,0) -> x1[1][1] = 14, others outside.
  EXPECT_EQ(floatValues(f), (V{-1.5f, -1.5f, -1.5f, 2 * 5 - 1.5f, 14, 0, 0, 0}));
}

TEST_F(CpuOpsTest, LifAndIfResetToValueAndBySubtraction) {
  const Tensor x = floats(Shape{1}, 6, {0.7f, 0.7f, 0.7f, 0.7f, 0.7f, 0.7f});
  const Tensor xq = ints(Shape{1}, 6, {717, 717, 717, 717, 717, 717});
  for (const char* reset : {"value", "subtract"}) {
    const Rows want = std::string(reset) == "value" ? Rows{"0", "1", "0", "1", "0", "1"}
                                                    : Rows{"0", "1", "1", "0", "1", "1"};
    for (Precision p : {Precision::kFloat32, kFixed}) {
      OperatorSpec s = makeSpec("if", Shape{1}, p);
      s.params.set("v_threshold", 1.0);
      s.params.set("reset", std::string(reset));
      ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {p == kFixed ? xq : x}));
      EXPECT_EQ(spikeRows(out), want) << reset;
    }
  }
  OperatorSpec lif = makeSpec("lif", Shape{1});
  lif.params.set("tau", 2.0);
  lif.params.set("dt", 1.0);
  lif.params.set("v_threshold", 1.0);  // v: 0.75, 1.125 -> spike, 0.75, 1.125 -> spike
  ASSERT_OK_AND_ASSIGN(Tensor out,
                       runOnce(*cpu_, lif, {floats(Shape{1}, 4, {1.5f, 1.5f, 1.5f, 1.5f})}));
  EXPECT_EQ(spikeRows(out), (Rows{"0", "1", "0", "1"}));
}

TEST_F(CpuOpsTest, LifThresholdIsStrict) {
  for (Precision p : {Precision::kFloat32, kFixed}) {
    OperatorSpec s = makeSpec("lif", Shape{1}, p);
    s.params.set("tau", 1.0);
    s.params.set("dt", 1.0);  // v = I each step
    s.params.set("v_threshold", 0.5);
    const Tensor x =
        p == kFixed ? ints(Shape{1}, 2, {512, 513}) : floats(Shape{1}, 2, {0.5f, 0.5001f});
    ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(out), (Rows{"0", "1"}));
  }
}

TEST_F(CpuOpsTest, RecurrentLifFeedsPreviousSpikesBack) {
  for (Precision p : {Precision::kFloat32, kFixed}) {
    OperatorSpec s = makeSpec("recurrent_lif", Shape{2}, p);
    s.params.set("tau", 1.0);
    s.params.set("dt", 1.0);
    s.params.set("v_threshold", 0.5);
    setWeight(s, "recurrent", Shape{2, 2}, {0, 0, 2, 0});  // neuron 1 <- 2 * s0(t-1)
    const Tensor x = p == kFixed ? ints(Shape{2}, 3, {1024, 0, 0, 0, 0, 0})
                                 : floats(Shape{2}, 3, {1, 0, 0, 0, 0, 0});
    ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(out), (Rows{"10", "01", "00"}));
  }
}

TEST_F(CpuOpsTest, PoolingMaxOrsSpikesAvgFloorsSumAdds) {
  OperatorSpec mp = makeSpec("maxpool2d", Shape{1, 2, 2});
  mp.params.set("kernel", int64_t{2});
  ASSERT_OK_AND_ASSIGN(Tensor m, runOnce(*cpu_, mp, {spikes(Shape{1, 2, 2}, {"0000", "0100"})}));
  EXPECT_EQ(spikeRows(m), (Rows{"0", "1"}));
  OperatorSpec ap = makeSpec("avgpool2d", Shape{1, 2, 2});
  ap.params.set("kernel", int64_t{2});
  ASSERT_OK_AND_ASSIGN(Tensor a, runOnce(*cpu_, ap, {floats(Shape{1, 2, 2}, 1, {1, 2, 3, 4})}));
  EXPECT_EQ(floatValues(a), (V{2.5f}));
  ap.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor aq, runOnce(*cpu_, ap, {ints(Shape{1, 2, 2}, 1, {1, 2, 3, -7})}));
  EXPECT_EQ(intValues(aq), (VI{-1}));  // floor(-1 / 4)
  OperatorSpec sp = makeSpec("sumpool2d", Shape{1, 3, 3}, kFixed);
  sp.params.set("kernel", int64_t{2});
  sp.params.set("stride", int64_t{2});
  sp.params.set("padding", int64_t{1});
  ASSERT_OK_AND_ASSIGN(Tensor s, runOnce(*cpu_, sp, {spikes(Shape{1, 3, 3}, {"110011001"})}));
  EXPECT_EQ(intValues(s), (VI{1024, 1024, 0, 3072}));
}

TEST_F(CpuOpsTest, FlattenAddAndIand) {
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, makeSpec("flatten", Shape{1, 2, 2}),
                                         {spikes(Shape{1, 2, 2}, {"0110"})}));
  EXPECT_EQ(tensorShape(f), (Shape{4}));
  EXPECT_EQ(spikeRows(f), (Rows{"0110"}));
  ASSERT_OK_AND_ASSIGN(Tensor a,
                       runOnce(*cpu_, makeSpec("add", Shape{2}),
                               {spikes(Shape{2}, {"10"}), floats(Shape{2}, 1, {0.5f, 0.5f})}));
  EXPECT_EQ(floatValues(a), (V{1.5f, 0.5f}));
  ASSERT_OK_AND_ASSIGN(Tensor aq,
                       runOnce(*cpu_, makeSpec("add", Shape{2}, kFixed),
                               {spikes(Shape{2}, {"10"}), ints(Shape{2}, 1, {INT32_MAX, 3})}));
  EXPECT_EQ(intValues(aq), (VI{INT32_MAX, 3}));  // saturates
  ASSERT_OK_AND_ASSIGN(Tensor i, runOnce(*cpu_, makeSpec("iand", Shape{4}),
                                         {spikes(Shape{4}, {"1100"}), spikes(Shape{4}, {"1010"})}));
  EXPECT_EQ(spikeRows(i), (Rows{"0010"}));
}

TEST_F(CpuOpsTest, ToTokensMovesChannelsLastKeepingTheKind) {
  // [C=2, H=1, W=3]: channel 0 = 101, channel 1 = 011 -> tokens (1,0), (0,1), (1,1).
  ASSERT_OK_AND_ASSIGN(Tensor s, runOnce(*cpu_, makeSpec("to_tokens", Shape{2, 1, 3}),
                                         {spikes(Shape{2, 1, 3}, {"101011", "000001"})}));
  EXPECT_EQ(tensorShape(s), (Shape{3, 2}));
  EXPECT_EQ(spikeRows(s), (Rows{"100111", "000001"}));
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, makeSpec("to_tokens", Shape{2, 2, 2}),
                                         {floats(Shape{2, 2, 2}, 1, {0, 1, 2, 3, 4, 5, 6, 7})}));
  EXPECT_EQ(tensorShape(f), (Shape{4, 2}));
  EXPECT_EQ(floatValues(f), (V{0, 4, 1, 5, 2, 6, 3, 7}));
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, makeSpec("to_tokens", Shape{2, 2, 1}, kFixed),
                                         {ints(Shape{2, 2, 1}, 2, {1, 2, 3, 4, 5, 6, 7, 8})}));
  EXPECT_EQ(intValues(q), (VI{1, 3, 2, 4, 5, 7, 6, 8}));
}

TEST_F(CpuOpsTest, SelfAttentionCountsSpikeCoincidencesPerHead) {
  const Tensor q = spikes(Shape{2, 2}, {"1011"}), k = spikes(Shape{2, 2}, {"1101"}),
               v = spikes(Shape{2, 2}, {"1001"});
  OperatorSpec s = makeSpec("self_attention", Shape{2, 2});
  s.params.set("scale", 0.5);
  ASSERT_OK_AND_ASSIGN(Tensor one, runOnce(*cpu_, s, {q, k, v}));
  EXPECT_EQ(floatValues(one), (V{0.5f, 0, 1, 0.5f}));
  s.params.set("heads", int64_t{2});
  ASSERT_OK_AND_ASSIGN(Tensor two, runOnce(*cpu_, s, {q, k, v}));
  EXPECT_EQ(floatValues(two), (V{0.5f, 0, 0.5f, 0.5f}));
  s.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor tq, runOnce(*cpu_, s, {q, k, v}));
  EXPECT_EQ(intValues(tq), (VI{512, 0, 512, 512}));
}

TEST_F(CpuOpsTest, GraphAggregateSumsWeightedNeighboursAndSelf) {
  OperatorSpec s = makeSpec("graph_aggregate", Shape{3, 1});
  s.params.set("edge_src", std::vector<int64_t>{0, 2, 1});
  s.params.set("edge_dst", std::vector<int64_t>{1, 1, 0});
  s.params.set("self_loops", true);
  setWeight(s, "edge_weight", Shape{3}, {2, 0.5f, 1});
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, s, {floats(Shape{3, 1}, 1, {1, 2, 3})}));
  EXPECT_EQ(floatValues(f), (V{3, 5.5f, 3}));
  s.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, s, {ints(Shape{3, 1}, 1, {1024, 2048, 3072})}));
  EXPECT_EQ(intValues(q), (VI{3072, 5632, 3072}));
}

TEST_F(CpuOpsTest, ReadoutCountsSpikesOrIntegratesMembrane) {
  OperatorSpec c = makeSpec("readout", Shape{2});
  ASSERT_OK_AND_ASSIGN(Tensor n, runOnce(*cpu_, c, {spikes(Shape{2}, {"10", "11", "01"})}));
  EXPECT_EQ(tensorTimesteps(n), 1u);
  EXPECT_EQ(floatValues(n), (V{2, 2}));
  c.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor nq, runOnce(*cpu_, c, {spikes(Shape{2}, {"10", "11", "01"})}));
  EXPECT_EQ(intValues(nq), (VI{2048, 2048}));
  OperatorSpec m = makeSpec("readout", Shape{1});
  m.params.set("mode", std::string("membrane"));
  m.params.set("tau", 2.0);
  m.params.set("dt", 1.0);
  ASSERT_OK_AND_ASSIGN(Tensor v, runOnce(*cpu_, m, {floats(Shape{1}, 2, {1, 1})}));
  EXPECT_EQ(floatValues(v), (V{0.75f}));
  m.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor vq, runOnce(*cpu_, m, {ints(Shape{1}, 2, {1024, 1024})}));
  EXPECT_EQ(intValues(vq), (VI{768}));
}

}  // namespace
}  // namespace spikeline::hal
