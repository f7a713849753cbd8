// gateway_bench: the gateway's added latency over the native data-plane client, and the request
// rate it sustains on a trivial model (issue 12's figures). Not a ctest test (timings): run
// `build/tests/gateway/gateway_bench [--n 300] [--rate 100] [--hey-seconds 5]`.
// A real cluster (redis-server, spikeline-broker, cpu workers) with fmnist_scnn (every stage on
// cpu) and a one-stage trivial model, and a real spikeline-gateway. Latency: requests paced at
// --rate, one at a time, the four ways interleaved in rounds (native client, REST JSON, REST
// binary, gRPC), p50/p99. Rate: Debian's `hey` against REST JSON on the trivial model.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "gateway/inference.grpc.pb.h"
#include "tests/e2e/cluster.h"
#include "tests/gateway/gateway_harness.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;
using broker::testing::writeModel;
using nlohmann::json;
using Clk = std::chrono::steady_clock;

constexpr const char* kTrivial = R"(spikeline: 1
model: {name: trivial, version: 1}
timesteps: 1
input: {shape: [16], encoding: dense}
precision: fixed
frac_bits: 10
operators:
  - {name: encode, kind: encode_rate, params: {seed: 7, gain: 1.0}}
  - {name: readout, kind: readout, params: {mode: spike_count}}
stages:
  - {name: only, operators: [encode, readout], placement: {backends: [cpu], replicas: 1}}
)";

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int run(int n, int rate, int hey_seconds) {
  Cluster cluster;
  if (!cluster.brokerReady()) return std::cerr << "broker not ready\n", 1;
  const auto fmnist = writeModel(
      cluster.dir(), "fmnist-bench",
      {{broker::testing::kScnnFeaturesPlacement, "{backends: [cpu], replicas: 1}"},
       {"backends: [cuda, cpu], replicas: 1, fallback: true", "backends: [cpu], replicas: 1"}});
  const auto trivial = cluster.dir() / "trivial.yaml";
  std::ofstream(trivial) << kTrivial;
  for (const char* w : {"w0", "w1", "w2", "w3"}) {
    if (!cluster.startWorker(w, "cpu").empty()) return std::cerr << "worker " << w << "\n", 1;
  }
  for (const auto& m : {fmnist, trivial}) {
    if (!cluster.deploy(m).isOk()) return std::cerr << "deploy " << m << "\n", 1;
  }
  const Topology topology = loadModel(fmnist);
  GatewayProcess gw;
  std::vector<std::string> models{fmnist.string(), trivial.string()};
  if (!gw.start(cluster.broker().bind(), cluster.broker().pub(), models,
                cluster.dir() / "gw.log")) {
    return std::cerr << "gateway: " << gw.log() << "\n", 1;
  }
  if (!waitFor(
          [&] { return curl(cluster.dir(), {}, gw.http() + "/v2/health/ready").status == 200; },
          20'000)) {
    return std::cerr << "not ready: "
                     << curl(cluster.dir(), {}, gw.http() + "/v2/health/ready").body << "\n",
           1;
  }
  auto client = cluster.makeClient(topology);
  if (!client) return 1;
  auto clock = makeSystemClock();
  const Tensor image = imageInput(7);
  const auto& d = std::get<DenseTensor>(image);
  const std::vector<float> px(d.floats().begin(), d.floats().end());
  const std::string json_body =
      json{{"inputs",
            {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {1, 28, 28}}, {"data", px}}}}}
          .dump();
  const std::string header = json{{"inputs",
                                   {{{"name", "input"},
                                     {"datatype", "FP32"},
                                     {"shape", {1, 28, 28}},
                                     {"parameters", {{"binary_data_size", px.size() * 4}}}}}},
                                  {"parameters", {{"binary_data_output", true}}}}
                                 .dump();
  const std::string bin_body =
      header + std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4);
  const std::string host = gw.http().substr(7, gw.http().rfind(':') - 7);
  httplib::Client http(host, std::stoi(gw.http().substr(gw.http().rfind(':') + 1)));
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  auto stub = inference::GRPCInferenceService::NewStub(
      grpc::CreateChannel(gw.grpc(), grpc::InsecureChannelCredentials()));
  inference::ModelInferRequest greq;
  greq.set_model_name("fmnist-bench");
  auto* in = greq.add_inputs();
  in->set_name("input");
  in->set_datatype("FP32");
  for (int64_t dim : {1, 28, 28}) in->add_shape(dim);
  greq.add_raw_input_contents(std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4));

  const char* names[4] = {"native client", "REST JSON", "REST binary", "gRPC"};
  auto once = [&](int mode) -> bool {
    switch (mode) {
      case 0:
        return client->submit(topology.model, image, client::deadlineAfterMs(*clock, 5000))
            .get()
            .isOk();
      case 1: {
        auto r = http.Post("/v2/models/fmnist-bench/infer", json_body, "application/json");
        return r && r->status == 200;
      }
      case 2: {
        httplib::Headers h{{"Inference-Header-Content-Length", std::to_string(header.size())}};
        auto r =
            http.Post("/v2/models/fmnist-bench/infer", h, bin_body, "application/octet-stream");
        return r && r->status == 200;
      }
      default: {
        grpc::ClientContext ctx;
        inference::ModelInferResponse resp;
        return stub->ModelInfer(&ctx, greq, &resp).ok();
      }
    }
  };
  for (int mode = 0; mode < 4; ++mode) {  // warm-up: connections, first credit
    for (int i = 0; i < 20; ++i) (void)once(mode);
  }
  std::vector<double> lat[4];
  int failures[4] = {0, 0, 0, 0};
  const auto gap = std::chrono::microseconds(1'000'000 / rate);
  auto next = Clk::now();
  for (int i = 0; i < n; ++i) {
    for (int mode = 0; mode < 4; ++mode) {
      std::this_thread::sleep_until(next);
      next += gap;
      const auto t0 = Clk::now();
      if (!once(mode)) ++failures[mode];
      lat[mode].push_back(std::chrono::duration<double, std::micro>(Clk::now() - t0).count());
    }
  }
  std::printf(
      "| path | n | p50 us | p99 us | added p50 us | added p99 us | failures "
      "|\n|---|---|---|---|---|---|---|\n");
  for (int mode = 0; mode < 4; ++mode) {
    std::printf("| %s | %zu | %.0f | %.0f | %.0f | %.0f | %d |\n", names[mode], lat[mode].size(),
                pct(lat[mode], 0.5), pct(lat[mode], 0.99), pct(lat[mode], 0.5) - pct(lat[0], 0.5),
                pct(lat[mode], 0.99) - pct(lat[0], 0.99), failures[mode]);
  }
  // The protocols' own floor on this machine: a liveness call through the same HTTP connection
  // and gRPC channel (no parsing, no pipeline), paced like the requests above.
  std::vector<double> floor_http, floor_grpc;
  for (int i = 0; i < n; ++i) {
    std::this_thread::sleep_until(next);
    next += gap;
    auto t0 = Clk::now();
    auto r = http.Get("/v2/health/live");
    if (r && r->status == 200)
      floor_http.push_back(std::chrono::duration<double, std::micro>(Clk::now() - t0).count());
    std::this_thread::sleep_until(next);
    next += gap;
    t0 = Clk::now();
    grpc::ClientContext ctx;
    inference::ServerLiveRequest lreq;
    inference::ServerLiveResponse lresp;
    if (stub->ServerLive(&ctx, lreq, &lresp).ok())
      floor_grpc.push_back(std::chrono::duration<double, std::micro>(Clk::now() - t0).count());
  }
  std::printf("protocol floor (liveness round trip): HTTP p50 %.0f us p99 %.0f us, gRPC p50 %.0f us "
              "p99 %.0f us\n",
              pct(floor_http, 0.5), pct(floor_http, 0.99), pct(floor_grpc, 0.5),
              pct(floor_grpc, 0.99));
  // Where the added time goes: the gateway's own infer() time (parse done, to response built),
  // mean per protocol, from its /metrics.
  const std::string text = curl(cluster.dir(), {}, gw.http() + "/metrics").body;
  for (const char* protocol : {"rest", "grpc"}) {
    const std::string labels =
        std::string("{model=\"fmnist-bench\",protocol=\"") + protocol + "\",version=\"default\"} ";
    const size_t sum = text.find("spikeline_inference_request_duration_seconds_sum" + labels);
    const size_t count = text.find("spikeline_inference_request_duration_seconds_count" + labels);
    if (sum == std::string::npos || count == std::string::npos) continue;
    const double s = std::stod(text.substr(text.find(' ', sum) + 1));
    const double c = std::stod(text.substr(text.find(' ', count) + 1));
    std::printf("gateway infer() mean (%s): %.0f us over %.0f requests\n", protocol, s / c * 1e6, c);
  }
  // Maximum rate on the trivial model: hey, REST JSON, closed loop.
  const auto body = cluster.dir() / "trivial.json";
  std::ofstream(body) << json{{"inputs",
                               {{{"name", "input"},
                                 {"datatype", "FP32"},
                                 {"shape", {16}},
                                 {"data", std::vector<float>(16, 0.5f)}}}}}
                             .dump();
  for (int c : {8, 32}) {
    const auto out = cluster.dir() / "hey.out";
    const std::string cmd = "hey -z " + std::to_string(hey_seconds) + "s -c " + std::to_string(c) +
                            " -m POST -T application/json -D '" + body.string() + "' " + gw.http() +
                            "/v2/models/trivial/infer > '" + out.string() + "' 2>&1";
    (void)std::system(cmd.c_str());
    const std::string text = broker::testing::readText(out);
    const size_t rps = text.find("Requests/sec:");
    const size_t codes = text.find("Status code distribution:");
    std::printf(
        "hey -c %d -z %ds trivial REST JSON: %s | %s\n", c, hey_seconds,
        rps == std::string::npos ? "?" : text.substr(rps, text.find('\n', rps) - rps).c_str(),
        codes == std::string::npos ? "?" : text.substr(codes + 26, 80).c_str());
  }
  return 0;
}

}  // namespace
}  // namespace spikeline::testing

int main(int argc, char** argv) {
  int n = 300, rate = 100, hey_seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--n") n = std::atoi(argv[i + 1]);
    if (a == "--rate") rate = std::atoi(argv[i + 1]);
    if (a == "--hey-seconds") hey_seconds = std::atoi(argv[i + 1]);
  }
  return spikeline::testing::run(n, std::max(rate, 1), hey_seconds);
}
