// wire_bench: encode+decode of one spike frame (784 x T=8 and 6272 x T=8 at 1/5/20/50% density)
// against a memcpy of the same encoded bytes, measured in the same binary. Reports ns/frame
// and bytes/s (bytes = the encoded frame). Run with
//   wire_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "tests/support/random_tensors.h"
#include "wire/codec.h"

namespace spikeline::wire {
namespace {

constexpr uint32_t kTimesteps = 8;

SpikeFrame makeFrame(const benchmark::State& state) {
  SpikeFrame f;
  f.request_id = 42;
  f.model = ModelRef{"fmnist-scnn", 3};
  f.target = OperatorId{0x1234};
  f.stage = "conv1";
  f.reply_to = "tcp://127.0.0.1:6000";
  f.trace = {{"loadgen", 1, 2}};
  const auto n = static_cast<uint32_t>(state.range(0));
  const double density = static_cast<double>(state.range(1)) / 100.0;
  f.payload = testing::randomSpikes(Shape{n}, kTimesteps, density, 7);
  return f;
}

void setCounters(benchmark::State& state, const SpikeFrame& frame, const WireBuffer& buffer) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(buffer.size()));
  state.counters["frame_bytes"] = static_cast<double>(buffer.size());
  const auto& spikes = std::get<SpikeTensor>(frame.payload);
  state.SetLabel(chooseSpikeEncoding(spikes) == PayloadEncoding::kEvents ? "events" : "bitmap");
}

void BM_EncodeDecode(benchmark::State& state) {
  const SpikeFrame frame = makeFrame(state);
  WireBuffer last;
  for (auto _ : state) {
    auto encoded = encode(frame);
    auto decoded = decodeFrame(encoded->bytes());
    benchmark::DoNotOptimize(decoded);
    last = std::move(encoded).value();
  }
  setCounters(state, frame, last);
}

void BM_Encode(benchmark::State& state) {
  const SpikeFrame frame = makeFrame(state);
  for (auto _ : state) {
    auto encoded = encode(frame);
    benchmark::DoNotOptimize(encoded);
  }
  setCounters(state, frame, *encode(frame));
}

void BM_Decode(benchmark::State& state) {
  const SpikeFrame frame = makeFrame(state);
  const WireBuffer encoded = *encode(frame);
  for (auto _ : state) {
    auto decoded = decodeFrame(encoded.bytes());
    benchmark::DoNotOptimize(decoded);
  }
  setCounters(state, frame, encoded);
}

// The reference: copying the same encoded bytes once.
void BM_MemcpyEncoded(benchmark::State& state) {
  const SpikeFrame frame = makeFrame(state);
  const WireBuffer encoded = *encode(frame);
  std::vector<uint8_t> destination(encoded.size());
  for (auto _ : state) {
    std::memcpy(destination.data(), encoded.bytes().data(), encoded.size());
    benchmark::DoNotOptimize(destination.data());
    benchmark::ClobberMemory();
  }
  setCounters(state, frame, encoded);
}

void frameArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "density_pct"});
  for (int64_t n : {784, 6272}) {
    // 5/20/50% as specified; 1% adds a frame that takes the events encoding.
    for (int64_t density : {1, 5, 20, 50}) b->Args({n, density});
  }
}

BENCHMARK(BM_EncodeDecode)->Apply(frameArgs);
BENCHMARK(BM_Encode)->Apply(frameArgs);
BENCHMARK(BM_Decode)->Apply(frameArgs);
BENCHMARK(BM_MemcpyEncoded)->Apply(frameArgs);

}  // namespace
}  // namespace spikeline::wire

BENCHMARK_MAIN();
