// workers_custody_bench: the latency a silent middle replica costs (issue 14, decision 0009).
// Real spikeline-worker processes on loopback (tests/workers/pipeline_fixture.h), 3 stages x 2
// replicas, open-loop load (tests/workers/open_loop.h). Arms, each on a fresh pipeline:
//   baseline  no failure;
//   kill      kill -9 of features-0 after 1 s of load;
//   pause     SIGSTOP of features-0 after 1 s of load, SIGCONT 3 s later.
// Per run: p50 / p99 / max latency (first submission -> result, overloaded retries included),
// the max of the requests sent from 100 ms before to 200 ms after the event (kill, pause, resume),
// lost (error outcomes or no outcome), duplicates delivered (an id answered twice), duplicates
// the client dropped (re-sends that turned out unneeded), overloaded refusals. Then the medians
// of each arm over --reps. Not a ctest test (timings).
// Usage: workers_custody_bench [--reps 3] [--rate 600] [--seconds 5.5] [--busy-liveness-ms 40]
//        [--arms baseline,kill,pause]   (--busy-liveness-ms 0: the 300 ms rule only, as before)
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/workers/open_loop.h"
#include "tests/workers/pipeline_fixture.h"

namespace spikeline::testing {
namespace {

struct Run {
  double p50 = 0, p99 = 0, max = 0;
  double event_max = 0;  // max latency of requests sent from 100 ms before to 200 ms after an
                         // event (the kill, the pause, the resume): what the failure cost
  size_t lost = 0, dup_delivered = 0, dup_dropped = 0, overloaded = 0;
};

Run runArm(const std::string& arm, double rate, double seconds, int busy_ms) {
  PipelineFixture p;
  p.client_options.busy_liveness_timeout_ns = int64_t{busy_ms} * 1'000'000;
  p.start({{"encoder", 2, {}}, {"features", 2, {}}, {"classifier", 2, {}}},
          {"--backend", "cpu", "--busy-liveness-ms", std::to_string(busy_ms)});
  std::vector<Tensor> inputs;
  for (uint64_t i = 0; i < 64; ++i) inputs.push_back(imageInput(9000 + i));
  OpenLoopOptions o;
  o.rate_per_s = rate;
  o.count = static_cast<size_t>(rate * seconds);
  const size_t at = static_cast<size_t>(rate);  // 1 s in
  const size_t resume = at + static_cast<size_t>(rate * 3);
  o.before_send = [&](size_t i) {
    if (i == at && arm == "kill") p.worker("features-0").kill();
    if (i == at && arm == "pause") p.worker("features-0").signal(SIGSTOP);
    if (i == resume && arm == "pause") p.worker("features-0").signal(SIGCONT);
  };
  // Warm-up (not measured): every process past its first frames, every replica granting.
  OpenLoopOptions warm;
  warm.rate_per_s = rate / 2;
  warm.count = static_cast<size_t>(rate / 4);
  (void)runOpenLoop(p.client(), p.topology().model, inputs, warm);
  const client::ClientStats before = p.client().stats();
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {  // this VM is shared: say how busy
    char load[64] = {0};
    if (std::fgets(load, sizeof(load), f) != nullptr) std::printf("  loadavg %s", load);
    std::fclose(f);
  }
  const OpenLoopRecord rec = runOpenLoop(p.client(), p.topology().model, inputs, o);
  if (::getenv("CUSTODY_BENCH_WORST") != nullptr) {  // the 5 slowest, by submit time
    std::vector<std::pair<double, size_t>> worst;
    for (const auto& [index, ms] : rec.latency_of) worst.push_back({ms, index});
    std::sort(worst.rbegin(), worst.rend());
    for (size_t k = 0; k < std::min<size_t>(5, worst.size()); ++k) {
      std::printf("  worst: %.1f ms, sent at %.0f ms (event at %.0f ms)\n", worst[k].first,
                  1e3 * double(worst[k].second) / rate, 1e3 * double(at) / rate);
    }
  }
  Run r;
  r.p50 = quantile(rec.latency_ms, 0.50);
  r.p99 = quantile(rec.latency_ms, 0.99);
  r.max = quantile(rec.latency_ms, 1.0);
  const auto near = [&](size_t index, size_t event) {
    const double dt_ms = 1e3 * (double(index) - double(event)) / rate;
    return dt_ms >= -100 && dt_ms <= 200;
  };
  for (const auto& [index, ms] : rec.latency_of) {
    if (near(index, at) || (arm == "pause" && near(index, resume))) {
      r.event_max = std::max(r.event_max, ms);
    }
  }
  r.lost = o.count - rec.ok_per_input.size();
  for (const auto& [id, n] : rec.callbacks) r.dup_delivered += n > 1 ? n - 1 : 0;
  r.dup_dropped = p.client().stats().duplicates - before.duplicates;
  r.overloaded = static_cast<size_t>(rec.overloaded_retries);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void report(const std::string& arm, const std::vector<Run>& runs) {
  std::vector<double> p50, p99, max, excess, event, lost, dupd, dropped, over;
  for (const Run& r : runs) {
    p50.push_back(r.p50);
    p99.push_back(r.p99);
    max.push_back(r.max);
    excess.push_back(r.max - r.p99);
    event.push_back(r.event_max);
    lost.push_back(double(r.lost));
    dupd.push_back(double(r.dup_delivered));
    dropped.push_back(double(r.dup_dropped));
    over.push_back(double(r.overloaded));
  }
  std::printf(
      "| %-8s | %4zu | %7.2f | %7.2f | %7.2f | %7.2f | %7.2f | %4.0f | %4.0f | %5.0f | %5.0f |\n",
      arm.c_str(), runs.size(), median(p50), median(p99), median(max), median(excess),
      median(event), median(lost), median(dupd), median(dropped), median(over));
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "workers_custody_bench: %s\n", why.c_str());
  std::exit(2);
}

}  // namespace
}  // namespace spikeline::testing

int main(int argc, char** argv) {
  using namespace spikeline::testing;  // NOLINT: a leaf program
  int reps = 3;
  double rate = 600;
  double seconds = 5.5;
  int busy_ms = 40;
  std::string arms = "baseline,kill,pause";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--reps") reps = std::atoi(argv[i + 1]);
    else if (a == "--rate") rate = std::atof(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--busy-liveness-ms") busy_ms = std::atoi(argv[i + 1]);
    else if (a == "--arms") arms = argv[i + 1];
    else die("unknown option " + a);
  }
  if (reps < 1 || rate <= 0 || seconds < 4.5) die("--reps >= 1, --rate > 0, --seconds >= 4.5");
  std::vector<std::string> list;
  for (size_t at = 0; at <= arms.size();) {
    const size_t comma = std::min(arms.find(',', at), arms.size());
    list.push_back(arms.substr(at, comma - at));
    at = comma + 1;
  }
  std::vector<std::pair<std::string, std::vector<Run>>> all;
  for (const std::string& arm : list) {
    if (arm != "baseline" && arm != "kill" && arm != "pause") die("unknown arm " + arm);
    std::vector<Run> runs;
    for (int r = 0; r < reps; ++r) {
      runs.push_back(runArm(arm, rate, seconds, busy_ms));
      const Run& x = runs.back();
      std::printf("%s #%d: p50 %.2f p99 %.2f max %.2f ms (max-p99 %.2f, near the event %.2f), "
                  "lost %zu, dup delivered %zu, dup dropped %zu, overloaded %zu\n",
                  arm.c_str(), r + 1, x.p50, x.p99, x.max, x.max - x.p99, x.event_max, x.lost,
                  x.dup_delivered,
                  x.dup_dropped, x.overloaded);
      std::fflush(stdout);
    }
    all.emplace_back(arm, std::move(runs));
  }
  std::printf("\n%.0f req/s for %.1f s, 3 stages x 2 replicas, --busy-liveness-ms %d; medians "
              "(ms) of %d runs\n",
              rate, seconds, busy_ms, reps);
  std::printf("| arm      | runs |   p50   |   p99   |   max   | max-p99 |  event  | lost | dups | "
              "dropd | overl |\n");
  for (const auto& [arm, runs] : all) report(arm, runs);
  return 0;
}
