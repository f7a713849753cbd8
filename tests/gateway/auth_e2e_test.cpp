// API keys end to end (issue 14): a real spikeline-gateway started with --api-keys
// (gateway_fixture.h), called with curl and a grpc++ stub: 401 / UNAUTHENTICATED without a key,
// 403 / PERMISSION_DENIED with a wrong one, the right answer with a right one (both header
// forms), probes and /metrics open, the refusals counted, SIGHUP reloading the file, and a bad
// keys file refusing to start (exit 2, the file and line named).
#include <sys/wait.h>

#include <csignal>

#include "tests/gateway/gateway_fixture.h"

namespace spikeline::testing {
namespace {

constexpr const char* kGoodKey = "good-key-0123456789abcdef";
constexpr const char* kOtherKey = "other-key-0123456789abcdef";
constexpr const char* kWrongKey = "wrong-key-0123456789abcdef";
constexpr const char* kInfer = "/v2/models/fmnist-gw/infer";

class GatewayAuthE2ETest : public GatewayE2ETest {
 protected:
  std::vector<std::string> gatewayArgs() override {
    keys_path_ = cluster_.dir() / "api_keys.txt";
    std::ofstream(keys_path_) << "# test callers\nalice:" << kGoodKey << "\n\n"
                              << kOtherKey << "\n";
    return {"--api-keys", keys_path_.string()};
  }
  std::string body(uint64_t seed) {
    return inferBody(pixels(imageInput(seed)), {1, 28, 28}, "a" + std::to_string(seed));
  }
  // The inference answered 200 and equals the reference for its data-plane request id.
  void expectCorrect(const HttpReply& r, uint64_t seed) {
    ASSERT_EQ(r.status, 200) << r.body;
    const json out = json::parse(r.body);
    EXPECT_EQ(out["outputs"][0]["data"].get<std::vector<float>>(),
              reference(imageInput(seed), idsOf(out).at(0)));
  }
  double metric(const std::string& series) {
    const std::string text = get("/metrics").body;
    const size_t at = text.find("\n" + series + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + series.size() + 2));
  }

  std::filesystem::path keys_path_;
};

TEST_F(GatewayAuthE2ETest, RestNeedsAKeyExceptProbesAndMetrics) {
  for (const char* open : {"/v2/health/live", "/v2/health/ready", "/metrics"})
    EXPECT_EQ(get(open).status, 200) << open;

  HttpReply none = post(kInfer, body(1));
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.headers.find(R"(WWW-Authenticate: Bearer realm="spikeline")"), std::string::npos)
      << none.headers;
  EXPECT_NE(json::parse(none.body)["error"].get<std::string>().find("Authorization: Bearer"),
            std::string::npos)
      << none.body;
  for (const char* path : {"/v2", "/v2/models/fmnist-gw", "/v2/models/fmnist-gw/ready"})
    EXPECT_EQ(get(path).status, 401) << path;
  EXPECT_EQ(get("/v2/models/fmnist-gw", {"-H", "Authorization: Basic YWxpY2U6eA=="}).status, 401);

  for (const std::string& h : {std::string("Authorization: Bearer ") + kWrongKey,
                               std::string("X-API-Key: ") + kWrongKey}) {
    HttpReply wrong = post(kInfer, body(2), {"-H", h});
    EXPECT_EQ(wrong.status, 403) << h << wrong.body;
    EXPECT_TRUE(json::parse(wrong.body).contains("error")) << wrong.body;
    EXPECT_EQ(wrong.body.find(kWrongKey), std::string::npos) << "the key is echoed";
  }

  expectCorrect(post(kInfer, body(3), {"-H", std::string("Authorization: Bearer ") + kGoodKey}), 3);
  expectCorrect(post(kInfer, body(4), {"-H", std::string("authorization: bearer  ") + kOtherKey}),
                4);
  expectCorrect(post(kInfer, body(5), {"-H", std::string("X-API-Key: ") + kGoodKey}), 5);
  EXPECT_EQ(get("/v2/models/fmnist-gw", {"-H", std::string("X-API-Key: ") + kOtherKey}).status,
            200);

  EXPECT_EQ(metric(R"(spikeline_gateway_auth_failures_total{reason="missing"})"), 5.0);
  EXPECT_EQ(metric(R"(spikeline_gateway_auth_failures_total{reason="invalid"})"), 2.0);
  EXPECT_EQ(metric(R"(spikeline_gateway_authenticated_requests_total{caller="alice"})"), 2.0);
  EXPECT_EQ(metric(R"(spikeline_gateway_authenticated_requests_total{caller="key-4"})"), 2.0);
  const std::string metrics = get("/metrics").body;
  EXPECT_EQ(metrics.find(kGoodKey), std::string::npos);
  const auto file = cluster_.dir() / "auth_metrics.txt";
  std::ofstream(file) << metrics;
  const std::string cmd = "promtool check metrics < '" + file.string() + "' > '" +
                          (cluster_.dir() / "promtool.out").string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0)
      << broker::testing::readText(cluster_.dir() / "promtool.out");
  EXPECT_EQ(gateway_.log().find(kGoodKey), std::string::npos) << "a key is logged";
}

TEST_F(GatewayAuthE2ETest, GrpcNeedsAKeyExceptServerLiveAndReady) {
  auto channel = grpc::CreateChannel(gateway_.grpc(), grpc::InsecureChannelCredentials());
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  auto ctx = [](const char* key, const std::string& value) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (key != nullptr) c->AddMetadata(key, value);
    return c;
  };
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub->ServerLive(ctx(nullptr, "").get(), {}, &live).ok());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(stub->ServerReady(ctx(nullptr, "").get(), {}, &ready).ok());
  EXPECT_TRUE(ready.ready());

  inference::ModelMetadataRequest mm;
  mm.set_name("fmnist-gw");
  inference::ModelMetadataResponse meta;
  grpc::Status s = stub->ModelMetadata(ctx(nullptr, "").get(), mm, &meta);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_FALSE(s.error_message().empty());
  inference::ServerMetadataResponse sm;
  s = stub->ServerMetadata(ctx("authorization", kGoodKey).get(), {}, &sm);  // no "Bearer "
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  s = stub->ModelMetadata(ctx("authorization", std::string("Bearer ") + kWrongKey).get(), mm,
                          &meta);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(s.error_message().find(kWrongKey), std::string::npos);
  inference::ModelReadyRequest mr;
  mr.set_name("fmnist-gw");
  inference::ModelReadyResponse mready;
  s = stub->ModelReady(ctx("x-api-key", kWrongKey).get(), mr, &mready);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();

  s = stub->ModelReady(ctx("x-api-key", kOtherKey).get(), mr, &mready);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(mready.ready());
  const Tensor image = imageInput(41);
  const std::vector<float> px = pixels(image);
  inference::ModelInferRequest req;
  req.set_model_name("fmnist-gw");
  auto* in = req.add_inputs();
  in->set_name("input");
  in->set_datatype("FP32");
  for (int64_t d : {1, 28, 28}) in->add_shape(d);
  req.add_raw_input_contents(std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4));
  inference::ModelInferResponse resp;
  s = stub->ModelInfer(ctx(nullptr, "").get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  s = stub->ModelInfer(ctx("authorization", std::string("Bearer ") + kGoodKey).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.raw_output_contents_size(), 1);
  std::vector<float> got(10);
  ASSERT_EQ(resp.raw_output_contents(0).size(), 40u);
  std::memcpy(got.data(), resp.raw_output_contents(0).data(), 40);
  EXPECT_EQ(
      got,
      reference(image, idsOf(resp.parameters().at("spikeline_request_ids").string_param()).at(0)));
  EXPECT_EQ(metric(R"(spikeline_gateway_auth_failures_total{reason="missing"})"), 3.0);
  EXPECT_EQ(metric(R"(spikeline_gateway_auth_failures_total{reason="invalid"})"), 2.0);
}

TEST_F(GatewayAuthE2ETest, SighupReloadsTheKeysAndABadFileKeepsThem) {
  const std::string good = std::string("X-API-Key: ") + kGoodKey;
  const std::string fresh_key = "fresh-key-0123456789abcdef";
  const std::string fresh = "X-API-Key: " + fresh_key;
  ASSERT_EQ(get("/v2", {"-H", good}).status, 200);
  std::ofstream(keys_path_) << "fresh:" << fresh_key << "\n";
  gateway_.child().signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] {
        return get("/v2", {"-H", fresh}).status == 200;
      },
      10'000))
      << gateway_.log();
  EXPECT_EQ(get("/v2", {"-H", good}).status, 403);
  // A file with a bad line: the keys in force stay (no opening up, no lock-out).
  std::ofstream(keys_path_) << "short\n";
  gateway_.child().signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] { return gateway_.log().find("keeping the previous API keys") != std::string::npos; },
      10'000))
      << gateway_.log();
  EXPECT_NE(gateway_.log().find(keys_path_.string() + ":1: API key shorter"), std::string::npos)
      << gateway_.log();
  EXPECT_EQ(get("/v2", {"-H", fresh}).status, 200);
  EXPECT_EQ(get("/v2").status, 401);
}

// Runs the gateway binary with `args` (and `env`, "NAME=VALUE" or ""), returning exit code and
// stderr. It must exit before reaching the broker: the keys are checked first.
std::pair<int, std::string> runGateway(const std::filesystem::path& dir, const std::string& env,
                                       const std::string& args) {
  const auto err = dir / "gateway_bad_keys.err";
  const std::string cmd =
      env + " " SPIKELINE_GATEWAY_BIN " --broker tcp://127.0.0.1:1 --model /nonexistent.yaml " +
      args + " 2> '" + err.string() + "' > /dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, broker::testing::readText(err)};
}

TEST(GatewayAuthStartTest, ABadKeysFileRefusesToStartNamingTheFileAndLine) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "gateway_auth_start";
  std::filesystem::create_directories(dir);
  const auto file = dir / "keys.txt";
  std::ofstream(file) << "# ok\nalice:" << kGoodKey << "\nbob:too-short\n";
  auto [code, err] = runGateway(dir, "", "--api-keys " + file.string());
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(file.string() + ":3: API key shorter than 16"), std::string::npos) << err;

  std::ofstream(file) << "# nothing but comments\n\n";
  std::tie(code, err) = runGateway(dir, "SPIKELINE_GATEWAY_API_KEYS_FILE=" + file.string(), "");
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(file.string() + ": no API keys"), std::string::npos) << err;

  std::tie(code, err) = runGateway(dir, "", "--api-keys " + (dir / "missing.txt").string());
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find((dir / "missing.txt").string() + ": cannot read"), std::string::npos) << err;
}

TEST(GatewayAuthStartTest, WithoutKeysANonLoopbackListenerIsWarnedAbout) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "gateway_auth_start";
  std::filesystem::create_directories(dir);
  // Both runs stop at the missing model, after the keys decision.
  auto [code, err] = runGateway(dir, "", "--http 0.0.0.0:0");
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find("accepts unauthenticated requests on 0.0.0.0:0"), std::string::npos) << err;
  std::tie(code, err) = runGateway(dir, "", "--http 127.0.0.1:0 --grpc localhost:0");
  EXPECT_EQ(code, 2) << err;
  EXPECT_EQ(err.find("unauthenticated"), std::string::npos) << err;
}

}  // namespace
}  // namespace spikeline::testing
