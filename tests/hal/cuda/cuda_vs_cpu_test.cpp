// On a machine with an NVIDIA GPU: the CUDA backend against the CPU reference (fixed: equal bit
// for bit; float32: docs/operators.md's tolerance), a whole conv -> lif -> pool -> linear chain,
// concurrent runs on several streams, and input errors. Skips, saying why, without a device.
// (Every catalog case is also run against cuda by tests/hal/conformance_test.cpp.)
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "hal/cpu/cpu_backend.h"
#include "hal/cuda/cuda_backend.h"
#include "tests/hal/hal_test_util.h"
#include "tests/support/random_tensors.h"
#include "tests/support/status_matchers.h"

namespace spikeline::hal {
namespace {

using testing::makeSpec;
using testing::runOnce;
using testing::setWeight;

std::vector<float> randomValues(size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// `x` as the dense input of `precision`: float32 values, or int32 activations at 2^-10.
Tensor denseInput(const DenseTensor& x, Precision precision) {
  if (precision == Precision::kFloat32) return x;
  std::vector<int32_t> q;
  for (float v : x.floats()) q.push_back(static_cast<int32_t>(std::lround(v * 1024.0f)));
  return DenseTensor(x.shape(), x.timesteps(), std::move(q));
}

void expectClose(const Tensor& want, const Tensor& got, Precision precision) {
  ASSERT_EQ(isSpikes(want), isSpikes(got));
  if (precision == Precision::kFixed || isSpikes(want)) {
    EXPECT_TRUE(want == got);
    return;
  }
  const auto& w = std::get<DenseTensor>(want);
  const auto& g = std::get<DenseTensor>(got);
  ASSERT_EQ(w.shape(), g.shape());
  ASSERT_EQ(w.size(), g.size());
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_LE(std::fabs(w.floats()[i] - g.floats()[i]), 1e-4f + 1e-5f * std::fabs(w.floats()[i]))
        << "element " << i;
  }
}

class CudaVsCpuTest : public ::testing::TestWithParam<Precision> {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Backend>> cuda = makeCudaBackend(CudaOptions{});
    if (!cuda.isOk() && cuda.status().code() == StatusCode::kUnavailable) {
      GTEST_SKIP() << "no CUDA device here: " << cuda.status().message();
    }
    ASSERT_OK(cuda);
    cuda_ = std::move(*cuda);
    ASSERT_OK_AND_ASSIGN(cpu_, makeCpuBackend({}));
  }

  void expectSame(const OperatorSpec& spec, const std::vector<Tensor>& inputs,
                  RunContext ctx = {}) {
    ASSERT_OK_AND_ASSIGN(Tensor want, runOnce(*cpu_, spec, inputs, ctx));
    ASSERT_OK_AND_ASSIGN(Tensor got, runOnce(*cuda_, spec, inputs, ctx));
    SCOPED_TRACE(spec.kind);
    expectClose(want, got, spec.precision);
  }

  std::unique_ptr<Backend> cuda_, cpu_;
};

TEST_P(CudaVsCpuTest, LargeLinearAndConvWithSpikes) {
  OperatorSpec fc = makeSpec("linear", Shape{2000}, GetParam());
  setWeight(fc, "weight", Shape{700, 2000}, randomValues(700 * 2000, 1));
  setWeight(fc, "bias", Shape{700}, randomValues(700, 2));
  expectSame(fc, {spikeline::testing::randomSpikes(Shape{2000}, 16, 0.1, 3)});
  OperatorSpec conv = makeSpec("conv2d", Shape{8, 32, 32}, GetParam());
  setWeight(conv, "weight", Shape{16, 4, 3, 3}, randomValues(16 * 4 * 9, 4));
  conv.params.set("padding", int64_t{1});
  conv.params.set("groups", int64_t{2});
  expectSame(conv, {spikeline::testing::randomSpikes(Shape{8, 32, 32}, 8, 0.2, 5)});
}

TEST_P(CudaVsCpuTest, ConvLifPoolLinearChain) {
  const Precision p = GetParam();
  OperatorSpec conv = makeSpec("conv2d", Shape{1, 16, 16}, p);
  setWeight(conv, "weight", Shape{4, 1, 3, 3}, randomValues(36, 11, -0.3f, 1.0f));
  OperatorSpec lif = makeSpec("lif", Shape{4, 14, 14}, p);
  lif.params.set("tau", 2e-3);
  lif.params.set("v_threshold", 0.25);
  OperatorSpec pool = makeSpec("maxpool2d", Shape{4, 14, 14}, p);
  pool.params.set("kernel", int64_t{2});
  OperatorSpec flat = makeSpec("flatten", Shape{4, 7, 7}, p);
  OperatorSpec fc = makeSpec("linear", Shape{196}, p);
  setWeight(fc, "weight", Shape{10, 196}, randomValues(1960, 12));
  OperatorSpec rec = makeSpec("recurrent_lif", Shape{10}, p);
  rec.params.set("tau", 3e-3);
  rec.params.set("v_threshold", 0.1);
  setWeight(rec, "recurrent", Shape{10, 10}, randomValues(100, 13));
  OperatorSpec readout = makeSpec("readout", Shape{10}, p);
  Tensor x_cpu = spikeline::testing::randomSpikes(Shape{1, 16, 16}, 20, 0.3, 14);
  Tensor x_gpu = x_cpu;
  for (const OperatorSpec* s : {&conv, &lif, &pool, &flat, &fc, &rec, &readout}) {
    ASSERT_OK_AND_ASSIGN(x_cpu, runOnce(*cpu_, *s, {x_cpu}));
    ASSERT_OK_AND_ASSIGN(x_gpu, runOnce(*cuda_, *s, {x_gpu}));
    SCOPED_TRACE("after " + s->kind);
    expectClose(x_cpu, x_gpu, p);
    if (p == Precision::kFloat32 && !isSpikes(x_cpu)) x_gpu = x_cpu;  // no drift into spikes
  }
}

TEST_P(CudaVsCpuTest, EncodersPoolingAndElementwise) {
  const Precision p = GetParam();
  const DenseTensor image = spikeline::testing::randomFloats(Shape{3, 10, 10}, 1, 0.0f, 1.0f, 21);
  for (const char* kind : {"encode_direct", "encode_rate", "encode_latency"}) {
    expectSame(makeSpec(kind, Shape{3, 10, 10}, p), {image}, RunContext{99, 12});
  }
  for (const char* kind : {"maxpool2d", "avgpool2d", "sumpool2d"}) {
    OperatorSpec s = makeSpec(kind, Shape{3, 10, 10}, p);
    s.params.set("kernel", int64_t{3});
    s.params.set("stride", int64_t{2});
    s.params.set("padding", int64_t{1});
    expectSame(s, {spikeline::testing::randomSpikes(Shape{3, 10, 10}, 4, 0.4, 22)});
    expectSame(s,
               {denseInput(spikeline::testing::randomFloats(Shape{3, 10, 10}, 4, -2, 2, 23), p)});
  }
  const Tensor a = spikeline::testing::randomSpikes(Shape{130}, 5, 0.5, 24);
  const Tensor b = spikeline::testing::randomSpikes(Shape{130}, 5, 0.5, 25);
  expectSame(makeSpec("iand", Shape{130}, p), {a, b});
  expectSame(makeSpec("add", Shape{130}, p),
             {a, denseInput(spikeline::testing::randomFloats(Shape{130}, 5, -1, 1, 26), p)});
  OperatorSpec m = makeSpec("readout", Shape{130}, p);
  m.params.set("mode", std::string("membrane"));
  m.params.set("tau", 5e-3);
  expectSame(m, {denseInput(spikeline::testing::randomFloats(Shape{130}, 9, -1, 3, 27), p)});
}

TEST_P(CudaVsCpuTest, GraphAggregateAndSelfAttention) {
  const Precision p = GetParam();
  OperatorSpec g = makeSpec("graph_aggregate", Shape{20, 6}, p);
  g.params.set("edge_src", std::vector<int64_t>{0, 1, 2, 3, 4, 5, 19, 7, 7, 0});
  g.params.set("edge_dst", std::vector<int64_t>{1, 2, 3, 4, 5, 6, 0, 8, 9, 19});
  g.params.set("self_loops", true);
  setWeight(g, "edge_weight", Shape{10}, randomValues(10, 61));
  expectSame(g, {spikeline::testing::randomSpikes(Shape{20, 6}, 5, 0.4, 62)});
  expectSame(g, {denseInput(spikeline::testing::randomFloats(Shape{20, 6}, 5, -1, 1, 63), p)});
  OperatorSpec a = makeSpec("self_attention", Shape{12, 16}, p);
  a.params.set("heads", int64_t{4});
  expectSame(a, {spikeline::testing::randomSpikes(Shape{12, 16}, 3, 0.5, 64),
                 spikeline::testing::randomSpikes(Shape{12, 16}, 3, 0.5, 65),
                 spikeline::testing::randomSpikes(Shape{12, 16}, 3, 0.5, 66)});
}

TEST_P(CudaVsCpuTest, PerRowLinearAndToTokens) {
  const Precision p = GetParam();
  // Rows of 100 inputs straddle the 64-bit spike words.
  const Shape x{3, 7, 100};
  OperatorSpec fc = makeSpec("linear", x, p);
  setWeight(fc, "weight", Shape{48, 100}, randomValues(48 * 100, 71));
  setWeight(fc, "bias", Shape{48}, randomValues(48, 72));
  expectSame(fc, {spikeline::testing::randomSpikes(x, 4, 0.03, 73)});
  expectSame(fc, {spikeline::testing::randomSpikes(x, 4, 0.8, 74)});
  expectSame(fc, {denseInput(spikeline::testing::randomFloats(x, 4, -1, 1, 75), p)});
  const Shape img{16, 6, 9};
  expectSame(makeSpec("to_tokens", img, p), {spikeline::testing::randomSpikes(img, 3, 0.3, 76)});
  expectSame(makeSpec("to_tokens", img, p),
             {denseInput(spikeline::testing::randomFloats(img, 3, -1, 1, 77), p)});
}

TEST_P(CudaVsCpuTest, ConcurrentRunsOnSeveralStreamsAgree) {
  OperatorSpec fc = makeSpec("linear", Shape{512}, GetParam());
  setWeight(fc, "weight", Shape{256, 512}, randomValues(256 * 512, 31));
  ASSERT_OK_AND_ASSIGN(auto op, cuda_->compile(fc));
  std::vector<Tensor> inputs;
  std::vector<Tensor> want;
  for (uint64_t i = 0; i < 8; ++i) {
    inputs.push_back(spikeline::testing::randomSpikes(Shape{512}, 10, 0.2, 40 + i));
    ASSERT_OK_AND_ASSIGN(Tensor w, runOnce(*cuda_, fc, {inputs.back()}));
    want.push_back(std::move(w));
  }
  std::vector<Result<Tensor>> got(inputs.size(), Result<Tensor>(internalError("not run")));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i) {
    threads.emplace_back([&, i] {
      const Tensor* in[] = {&inputs[i]};
      got[i] = cuda_->run(*op, in, {});
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_OK(got[i]);
    EXPECT_TRUE(*got[i] == want[i]) << "frame " << i;
  }
}

TEST_P(CudaVsCpuTest, WrongInputIsInvalidArgument) {
  OperatorSpec lif = makeSpec("lif", Shape{8}, GetParam());
  lif.params.set("tau", 2e-3);
  lif.params.set("v_threshold", 0.25);
  ASSERT_OK_AND_ASSIGN(auto op, cuda_->compile(lif));
  const Tensor spikes = spikeline::testing::randomSpikes(Shape{8}, 3, 0.5, 51);
  const Tensor* in[] = {&spikes};
  EXPECT_STATUS_CODE(cuda_->run(*op, in, {}), StatusCode::kInvalidArgument);
  EXPECT_EQ(cuda_->health().state, HealthState::kHealthy);
  EXPECT_EQ(cuda_->info().kind, BackendKind::kCuda);
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaVsCpuTest,
                         ::testing::Values(Precision::kFloat32, Precision::kFixed),
                         [](const auto& info) {
                           return info.param == Precision::kFixed ? "Fixed" : "Float32";
                         });

}  // namespace
}  // namespace spikeline::hal
