// e2e_recovery_bench: the seed experiment (issue 5). How long until a chip-stage failure stops
// hurting, two ways, on real processes (tests/e2e/cluster.h: redis-server, spikeline-broker,
// `spikeline-worker --broker`, a client):
//   reroute  the features stage has a serving chip worker and a standby chip worker that holds
//            the stage already compiled and mapped (an already-deployed replica of the pool);
//            a permanent chip fault on the serving one makes the broker promote the standby.
//   restart  the features stage has one chip worker; after the same fault is reported, the
//            worker process is restarted (as a restart policy would, with no delay), registers,
//            gets its assignment, and compiles/maps the stage onto its (reset) chip again.
// Per trial, from the fault injection (t0):
//   routes   the first route table (seen by a subscribing observer) whose features stage has a
//            serving replica other than the failed one (reroute) or the restarted one (restart);
//   served   the first ok result of a request *sent after t0* (a prober sends one every
//            --period-ms), i.e. service restored as a client sees it; it includes one request's
//            pipeline latency (printed as the baseline).
// Usage: e2e_recovery_bench [--trials 20] [--period-ms 2]. Prints a table of p50/p99 per arm.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/agent/route_subscriber.h"
#include "tests/e2e/cluster.h"

namespace spikeline::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;
using broker::testing::waitFor;
using broker::testing::writeModel;

constexpr const char* kModel = "fmnist-seed@1";

double msSince(SteadyClock::time_point t0, SteadyClock::time_point t) {
  return std::chrono::duration<double, std::milli>(t - t0).count();
}

// Route tables as a subscriber sees them (broker::RouteSubscriber: never registers as a worker).
class RouteObserver {
 public:
  explicit RouteObserver(broker::testing::BrokerProcess& b) {
    auto s = broker::startRouteSubscriber({b.bind(), b.pub(), 500}, [this](const wire::RouteTable& t) {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<std::string> now;
      if (const auto* m = broker::findModelRoute(t, ModelRef{"fmnist-seed", 1})) {
        for (const auto& r : m->stages.at(1).replicas) now.push_back(r.worker.name + "=" + r.endpoint);
      }
      if (now != features_) history_.push_back({SteadyClock::now(), now});
      features_ = now;
    });
    if (s.isOk()) subscriber_ = std::move(s).value();
  }
  // The arrival time of the first table after `t0` whose features replicas satisfy `ok`.
  std::optional<SteadyClock::time_point> firstAfter(
      SteadyClock::time_point t0, const std::function<bool(const std::vector<std::string>&)>& ok) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [at, reps] : history_) {
      if (at >= t0 && ok(reps)) return at;
    }
    return std::nullopt;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> features_;
  std::vector<std::pair<SteadyClock::time_point, std::vector<std::string>>> history_;
  std::unique_ptr<broker::RouteSubscriber> subscriber_;  // last: stops before the fields go
};

// Sends one request every period (open loop) and records when each ok result came back.
class Prober {
 public:
  Prober(client::Client& c, const ModelRef& model, int period_ms) : client_(c), model_(model) {
    thread_ = std::thread([this, period_ms] { loop(period_ms); });
  }
  ~Prober() {
    stop_.store(true);
    thread_.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // callbacks still landing
  }
  // The first ok result of a request sent at or after t0.
  std::optional<SteadyClock::time_point> firstOkSentAfter(SteadyClock::time_point t0) {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<SteadyClock::time_point> best;
    for (const auto& [sent, done] : ok_) {
      if (sent >= t0 && (!best || done < *best)) best = done;
    }
    return best;
  }
  // Median latency of ok requests sent before t0 (the pipeline's normal latency).
  double medianLatencyBeforeMs(SteadyClock::time_point t0) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<double> v;
    for (const auto& [sent, done] : ok_) {
      if (sent < t0) v.push_back(msSince(sent, done));
    }
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
  }
  // Ok requests sent at or after t0, in send order: "sent +X ms, ok +Y ms" (for the log).
  std::vector<std::string> oksAfter(SteadyClock::time_point t0, size_t max) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<SteadyClock::time_point, SteadyClock::time_point>> v;
    for (const auto& p : ok_) {
      if (p.first >= t0) v.push_back(p);
    }
    std::sort(v.begin(), v.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size() && i < max; ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "sent +%.1f ms, ok +%.1f ms", msSince(t0, v[i].first),
                    msSince(t0, v[i].second));
      out.push_back(buf);
    }
    return out;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    ok_.clear();
    failed_.clear();
  }
  // Failed requests sent at or after t0: "sent +X ms, failed +Y ms: status" (for --verbose).
  std::vector<std::string> failuresAfter(SteadyClock::time_point t0) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& f : failed_) {
      if (f.sent < t0) continue;
      char buf[64];
      std::snprintf(buf, sizeof buf, "sent +%.1f ms, failed +%.1f ms: ", msSince(t0, f.sent),
                    msSince(t0, f.done));
      out.push_back(buf + f.status);
    }
    return out;
  }

 private:
  void loop(int period_ms) {
    std::unique_ptr<Clock> clock = makeSystemClock();
    const Tensor input = imageInput(1);
    auto next = SteadyClock::now();
    while (!stop_.load()) {
      const auto sent = SteadyClock::now();
      client_.submit(model_, input, client::deadlineAfterMs(*clock, 10'000),
                     [this, sent](RequestId, Result<client::InferenceResult> r) {
                       std::lock_guard<std::mutex> lock(mu_);
                       if (!r.isOk()) {
                         failed_.push_back({sent, SteadyClock::now(), r.status().toString()});
                         return;
                       }
                       ok_.emplace_back(sent, SteadyClock::now());
                     });
      next += std::chrono::milliseconds(period_ms);
      std::this_thread::sleep_until(next);
    }
  }

  client::Client& client_;
  ModelRef model_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  struct Failure {
    SteadyClock::time_point sent, done;
    std::string status;
  };
  std::vector<std::pair<SteadyClock::time_point, SteadyClock::time_point>> ok_;
  std::vector<Failure> failed_;
  std::thread thread_;
};

struct Samples {
  std::vector<double> routes_ms, served_ms, baseline_ms, extra_ms;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = size_t(std::ceil(p / 100.0 * double(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

[[noreturn]] void die(const std::string& why) {
  std::cerr << "e2e_recovery_bench: " << why << "\n";
  std::exit(1);
}

struct Setup {
  Cluster cluster;
  Topology topology;
  std::unique_ptr<client::Client> client;
  std::unique_ptr<RouteObserver> observer;
};

// A cluster serving the fmnist model renamed, with `features` placed as given, on cpu workers for
// encoder/classifier and the chip workers named.
std::unique_ptr<Setup> bringUp(const std::string& features_placement,
                               const std::vector<std::string>& chips) {
  auto s = std::make_unique<Setup>();
  if (!s->cluster.brokerReady()) die("broker not ready:\n" + s->cluster.broker().log());
  const auto path = writeModel(s->cluster.dir(), "fmnist-seed",
                               {{broker::testing::kScnnFeaturesPlacement, features_placement}});
  s->topology = loadModel(path);
  for (const char* n : {"cpu-0", "cpu-1"}) {
    if (auto e = s->cluster.startWorker(n, "cpu"); !e.empty()) die(e);
  }
  for (const auto& n : chips) {
    if (auto e = s->cluster.startWorker(n, "chip"); !e.empty()) die(e);
  }
  s->observer = std::make_unique<RouteObserver>(s->cluster.broker());
  auto d = s->cluster.deploy(path);
  if (!d.isOk()) die("deploy: " + d.status().toString());
  if (!waitFor([&] {
        return s->cluster.routedAs(kModel, {{"encoder", 1}, {"features", 1}, {"classifier", 1}});
      }, 10'000)) {
    die("not routed: " + s->cluster.routes().dump());
  }
  s->client = s->cluster.makeClient(s->topology);
  if (!s->client) die("no client");
  return s;
}

std::string servingFeatures(Cluster& c) {
  const auto r = Cluster::replicas(c.routes(), kModel, "features");
  return r.empty() ? "" : r.front().worker;
}

void injectFault(Cluster& c, const std::string& worker) {
  auto r = c.broker().call({{"op", "fault"}, {"worker", worker}, {"whole_chip", true},
                            {"permanent", true}});
  if (!r.isOk()) die("fault: " + r.status().toString());
}

// Waits until `worker`'s log says it hosts its stage (compiled and mapped).
bool waitHosting(Cluster& c, const std::string& worker) {
  return waitFor([&] { return c.workerLog(worker).find("hosting 1 stage") != std::string::npos; },
                 20'000);
}

// The last "compiled in N ms" figure in `worker`'s log, or -1.
double compileMs(Cluster& c, const std::string& worker) {
  const std::string log = c.workerLog(worker);
  const size_t at = log.rfind("prepared in ");
  return at == std::string::npos ? -1 : std::atof(log.c_str() + at + 12);
}

// One trial's figures (dies when the trial saw no recovery), and the probe failures after t0.
void record(Samples& out, Prober& prober, int trial, SteadyClock::time_point t0,
            const std::optional<SteadyClock::time_point>& routed,
            const std::optional<SteadyClock::time_point>& served) {
  if (!routed || !served) die("trial " + std::to_string(trial) + ": no recovery in time");
  out.routes_ms.push_back(msSince(t0, *routed));
  out.served_ms.push_back(msSince(t0, *served));
  out.baseline_ms.push_back(prober.medianLatencyBeforeMs(t0));
  for (const auto& f : prober.failuresAfter(t0)) std::fprintf(stderr, "  %s\n", f.c_str());
}

Samples runReroute(int trials, int period_ms) {
  auto s = bringUp("{backends: [chip], replicas: 1, standby: 1, fallback: false}",
                   {"chip-a", "chip-b"});
  for (const char* n : {"chip-a", "chip-b"}) {
    if (!waitHosting(s->cluster, n)) die(std::string(n) + " never hosted");
  }
  Samples out;
  Prober prober(*s->client, s->topology.model, period_ms);
  for (int t = 0; t < trials; ++t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // steady traffic first
    const std::string victim = servingFeatures(s->cluster);
    if (victim.empty()) die("no serving features worker");
    const auto t0 = SteadyClock::now();
    injectFault(s->cluster, victim);
    std::optional<SteadyClock::time_point> routed, served;
    waitFor([&] {
      routed = s->observer->firstAfter(t0, [&](const std::vector<std::string>& reps) {
        return !reps.empty() && reps.front().rfind(victim + "=", 0) != 0;
      });
      served = prober.firstOkSentAfter(t0);
      return routed && served;
    }, 10'000);
    record(out, prober, t, t0, routed, served);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (const auto& f : prober.oksAfter(t0, 12)) std::fprintf(stderr, "  %s\n", f.c_str());
    // Put the failed worker back as the new standby: restart it (chip reset), wait until loaded.
    s->cluster.killWorker(victim);
    if (auto e = s->cluster.startWorker(victim, "chip"); !e.empty()) die(e);
    if (!waitHosting(s->cluster, victim)) die(victim + " never hosted again");
    prober.clear();
    std::fprintf(stderr, "reroute trial %d: routes %.2f ms, served %.2f ms\n", t,
                 out.routes_ms.back(), out.served_ms.back());
  }
  return out;
}

Samples runRestart(int trials, int period_ms) {
  auto s = bringUp("{backends: [chip], replicas: 1, fallback: false}", {"chip-0"});
  if (!waitHosting(s->cluster, "chip-0")) die("chip-0 never hosted");
  Samples out;
  Prober prober(*s->client, s->topology.model, period_ms);
  for (int t = 0; t < trials; ++t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto t0 = SteadyClock::now();
    injectFault(s->cluster, "chip-0");
    // The fault is reported and chip-0 leaves the routes; then it is restarted at once.
    if (!waitFor([&] {
          return s->observer->firstAfter(t0, [](const auto& reps) { return reps.empty(); })
              .has_value();
        }, 5'000)) {
      die("chip-0 never left the routes");
    }
    const auto gone = SteadyClock::now();
    s->cluster.killWorker("chip-0");
    if (auto e = s->cluster.startWorker("chip-0", "chip"); !e.empty()) die(e);
    std::optional<SteadyClock::time_point> routed, served;
    waitFor([&] {
      routed = s->observer->firstAfter(gone, [](const auto& reps) { return !reps.empty(); });
      served = prober.firstOkSentAfter(t0);
      return routed && served;
    }, 20'000);
    record(out, prober, t, t0, routed, served);
    waitHosting(s->cluster, "chip-0");
    out.extra_ms.push_back(compileMs(s->cluster, "chip-0"));
    prober.clear();
    std::fprintf(stderr, "restart trial %d: routes %.2f ms, served %.2f ms (stage prepared in %.2f ms)\n",
                 t, out.routes_ms.back(), out.served_ms.back(), out.extra_ms.back());
  }
  return out;
}

void row(const char* arm, const Samples& s) {
  std::printf("| %-8s | %4zu | %8.2f | %8.2f | %8.2f | %8.2f | %6.2f |\n", arm, s.served_ms.size(),
              percentile(s.routes_ms, 50), percentile(s.routes_ms, 99), percentile(s.served_ms, 50),
              percentile(s.served_ms, 99), percentile(s.baseline_ms, 50));
}

}  // namespace
}  // namespace spikeline::testing

int main(int argc, char** argv) {
  using namespace spikeline::testing;  // NOLINT: a leaf program
  int trials = 20;
  int period_ms = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--trials") trials = std::atoi(argv[i + 1]);
    else if (a == "--period-ms") period_ms = std::atoi(argv[i + 1]);
    else die("unknown option " + a + " (use --trials N --period-ms N)");
  }
  if (trials < 1 || period_ms < 1) die("--trials and --period-ms must be positive");
  const Samples reroute = runReroute(trials, period_ms);
  const Samples restart = runRestart(trials, period_ms);
  std::printf("\nseed experiment: fault on the serving features chip worker -> recovery, %d trials "
              "each, prober every %d ms\n",
              trials, period_ms);
  std::printf("| arm      |    n | routes p50 | routes p99 | served p50 | served p99 | normal latency p50 |\n");
  row("reroute", reroute);
  row("restart", restart);
  std::printf("restart: stage prepared (materialize + load + compile/map onto the chip) p50 %.2f ms; "
              "served p50 ratio restart/reroute = %.1fx\n",
              percentile(restart.extra_ms, 50),
              percentile(restart.served_ms, 50) / std::max(1e-9, percentile(reroute.served_ms, 50)));
  return 0;
}
