// gateway_bench: the gateway's added latency over the native data-plane client, and the request
// rate it sustains on a trivial model (issue 12's figures). Not a ctest test (timings): run
// `build/tests/gateway/gateway_bench [--n 300] [--rate 100] [--hey-seconds 5]`.
// A real cluster (redis-server, spikeline-broker, cpu workers) with fmnist_scnn (every stage on
// cpu) and a one-stage trivial model, and two real spikeline-gateways on it: one plaintext, one
// with TLS (a throwaway CA made by the openssl CLI, test_certs.h). Latency: requests paced at
// --rate, one at a time, the seven ways interleaved in rounds (native client; REST JSON, REST
// binary and gRPC, each plaintext and over TLS on a kept-alive connection), p50/p99. Rate:
// Debian's `hey` against REST JSON on the trivial model.
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
#include "tests/gateway/test_certs.h"

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
  TestCerts certs(cluster.dir() / "tls");
  if (!certs.makeCa() || !certs.issue("server", true, 1)) return std::cerr << certs.log(), 1;
  GatewayProcess gw, gw_tls;
  std::vector<std::string> models{fmnist.string(), trivial.string()};
  if (!gw.start(cluster.broker().bind(), cluster.broker().pub(), models,
                cluster.dir() / "gw.log")) {
    return std::cerr << "gateway: " << gw.log() << "\n", 1;
  }
  if (!gw_tls.start(cluster.broker().bind(), cluster.broker().pub(), models,
                    cluster.dir() / "gw_tls.log",
                    {"--tls-cert", certs.path("server.crt").string(), "--tls-key",
                     certs.path("server.key").string(), "--tls-dir", cluster.dir().string()})) {
    return std::cerr << "TLS gateway: " << gw_tls.log() << "\n", 1;
  }
  for (const GatewayProcess* g : {&gw, &gw_tls}) {
    const std::vector<std::string> ca{"--cacert", certs.ca()};
    if (!waitFor([&] { return curl(cluster.dir(), ca, g->http() + "/v2/health/ready").status == 200; },
                 20'000)) {
      return std::cerr << "not ready: "
                       << curl(cluster.dir(), ca, g->http() + "/v2/health/ready").body << "\n",
             1;
    }
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
  httplib::Client http(gw.http()), https(gw_tls.http());
  https.set_ca_cert_path(certs.ca().c_str());
  https.enable_server_certificate_verification(true);
  for (httplib::Client* c : {&http, &https}) {
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
  }
  auto stub = inference::GRPCInferenceService::NewStub(
      grpc::CreateChannel(gw.grpc(), grpc::InsecureChannelCredentials()));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = broker::testing::readText(certs.path("ca.crt"));
  auto stub_tls = inference::GRPCInferenceService::NewStub(
      grpc::CreateChannel(gw_tls.grpc(), grpc::SslCredentials(ssl)));
  inference::ModelInferRequest greq;
  greq.set_model_name("fmnist-bench");
  auto* in = greq.add_inputs();
  in->set_name("input");
  in->set_datatype("FP32");
  for (int64_t dim : {1, 28, 28}) in->add_shape(dim);
  greq.add_raw_input_contents(std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4));

  constexpr int kModes = 7;
  const char* names[kModes] = {"native client", "REST JSON",   "REST binary",   "gRPC",
                               "REST JSON TLS", "REST binary TLS", "gRPC TLS"};
  auto once = [&](int mode) -> bool {
    httplib::Client& h = mode < 4 ? http : https;
    auto& g = mode < 4 ? stub : stub_tls;
    switch (mode) {
      case 0:
        return client->submit(topology.model, image, client::deadlineAfterMs(*clock, 5000))
            .get()
            .isOk();
      case 1:
      case 4: {
        auto r = h.Post("/v2/models/fmnist-bench/infer", json_body, "application/json");
        return r && r->status == 200;
      }
      case 2:
      case 5: {
        httplib::Headers hd{{"Inference-Header-Content-Length", std::to_string(header.size())}};
        auto r = h.Post("/v2/models/fmnist-bench/infer", hd, bin_body, "application/octet-stream");
        return r && r->status == 200;
      }
      default: {
        grpc::ClientContext ctx;
        inference::ModelInferResponse resp;
        return g->ModelInfer(&ctx, greq, &resp).ok();
      }
    }
  };
  for (int mode = 0; mode < kModes; ++mode) {  // warm-up: connections, handshakes, first credit
    for (int i = 0; i < 20; ++i) (void)once(mode);
  }
  std::vector<double> lat[kModes];
  int failures[kModes] = {};
  const auto gap = std::chrono::microseconds(1'000'000 / rate);
  auto next = Clk::now();
  for (int i = 0; i < n; ++i) {
    for (int mode = 0; mode < kModes; ++mode) {
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
  for (int mode = 0; mode < kModes; ++mode) {
    std::printf("| %s | %zu | %.0f | %.0f | %.0f | %.0f | %d |\n", names[mode], lat[mode].size(),
                pct(lat[mode], 0.5), pct(lat[mode], 0.99), pct(lat[mode], 0.5) - pct(lat[0], 0.5),
                pct(lat[mode], 0.99) - pct(lat[0], 0.99), failures[mode]);
  }
  // What TLS adds: each protocol over TLS minus the same protocol in plaintext, same rounds.
  for (int mode = 1; mode < 4; ++mode) {
    std::printf("TLS adds to %s: p50 %+.0f us, p99 %+.0f us\n", names[mode],
                pct(lat[mode + 3], 0.5) - pct(lat[mode], 0.5),
                pct(lat[mode + 3], 0.99) - pct(lat[mode], 0.99));
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
