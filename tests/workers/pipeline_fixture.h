// PipelineFixture: real spikeline-worker processes for a model, started last stage first (so
// each worker's route file can name the next stage's bound ports), a Client over them, and the
// in-process Monolith as the bit-exact reference. Owns the processes (always reaped) and a temp
// directory. One test thread; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "hal/cpu/cpu_backend.h"
#include "tests/harness/process.h"
#include "tests/support/status_matchers.h"
#include "topology/topology_loader.h"
#include "transport/data_socket.h"
#include "transport/envelope.h"
#include "wire/codec.h"
#include "workers/protocol.h"
#include "workers/client/client.h"
#include "workers/monolith.h"
#include "workers/route_file.h"
#include "workers/route_source.h"

namespace spikeline::testing {

inline const char* kModelPath = SPIKELINE_SOURCE_DIR "/topology/models/fmnist_scnn.yaml";

struct StageSpec {
  std::string name;
  int replicas = 1;
  std::vector<std::string> extra_args;  // e.g. {"--backend", "chip"}
};

// A dense one-step image in [0, 1) for the fmnist model, from a seed.
inline Tensor imageInput(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> px(28 * 28);
  for (float& p : px) p = u(rng);
  return DenseTensor(Shape{1, 28, 28}, 1, std::move(px));
}

class PipelineFixture {
 public:
  PipelineFixture() {
    char tmpl[] = "/tmp/spikeline-workers-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    clock_ = makeSystemClock();
  }
  ~PipelineFixture() {
    client_.reset();
    workers_.clear();
    std::error_code ec;
    if (::getenv("SPIKELINE_KEEP_LOGS") == nullptr) std::filesystem::remove_all(dir_, ec);
  }

  // Starts every stage (last first) and a client. Fails the test on any error.
  void start(const std::vector<StageSpec>& stages, const std::vector<std::string>& common = {}) {
    std::vector<std::vector<std::string>> endpoints(stages.size());
    for (size_t k = stages.size(); k-- > 0;) {
      const std::string routes = writeRoutes(stages, endpoints, k + 1, "routes-" + std::to_string(k));
      for (int r = 0; r < stages[k].replicas; ++r) {
        const std::string name = stages[k].name + "-" + std::to_string(r);
        std::vector<std::string> argv{SPIKELINE_WORKER_BIN, "--routes", routes, "--stage",
                                      stages[k].name, "--name", name, "--log-level", "info"};
        argv.insert(argv.end(), common.begin(), common.end());
        argv.insert(argv.end(), stages[k].extra_args.begin(), stages[k].extra_args.end());
        endpoints[k].push_back(spawn(name, argv));
        names_.push_back(name);
      }
    }
    startClient(writeRoutes(stages, endpoints, 0, "routes-all"));
  }

  // One worker in monolith mode serving the whole model (`model_path`: its topology YAML).
  void startMonolithWorker(const std::vector<std::string>& extra = {},
                           const std::string& model_path = kModelPath) {
    const std::string routes = dir_ + "/routes-none.yaml";
    std::ofstream(routes) << "topology: " << model_path << "\n";
    std::vector<std::string> argv{SPIKELINE_WORKER_BIN, "--routes", routes, "--monolith", "--name",
                                  "mono"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string ep = spawn("mono", argv);
    names_.push_back("mono");
    const std::string all = dir_ + "/routes-mono.yaml";
    std::ofstream(all) << "topology: " << model_path << "\nstages:\n  encoder: [" << ep << "]\n";
    startClient(all);
  }

  // Sends wire::InjectFault to worker `name` on its data port; ok once it acked `received`.
  Status injectFault(const std::string& name, const wire::InjectFault& fault) {
    SPIKELINE_ASSIGN_OR_RETURN(auto ctx, transport::makeTransportContext(1));
    SPIKELINE_ASSIGN_OR_RETURN(auto s, transport::makeDataSocket(*ctx, transport::SocketRole::kSender,
                                                                 transport::SocketOptions{"tester"}));
    SPIKELINE_RETURN_IF_ERROR(s->connect(endpoint(name)));
    SPIKELINE_ASSIGN_OR_RETURN(transport::Multipart msg, workers::controlOnDealer(fault));
    for (int i = 0; i < 500 && !s->send(msg).isOk(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto m = s->recv(5000); m.isOk(); m = s->recv(5000)) {
      auto e = transport::parseEnvelope(std::move(m).value(), transport::Side::kDealer);
      if (!e.isOk()) continue;
      auto decoded = wire::decode(e->payload);
      const auto* ack = decoded.isOk() ? std::get_if<wire::Ack>(&*decoded) : nullptr;
      if (ack == nullptr || ack->stage != "inject-fault") continue;
      return ack->kind == wire::AckKind::kReceived ? Status::ok()
                                                   : Status(ack->code, ack->message);
    }
    return deadlineExceeded("no ack for the injected fault");
  }

  client::Client& client() { return *client_; }
  harness::Process& worker(const std::string& name) { return *workers_.at(name); }
  const std::string& endpoint(const std::string& name) { return endpoints_.at(name); }
  std::string logOf(const std::string& name) {
    std::ifstream in(dir_ + "/" + name + ".log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  const Topology& topology() const { return topology_; }
  const Clock& clock() const { return *clock_; }

  // The monolith's answer for (input, request id).
  Tensor reference(const Tensor& input, RequestId id) {
    if (monolith_ == nullptr) {
      auto cpu = hal::makeCpuBackend(hal::CpuOptions{});
      EXPECT_TRUE(cpu.isOk());
      cpu_ = std::move(cpu).value();
      auto m = workers::Monolith::make(*cpu_, topology_);
      EXPECT_TRUE(m.isOk()) << m.status().toString();
      monolith_ = std::move(m).value();
    }
    Result<Tensor> out = monolith_->run(input, id);
    EXPECT_TRUE(out.isOk()) << out.status().toString();
    return out.isOk() ? *out : Tensor{};
  }

 private:
  std::string spawn(const std::string& name, const std::vector<std::string>& argv) {
    auto child = std::make_unique<harness::Process>();
    EXPECT_OK(child->start(argv, dir_ + "/" + name + ".log"));
    auto ready = child->waitReady(30'000);
    EXPECT_OK(ready) << name;
    const std::string ep = ready.isOk() ? ready->find("data") : "";
    workers_[name] = std::move(child);
    endpoints_[name] = ep;
    return ep;
  }

  std::string writeRoutes(const std::vector<StageSpec>& stages,
                          const std::vector<std::vector<std::string>>& endpoints, size_t from,
                          const std::string& file) {
    const std::string path = dir_ + "/" + file + ".yaml";
    std::ofstream out(path);
    out << "topology: " << kModelPath << "\nstages:\n";
    for (size_t k = from; k < stages.size(); ++k) {
      out << "  " << stages[k].name << ": [";
      for (size_t r = 0; r < endpoints[k].size(); ++r) out << (r ? ", " : "") << endpoints[k][r];
      out << "]\n";
    }
    return path;
  }

  void startClient(const std::string& routes_path) {
    auto routes = workers::parseRouteFile(routes_path);
    ASSERT_TRUE(routes.isOk()) << routes.status().toString();
    auto topo = topology::loadTopologyFile(routes->topology_path);
    ASSERT_TRUE(topo.isOk()) << topo.status().toString();
    topology_ = std::move(topo).value();
    std::vector<std::string> order;
    for (const Stage& s : topology_.stages) order.push_back(s.name);
    auto source = workers::makeStaticRouteSource(*routes, topology_.model, order);
    auto c = client::Client::make(topology_, source->current(), client_options);
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    client_ = std::move(c).value();
    ASSERT_TRUE(client_->waitReady(20'000).isOk());
  }

 public:
  client::ClientOptions client_options;

 private:
  std::string dir_;
  std::unique_ptr<Clock> clock_;
  std::map<std::string, std::unique_ptr<harness::Process>> workers_;
  std::map<std::string, std::string> endpoints_;
  std::vector<std::string> names_;
  Topology topology_;
  std::unique_ptr<hal::Backend> cpu_;
  std::unique_ptr<workers::Monolith> monolith_;
  std::unique_ptr<client::Client> client_;
};

}  // namespace spikeline::testing
