// hal_bench: CPU backend figures, each next to a reference measured in the same binary.
//  - LIF neuron-steps/s (float, fixed) vs the bare shared-math loop over the same arrays.
//  - linear synaptic events/s at 2..70% input density on the event-driven and dense paths, and as
//    a fraction of the memory roofline: a streaming copy of a buffer the size of the weight
//    matrix gives bandwidth B (bytes read + written / s, the STREAM convention); roofline events/s
//    = B / bytes per synaptic event (4 float, 1 fixed).
//  - conv2d (event-driven, dense path) vs a straightforward 7-loop dense convolution.
// Run: hal_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "hal/cpu/cpu_backend.h"
#include "hal/math/neuron.h"
#include "hal/op_params.h"
#include "tests/support/random_tensors.h"

namespace spikeline::hal {
namespace {

using spikeline::testing::randomFloats;
using spikeline::testing::randomSpikes;

constexpr uint32_t kIn = 8192, kOut = 4096;  // 128 MiB float weights: beyond the last-level cache

std::unique_ptr<Backend> cpu(double crossover) {
  return std::move(makeCpuBackend(CpuOptions{1, crossover})).value();
}

Tensor runOrDie(Backend& b, const CompiledOperator& op, const Tensor& x) {
  const Tensor* in[] = {&x};
  return std::move(b.run(op, in, {})).value();
}

OperatorSpec lifSpec(Precision p, uint32_t n) {
  OperatorSpec s;
  s.name = s.kind = "lif";
  s.precision = p;
  s.input_shape = Shape{n};
  s.params.set("tau", 0.01);
  s.params.set("v_threshold", 0.5);
  return s;
}

void BM_LifBackend(benchmark::State& state) {
  const Precision p = state.range(0) ? Precision::kFixed : Precision::kFloat32;
  const uint32_t n = 4096, steps = 64;
  auto b = cpu(-1.0);
  auto op = std::move(b->compile(lifSpec(p, n))).value();
  DenseTensor f = randomFloats(Shape{n}, steps, -0.5f, 1.5f, 1);
  std::vector<int32_t> q;
  for (float v : f.floats()) q.push_back(int32_t(v * 1024));
  const Tensor x = p == Precision::kFixed ? Tensor(DenseTensor(Shape{n}, steps, q)) : Tensor(f);
  for (auto _ : state) benchmark::DoNotOptimize(runOrDie(*b, *op, x));
  state.SetItemsProcessed(int64_t(state.iterations()) * n * steps);
}
BENCHMARK(BM_LifBackend)->ArgName("fixed")->Arg(0)->Arg(1);

// Reference: the shared per-neuron step over plain arrays, no backend, no spike packing.
void BM_LifBareLoop(benchmark::State& state) {
  const bool fixed = state.range(0) != 0;
  const uint32_t n = 4096, steps = 64;
  NeuronConfig c =
      std::move(neuronConfig(lifSpec(fixed ? Precision::kFixed : Precision::kFloat32, n))).value();
  DenseTensor f = randomFloats(Shape{n}, steps, -0.5f, 1.5f, 1);
  std::vector<int32_t> q;
  for (float v : f.floats()) q.push_back(int32_t(v * 1024));
  std::vector<float> vf(n);
  std::vector<int32_t> vq(n);
  std::vector<uint8_t> out(size_t(n) * steps);
  for (auto _ : state) {
    std::fill(vf.begin(), vf.end(), 0.0f);
    std::fill(vq.begin(), vq.end(), 0);
    for (uint32_t t = 0; t < steps; ++t) {
      for (uint32_t i = 0; i < n; ++i) {
        const size_t k = size_t(t) * n + i;
        out[k] = fixed ? c.lif_q.step(vq[i], q[k]) : c.lif.step(vf[i], f.floats()[k]);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * n * steps);
}
BENCHMARK(BM_LifBareLoop)->ArgName("fixed")->Arg(0)->Arg(1);

// CPU time of this thread: the benchmark's rate counters use CPU time too, so the roofline and
// the measured rates are comparable on a shared, oversubscribed machine.
double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Streaming-copy bandwidth (bytes read + written per CPU second) of a buffer of `bytes`, best of 5.
double copyBandwidth(size_t bytes) {
  std::vector<char> a(bytes, 1), b(bytes, 0);
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    const double t0 = threadCpuSeconds();
    std::memcpy(b.data(), a.data(), bytes);
    benchmark::DoNotOptimize(b.data());
    const double s = threadCpuSeconds() - t0;
    best = std::max(best, 2.0 * double(bytes) / s);
  }
  return best;
}

void BM_CopyWeightsSizedBuffer(benchmark::State& state) {
  const size_t bytes = size_t(kIn) * kOut * sizeof(float);
  std::vector<char> a(bytes, 1), b(bytes, 0);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), bytes);
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * 2 * int64_t(bytes));
}
BENCHMARK(BM_CopyWeightsSizedBuffer)->Unit(benchmark::kMillisecond);

struct LinearFixture {
  std::unique_ptr<Backend> event = cpu(2.0), dense = cpu(0.0);
  std::unique_ptr<CompiledOperator> op[2][2];  // [fixed][dense path]
  double bandwidth[2] = {0, 0};                // per precision: copy of a weight-sized buffer

  LinearFixture() {
    for (int fixed = 0; fixed < 2; ++fixed) {
      OperatorSpec s;
      s.name = s.kind = "linear";
      s.precision = fixed ? Precision::kFixed : Precision::kFloat32;
      s.input_shape = Shape{kIn};
      const auto w = randomFloats(Shape{kOut, kIn}, 1, -1, 1, 3).floats();
      s.weights["weight"] = WeightTensor{Shape{kOut, kIn}, std::vector<float>(w.begin(), w.end())};
      op[fixed][0] = std::move(event->compile(s)).value();
      op[fixed][1] = std::move(dense->compile(s)).value();
      bandwidth[fixed] = copyBandwidth(size_t(kIn) * kOut * (fixed ? 1 : 4));
    }
  }
  static LinearFixture& get() {
    static LinearFixture* f = new LinearFixture();  // leaked on purpose: built once, lives to exit
    return *f;
  }
};

// Args: density in percent, fixed (0/1), dense path (0/1).
void BM_Linear(benchmark::State& state) {
  LinearFixture& f = LinearFixture::get();
  const int fixed = int(state.range(1)), dense = int(state.range(2));
  const uint32_t steps = 16;
  const Tensor x = randomSpikes(Shape{kIn}, steps, double(state.range(0)) / 100.0, 7);
  Backend& b = dense ? *f.dense : *f.event;
  for (auto _ : state) benchmark::DoNotOptimize(runOrDie(b, *f.op[fixed][dense], x));
  const double events = double(std::get<SpikeTensor>(x).countSpikes()) * kOut;
  state.counters["events_per_s"] =
      benchmark::Counter(events * double(state.iterations()), benchmark::Counter::kIsRate);
  const double roofline = f.bandwidth[fixed] / (fixed ? 1.0 : 4.0);
  state.counters["roofline_events_per_s"] = roofline;
  state.counters["roofline_frac"] = benchmark::Counter(
      events * double(state.iterations()) / roofline, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Linear)
    ->ArgNames({"density_pct", "fixed", "dense"})
    ->ArgsProduct({{2, 5, 10, 20, 30, 50, 70}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

OperatorSpec convSpec(Precision p) {
  OperatorSpec s;
  s.name = s.kind = "conv2d";
  s.precision = p;
  s.input_shape = Shape{16, 32, 32};
  const auto w = randomFloats(Shape{32, 16, 3, 3}, 1, -1, 1, 5).floats();
  s.weights["weight"] = WeightTensor{Shape{32, 16, 3, 3}, std::vector<float>(w.begin(), w.end())};
  s.params.set("padding", int64_t{1});
  return s;
}

// Args: density in percent, dense path (0/1). Float32.
void BM_Conv2dBackend(benchmark::State& state) {
  auto b = cpu(state.range(1) ? 0.0 : 2.0);
  auto op = std::move(b->compile(convSpec(Precision::kFloat32))).value();
  const Tensor x = randomSpikes(Shape{16, 32, 32}, 8, double(state.range(0)) / 100.0, 9);
  for (auto _ : state) benchmark::DoNotOptimize(runOrDie(*b, *op, x));
  state.SetItemsProcessed(int64_t(state.iterations()) * 8);  // timesteps
}
BENCHMARK(BM_Conv2dBackend)
    ->ArgNames({"density_pct", "dense"})
    ->ArgsProduct({{2, 5, 10, 20, 50, 90}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// Reference: a straightforward dense convolution loop (out, in channel, y, x, ky, kx) over the
// unpacked 0/1 input, padding 1, stride 1.
void BM_Conv2dNaiveLoop(benchmark::State& state) {
  const OperatorSpec s = convSpec(Precision::kFloat32);
  const std::vector<float>& w = s.weights.at("weight").values;
  const SpikeTensor x = randomSpikes(Shape{16, 32, 32}, 8, double(state.range(0)) / 100.0, 9);
  std::vector<float> in(16 * 32 * 32), out(32 * 32 * 32);
  for (auto _ : state) {
    for (uint32_t t = 0; t < 8; ++t) {
      for (uint32_t i = 0; i < in.size(); ++i) in[i] = x.get(t, i) ? 1.0f : 0.0f;
      for (int o = 0; o < 32; ++o)
        for (int y = 0; y < 32; ++y)
          for (int xx = 0; xx < 32; ++xx) {
            float acc = 0;
            for (int c = 0; c < 16; ++c)
              for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx) {
                  const int iy = y + ky - 1, ix = xx + kx - 1;
                  if (iy < 0 || iy >= 32 || ix < 0 || ix >= 32) continue;
                  acc += w[((o * 16 + c) * 3 + ky) * 3 + kx] * in[(c * 32 + iy) * 32 + ix];
                }
            out[(o * 32 + y) * 32 + xx] = acc;
          }
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 8);
}
BENCHMARK(BM_Conv2dNaiveLoop)
    ->ArgName("density_pct")
    ->Arg(2)
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace spikeline::hal

BENCHMARK_MAIN();
