// Readiness and metrics end to end (gateway_fixture.h): a chip fault that leaves a stage without
// a replica makes the gateway not ready (REST 503 + Retry-After, gRPC UNAVAILABLE), a new chip
// worker makes it ready again, the counters move, and `promtool check metrics` accepts the
// gateway's, the broker's and a worker's /metrics (their --metrics endpoints).
#include "tests/gateway/gateway_fixture.h"

namespace spikeline::testing {
namespace {

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
  {  // gRPC: the same refusal as UNAVAILABLE, naming the stage.
    auto stub = inference::GRPCInferenceService::NewStub(
        grpc::CreateChannel(gateway_.grpc(), grpc::InsecureChannelCredentials()));
    const std::vector<float> px = pixels(imageInput(2));
    inference::ModelInferRequest req;
    req.set_model_name("fmnist-gw");
    auto* in = req.add_inputs();
    in->set_name("input");
    in->set_datatype("FP32");
    for (int64_t d : {1, 28, 28}) in->add_shape(d);
    for (float v : px) in->mutable_contents()->add_fp32_contents(v);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    inference::ModelInferResponse resp;
    const grpc::Status s = stub->ModelInfer(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_NE(s.error_message().find("stage 'features'"), std::string::npos) << s.error_message();
    grpc::ClientContext ready_ctx;
    inference::ServerReadyResponse ready_resp;
    ASSERT_TRUE(stub->ServerReady(&ready_ctx, {}, &ready_resp).ok());
    EXPECT_FALSE(ready_resp.ready());
  }
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
  harness::Process broker2, worker;
  ASSERT_OK(broker2.start({SPIKELINE_BROKER_PATH, "--redis", cluster_.redis().address(), "--bind",
                           "tcp://127.0.0.1:0", "--pub", "tcp://127.0.0.1:0", "--metrics",
                           "127.0.0.1:0"},
                          (cluster_.dir() / "broker2.log").string()));
  ASSERT_OK(worker.start({SPIKELINE_WORKER_BIN, "--broker", cluster_.broker().bind(),
                          "--broker-routes", cluster_.broker().pub(), "--name", "probe-w",
                          "--backend", "chip", "--metrics", "127.0.0.1:0"},
                         (cluster_.dir() / "probe-w.log").string()));
  auto broker_ready = broker2.waitReady(20'000);
  ASSERT_OK(broker_ready);
  auto worker_ready = worker.waitReady(20'000);
  ASSERT_OK(worker_ready);
  const std::string broker_metrics = broker_ready->find("metrics");
  const std::string worker_metrics = worker_ready->find("metrics");
  ASSERT_FALSE(broker_metrics.empty()) << broker_ready->format();
  ASSERT_FALSE(worker_metrics.empty()) << worker_ready->format();
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
