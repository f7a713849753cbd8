// Cluster: a whole spikeline deployment for end-to-end tests and the recovery benchmark, without
// Docker: a real redis-server (AOF, temp dir), a real spikeline-broker, and real
// `spikeline-worker --broker` processes started and restarted by name. Also the helpers every
// e2e test needs: route-table lookups, a client whose first stage comes from the broker, and the
// bit-exact comparison against the in-process monolith. Owns every process: a failing
// assertion still reaps them (destructors). Header-only; tests only. Not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hal/cpu/cpu_backend.h"
#include "tests/broker/broker_harness.h"
#include "tests/harness/process.h"
#include "tests/support/status_matchers.h"
#include "tests/workers/closed_loop.h"
#include "tests/workers/pipeline_fixture.h"
#include "topology/topology_loader.h"
#include "workers/client/broker_routes.h"
#include "workers/client/client.h"
#include "workers/monolith.h"

namespace spikeline::testing {

using nlohmann::json;

struct Replica {
  std::string worker;
  std::string endpoint;
};

class Cluster {
 public:
  explicit Cluster(int heartbeat_ms = 100, int liveness = 3)
      : broker_(std::make_unique<broker::testing::BrokerProcess>(redis_, heartbeat_ms, liveness,
                                                                 /*check_endpoints=*/true)) {}

  broker::testing::RedisServer& redis() { return redis_; }
  broker::testing::BrokerProcess& broker() { return *broker_; }
  const std::filesystem::path& dir() const { return redis_.dir(); }

  bool brokerReady() { return broker_->waitReady(); }

  // Starts (or restarts, same name and work dir) a worker in broker mode; "" when it printed
  // READY, else what went wrong with its log.
  std::string startWorker(const std::string& name, const std::string& backend,
                          int ready_timeout_ms = 20'000) {
    auto child = std::make_unique<harness::Process>();
    const std::string log = logPath(name);
    // SPIKELINE_E2E_LOG_LEVEL=debug (with SPIKELINE_KEEP_TEST_DIRS=1) for a post-mortem.
    const char* level = std::getenv("SPIKELINE_E2E_LOG_LEVEL");
    std::vector<std::string> argv{SPIKELINE_WORKER_BIN, "--broker", broker_->bind(),
                                  "--broker-routes", broker_->pub(), "--name", name, "--backend",
                                  backend, "--node", "node-" + name, "--work-dir",
                                  (dir() / name).string(), "--log-level",
                                  level != nullptr ? level : "info"};
    for (std::string arg : worker_args_) {
      if (const size_t at = arg.find("{name}"); at != std::string::npos) arg.replace(at, 6, name);
      argv.push_back(arg);
    }
    if (Status s = child->start(argv, log); !s.isOk()) return "cannot spawn " + name + ": " + s.toString();
    if (auto ready = child->waitReady(ready_timeout_ms); !ready.isOk()) {
      return name + " not READY: " + ready.status().toString();
    }
    workers_[name] = std::move(child);
    return "";
  }
  // Extra flags for every worker started from now on (e.g. --curve-key NAME's key: "{name}" in
  // an argument becomes the worker's name).
  void setWorkerArgs(std::vector<std::string> args) { worker_args_ = std::move(args); }
  void killWorker(const std::string& name) {
    auto it = workers_.find(name);
    if (it != workers_.end()) it->second->kill();
  }
  harness::Process* worker(const std::string& name) {
    auto it = workers_.find(name);
    return it == workers_.end() ? nullptr : it->second.get();
  }
  std::string workerLog(const std::string& name) const {
    return broker::testing::readText(logPath(name));
  }

  Result<json> deploy(const std::filesystem::path& file) { return broker_->deploy(file); }
  // One admin call without arguments; the reply without its request id (so replies to the
  // same question compare equal), or {} when the broker did not answer.
  json call(const std::string& op) {
    auto r = broker_->call({{"op", op}}, {}, 1000);
    if (!r.isOk()) return json::object();
    r->erase("id");
    return *r;
  }
  json routes() { return call("routes"); }

  static std::vector<Replica> replicas(const json& table, const std::string& model,
                                       const std::string& stage) {
    std::vector<Replica> out;
    for (const json& m : table.value("models", json::array())) {
      if (m.value("model", "") != model) continue;
      for (const json& s : m["stages"]) {
        if (s.value("stage", "") != stage) continue;
        for (const json& r : s["replicas"]) {
          out.push_back({r["worker"].get<std::string>(), r["endpoint"].get<std::string>()});
        }
      }
    }
    return out;
  }
  // True when every stage of `model` has exactly the replica count given.
  bool routedAs(const std::string& model, const std::map<std::string, size_t>& counts) {
    const json t = routes();
    for (const auto& [stage, n] : counts) {
      if (replicas(t, model, stage).size() != n) return false;
    }
    return true;
  }

  // A client whose first-stage replicas come from the broker's route table, and follow its route
  // stream; null on failure
  // (with a test failure recorded).
  std::unique_ptr<client::Client> makeClient(const Topology& topology,
                                             client::ClientOptions options = {}) {
    auto c = client::makeClientFromBroker(topology, broker_->bind(), std::move(options), 5000,
                                          broker_->pub());
    EXPECT_TRUE(c.isOk()) << c.status().toString();
    if (!c.isOk()) return nullptr;
    EXPECT_TRUE((*c)->waitReady(20'000).isOk());
    return std::move(c).value();
  }

 private:
  std::string logPath(const std::string& name) const { return (dir() / (name + ".log")).string(); }

  broker::testing::RedisServer redis_;
  std::unique_ptr<broker::testing::BrokerProcess> broker_;
  std::map<std::string, std::unique_ptr<harness::Process>> workers_;
  std::vector<std::string> worker_args_;
};

inline Topology loadModel(const std::filesystem::path& path) {
  auto topo = topology::loadTopologyFile(path);
  EXPECT_TRUE(topo.isOk()) << topo.status().toString();
  return topo.isOk() ? std::move(topo).value() : Topology{};
}

inline std::vector<Tensor> images(size_t n, uint64_t seed) {
  std::vector<Tensor> v;
  for (size_t i = 0; i < n; ++i) v.push_back(imageInput(seed + i));
  return v;
}

// Every ok result equals the in-process monolith's on the CPU, bit for bit (fixed precision),
// one callback per request, and every input has a result.
inline void expectMatchesMonolith(const Topology& topology, const LoadRecord& rec,
                                  const std::vector<Tensor>& inputs) {
  auto cpu = hal::makeCpuBackend(hal::CpuOptions{});
  ASSERT_TRUE(cpu.isOk());
  auto mono = workers::Monolith::make(**cpu, topology);
  ASSERT_TRUE(mono.isOk()) << mono.status().toString();
  for (const auto& [id, n] : rec.callbacks) EXPECT_EQ(n, 1) << "request " << id;
  size_t checked = 0;
  for (const auto& [id, out] : rec.results) {
    Result<Tensor> want = (*mono)->run(inputs[rec.input_of.at(id)], id);
    ASSERT_TRUE(want.isOk());
    EXPECT_TRUE(out == *want) << "request " << id << " differs from the monolith";
    ++checked;
  }
  EXPECT_EQ(checked, inputs.size());
}

// How many ok requests passed through `worker` (their traces name it).
inline size_t servedBy(const LoadRecord& rec, const std::string& worker) {
  size_t n = 0;
  for (const auto& [id, hops] : rec.hops) n += std::count(hops.begin(), hops.end(), worker);
  return n;
}

}  // namespace spikeline::testing
