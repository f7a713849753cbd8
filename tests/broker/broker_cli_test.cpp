// The spikeline CLI's broker commands against a real broker and Redis.
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include <gtest/gtest.h>

#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliResult runCli(const std::string& args) {
  CliResult r;
  FILE* p = ::popen((std::string(SPIKELINE_CLI_PATH) + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class BrokerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.waitReady()) << broker_.log();
    for (const char* name : {"cpu-0", "cpu-1", "cpu-2"}) {
      agents_.push_back(startAgent(broker_, name, BackendKind::kCpu));
    }
    for (const char* name : {"chip-0", "chip-1", "chip-2"}) {
      agents_.push_back(startAgent(broker_, name, BackendKind::kChip, name));
    }
    ASSERT_TRUE(waitFor([&] {
      auto w = broker_.call({{"op", "workers"}});
      return w && w->at("workers").size() == 6;
    }));
  }
  std::string flag() const { return " --broker " + broker_.bind(); }

  RedisServer redis_;
  BrokerProcess broker_{redis_};
  std::vector<std::unique_ptr<BrokerAgent>> agents_;
};

TEST_F(BrokerCliTest, DeployShowsSharedOperatorsRoutesAndUndeploys) {
  const auto alpha = writeModel(redis_.dir(), "alpha");
  const auto beta =
      writeModel(redis_.dir(), "beta", {{"membrane, tau: 0.002}\n", "membrane, tau: 0.004}\n"}});
  CliResult d1 = runCli("deploy " + alpha.string() + flag());
  ASSERT_EQ(d1.exit_code, 0) << d1.output;
  EXPECT_NE(d1.output.find("deployed alpha@1"), std::string::npos) << d1.output;
  ASSERT_EQ(runCli("deploy " + beta.string() + flag()).exit_code, 0);

  CliResult models = runCli("models" + flag());
  ASSERT_EQ(models.exit_code, 0) << models.output;
  EXPECT_NE(models.output.find("SHARED with beta@1/features"), std::string::npos) << models.output;

  CliResult routes = runCli("routes" + flag());
  EXPECT_NE(routes.output.find("route epoch"), std::string::npos) << routes.output;
  EXPECT_NE(routes.output.find("chip-0=tcp://"), std::string::npos) << routes.output;

  CliResult workers = runCli("workers" + flag());
  EXPECT_NE(workers.output.find("chip-2  chip  node chip-2  UP  standby"), std::string::npos)
      << workers.output;

  CliResult undeploy = runCli("undeploy beta@1" + flag());
  EXPECT_EQ(undeploy.exit_code, 0) << undeploy.output;
  CliResult events = runCli("events --count 100" + flag());
  EXPECT_NE(events.output.find("undeployed  beta@1"), std::string::npos) << events.output;
}

TEST_F(BrokerCliTest, InvalidFileIsRejectedLocallyWithLineNumbers) {
  std::string yaml =
      readText(std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology/models/fmnist_scnn.yaml");
  replaceAll(yaml, "replicas: 2", "replicas: 0");
  const auto path = redis_.dir() / "bad.yaml";
  std::ofstream(path) << yaml;
  CliResult r = runCli("deploy " + path.string() + flag());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.yaml:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("replicas"), std::string::npos) << r.output;
}

// A shipped model whose weight file is missing, or altered so that its sha256 no longer matches,
// is refused by `spikeline deploy` before anything reaches the broker, with file:line:col.
TEST_F(BrokerCliTest, MissingOrAlteredWeightsAreRefusedAtDeployWithFileAndLine) {
  const std::filesystem::path src = std::filesystem::path(SPIKELINE_SOURCE_DIR) / "topology/models";
  const auto dir = redis_.dir() / "weights";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(src / "fmnist_scnn.yaml", dir / "m.yaml");
  CliResult missing = runCli("deploy " + (dir / "m.yaml").string() + flag());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("m.yaml:"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("weight_files.main.path: cannot read weights file"),
            std::string::npos) << missing.output;

  std::string bytes = readText(src / "fmnist_scnn.safetensors");
  bytes[bytes.size() - 1] ^= 0x01;  // one bit of one weight
  std::ofstream(dir / "fmnist_scnn.safetensors", std::ios::binary) << bytes;
  CliResult altered = runCli("deploy " + (dir / "m.yaml").string() + flag());
  EXPECT_EQ(altered.exit_code, 1);
  EXPECT_NE(altered.output.find("weight_files.main.sha256: does not match"), std::string::npos)
      << altered.output;
  EXPECT_EQ(runCli("models" + flag()).output.find("fmnist-scnn"), std::string::npos)
      << "nothing was deployed";
}

TEST_F(BrokerCliTest, ErrorsFromTheBrokerAreShownAndExitNonZero) {
  CliResult r = runCli("undeploy nope@3" + flag());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown model nope@3"), std::string::npos) << r.output;
  CliResult f = runCli("fault ghost" + flag());
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.output.find("unknown worker 'ghost'"), std::string::npos) << f.output;
  CliResult usage = runCli("undeploy bad@x" + flag());
  EXPECT_EQ(usage.exit_code, 1);
  ReservedPort nobody_listens;
  CliResult down = runCli("models --timeout-ms 300 --broker " + nobody_listens.tcp());
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.output.find("did not answer"), std::string::npos) << down.output;
}

TEST_F(BrokerCliTest, FaultReachesTheWorker) {
  std::atomic<int> got{0};
  AgentCallbacks cb;
  cb.on_inject_fault = [&](const InjectFault& f) {
    if (!f.whole_chip && f.core == 3 && !f.permanent && f.failing_runs == 2) got.fetch_add(1);
    return f.core < 128 ? Status::ok() : invalidArgument("core out of range (0..127)");
  };
  auto agent = startAgent(broker_, "chip-9", BackendKind::kChip, "n9", cb);
  ASSERT_TRUE(waitFor([&] { return agent->connected(); }));
  CliResult r = runCli("fault chip-9 --core 3 --transient 2" + flag());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fault injected into chip-9"), std::string::npos) << r.output;
  EXPECT_EQ(got.load(), 1);
  // The worker's refusal: exit 1 with its reason (it used to print "forwarded" and exit 0).
  CliResult refused = runCli("fault chip-9 --core 99999" + flag());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("refused the fault: core out of range"), std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace spikeline::broker
