// TLS end to end (issue 14): a real spikeline-gateway started with --tls-cert/--tls-key, its
// certificate signed by a throwaway CA made with the openssl CLI (test_certs.h). curl with the
// CA gets health and inference over HTTPS; plain http:// to the port, curl without the CA and
// TLS 1.1 fail; a grpc++ stub with SslCredentials (root = the CA) gets ServerReady and the right
// ModelInfer result while an insecure channel and a wrong root fail; SIGHUP rotates both
// listeners' certificate and a bad pair keeps the old one on both; --tls-client-ca
// requires a client certificate on both protocols; bad files refuse to start (exit 2, named).
#include <sys/wait.h>

#include <csignal>

#include "tests/gateway/gateway_fixture.h"
#include "tests/gateway/test_certs.h"

namespace spikeline::testing {
namespace {

constexpr const char* kInfer = "/v2/models/fmnist-gw/infer";

std::string hostPort(const std::string& url) { return url.substr(url.find("://") + 3); }

// Runs `cmd` (a shell line); its exit status, -1 when it did not exit.
int shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class GatewayTlsE2ETest : public GatewayE2ETest {
 protected:
  std::vector<std::string> gatewayArgs() override {
    certs_ = std::make_unique<TestCerts>(cluster_.dir() / "tls");
    EXPECT_TRUE(certs_->makeCa() && certs_->issue("server-1", true, 1) &&
                certs_->issue("server-2", true, 2) && certs_->issue("client", false, 3))
        << certs_->log();
    std::filesystem::copy_file(certs_->path("server-1.crt"), certs_->path("server.crt"));
    std::filesystem::copy_file(certs_->path("server-1.key"), certs_->path("server.key"));
    curl_defaults_ = {"--cacert", certs_->ca()};
    std::filesystem::create_directories(workDir());
    return {"--tls-cert", certs_->path("server.crt").string(),
            "--tls-key",  certs_->path("server.key").string(),
            "--tls-dir",  workDir().string()};
  }
  // Where the gateways put gRPC's private copy of the certificate (--tls-dir).
  std::filesystem::path workDir() const { return cluster_.dir() / "tls-work"; }
  size_t entries(const std::filesystem::path& dir) const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
  }
  std::string body(uint64_t seed) {
    return inferBody(pixels(imageInput(seed)), {1, 28, 28}, "t" + std::to_string(seed));
  }
  void expectCorrect(const HttpReply& r, uint64_t seed) {
    ASSERT_EQ(r.status, 200) << r.body;
    const json out = json::parse(r.body);
    EXPECT_EQ(out["outputs"][0]["data"].get<std::vector<float>>(),
              reference(imageInput(seed), idsOf(out).at(0)));
  }
  // The subject CN of the certificate served at `host_port` ("" when the handshake failed), by
  // `openssl s_client` with the CA (and `extra` options).
  std::string servedCn(const std::string& host_port, const std::string& extra = "") {
    const auto out = cluster_.dir() / "s_client.out";
    const std::string cmd = "openssl s_client -connect " + host_port + " -CAfile '" + certs_->ca() +
                            "' -verify_return_error -alpn h2 " + extra +
                            " < /dev/null 2>/dev/null | openssl x509 -noout -subject > '" +
                            out.string() + "' 2>/dev/null";
    if (shell(cmd) != 0) return "";
    std::string s = broker::testing::readText(out);
    const size_t cn = s.find("CN = ");
    return cn == std::string::npos ? "" : s.substr(cn + 5, s.find_first_of("\n,", cn) - cn - 5);
  }
  // One grpc++ ModelInfer of imageInput(seed) over `channel`, checked against the reference.
  void expectGrpcInferCorrect(const std::shared_ptr<grpc::Channel>& channel, uint64_t seed) {
    auto stub = inference::GRPCInferenceService::NewStub(channel);
    const Tensor image = imageInput(seed);
    const std::vector<float> px = pixels(image);
    inference::ModelInferRequest req;
    req.set_model_name("fmnist-gw");
    auto* in = req.add_inputs();
    in->set_name("input");
    in->set_datatype("FP32");
    for (int64_t d : {1, 28, 28}) in->add_shape(d);
    req.add_raw_input_contents(
        std::string(reinterpret_cast<const char*>(px.data()), px.size() * 4));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    inference::ModelInferResponse resp;
    grpc::Status s = stub->ModelInfer(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.raw_output_contents_size(), 1);
    ASSERT_EQ(resp.raw_output_contents(0).size(), 40u);
    std::vector<float> got(10);
    std::memcpy(got.data(), resp.raw_output_contents(0).data(), 40);
    const std::string ids = resp.parameters().at("spikeline_request_ids").string_param();
    EXPECT_EQ(got, reference(image, idsOf(ids).at(0)));
  }
  static grpc::Status serverReady(const std::shared_ptr<grpc::Channel>& channel, bool* ready) {
    auto stub = inference::GRPCInferenceService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    inference::ServerReadyResponse resp;
    grpc::Status s = stub->ServerReady(&ctx, {}, &resp);
    *ready = resp.ready();
    return s;
  }
  std::shared_ptr<grpc::Channel> tlsChannel(const std::string& target, const std::string& root,
                                            const std::string& client = "") {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = broker::testing::readText(root);
    if (!client.empty()) {
      o.pem_cert_chain = broker::testing::readText(certs_->path(client + ".crt"));
      o.pem_private_key = broker::testing::readText(certs_->path(client + ".key"));
    }
    return grpc::CreateChannel(target, grpc::SslCredentials(o));
  }

  std::unique_ptr<TestCerts> certs_;
};

TEST_F(GatewayTlsE2ETest, RestServesHttpsOnly) {
  ASSERT_EQ(gateway_.http().rfind("https://", 0), 0u) << gateway_.http();
  EXPECT_EQ(get("/v2/health/live").status, 200);
  EXPECT_EQ(get("/v2/health/ready").status, 200);
  expectCorrect(post(kInfer, body(1)), 1);
  expectCorrect(post(kInfer, body(2), {"--http1.1", "--tlsv1.2", "--tls-max", "1.2"}), 2);

  const std::string port = hostPort(gateway_.http());
  // Plain HTTP to the TLS port: no HTTP answer (the handshake fails, the connection closes).
  EXPECT_EQ(curl(cluster_.dir(), {}, "http://" + port + "/v2/health/live").status, 0);
  // Without the CA, curl cannot verify the certificate (exit 60), and -k is not what a client
  // should do, but shows the server still answers.
  const std::string no_ca =
      "curl -s --max-time 10 -o /dev/null https://" + port + "/v2/health/live";
  EXPECT_EQ(shell(no_ca), 60);
  EXPECT_EQ(shell("curl -s -k --max-time 10 -o /dev/null https://" + port + "/v2/health/live"), 0);
  // The name checked is the address: localhost is in the certificate too.
  const std::string by_name = "https://localhost:" + port.substr(port.rfind(':') + 1);
  EXPECT_EQ(curl(cluster_.dir(), {"--cacert", certs_->ca()}, by_name + "/v2/health/live").status,
            200);
  // TLS 1.2 minimum (OpenSSL's client needs SECLEVEL=0 to offer 1.1 at all).
  EXPECT_EQ(servedCn(port, "-tls1_2"), "server-1");
  EXPECT_EQ(servedCn(port, "-tls1_1 -cipher DEFAULT@SECLEVEL=0"), "");
}

TEST_F(GatewayTlsE2ETest, GrpcServesTlsOnly) {
  const std::string target = gateway_.grpc();
  bool ready = false;
  grpc::Status s = serverReady(tlsChannel(target, certs_->ca()), &ready);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(ready);
  expectGrpcInferCorrect(tlsChannel(target, certs_->ca()), 11);
  expectGrpcInferCorrect(
      tlsChannel("localhost:" + target.substr(target.rfind(':') + 1), certs_->ca()), 12);

  s = serverReady(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()), &ready);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // A root that did not sign the server's certificate (the server certificate itself is no CA).
  s = serverReady(tlsChannel(target, certs_->path("server-2.crt").string()), &ready);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(servedCn(target, "-tls1_2"), "server-1");
  EXPECT_EQ(servedCn(target, "-tls1_1 -cipher DEFAULT@SECLEVEL=0"), "");
}

TEST_F(GatewayTlsE2ETest, CertificatesRotateAndABadPairKeepsTheOld) {
  const std::string rest = hostPort(gateway_.http()), grpc_target = gateway_.grpc();
  ASSERT_EQ(servedCn(rest), "server-1");
  ASSERT_EQ(servedCn(grpc_target), "server-1");
  // Replace both files atomically (a rename each, key first), as a Secret volume does.
  for (const char* ext : {".key", ".crt"}) {
    std::filesystem::copy_file(certs_->path(std::string("server-2") + ext),
                               certs_->path(std::string("next") + ext));
    std::filesystem::rename(certs_->path(std::string("next") + ext),
                            certs_->path(std::string("server") + ext));
  }
  gateway_.child().signal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return servedCn(rest) == "server-2"; }, 10'000)) << gateway_.log();
  ASSERT_TRUE(waitFor([&] { return servedCn(grpc_target) == "server-2"; }, 10'000))
      << gateway_.log();
  EXPECT_EQ(get("/v2/health/ready").status, 200);
  expectGrpcInferCorrect(tlsChannel(grpc_target, certs_->ca()), 21);

  // A key that does not match: REST refuses it on SIGHUP, gRPC keeps serving the old pair.
  std::filesystem::copy_file(certs_->path("server-1.key"), certs_->path("next.key"));
  std::filesystem::rename(certs_->path("next.key"), certs_->path("server.key"));
  gateway_.child().signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] {
        return gateway_.log().find("keeping the previous TLS certificate") != std::string::npos;
      },
      10'000))
      << gateway_.log();
  EXPECT_NE(gateway_.log().find("server.key: the private key does not match the certificate"),
            std::string::npos)
      << gateway_.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // gRPC's watcher: 1 s period
  EXPECT_EQ(servedCn(rest), "server-2");
  EXPECT_EQ(servedCn(grpc_target), "server-2");
  expectCorrect(post(kInfer, body(22)), 22);
  expectGrpcInferCorrect(tlsChannel(grpc_target, certs_->ca()), 23);

  // gRPC's private copy: one 0700 directory, gone after a clean stop.
  ASSERT_EQ(entries(workDir()), 1u);
  const auto copy = *std::filesystem::directory_iterator(workDir());
  EXPECT_EQ(std::filesystem::status(copy.path()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  gateway_.child().signal(SIGTERM);
  EXPECT_EQ(gateway_.child().reap(10'000), 0) << gateway_.log();
  EXPECT_EQ(entries(workDir()), 0u);
}

// --tls-client-ca: a second gateway on the same cluster requiring client certificates.
TEST_F(GatewayTlsE2ETest, ClientCaRequiresAClientCertificate) {
  GatewayProcess mtls;
  ASSERT_TRUE(mtls.start(cluster_.broker().bind(), cluster_.broker().pub(), {model_path_.string()},
                         cluster_.dir() / "gateway_mtls.log",
                         {"--tls-cert", certs_->path("server-1.crt").string(), "--tls-key",
                          certs_->path("server-1.key").string(), "--tls-client-ca", certs_->ca(),
                          "--tls-dir", workDir().string()}))
      << mtls.log();
  const std::vector<std::string> with_cert{"--cacert", certs_->ca(),
                                           "--cert",   certs_->path("client.crt").string(),
                                           "--key",    certs_->path("client.key").string()};
  ASSERT_TRUE(waitFor(
      [&] {
        return curl(cluster_.dir(), with_cert, mtls.http() + "/v2/health/ready").status == 200;
      },
      10'000))
      << mtls.log();
  EXPECT_EQ(
      curl(cluster_.dir(), {"--cacert", certs_->ca()}, mtls.http() + "/v2/health/live").status, 0);
  // A client certificate from another CA.
  TestCerts other(cluster_.dir() / "tls-other");
  ASSERT_TRUE(other.makeCa() && other.issue("client", false, 1)) << other.log();
  const std::vector<std::string> foreign{"--cacert", certs_->ca(),
                                         "--cert",   other.path("client.crt").string(),
                                         "--key",    other.path("client.key").string()};
  EXPECT_EQ(curl(cluster_.dir(), foreign, mtls.http() + "/v2/health/live").status, 0);

  bool ready = false;
  grpc::Status s = serverReady(tlsChannel(mtls.grpc(), certs_->ca(), "client"), &ready);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(ready);
  expectGrpcInferCorrect(tlsChannel(mtls.grpc(), certs_->ca(), "client"), 31);
  s = serverReady(tlsChannel(mtls.grpc(), certs_->ca()), &ready);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

// Runs the gateway with `args` (and `env`); exit code and stderr. The TLS files are checked
// before the models, so it exits before reaching the (absent) broker.
std::pair<int, std::string> runGateway(const std::filesystem::path& dir, const std::string& env,
                                       const std::string& args) {
  const auto err = dir / "gateway_bad_tls.err";
  const int code = shell(
      env + " " SPIKELINE_GATEWAY_BIN " --broker tcp://127.0.0.1:1 --model /nonexistent.yaml " +
      args + " 2> '" + err.string() + "' > /dev/null");
  return {code, broker::testing::readText(err)};
}

TEST(GatewayTlsStartTest, BadFilesRefuseToStartNamingTheFile) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "gateway_tls_start";
  std::filesystem::remove_all(dir);
  TestCerts certs(dir);
  ASSERT_TRUE(certs.makeCa() && certs.issue("a", true, 1) && certs.issue("b", true, 2))
      << certs.log();
  const std::string a_crt = certs.path("a.crt").string(), a_key = certs.path("a.key").string();
  const std::string b_key = certs.path("b.key").string();
  const std::string missing = certs.path("missing.crt").string();

  auto [code, err] = runGateway(dir, "", "--tls-cert " + missing + " --tls-key " + a_key);
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(missing + ": cannot read the TLS certificate"), std::string::npos) << err;

  std::tie(code, err) = runGateway(dir, "", "--tls-cert " + a_crt + " --tls-key " + b_key);
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(b_key + ": the private key does not match the certificate in " + a_crt),
            std::string::npos)
      << err;

  // The variables, and a key file holding a certificate.
  std::tie(code, err) = runGateway(
      dir, "SPIKELINE_GATEWAY_TLS_CERT=" + a_crt + " SPIKELINE_GATEWAY_TLS_KEY=" + a_crt, "");
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(a_crt + ": not a PEM private key"), std::string::npos) << err;

  std::tie(code, err) = runGateway(dir, "", "--tls-cert " + a_key + " --tls-key " + a_key);
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(a_key + ": no PEM certificate"), std::string::npos) << err;

  std::tie(code, err) = runGateway(dir, "", "--tls-cert " + a_crt);
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find("--tls-cert needs --tls-key"), std::string::npos) << err;

  std::tie(code, err) = runGateway(
      dir, "", "--tls-cert " + a_crt + " --tls-key " + a_key + " --tls-client-ca " + b_key);
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find(b_key + ": no PEM CA certificate"), std::string::npos) << err;

  // Good files: it gets past TLS and stops at the missing model.
  std::tie(code, err) = runGateway(dir, "", "--tls-cert " + a_crt + " --tls-key " + a_key);
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find("/nonexistent.yaml"), std::string::npos) << err;
  EXPECT_EQ(err.find("TLS:"), std::string::npos) << err;
}

}  // namespace
}  // namespace spikeline::testing
