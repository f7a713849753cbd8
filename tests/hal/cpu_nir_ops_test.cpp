// The CPU reference of the NIR kinds on small hand-computed cases, float32 and fixed: cuba_lif
// (and its recurrence), cuba_li, li, integrator, threshold, if's gain, delay, scale, conv1d (by
// hand and against conv2d on [C, 1, L]).
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
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

constexpr Precision kFloat = Precision::kFloat32;
constexpr Precision kFixed = Precision::kFixed;

class CpuNirOpsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> cpu_ = std::move(makeCpuBackend({})).value();
};

// dt = 1, tau_syn = 2, tau_mem = 4 (alphas 0.5 and 0.25, exact in both precisions), w_in = r = 2.
OperatorSpec cuba(const std::string& kind, Shape in, Precision p) {
  OperatorSpec s = makeSpec(kind, std::move(in), p);
  s.params.set("dt", 1.0);
  s.params.set("tau_syn", 2.0);
  s.params.set("tau_mem", 4.0);
  s.params.set("w_in", 2.0);
  s.params.set("r", 2.0);
  if (kind == "cuba_lif") s.params.set("v_threshold", 1.0);
  return s;
}

// x = 1, 1, 0:  t0  i = 0.5 * 2 = 1,                v = 0.25 * 2 * 1 = 0.5
//               t1  i = 1 + 0.5 * (-1 + 2) = 1.5,   v = 0.5 + 0.25 * (-0.5 + 3) = 1.125 -> spike, 0
//               t2  i = 1.5 + 0.5 * (-1.5) = 0.75,  v = 0.25 * 1.5 = 0.375
TEST_F(CpuNirOpsTest, CubaLifIntegratesTheNewCurrentThenSpikes) {
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, cuba("cuba_lif", Shape{1}, kFloat),
                                         {floats(Shape{1}, 3, {1, 1, 0})}));
  EXPECT_EQ(spikeRows(f), (Rows{"0", "1", "0"}));
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, cuba("cuba_lif", Shape{1}, kFixed),
                                         {ints(Shape{1}, 3, {1024, 1024, 0})}));
  EXPECT_EQ(spikeRows(q), (Rows{"0", "1", "0"}));
  // Spikes in count 1.0: the same trace.
  ASSERT_OK_AND_ASSIGN(Tensor s, runOnce(*cpu_, cuba("cuba_lif", Shape{1}, kFixed),
                                         {spikes(Shape{1}, {"1", "1", "0"})}));
  EXPECT_EQ(spikeRows(s), (Rows{"0", "1", "0"}));
}

// Without a threshold the membrane continues: t2 v = 1.125 + 0.25 * (-1.125 + 1.5) = 1.21875.
TEST_F(CpuNirOpsTest, CubaLiEmitsTheMembraneEveryStep) {
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, cuba("cuba_li", Shape{1}, kFloat),
                                         {floats(Shape{1}, 3, {1, 1, 0})}));
  EXPECT_EQ(floatValues(f), (V{0.5f, 1.125f, 1.21875f}));
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, cuba("cuba_li", Shape{1}, kFixed),
                                         {ints(Shape{1}, 3, {1024, 1024, 0})}));
  EXPECT_EQ(intValues(q), (VI{512, 1152, 1248}));
}

// Neuron 1 hears 4 * s0[t-1]: at t2 x' = 4, i = 0.5 * 2 * 4 = 4, v = 0.25 * 2 * 4 = 2 -> spike.
TEST_F(CpuNirOpsTest, CubaLifRecurrenceAddsToTheInputBeforeTheSynapse) {
  for (Precision p : {kFloat, kFixed}) {
    OperatorSpec s = cuba("cuba_lif", Shape{2}, p);
    setWeight(s, "recurrent", Shape{2, 2}, {0, 0, 4, 0});
    const Tensor x = p == kFixed ? ints(Shape{2}, 3, {1024, 0, 1024, 0, 0, 0})
                                 : floats(Shape{2}, 3, {1, 0, 1, 0, 0, 0});
    ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(out), (Rows{"00", "10", "01"}));
  }
}

// x = 1, 1, 0, 1. subtract: t1 v = 1.125 - 1 = 0.125, t2 0.125 + 0.25 * (-0.125 + 1.5) = 0.46875,
// t3 i = 0.75 + 0.5 * (-0.75 + 2) = 1.375, v = 0.46875 + 0.25 * (-0.46875 + 2.75) = 1.0390625 ->
// spike. value: t2 v = 0.375, t3 0.375 + 0.25 * (-0.375 + 2.75) = 0.96875 -> none.
TEST_F(CpuNirOpsTest, CubaLifSubtractResetKeepsTheExcess) {
  for (Precision p : {kFloat, kFixed}) {
    const Tensor x =
        p == kFixed ? ints(Shape{1}, 4, {1024, 1024, 0, 1024}) : floats(Shape{1}, 4, {1, 1, 0, 1});
    OperatorSpec s = cuba("cuba_lif", Shape{1}, p);
    ASSERT_OK_AND_ASSIGN(Tensor value, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(value), (Rows{"0", "1", "0", "0"}));
    s.params.set("reset", std::string("subtract"));
    ASSERT_OK_AND_ASSIGN(Tensor subtract, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(subtract), (Rows{"0", "1", "0", "1"}));
  }
}

// li: tau = 2, dt = 1, v_leak = 0.5: v = 0 + 0.5 * (0.5 + 1) = 0.75, then 0.75 + 0.5 * 0.75.
TEST_F(CpuNirOpsTest, LiLeaksTowardVLeak) {
  for (Precision p : {kFloat, kFixed}) {
    OperatorSpec s = makeSpec("li", Shape{1}, p);
    s.params.set("tau", 2.0);
    s.params.set("dt", 1.0);
    s.params.set("v_leak", 0.5);
    ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {spikes(Shape{1}, {"1", "1"})}));
    if (p == kFixed) {
      EXPECT_EQ(intValues(out), (VI{768, 1152}));
    } else {
      EXPECT_EQ(floatValues(out), (V{0.75f, 1.125f}));
    }
  }
}

// integrator: v += dt * r * x with r = 2, dt = 0.5: 1, 1.5, 0.5 (no leak).
TEST_F(CpuNirOpsTest, IntegratorSumsWithoutLeak) {
  OperatorSpec s = makeSpec("integrator", Shape{1});
  s.params.set("r", 2.0);
  s.params.set("dt", 0.5);
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, s, {floats(Shape{1}, 3, {1, 0.5f, -1})}));
  EXPECT_EQ(floatValues(f), (V{1.0f, 1.5f, 0.5f}));
  s.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, s, {ints(Shape{1}, 3, {1024, 512, -1024})}));
  EXPECT_EQ(intValues(q), (VI{1024, 1536, 512}));
  ASSERT_OK_AND_ASSIGN(Tensor sp, runOnce(*cpu_, s, {spikes(Shape{1}, {"1", "0", "1"})}));
  EXPECT_EQ(intValues(sp), (VI{1024, 1024, 2048}));
}

TEST_F(CpuNirOpsTest, ThresholdIsStrictAndStateless) {
  for (Precision p : {kFloat, kFixed}) {
    OperatorSpec s = makeSpec("threshold", Shape{3}, p);
    s.params.set("v_threshold", 0.5);
    const Tensor x = p == kFixed ? ints(Shape{3}, 2, {512, 513, -1024, 600, 0, 0})
                                 : floats(Shape{3}, 2, {0.5f, 0.5001f, -1, 0.6f, 0, 0});
    ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(out), (Rows{"010", "100"}));
    ASSERT_OK_AND_ASSIGN(Tensor sp, runOnce(*cpu_, s, {spikes(Shape{3}, {"101"})}));
    EXPECT_EQ(spikeRows(sp), (Rows{"101"}));  // a spike counts 1.0 > 0.5
  }
}

// if with gain 0.5: v = 0.5, 1.0 (not > 1), 1.5 -> spike.
TEST_F(CpuNirOpsTest, IfGainScalesTheInput) {
  for (Precision p : {kFloat, kFixed}) {
    OperatorSpec s = makeSpec("if", Shape{1}, p);
    s.params.set("v_threshold", 1.0);
    s.params.set("gain", 0.5);
    const Tensor x =
        p == kFixed ? ints(Shape{1}, 3, {1024, 1024, 1024}) : floats(Shape{1}, 3, {1, 1, 1});
    ASSERT_OK_AND_ASSIGN(Tensor out, runOnce(*cpu_, s, {x}));
    EXPECT_EQ(spikeRows(out), (Rows{"0", "0", "1"}));
  }
}

TEST_F(CpuNirOpsTest, DelayShiftsInTimeAndKeepsTheKind) {
  OperatorSpec s = makeSpec("delay", Shape{2});
  s.params.set("steps", int64_t{2});
  ASSERT_OK_AND_ASSIGN(Tensor sp, runOnce(*cpu_, s, {spikes(Shape{2}, {"10", "01", "11", "00"})}));
  EXPECT_EQ(spikeRows(sp), (Rows{"00", "00", "10", "01"}));
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, s, {floats(Shape{2}, 3, {1, 2, 3, 4, 5, 6})}));
  EXPECT_EQ(floatValues(f), (V{0, 0, 0, 0, 1, 2}));
  s.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, s, {ints(Shape{2}, 3, {1, 2, 3, 4, 5, 6})}));
  EXPECT_EQ(intValues(q), (VI{0, 0, 0, 0, 1, 2}));
  s.params.set("steps", int64_t{5});  // longer than the frame: nothing arrives
  ASSERT_OK_AND_ASSIGN(Tensor none, runOnce(*cpu_, s, {ints(Shape{2}, 3, {1, 2, 3, 4, 5, 6})}));
  EXPECT_EQ(intValues(none), (VI{0, 0, 0, 0, 0, 0}));
}

// scale [2, -0.5]; fixed: shift 5 (2 * 2^5 = 64 <= 127), w_q = [64, -16].
TEST_F(CpuNirOpsTest, ScaleMultipliesElementwise) {
  OperatorSpec s = makeSpec("scale", Shape{2});
  setWeight(s, "scale", Shape{2}, {2.0f, -0.5f});
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, s, {floats(Shape{2}, 1, {1, 4})}));
  EXPECT_EQ(floatValues(f), (V{2.0f, -2.0f}));
  ASSERT_OK_AND_ASSIGN(Tensor fs, runOnce(*cpu_, s, {spikes(Shape{2}, {"11", "01"})}));
  EXPECT_EQ(floatValues(fs), (V{2.0f, -0.5f, 0.0f, -0.5f}));
  s.precision = kFixed;
  ASSERT_OK_AND_ASSIGN(Tensor q, runOnce(*cpu_, s, {ints(Shape{2}, 1, {1024, 4096})}));
  EXPECT_EQ(intValues(q), (VI{2048, -2048}));
  ASSERT_OK_AND_ASSIGN(Tensor qs, runOnce(*cpu_, s, {spikes(Shape{2}, {"11", "01"})}));
  EXPECT_EQ(intValues(qs), (VI{2048, -512, 0, -512}));
}

TEST_F(CpuNirOpsTest, Conv1dByHand) {
  OperatorSpec s = makeSpec("conv1d", Shape{1, 4});
  setWeight(s, "weight", Shape{1, 1, 2}, {1, 2});
  ASSERT_OK_AND_ASSIGN(Tensor f, runOnce(*cpu_, s, {floats(Shape{1, 4}, 1, {1, 2, 3, 4})}));
  EXPECT_EQ(std::get<DenseTensor>(f).shape(), (Shape{1, 3}));
  EXPECT_EQ(floatValues(f), (V{5, 8, 11}));
}

// conv1d equals conv2d on [C, 1, L] with a [Cout, Cin/g, 1, k] kernel, in both precisions and
// for spikes and values (groups 2, stride 2, padding 1, dilation 2).
TEST_F(CpuNirOpsTest, Conv1dIsConv2dOnOneRow) {
  const std::vector<float> w = {0.5f, -0.25f, 1.0f,  0.75f, -1.0f, 0.125f,
                                0.3f, 0.2f,   -0.6f, 0.9f,  0.4f,  -0.8f};
  const std::vector<float> b = {0.1f, -0.2f, 0.3f, 0.05f};
  for (Precision p : {kFloat, kFixed}) {
    OperatorSpec c1 = makeSpec("conv1d", Shape{2, 9}, p);
    setWeight(c1, "weight", Shape{4, 1, 3}, w);
    setWeight(c1, "bias", Shape{4}, b);
    c1.params.set("groups", int64_t{2});
    c1.params.set("stride", int64_t{2});
    c1.params.set("padding", int64_t{1});
    c1.params.set("dilation", int64_t{2});
    OperatorSpec c2 = makeSpec("conv2d", Shape{2, 1, 9}, p);
    setWeight(c2, "weight", Shape{4, 1, 1, 3}, w);
    setWeight(c2, "bias", Shape{4}, b);
    c2.params.set("groups", int64_t{2});
    c2.params.set("stride", std::vector<int64_t>{1, 2});
    c2.params.set("padding", std::vector<int64_t>{0, 1});
    c2.params.set("dilation", std::vector<int64_t>{1, 2});
    const Rows rows = {"101100111010011001", "011011000110110101"};
    std::vector<float> xf;
    std::vector<int32_t> xq;
    for (int i = 0; i < 36; ++i) {
      xf.push_back(float((i * 7) % 11) / 8.0f - 0.5f);
      xq.push_back(int32_t(std::lround(double(xf.back()) * 1024)));
    }
    for (int spiking = 0; spiking < 2; ++spiking) {
      const Tensor x1 = spiking       ? spikes(Shape{2, 9}, rows)
                        : p == kFixed ? ints(Shape{2, 9}, 2, xq)
                                      : floats(Shape{2, 9}, 2, xf);
      const Tensor x2 = spiking       ? spikes(Shape{2, 1, 9}, rows)
                        : p == kFixed ? ints(Shape{2, 1, 9}, 2, xq)
                                      : floats(Shape{2, 1, 9}, 2, xf);
      ASSERT_OK_AND_ASSIGN(Tensor y1, runOnce(*cpu_, c1, {x1}));
      ASSERT_OK_AND_ASSIGN(Tensor y2, runOnce(*cpu_, c2, {x2}));
      ASSERT_EQ(std::get<DenseTensor>(y1).shape(), (Shape{4, 4}));  // (9 + 2 - 5) / 2 + 1
      if (p == kFixed) {
        EXPECT_EQ(intValues(y1), intValues(y2));
      } else {
        EXPECT_EQ(floatValues(y1), floatValues(y2));
      }
    }
  }
}

}  // namespace
}  // namespace spikeline::hal
