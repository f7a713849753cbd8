// spikeline-broker-failover-bench: failure-to-new-routes time. Runs a broker in-process against
// a real Redis (--redis), registers 3 chip + 3 cpu agents, deploys the fmnist model, then per
// trial fails a serving `features` worker and measures, at a separate subscribing agent, the
// time from the failure to the first route table without it. Two failure kinds: a HardwareFault
// report, and heartbeats that stop (detected after --liveness missed intervals).
//   redis-server --port 6390 --save '' --appendonly no &
//   spikeline-broker-failover-bench --redis 127.0.0.1:6390 --trials 20
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "broker/agent/admin_client.h"
#include "broker/agent/broker_agent.h"
#include "broker/server.h"
#include "broker/store.h"
#include "cli/deploy_request.h"

namespace {

using namespace spikeline;          // NOLINT: a leaf program
using namespace spikeline::broker;  // NOLINT
using SteadyClock = std::chrono::steady_clock;

// Route tables seen by the observer agent, with their arrival times.
struct Observer {
  std::mutex mu;
  std::condition_variable cv;
  wire::RouteTable latest;
  SteadyClock::time_point at;

  void onRoutes(const wire::RouteTable& t) {
    std::lock_guard<std::mutex> lock(mu);
    latest = t;
    at = SteadyClock::now();
    cv.notify_all();
  }
  std::vector<std::string> features() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out;
    if (const auto* m = findModelRoute(latest, ModelRef{"fmnist-scnn", 1})) {
      for (const auto& r : m->stages[1].replicas) out.push_back(r.worker.name);
    }
    return out;
  }
  // Waits until `victim` is gone from features; returns the arrival time of that table.
  std::optional<SteadyClock::time_point> waitGone(const std::string& victim, int timeout_ms) {
    std::unique_lock<std::mutex> lock(mu);
    auto gone = [&] {
      const auto* m = findModelRoute(latest, ModelRef{"fmnist-scnn", 1});
      if (m == nullptr) return false;
      for (const auto& r : m->stages[1].replicas) {
        if (r.worker.name == victim) return false;
      }
      return true;
    };
    if (!cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), gone)) return std::nullopt;
    return at;
  }
};

std::unique_ptr<BrokerAgent> agent(const ServerOptions& s, const std::string& name,
                                   BackendKind backend, int64_t hb_ns, AgentCallbacks cb = {}) {
  AgentOptions o;
  o.broker_endpoint = s.bind;
  o.routes_endpoint = s.pub;
  o.self.worker = WorkerId{name};
  o.self.backend = backend;
  o.self.capacity = 8;
  o.self.data_endpoint = "tcp://127.0.0.1:1/" + name;
  o.self.node = name;
  o.heartbeat_interval_ns = hb_ns;
  auto a = startBrokerAgent(o, std::move(cb));
  return a ? std::move(*a) : nullptr;
}

void report(const char* what, std::vector<double> ms) {
  if (ms.empty()) {
    std::printf("%-22s no successful trials\n", what);
    return;
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf("%-22s n=%zu  p50 %.2f ms  p99 %.2f ms  min %.2f  max %.2f\n", what, ms.size(),
              pct(0.50), pct(0.99), ms.front(), ms.back());
}

// One failure of a serving `features` worker; its failure-to-new-routes time in ms, or nullopt.
std::optional<double> trial(std::map<std::string, std::unique_ptr<BrokerAgent>>& workers,
                            Observer& obs, const ServerOptions& s, int64_t hb_ns, bool by_fault) {
  for (int w = 0; w < 200 && obs.features().size() < 2; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto serving = obs.features();
  if (serving.empty()) return std::nullopt;
  const std::string victim = serving.front();
  const auto t0 = SteadyClock::now();
  if (by_fault) {
    workers[victim]->reportFault(
        wire::HardwareFault{WorkerId{victim}, BackendKind::kChip, {}, true, "bench", 0});
  } else {
    workers[victim]->pauseHeartbeats(true);
  }
  auto t1 = obs.waitGone(victim, 10000);
  // Heal: a fresh process of the same worker registers again.
  workers[victim]->stop("bench heal", true);
  const bool chip = victim.rfind("chip", 0) == 0;
  workers[victim] = agent(s, victim, chip ? BackendKind::kChip : BackendKind::kCpu, hb_ns);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let placement settle
  if (!t1) return std::nullopt;
  return std::chrono::duration<double, std::milli>(*t1 - t0).count();
}

Status deployModel(const ServerOptions& s, const std::string& model) {
  SPIKELINE_ASSIGN_OR_RETURN(auto req, cli::makeDeployRequest(model));
  SPIKELINE_ASSIGN_OR_RETURN(auto admin, makeAdminClient(s.bind));
  return admin->call(req.request_json, req.attachments, 5000).status();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"failure-to-new-routes time of spikeline-broker"};
  std::string redis = "127.0.0.1:6379";
  std::string model = "topology/models/fmnist_scnn.yaml";
  int trials = 20, heartbeat_ms = 200, liveness = 3;
  app.add_option("--redis", redis)->capture_default_str();
  app.add_option("--model", model)->capture_default_str();
  app.add_option("--trials", trials)->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms)->capture_default_str();
  app.add_option("--liveness", liveness)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);  // the in-process broker logs every event otherwise

  auto ro = parseRedisAddress(redis);
  if (!ro) return std::fprintf(stderr, "%s\n", ro.status().toString().c_str()), 2;
  ro->prefix = "spikeline-bench:" + std::to_string(::getpid()) + ":";
  ServerOptions s;
  s.bind = "tcp://127.0.0.1:0";  // the ports the broker gets come back through on_listening
  s.pub = "tcp://127.0.0.1:0";
  std::promise<BoundEndpoints> bound;
  s.on_listening = [&bound](const BoundEndpoints& b) { bound.set_value(b); };
  const int64_t hb_ns = int64_t{heartbeat_ms} * 1'000'000;
  s.service.health.heartbeat_interval_ns = hb_ns;
  s.service.health.liveness = static_cast<uint32_t>(liveness);
  auto store = makeRedisStore(*ro);
  auto clock = makeSystemClock();
  std::atomic<bool> stop{false};
  const ServerOptions server = s;
  std::thread broker([&] {
    Status ran = runBroker(server, *store, *clock, stop);
    if (!ran.isOk()) std::fprintf(stderr, "broker: %s\n", ran.toString().c_str()), std::_Exit(2);
  });
  const BoundEndpoints ends = bound.get_future().get();
  s.bind = ends.control;
  s.pub = ends.routes;

  std::map<std::string, std::unique_ptr<BrokerAgent>> workers;
  for (const char* n : {"chip-0", "chip-1", "chip-2"})
    workers[n] = agent(s, n, BackendKind::kChip, hb_ns);
  for (const char* n : {"cpu-0", "cpu-1", "cpu-2"})
    workers[n] = agent(s, n, BackendKind::kCpu, hb_ns);
  Observer obs;
  AgentCallbacks cb;
  cb.on_routes = [&obs](const wire::RouteTable& t) { obs.onRoutes(t); };
  auto observer = agent(s, "observer", BackendKind::kCpu, hb_ns, cb);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // setup, not measured
  Status deployed = deployModel(s, model);
  std::vector<double> fault_ms, silent_ms;
  if (!deployed.isOk()) std::fprintf(stderr, "deploy: %s\n", deployed.toString().c_str());
  for (int i = 0; deployed.isOk() && i < 2 * trials; ++i) {
    const bool by_fault = i < trials;
    if (auto ms = trial(workers, obs, s, hb_ns, by_fault))
      (by_fault ? fault_ms : silent_ms).push_back(*ms);
  }
  std::printf("heartbeat %d ms, liveness %d, %d trials each\n", heartbeat_ms, liveness, trials);
  report("hardware fault report", fault_ms);
  report("heartbeats stop", silent_ms);
  observer.reset();
  workers.clear();
  stop.store(true);
  broker.join();
  return deployed.isOk() ? 0 : 1;
}
