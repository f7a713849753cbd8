// GatewayE2ETest: the gateway's end-to-end fixture (label integration): redis-server,
// spikeline-broker, three `spikeline-worker --broker` processes (cpu encoder, cpu classifier, the
// features stage on the only chip worker, no fallback), the model deployed through the broker, a
// real `spikeline-gateway`, a data-plane client and the in-process monolith (the reference).
// Owns every process (tests/e2e/cluster.h). Header-only; tests only; one thread.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "gateway/inference.grpc.pb.h"
#include "gateway/model_io.h"
#include "tests/e2e/cluster.h"
#include "tests/gateway/gateway_harness.h"

namespace spikeline::testing {

using broker::testing::waitFor;
using broker::testing::writeModel;
using nlohmann::json;

inline constexpr const char* kGatewayModel = "fmnist-gw@1";

class GatewayE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.brokerReady()) << cluster_.broker().log();
    model_path_ =
        writeModel(cluster_.dir(), "fmnist-gw",
                   {{broker::testing::kScnnFeaturesPlacement,
                     "{backends: [chip], replicas: 1, fallback: false}"}});
    topology_ = loadModel(model_path_);
    for (const char* n : {"cpu-0", "cpu-1"}) ASSERT_EQ(cluster_.startWorker(n, "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("chip-0", "chip"), "");
    auto deployed = cluster_.deploy(model_path_);
    ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
    ASSERT_TRUE(waitFor([&] { return routed(); }, 10'000)) << cluster_.routes().dump();
    ASSERT_TRUE(gateway_.start(cluster_.broker().bind(), cluster_.broker().pub(),
                               {model_path_.string()}, cluster_.dir() / "gateway.log",
                               gatewayArgs()))
        << gateway_.log();
    ASSERT_TRUE(waitFor([&] { return get("/v2/health/ready").status == 200; }, 10'000))
        << gateway_.log();
    client_ = cluster_.makeClient(topology_);
    ASSERT_NE(client_, nullptr);
    auto cpu = hal::makeCpuBackend(hal::CpuOptions{});
    ASSERT_TRUE(cpu.isOk());
    cpu_ = std::move(cpu).value();
    auto mono = workers::Monolith::make(*cpu_, topology_);
    ASSERT_TRUE(mono.isOk()) << mono.status().toString();
    mono_ = std::move(mono).value();
  }

  // Extra spikeline-gateway arguments; called once in SetUp, before the gateway starts (may
  // write files in cluster_.dir()).
  virtual std::vector<std::string> gatewayArgs() { return {}; }

  bool routed() {
    return cluster_.routedAs(kGatewayModel, {{"encoder", 1}, {"features", 1}, {"classifier", 1}});
  }
  HttpReply get(const std::string& path, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = curl_defaults_;
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(cluster_.dir(), args, gateway_.http() + path);
  }
  HttpReply post(const std::string& path, const std::string& body,
                 std::vector<std::string> extra = {}) {
    const auto file = cluster_.dir() / "req.bin";
    std::ofstream(file, std::ios::binary) << body;
    std::vector<std::string> args = curl_defaults_;
    args.insert(args.end(), {"-X", "POST", "--data-binary", "@" + file.string(), "-H",
                             "Content-Type: application/json"});
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(cluster_.dir(), args, gateway_.http() + path);
  }
  static std::vector<float> pixels(const Tensor& t) {
    const auto& d = std::get<DenseTensor>(t);
    return {d.floats().begin(), d.floats().end()};
  }
  static std::string inferBody(const std::vector<float>& px, std::vector<int> shape,
                               const std::string& id) {
    return json{
        {"id", id},
        {"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", shape}, {"data", px}}}}}
        .dump();
  }
  // The rate encoder is seeded by the data plane's request id, so outputs are compared per id:
  // what the in-process monolith computes for (input, id), as the gateway reports it.
  std::vector<float> reference(const Tensor& input, uint64_t id) {
    auto out = mono_->run(input, id);
    EXPECT_TRUE(out.isOk()) << out.status().toString();
    return out.isOk() ? gateway::framesToOutput(topology_, {*out}, false)->data
                      : std::vector<float>{};
  }
  // The data-plane client's answer for `input` equals the reference under its request id (so the
  // gateway's, equal to the reference under its own ids, is the client's for the same id).
  void expectClientMatchesReference(const Tensor& input) {
    auto r = client_->submit(topology_.model, input, client::deadlineAfterMs(*clock_, 5000)).get();
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(gateway::framesToOutput(topology_, {r->output}, false)->data,
              reference(input, r->request_id));
  }
  // The response's `spikeline_request_ids` parameter.
  static std::vector<uint64_t> idsOf(const std::string& text) {
    std::vector<uint64_t> ids;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');) ids.push_back(std::stoull(part));
    return ids;
  }
  static std::vector<uint64_t> idsOf(const json& response) {
    return idsOf(response["parameters"]["spikeline_request_ids"].get<std::string>());
  }

  Cluster cluster_;
  std::filesystem::path model_path_;
  Topology topology_;
  GatewayProcess gateway_;
  std::vector<std::string> curl_defaults_;  // before every get/post's own (e.g. --cacert FILE)
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<hal::Backend> cpu_;
  std::unique_ptr<workers::Monolith> mono_;  // after cpu_: destroyed first
  std::unique_ptr<Clock> clock_ = makeSystemClock();
};

}  // namespace spikeline::testing
