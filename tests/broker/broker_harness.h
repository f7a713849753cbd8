// Test harness for broker integration tests: a real spikeline-broker process on ports it picks
// (port 0, announced on its READY line) against a RedisServer, in-process BrokerAgents, model files written to a temp dir, and a
// bounded waitFor(). Header-only; tests only. Not thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "broker/agent/admin_client.h"
#include "broker/agent/broker_agent.h"
#include "cli/deploy_request.h"
#include "tests/harness/files.h"
#include "tests/harness/process.h"
#include "tests/support/status_matchers.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/reserved_port.h"
#include "tests/support/proc_status.h"

namespace spikeline::broker::testing {

using nlohmann::json;
using harness::makeTempDir;
using harness::RedisServer;
using harness::ReservedPort;

// Polls `done` every 5 ms for up to `timeout_ms`; true when it held.
inline bool waitFor(const std::function<bool()>& done, int timeout_ms = 10000) {
  return harness::waitUntil(done, timeout_ms);
}

class BrokerProcess {
 public:
  // `check_endpoints`: the broker checks that a registering worker's data endpoint answers a
  // hello before routing it (its default); off for agents that advertise endpoints nobody serves.
  // The first start binds port 0 for the control ROUTER and the route PUB (and --metrics, when
  // enabled) and reads the ports from the broker's READY line; restarts reuse them.
  BrokerProcess(const RedisServer& redis, int heartbeat_ms = 100, int liveness = 5,
                bool check_endpoints = false)
      : redis_(redis),
        heartbeat_ms_(heartbeat_ms),
        liveness_(liveness),
        check_endpoints_(check_endpoints) {
    start();
  }
  ~BrokerProcess() { stop(); }

  // Starts the broker and waits for its READY line. A broker that exits first (bad credentials:
  // exit 2) is left for waitExit(); a restart that finds its port still held retries for 5 s.
  void start() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::vector<std::string> argv{SPIKELINE_BROKER_PATH, "--redis", redis_.address(), "--bind",
                                    bind_, "--pub", pub_, "--heartbeat-ms",
                                    std::to_string(heartbeat_ms_), "--liveness",
                                    std::to_string(liveness_), "--log-level", "debug"};
      if (!metrics_.empty()) argv.insert(argv.end(), {"--metrics", metrics_});
      if (!check_endpoints_) argv.push_back("--no-endpoint-check");
      argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
      if (Status s = process_.start(argv, (redis_.dir() / "broker.log").string()); !s.isOk()) {
        ADD_FAILURE() << s.toString();
        return;
      }
      Result<ReadyLine> ready = process_.waitReady(20'000);
      if (ready.isOk()) {
        bind_ = ready->find("control");
        pub_ = ready->find("routes");
        if (!metrics_.empty()) metrics_ = ready->find("metrics");
        client_ = std::move(*makeAdminClient(bind_, client_curve_));
        return;
      }
      const bool port_held = ready.status().message().find("Address already in use") !=
                             std::string::npos;
      if (!port_held || process_.running()) return;  // exited for its own reasons, or hung
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  // The harness's own admin connection speaks CURVE as `id` from now on (a broker started with
  // --curve-key admits only authorised keys).
  void useCurve(const transport::CurveIdentity& id) {
    client_curve_ = id;
    client_ = std::move(*makeAdminClient(bind_, client_curve_));
  }
  // Sends `sig` and reaps (SIGKILL after 5 s): the exit code, 128 + signal when it died of
  // one, -1 when it was not running.
  int stop(int sig = SIGTERM) { return process_.stop(sig); }
  bool running() { return process_.running(); }
  // Waits up to `timeout_ms` for the broker to exit by itself: its exit code, or -1 when it is
  // still running (or died of a signal).
  int waitExit(int timeout_ms) {
    const int code = process_.reap(timeout_ms);
    return code >= 128 ? -1 : code;
  }
  pid_t pid() const { return process_.pid(); }

  // Restarts the broker (same ports, same Redis) with `--metrics 127.0.0.1:0`; returns the
  // address it bound. For tests that scrape the broker.
  std::string enableMetrics() {
    stop();
    metrics_ = "127.0.0.1:0";
    start();
    return metrics_;
  }
  // Restarts the broker with `args` appended to its command line (same ports, same Redis).
  void restartWith(std::vector<std::string> args) {
    stop();
    extra_args_ = std::move(args);
    start();
  }
  const std::string& bind() const { return bind_; }
  const std::string& pub() const { return pub_; }

  // One admin call; the reply JSON, or the failing Status.
  Result<json> call(const json& request, const Parts& attachments = {}, int timeout_ms = 5000) {
    if (client_ == nullptr) return unavailable("the broker never printed READY:\n" + log());
    auto r = client_->call(request.dump(), attachments, timeout_ms);
    if (!r) return r.status();
    return json::parse(r->json);
  }
  Result<json> deploy(const std::filesystem::path& file) {
    SPIKELINE_ASSIGN_OR_RETURN(auto req, cli::makeDeployRequest(file));
    return call(json::parse(req.request_json), req.attachments);
  }
  bool waitReady() {
    return waitFor([&] { return call({{"op", "routes"}}, {}, 200).isOk(); });
  }
  std::string log() const { return harness::readText(redis_.dir() / "broker.log"); }

 private:
  const RedisServer& redis_;
  std::string bind_ = "tcp://127.0.0.1:0";
  std::string pub_ = "tcp://127.0.0.1:0";
  int heartbeat_ms_;
  int liveness_;
  bool check_endpoints_;
  harness::Process process_;
  std::string metrics_;  // --metrics address; empty = off
  std::vector<std::string> extra_args_;
  std::unique_ptr<AdminClient> client_;
  transport::CurveIdentity client_curve_;
};

// The `workers` entry of `name` on `broker`, or an empty object.
inline json workerEntry(BrokerProcess& broker, const std::string& name) {
  auto r = broker.call({{"op", "workers"}});
  if (!r) return json::object();
  for (const auto& w : (*r)["workers"]) {
    if (w["name"] == name) return w;
  }
  return json::object();
}

// An agent that registers `name`, advertising a data endpoint nobody serves: a loopback port
// held by this process for its lifetime (the broker is started with --no-endpoint-check).
inline std::unique_ptr<BrokerAgent> startAgent(const BrokerProcess& broker, const std::string& name,
                                               BackendKind backend, const std::string& node = "n1",
                                               AgentCallbacks callbacks = {}) {
  static std::vector<std::unique_ptr<ReservedPort>> held;  // never served, never handed on
  held.push_back(std::make_unique<ReservedPort>());
  AgentOptions o;
  o.broker_endpoint = broker.bind();
  o.routes_endpoint = broker.pub();
  o.self.worker = WorkerId{name};
  o.self.backend = backend;
  o.self.capacity = 8;
  o.self.data_endpoint = held.back()->tcp();
  o.self.node = node;
  o.heartbeat_interval_ns = 50'000'000;
  auto agent = startBrokerAgent(o, std::move(callbacks));
  return agent ? std::move(*agent) : nullptr;
}

using harness::readText;

inline void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// The features stage's placement in the shipped fmnist model, for edits (writeModel).
inline constexpr const char* kScnnFeaturesPlacement =
    "{backends: [chip, cuda, cpu], replicas: 2, standby: 1, fallback: true}";

// The shipped fmnist model, renamed to `name` and with `edits` (from -> to) applied, written
// with its weights into `dir`. Returns the YAML path.
inline std::filesystem::path writeModel(
    const std::filesystem::path& dir, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  const std::filesystem::path src = std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology/models";
  std::string yaml = readText(src / "fmnist_scnn.yaml");
  replaceAll(yaml, "name: fmnist-scnn", "name: " + name);
  for (const auto& [from, to] : edits) {
    // An edit that no longer matches the shipped file would silently test nothing.
    EXPECT_NE(yaml.find(from), std::string::npos) << "fmnist_scnn.yaml has no \"" << from << "\"";
    replaceAll(yaml, from, to);
  }
  std::filesystem::copy_file(src / "fmnist_scnn.safetensors", dir / "fmnist_scnn.safetensors",
                             std::filesystem::copy_options::overwrite_existing);
  const auto path = dir / (name + ".yaml");
  std::ofstream(path) << yaml;
  return path;
}

// Replicas (worker names) of `stage` of `model` in a routes reply.
inline std::vector<std::string> replicasOf(const json& routes, const std::string& model,
                                           const std::string& stage) {
  std::vector<std::string> out;
  if (!routes.is_object() || !routes.contains("models")) return out;
  for (const auto& m : routes["models"]) {
    if (m["model"] != model) continue;
    for (const auto& s : m["stages"]) {
      if (s["stage"] != stage) continue;
      for (const auto& r : s["replicas"]) out.push_back(r["worker"]);
    }
  }
  return out;
}

using spikeline::testing::rssKiB;  // tests/support/proc_status.h

inline bool hasEvent(const json& events, const std::string& kind, const std::string& subject) {
  if (!events.is_object() || !events.contains("events")) return false;
  for (const auto& e : events["events"]) {
    if (e["kind"] == kind && (subject.empty() || e["subject"] == subject)) return true;
  }
  return false;
}

}  // namespace spikeline::broker::testing
