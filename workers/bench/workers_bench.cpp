// workers_bench: data-plane figures, side by side in one run (README "Benchmarks"):
//  1. K-stage pass-through pipeline (flatten stages; K = 1, 2, 3; 1 KB and 8 KB frames) against
//     a raw ZeroMQ chain of K hops carrying messages of the same size: throughput and p50/p99.
//  2. fmnist_scnn as a 3-stage pipeline against its slowest stage alone, the monolith served by
//     one worker, and the monolith in-process with no sockets.
// Every figure is the median of --reps runs. Exceptions: CLI11 only, caught in main().
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "hal/cpu/cpu_backend.h"
#include "topology/topology_loader.h"
#include "workers/bench/bench_pipeline.h"
#include "workers/monolith.h"
#include "workers/pipeline_plan.h"
#include "workers/protocol.h"

namespace {

using namespace spikeline;
using Steady = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::filesystem::path writePassthrough(const std::filesystem::path& dir, int k, uint32_t neurons) {
  const auto path = dir / ("passthrough_k" + std::to_string(k) + "_n" + std::to_string(neurons) +
                           ".yaml");
  std::ofstream out(path);
  out << "spikeline: 1\nmodel: {name: passthrough-k" << k << ", version: 1}\ntimesteps: 8\n"
      << "input: {shape: [" << neurons << "], encoding: spikes}\nprecision: fixed\noperators:\n";
  for (int i = 0; i < k; ++i) out << "  - name: f" << i << "\n    kind: flatten\n";
  out << "stages:\n";
  for (int i = 0; i < k; ++i) {
    out << "  - name: s" << i << "\n    operators: [f" << i
        << "]\n    placement: {backends: [cpu], replicas: 1}\n";
  }
  return path;
}

std::vector<Tensor> randomSpikeInputs(uint32_t neurons, size_t n) {
  std::mt19937_64 rng(7);
  std::vector<Tensor> out;
  for (size_t i = 0; i < n; ++i) {
    SpikeTensor s(Shape{neurons}, 8);
    for (uint32_t t = 0; t < 8; ++t) {
      for (uint32_t j = 0; j < neurons; ++j) s.set(t, j, (rng() & 1) != 0);
    }
    out.push_back(std::move(s));
  }
  return out;
}

size_t encodedFrameBytes(const Tensor& payload) {
  wire::SpikeFrame f;
  f.request_id = 1;
  f.model = ModelRef{"passthrough", 1};
  f.stage = "s0";
  f.reply_to = "tcp://127.0.0.1:40000";
  f.deadline_ns = 1;
  f.payload = payload;
  auto bytes = workers::encodeBytes(f);
  return bytes.isOk() ? bytes->size() : 0;
}

struct Options {
  int reps = 5;
  double seconds = 1.0;
  size_t latency_n = 300;
  size_t window = 16;
};

int passthrough(const Options& o, const std::filesystem::path& dir) {
  std::printf("\n== pass-through pipeline vs raw ZeroMQ chain (window %zu, median of %d)\n",
              o.window, o.reps);
  std::printf("%2s %6s %7s | %9s %9s %6s | %8s %8s %6s | %8s %8s %6s\n", "K", "frame", "bytes",
              "spk rps", "raw rps", "ratio", "spk p50", "raw p50", "ratio", "spk p99", "raw p99",
              "ratio");
  for (uint32_t neurons : {1024u, 8192u}) {
    const auto inputs = randomSpikeInputs(neurons, 64);
    const size_t bytes = encodedFrameBytes(inputs[0]);
    for (int k = 1; k <= 3; ++k) {
      auto topo = topology::loadTopologyFile(writePassthrough(dir, k, neurons));
      if (!topo.isOk()) return std::fprintf(stderr, "%s\n", topo.status().toString().c_str()), 1;
      std::vector<double> st, rt, sp50, rp50, sp99, rp99;
      for (int r = 0; r < o.reps; ++r) {
        auto pipe = bench::InProcessPipeline::start(*topo, false, 1);
        auto raw = bench::RawChain::start(k);
        if (!pipe.isOk() || !raw.isOk()) return std::fprintf(stderr, "setup failed\n"), 1;
        st.push_back(bench::measureThroughput((*pipe)->client(), topo->model, inputs, o.window,
                                              o.seconds));
        rt.push_back((*raw)->throughput(bytes, o.window, o.seconds));
        const auto sl = bench::measureLatency((*pipe)->client(), topo->model, inputs, o.latency_n);
        const auto rl = (*raw)->latency(bytes, o.latency_n);
        sp50.push_back(sl.p50_us);
        sp99.push_back(sl.p99_us);
        rp50.push_back(rl.p50_us);
        rp99.push_back(rl.p99_us);
      }
      std::printf("%2d %6s %7zu | %9.0f %9.0f %6.2f | %8.0f %8.0f %6.2f | %8.0f %8.0f %6.2f\n", k,
                  neurons == 1024 ? "1KB" : "8KB", bytes, median(st), median(rt),
                  median(st) / median(rt), median(sp50), median(rp50), median(sp50) / median(rp50),
                  median(sp99), median(rp99), median(sp99) / median(rp99));
      std::fflush(stdout);
    }
  }
  return 0;
}

// Frames per second of `fn` on this thread for `seconds`.
template <typename Fn>
double rateOf(double seconds, Fn&& fn) {
  const auto start = Steady::now();
  uint64_t n = 0;
  while (std::chrono::duration<double>(Steady::now() - start).count() < seconds) {
    fn(n);
    ++n;
  }
  return double(n) / std::chrono::duration<double>(Steady::now() - start).count();
}

Tensor image(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> px(28 * 28);
  for (float& p : px) p = u(rng);
  return DenseTensor(Shape{1, 28, 28}, 1, std::move(px));
}

// The model cut down to stage `plan` alone: its operators, fed what enters it in the pipeline.
Topology singleStage(const Topology& topo, const workers::StagePlan& plan) {
  Topology t = topo;
  t.stages = {topo.stages[plan.index]};
  t.operators = plan.ops;
  t.input_shape = plan.input.shape;
  t.input_encoding = plan.input.kind == ValueKind::kSpikes ? InputEncoding::kSpikes
                                                           : InputEncoding::kDense;
  return t;
}

struct StageFigures {
  std::string name;
  std::vector<double> inproc;  // StageProgram::run on one thread, no sockets
  std::vector<double> served;  // one worker serving only this stage, through a client
};

// Each stage alone, fed the previous stage's real outputs: in-process and served.
Status measureStages(const Options& o, const Topology& topo, const std::vector<Tensor>& inputs,
                     std::vector<StageFigures>& out) {
  SPIKELINE_ASSIGN_OR_RETURN(auto cpu, hal::makeCpuBackend(hal::CpuOptions{}));
  SPIKELINE_ASSIGN_OR_RETURN(auto plans, workers::planStages(topo));
  out.resize(plans.size());
  std::vector<Tensor> feed = inputs;
  for (const auto& plan : plans) {
    SPIKELINE_ASSIGN_OR_RETURN(auto program, workers::compileStage(*cpu, plan));
    out[plan.index].name = plan.name;
    out[plan.index].inproc.push_back(rateOf(o.seconds, [&](uint64_t n) {
      (void)program->run(feed[n % feed.size()], workers::runContextFor(topo, n % feed.size()));
    }));
    const Topology alone = singleStage(topo, plan);
    SPIKELINE_ASSIGN_OR_RETURN(auto served, bench::InProcessPipeline::start(alone, false, 1));
    out[plan.index].served.push_back(
        bench::measureThroughput(served->client(), alone.model, feed, o.window, o.seconds));
    for (size_t i = 0; i < feed.size(); ++i) {
      SPIKELINE_ASSIGN_OR_RETURN(feed[i], program->run(feed[i], workers::runContextFor(topo, i)));
    }
  }
  return Status::ok();
}

int realModel(const Options& o, const std::string& model_path) {
  auto topo = topology::loadTopologyFile(model_path);
  if (!topo.isOk()) return std::fprintf(stderr, "%s\n", topo.status().toString().c_str()), 1;
  std::vector<Tensor> inputs;
  for (uint64_t i = 0; i < 64; ++i) inputs.push_back(image(i));
  std::vector<double> pipe_rps, mono_worker_rps, mono_inproc_rps;
  std::vector<StageFigures> stages;
  for (int r = 0; r < o.reps; ++r) {
    auto pipe = bench::InProcessPipeline::start(*topo, false, 1);
    if (!pipe.isOk()) return std::fprintf(stderr, "%s\n", pipe.status().toString().c_str()), 1;
    pipe_rps.push_back(bench::measureThroughput((*pipe)->client(), topo->model, inputs, o.window,
                                                o.seconds));
    pipe->reset();
    auto mono = bench::InProcessPipeline::start(*topo, true, 1);
    if (!mono.isOk()) return std::fprintf(stderr, "%s\n", mono.status().toString().c_str()), 1;
    mono_worker_rps.push_back(bench::measureThroughput((*mono)->client(), topo->model, inputs,
                                                       o.window, o.seconds));
    mono->reset();
    auto cpu = hal::makeCpuBackend(hal::CpuOptions{});
    auto m = workers::Monolith::make(**cpu, *topo);
    mono_inproc_rps.push_back(
        rateOf(o.seconds, [&](uint64_t n) { (void)(*m)->run(inputs[n % inputs.size()], n); }));
    Status st = measureStages(o, *topo, inputs, stages);
    if (!st.isOk()) return std::fprintf(stderr, "%s\n", st.toString().c_str()), 1;
  }
  std::printf("\n== %s (%zu stages, 1 compute thread each, window %zu, median of %d)\n",
              topo->model.toString().c_str(), topo->stages.size(), o.window, o.reps);
  double slow_in = 0, slow_srv = 0;
  for (size_t s = 0; s < stages.size(); ++s) {
    const double in = median(stages[s].inproc), srv = median(stages[s].served);
    std::printf("stage %-11s alone: in-process %8.0f frames/s, served by one worker %8.0f req/s\n",
                stages[s].name.c_str(), in, srv);
    if (s == 0 || in < slow_in) slow_in = in;
    if (s == 0 || srv < slow_srv) slow_srv = srv;
  }
  const double p = median(pipe_rps);
  std::printf("pipeline, %zu workers over TCP: %8.0f req/s = %5.1f%% of the slowest stage served "
              "alone, %5.1f%% of it in-process\n", topo->stages.size(), p, 100 * p / slow_srv,
              100 * p / slow_in);
  std::printf("monolith served by one worker: %8.0f req/s (pipeline = %5.1f%% of it)\n",
              median(mono_worker_rps), 100 * p / median(mono_worker_rps));
  std::printf("monolith in-process, no sockets: %6.0f req/s (pipeline = %5.1f%% of it)\n",
              median(mono_inproc_rps), 100 * p / median(mono_inproc_rps));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"workers_bench: data-plane overhead and pipeline efficiency"};
  Options o;
  std::string model = SPIKELINE_SOURCE_DIR "/topology/models/fmnist_scnn.yaml";
  bool skip_passthrough = false;
  bool skip_model = false;
  app.add_option("--reps", o.reps, "repetitions; medians are reported")->default_val(5);
  app.add_option("--seconds", o.seconds, "duration of one throughput run")->default_val(1.0);
  app.add_option("--latency-n", o.latency_n, "round trips per latency run")->default_val(300);
  app.add_option("--window", o.window, "requests outstanding in throughput runs")->default_val(16);
  app.add_option("--model", model, "model for the real-model section");
  app.add_flag("--skip-passthrough", skip_passthrough);
  app.add_flag("--skip-model", skip_model);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::warn);
  const auto dir = std::filesystem::temp_directory_path() / "spikeline-workers-bench";
  std::filesystem::create_directories(dir);
  int rc = skip_passthrough ? 0 : passthrough(o, dir);
  if (rc == 0 && !skip_model) rc = realModel(o, model);
  return rc;
}
