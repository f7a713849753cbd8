// Throughput of the emulated chip against the CPU reference on the same fixed-point frames
// (the chip emulates per-core tables and routing, so it is expected to be slower than the CPU;
// the figure says how much a chip-placed stage costs in this emulation).
// Run: build-*/tests/hal/chip/chip_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "hal/chip/chip_backend.h"
#include "hal/cpu/cpu_backend.h"
#include "tests/support/random_tensors.h"

namespace spikeline::hal {
namespace {

OperatorSpec linearSpec() {
  OperatorSpec s;
  s.name = "fc";
  s.kind = "linear";
  s.precision = Precision::kFixed;
  s.input_shape = Shape{784};
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> w(256 * 784);
  for (float& x : w) x = d(rng);
  s.weights["weight"] = WeightTensor{Shape{256, 784}, std::move(w)};
  return s;
}

OperatorSpec convSpec() {
  OperatorSpec s;
  s.name = "conv";
  s.kind = "conv2d";
  s.precision = Precision::kFixed;
  s.input_shape = Shape{8, 28, 28};
  s.params.set("padding", int64_t{1});
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> w(16 * 8 * 9);
  for (float& x : w) x = d(rng);
  s.weights["weight"] = WeightTensor{Shape{16, 8, 3, 3}, std::move(w)};
  return s;
}

// state.range(0): 0 = cpu, 1 = chip. 25 timesteps at 10% spike density.
void runFrames(benchmark::State& state, const OperatorSpec& spec) {
  std::unique_ptr<Backend> backend = state.range(0) == 0
                                         ? std::move(makeCpuBackend({})).value()
                                         : std::move(makeChipBackend(ChipOptions{})).value();
  std::unique_ptr<CompiledOperator> op = std::move(backend->compile(spec)).value();
  const Tensor x = testing::randomSpikes(spec.input_shape, 25, 0.1, 3);
  const Tensor* in[] = {&x};
  for (auto _ : state) {
    Result<Tensor> y = backend->run(*op, in, {});
    benchmark::DoNotOptimize(y);
  }
  state.SetLabel(backend->info().name);
  state.counters["frames/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Linear784x256(benchmark::State& state) { runFrames(state, linearSpec()); }
void BM_Conv8to16x28x28(benchmark::State& state) { runFrames(state, convSpec()); }
BENCHMARK(BM_Linear784x256)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Conv8to16x28x28)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace spikeline::hal

BENCHMARK_MAIN();
