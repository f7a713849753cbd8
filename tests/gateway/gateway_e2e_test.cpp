// End to end through the gateway (label integration): redis-server, spikeline-broker, three
// `spikeline-worker --broker` processes (cpu encoder, cpu classifier, the features stage on the
// only chip worker, no fallback), the model deployed through the broker, and a real
// `spikeline-gateway`; curl against every REST endpoint, a grpc++ stub against every RPC.
// Results must equal the data-plane client's for the same input.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/inference.grpc.pb.h"
#include "gateway/model_io.h"
#include "tests/e2e/cluster.h"
#include "tests/gateway/gateway_harness.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;
using broker::testing::writeModel;
using nlohmann::json;

constexpr const char* kModel = "fmnist-gw@1";

class GatewayE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.brokerReady()) << cluster_.broker().log();
    model_path_ =
        writeModel(cluster_.dir(), "fmnist-gw",
                   {{"backends: [chip, cuda, cpu]     # chip first; fall back to GPU, "
                     "then CPU\n      replicas: 2\n      standby: 1\n      fallback: true",
                     "backends: [chip]\n      replicas: 1\n      fallback: false"}});
    topology_ = loadModel(model_path_);
    for (const char* n : {"cpu-0", "cpu-1"}) ASSERT_EQ(cluster_.startWorker(n, "cpu"), "");
    ASSERT_EQ(cluster_.startWorker("chip-0", "chip"), "");
    auto deployed = cluster_.deploy(model_path_);
    ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
    ASSERT_TRUE(waitFor([&] { return routed(); }, 10'000)) << cluster_.routes().dump();
    ASSERT_TRUE(gateway_.start(cluster_.broker().bind(), cluster_.broker().pub(),
                               {model_path_.string()}, cluster_.dir() / "gateway.log"))
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

  bool routed() {
    return cluster_.routedAs(kModel, {{"encoder", 1}, {"features", 1}, {"classifier", 1}});
  }
  HttpReply get(const std::string& path) {
    return curl(cluster_.dir(), {}, gateway_.http() + path);
  }
  HttpReply post(const std::string& path, const std::string& body,
                 std::vector<std::string> extra = {}) {
    const auto file = cluster_.dir() / "req.bin";
    std::ofstream(file, std::ios::binary) << body;
    std::vector<std::string> args{
        "-X", "POST", "--data-binary", "@" + file.string(), "-H", "Content-Type: application/json"};
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
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<hal::Backend> cpu_;
  std::unique_ptr<workers::Monolith> mono_;  // after cpu_: destroyed first
  std::unique_ptr<Clock> clock_ = makeSystemClock();
};

TEST_F(GatewayE2ETest, RestEndpointsAnswerAndInferEqualsTheClient) {
  json v2 = json::parse(get("/v2").body);
  EXPECT_EQ(v2["name"], "spikeline");
  EXPECT_EQ(v2["extensions"], json::array({"binary_tensor_data"}));
  EXPECT_EQ(get("/v2/health/live").status, 200);
  EXPECT_EQ(get("/v2/health/ready").status, 200);
  for (const char* path : {"/v2/models/fmnist-gw", "/v2/models/fmnist-gw/versions/1"}) {
    HttpReply m = get(path);
    ASSERT_EQ(m.status, 200) << path << m.body;
    json meta = json::parse(m.body);
    EXPECT_EQ(meta["platform"], "spikeline");
    EXPECT_EQ(meta["inputs"][0]["shape"], json({-1, 1, 28, 28}));
    EXPECT_EQ(meta["outputs"][0]["shape"], json({-1, 10}));
  }
  EXPECT_EQ(get("/v2/models/fmnist-gw/ready").status, 200);
  EXPECT_EQ(get("/v2/models/fmnist-gw/versions/1/ready").status, 200);

  for (uint64_t seed : {11u, 12u, 13u}) {
    const Tensor image = imageInput(seed);
    HttpReply r = post("/v2/models/fmnist-gw/infer",
                       inferBody(pixels(image), {1, 28, 28}, "req-" + std::to_string(seed)));
    ASSERT_EQ(r.status, 200) << r.body;
    json out = json::parse(r.body);
    EXPECT_EQ(out["id"], "req-" + std::to_string(seed));
    EXPECT_EQ(out["model_name"], "fmnist-gw");
    EXPECT_EQ(out["model_version"], "1");
    EXPECT_EQ(out["outputs"][0]["shape"], json({10}));
    ASSERT_EQ(idsOf(out).size(), 1u) << r.body;
    EXPECT_EQ(out["outputs"][0]["data"].get<std::vector<float>>(), reference(image, idsOf(out)[0]))
        << "seed " << seed;
    expectClientMatchesReference(image);
  }
  // A batch of 3 fans out as 3 frames and comes back as one [3, 10] response.
  std::vector<float> batch;
  for (uint64_t seed : {21u, 22u, 23u}) {
    const auto px = pixels(imageInput(seed));
    batch.insert(batch.end(), px.begin(), px.end());
  }
  HttpReply b = post("/v2/models/fmnist-gw/infer", inferBody(batch, {3, 1, 28, 28}, "batch"));
  ASSERT_EQ(b.status, 200) << b.body;
  const std::vector<uint64_t> batch_ids = idsOf(json::parse(b.body));
  ASSERT_EQ(batch_ids.size(), 3u);
  std::vector<float> want;
  for (size_t k = 0; k < 3; ++k) {
    const auto n = reference(imageInput(21 + k), batch_ids[k]);
    want.insert(want.end(), n.begin(), n.end());
  }
  EXPECT_EQ(json::parse(b.body)["outputs"][0]["shape"], json({3, 10}));
  EXPECT_EQ(json::parse(b.body)["outputs"][0]["data"].get<std::vector<float>>(), want);

  // Binary tensor data extension, in and out.
  const Tensor image = imageInput(31);
  const std::vector<float> px = pixels(image);
  const std::string header =
      json{{"inputs",
            {{{"name", "input"},
              {"datatype", "FP32"},
              {"shape", {1, 28, 28}},
              {"parameters", {{"binary_data_size", px.size() * 4}}}}}},
           {"outputs", {{{"name", "output"}, {"parameters", {{"binary_data", true}}}}}}}
          .dump();
  HttpReply bin =
      post("/v2/models/fmnist-gw/infer",
           header + std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4),
           {"-H", "Inference-Header-Content-Length: " + std::to_string(header.size())});
  ASSERT_EQ(bin.status, 200) << bin.body;
  ASSERT_TRUE(bin.hasHeader("Inference-Header-Content-Length")) << bin.headers;
  ASSERT_GE(bin.body.size(), 40u);
  std::vector<float> got(10);
  std::memcpy(got.data(), bin.body.data() + bin.body.size() - 40, 40);
  const json bin_header = json::parse(bin.body.substr(0, bin.body.size() - 40));
  EXPECT_EQ(got, reference(image, idsOf(bin_header).at(0)));
}

TEST_F(GatewayE2ETest, RestErrorsAreMappedAndHostileBodiesGet400) {
  const std::string good = inferBody(pixels(imageInput(1)), {1, 28, 28}, "ok");
  struct Case {
    std::string name, path, body;
    int status;
    std::string says;
  };
  std::string deep(100000, '[');
  std::string garbage(10 << 20, 'x');
  for (size_t i = 0; i < garbage.size(); i += 7) garbage[i] = static_cast<char>(i & 0xff);
  const std::vector<Case> cases{
      {"unknown model", "/v2/models/nope/infer", good, 404, "unknown model 'nope'"},
      {"unknown version", "/v2/models/fmnist-gw/versions/9/infer", good, 404, "no version '9'"},
      {"wrong shape", "/v2/models/fmnist-gw/infer", inferBody({1, 2}, {2}, "x"), 400, "shape [2]"},
      {"wrong datatype", "/v2/models/fmnist-gw/infer",
       R"({"inputs":[{"name":"input","datatype":"BYTES","shape":[1,28,28],"data":[]}]})", 400,
       "datatype BYTES"},
      {"missing input", "/v2/models/fmnist-gw/infer", R"({"inputs":[]})", 400, "exactly 1 input"},
      {"malformed", "/v2/models/fmnist-gw/infer", "{\"inputs\": [}", 400, "malformed JSON"},
      {"truncated", "/v2/models/fmnist-gw/infer", good.substr(0, good.size() / 2), 400,
       "malformed JSON"},
      {"deeply nested", "/v2/models/fmnist-gw/infer", deep, 400, "nested deeper"},
      {"10 MB of garbage", "/v2/models/fmnist-gw/infer", garbage, 400, "malformed JSON"},
      {"unsupported", "/v2/models/fmnist-gw/infer",
       R"({"parameters":{"sequence_id":1},"inputs":[]})", 501, "not supported"},
      {"deadline", "/v2/models/fmnist-gw/infer",
       json{{"parameters", {{"timeout", 1}}}, {"inputs", json::parse(good)["inputs"]}}.dump(), 504,
       "deadline"},
  };
  for (const Case& c : cases) {
    HttpReply r = post(c.path, c.body);
    if (c.name == "deadline" && r.status == 200) continue;  // the pipeline beat 1 ms: not an error
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_NE(r.body.find(c.says), std::string::npos) << c.name << ": " << r.body;
    EXPECT_TRUE(json::accept(r.body)) << c.name;
  }
  // A binary header that lies about its length; a Content-Length longer than the body.
  HttpReply lie =
      post("/v2/models/fmnist-gw/infer", good, {"-H", "Inference-Header-Content-Length: 99999999"});
  EXPECT_EQ(lie.status, 400) << lie.body;
  HttpReply short_body = post("/v2/models/fmnist-gw/infer", good,
                              {"-H", "Content-Length: " + std::to_string(good.size() + 100)});
  EXPECT_EQ(short_body.status, 400) << short_body.body;
  EXPECT_EQ(get("/v2/nothing").status, 404);
  // Still serving.
  EXPECT_EQ(post("/v2/models/fmnist-gw/infer", good).status, 200);
  EXPECT_EQ(get("/v2/health/live").status, 200);
}

TEST_F(GatewayE2ETest, GrpcClientCallsEveryRpc) {
  auto channel = grpc::CreateChannel(gateway_.grpc(), grpc::InsecureChannelCredentials());
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return c;
  };
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub->ServerLive(ctx().get(), {}, &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(stub->ServerReady(ctx().get(), {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
  inference::ModelReadyRequest mr;
  mr.set_name("fmnist-gw");
  inference::ModelReadyResponse mready;
  ASSERT_TRUE(stub->ModelReady(ctx().get(), mr, &mready).ok());
  EXPECT_TRUE(mready.ready());
  inference::ServerMetadataResponse sm;
  ASSERT_TRUE(stub->ServerMetadata(ctx().get(), {}, &sm).ok());
  EXPECT_EQ(sm.name(), "spikeline");
  inference::ModelMetadataRequest mm;
  mm.set_name("fmnist-gw");
  inference::ModelMetadataResponse meta;
  ASSERT_TRUE(stub->ModelMetadata(ctx().get(), mm, &meta).ok());
  EXPECT_EQ(meta.platform(), "spikeline");
  EXPECT_EQ(meta.inputs(0).shape_size(), 4);

  const Tensor image = imageInput(41);
  const std::vector<float> px = pixels(image);
  inference::ModelInferRequest req;
  req.set_model_name("fmnist-gw");
  req.set_id("g1");
  auto* in = req.add_inputs();
  in->set_name("input");
  in->set_datatype("FP32");
  for (int64_t d : {1, 28, 28}) in->add_shape(d);
  req.add_raw_input_contents(std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4));
  inference::ModelInferResponse resp;
  grpc::Status s = stub->ModelInfer(ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.id(), "g1");
  ASSERT_EQ(resp.raw_output_contents_size(), 1);
  std::vector<float> got(10);
  ASSERT_EQ(resp.raw_output_contents(0).size(), 40u);
  std::memcpy(got.data(), resp.raw_output_contents(0).data(), 40);
  ASSERT_EQ(resp.parameters().count("spikeline_request_ids"), 1u);
  EXPECT_EQ(
      got,
      reference(image, idsOf(resp.parameters().at("spikeline_request_ids").string_param()).at(0)));

  mm.set_name("nope");
  EXPECT_EQ(stub->ModelMetadata(ctx().get(), mm, &meta).error_code(), grpc::StatusCode::NOT_FOUND);
  in->set_datatype("BYTES");
  s = stub->ModelInfer(ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

TEST_F(GatewayE2ETest, ReadinessFollowsChipFaultAndMetricsCountIt) {
  const std::string good = inferBody(pixels(imageInput(2)), {1, 28, 28}, "m");
  ASSERT_EQ(post("/v2/models/fmnist-gw/infer", good).status, 200);
  const auto fault_at = std::chrono::steady_clock::now();
  auto f = cluster_.broker().call(
      {{"op", "fault"}, {"worker", "chip-0"}, {"whole_chip", true}, {"permanent", true}});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  // Polled in-process (a curl per poll would add its own start-up to the figure).
  const std::string host = gateway_.http().substr(7, gateway_.http().rfind(':') - 7);
  httplib::Client poll(host, std::stoi(gateway_.http().substr(gateway_.http().rfind(':') + 1)));
  poll.set_tcp_nodelay(true);
  ASSERT_TRUE(waitFor(
      [&] {
        auto r = poll.Get("/v2/models/fmnist-gw/ready");
        return r && r->status == 503;
      },
      5000));
  const auto flip_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - fault_at)
                           .count();
  std::cout << "[ gateway ] not ready " << flip_ms << " ms after the chip fault\n";
  EXPECT_LT(flip_ms, 1000) << "issue 12 aims at 100 ms; 1 s bounds a loaded CI machine";
  HttpReply ready = get("/v2/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("stage 'features'"), std::string::npos) << ready.body;
  HttpReply refused = post("/v2/models/fmnist-gw/infer", good);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(refused.hasHeader("Retry-After")) << refused.headers;
  // A new chip worker takes the stage: ready again.
  ASSERT_EQ(cluster_.startWorker("chip-1", "chip"), "");
  ASSERT_TRUE(waitFor([&] { return get("/v2/health/ready").status == 200; }, 15'000))
      << cluster_.routes().dump();
  ASSERT_TRUE(
      waitFor([&] { return post("/v2/models/fmnist-gw/infer", good).status == 200; }, 10'000));

  const std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("spikeline_inference_request_success_total{model=\"fmnist-gw\""),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("reason=\"unavailable\""), std::string::npos) << metrics;
  EXPECT_NE(
      metrics.find("spikeline_stage_duration_seconds_count{model=\"fmnist-gw\",stage=\"features\""),
      std::string::npos)
      << metrics;
  const auto file = cluster_.dir() / "metrics.txt";
  std::ofstream(file) << metrics;
  const std::string cmd = "promtool check metrics < '" + file.string() + "' > '" +
                          (cluster_.dir() / "promtool.out").string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0)
      << broker::testing::readText(cluster_.dir() / "promtool.out");
}

// `--metrics` on the broker and on a worker: /live, /ready (503 with a reason, then 200), and
// /metrics that promtool accepts. A second broker on the same Redis, and an extra chip worker.
TEST_F(GatewayE2ETest, BrokerAndWorkerProbeEndpointsPassPromtool) {
  using broker::testing::freePort;
  const std::string broker_metrics = "127.0.0.1:" + std::to_string(freePort());
  const std::string worker_metrics = "127.0.0.1:" + std::to_string(freePort());
  ChildProcess broker2, worker;
  ASSERT_TRUE(
      broker2.start({SPIKELINE_BROKER_PATH, "--redis", cluster_.redis().address(), "--bind",
                     "tcp://127.0.0.1:" + std::to_string(freePort()), "--pub",
                     "tcp://127.0.0.1:" + std::to_string(freePort()), "--metrics", broker_metrics},
                    (cluster_.dir() / "broker2.log").string()));
  ASSERT_TRUE(worker.start({SPIKELINE_WORKER_BIN, "--broker", cluster_.broker().bind(),
                            "--broker-routes", cluster_.broker().pub(), "--name", "probe-w",
                            "--backend", "chip", "--metrics", worker_metrics},
                           (cluster_.dir() / "probe-w.log").string()));
  ASSERT_FALSE(worker.waitReady(20'000).empty());
  for (const std::string& addr : {broker_metrics, worker_metrics}) {
    const std::string base = "http://" + addr;
    ASSERT_TRUE(
        waitFor([&] { return curl(cluster_.dir(), {}, base + "/ready").status == 200; }, 10'000))
        << addr;
    EXPECT_EQ(curl(cluster_.dir(), {}, base + "/live").status, 200);
    const std::string text = curl(cluster_.dir(), {}, base + "/metrics").body;
    EXPECT_NE(text.find("process_resident_memory_bytes"), std::string::npos) << text;
    const auto file = cluster_.dir() / "probe_metrics.txt";
    std::ofstream(file) << text;
    const auto out = cluster_.dir() / "probe_promtool.out";
    const std::string cmd =
        "promtool check metrics < '" + file.string() + "' > '" + out.string() + "' 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << addr << ": " << broker::testing::readText(out);
  }
  // The worker's chip fails: its /ready says so.
  auto f = cluster_.broker().call(
      {{"op", "fault"}, {"worker", "probe-w"}, {"whole_chip", true}, {"permanent", true}});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  HttpReply r;
  ASSERT_TRUE(waitFor(
      [&] {
        r = curl(cluster_.dir(), {}, "http://" + worker_metrics + "/ready");
        return r.status == 503;
      },
      5000))
      << r.body;
  EXPECT_NE(r.body.find("backend failed"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace spikeline::testing
