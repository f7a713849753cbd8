// End to end through the gateway (gateway_fixture.h): curl against every REST endpoint, a grpc++
// stub against every RPC; results equal the data-plane client's for the same input (compared per
// data-plane request id with the monolith); every error code, and hostile bodies get 400.
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/proc_status.h"

namespace spikeline::testing {
namespace {

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
    if (c.name == "deadline" && r.status == 200) {  // the pipeline beat 1 ms: nothing to check
      std::cout << "[ gateway ] the 1 ms deadline was met: 504 not provoked this run\n";
      continue;
    }
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

// Bodies over the limits (64 MiB on REST, 32 MiB on gRPC) are refused (413 / RESOURCE_EXHAUSTED)
// and the gateway's peak RSS stays under 64 MiB above its start; it keeps serving (issue 14).
TEST_F(GatewayE2ETest, OversizedBodiesAreRefusedWithRssBounded) {
  const pid_t pid = gateway_.child().pid();
  const long before_kib = rssKiB(pid, "VmHWM");
  ASSERT_GT(before_kib, 0);
  const auto big = cluster_.dir() / "big.bin";
  {
    std::ofstream out(big, std::ios::binary);
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 256; ++i) out << chunk;  // 256 MiB
  }
  HttpReply rest = curl(cluster_.dir(),
                        {"-X", "POST", "--data-binary", "@" + big.string(), "-H",
                         "Content-Type: application/json"},
                        gateway_.http() + "/v2/models/fmnist-gw/infer");
  EXPECT_EQ(rest.status, 413) << rest.body;
  std::filesystem::remove(big);

  auto stub = inference::GRPCInferenceService::NewStub(
      grpc::CreateChannel(gateway_.grpc(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  inference::ModelInferRequest req;
  req.set_model_name("fmnist-gw");
  req.add_raw_input_contents(std::string(size_t{100} << 20, 'x'));  // 100 MiB
  inference::ModelInferResponse resp;
  EXPECT_EQ(stub->ModelInfer(&ctx, req, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  const long peak_kib = rssKiB(pid, "VmHWM");
  std::cout << "gateway peak RSS " << before_kib << " KiB -> " << peak_kib << " KiB\n";
  EXPECT_LT(peak_kib - before_kib, 64 * 1024);
  EXPECT_EQ(get("/v2/health/live").status, 200);
  // Under the limit (32 MiB) a large message is still received and judged on its content.
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  req.set_raw_input_contents(0, std::string(size_t{30} << 20, 'x'));
  EXPECT_EQ(stub->ModelInfer(&ctx2, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace spikeline::testing
