// Send capacity of the LoadDriver on one thread against a null Target (answers inline), with the
// real clock and pacer: the requests/s one loadgen thread can offer and account for.
//   BM_OpenLoopSendCapacity: schedule far faster than the driver can go (back-to-back sends).
//   BM_OpenLoopPaced/<rate>: a 1 s constant-rate run; counters show how far sends lagged.
//   BM_ClosedLoop/<concurrency>: back-to-back closed loop.
#include <benchmark/benchmark.h>

#include "loadgen/latency_histogram.h"
#include "loadgen/load_driver.h"

namespace spikeline::loadgen {
namespace {

RunReport runOpen(double rate, int64_t duration_ns) {
  static auto clock = makeSystemClock();
  auto pacer = makeRealPacer(*clock);
  auto target = makeNullTarget();
  LoadDriver driver(*target, *clock, *pacer, {});
  auto schedule = ArrivalSchedule::make({{Phase::steady(duration_ns, rate)}});
  return driver.runOpenLoop(std::move(schedule).value()).value();
}

void BM_OpenLoopSendCapacity(benchmark::State& state) {
  constexpr uint64_t kRequests = 200'000;
  uint64_t sent = 0;
  for (auto _ : state) {
    // 1e9 req/s for 200 us of schedule = 200k requests due almost at once.
    RunReport r = runOpen(1e9, static_cast<int64_t>(kRequests));
    sent += r.completed;
    benchmark::DoNotOptimize(r.latency.p99_ns);
  }
  state.SetItemsProcessed(static_cast<int64_t>(sent));
}
BENCHMARK(BM_OpenLoopSendCapacity)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_OpenLoopPaced(benchmark::State& state) {
  const double rate = static_cast<double>(state.range(0));
  RunReport last;
  uint64_t sent = 0;
  for (auto _ : state) {
    last = runOpen(rate, 1'000'000'000);
    sent += last.sent;
  }
  state.SetItemsProcessed(static_cast<int64_t>(sent));
  state.counters["max_send_lag_us"] = static_cast<double>(last.max_send_lag_ns) * 1e-3;
  state.counters["p99_us"] = static_cast<double>(last.latency.p99_ns) * 1e-3;
  state.counters["lost"] = static_cast<double>(last.lost);
}
BENCHMARK(BM_OpenLoopPaced)
    ->Arg(200'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

void BM_ClosedLoop(benchmark::State& state) {
  static auto clock = makeSystemClock();
  auto pacer = makeRealPacer(*clock);
  auto target = makeNullTarget();
  uint64_t sent = 0;
  for (auto _ : state) {
    LoadDriver driver(*target, *clock, *pacer, {});
    RunReport r =
        driver.runClosedLoop({static_cast<uint32_t>(state.range(0)), 0, 200'000'000}).value();
    sent += r.sent;
  }
  state.SetItemsProcessed(static_cast<int64_t>(sent));
}
BENCHMARK(BM_ClosedLoop)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HistogramRecord(benchmark::State& state) {
  LatencyHistogram h;
  int64_t v = 12'345;
  for (auto _ : state) {
    h.record(v);
    v = (v * 1103515245 + 12345) & 0xFFFFFFFFF;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

}  // namespace
}  // namespace spikeline::loadgen

BENCHMARK_MAIN();
