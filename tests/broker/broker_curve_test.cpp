// The broker with CURVE (docs/decisions/0010), real processes: only peers holding an authorised
// key can register, heartbeat, call admin operations or read routes; a worker must register its
// data port's key, and the routes carry it; plaintext off loopback needs --insecure.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <filesystem>
#include <tuple>

#include "broker/agent/route_subscriber.h"
#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"
#include "transport/curve.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers
namespace fs = std::filesystem;

class BrokerCurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = redis_.dir() / "keys";
    trust_ = redis_.dir() / "trust";
    for (const char* name : {"broker", "w1", "cli", "stranger"}) {
      auto pair = transport::generateCurveKeyPair();
      ASSERT_OK(pair);
      ASSERT_OK(transport::writeCurveKeyFiles(keys_.string(), name, *pair));
      if (std::string(name) != "stranger") {
        fs::create_directories(trust_);
        fs::copy_file(keys_ / (std::string(name) + ".key"), trust_ / (std::string(name) + ".key"));
      }
    }
    broker_.restartWith(
        {"--curve-key", (keys_ / "broker.key_secret").string(), "--curve-trust", trust_.string()});
    broker_.useCurve(identity("cli"));
    ASSERT_TRUE(broker_.waitReady()) << broker_.log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- broker log ---\n" << broker_.log();
  }
  transport::CurveIdentity identity(const std::string& name) {
    auto id = transport::loadCurveIdentity(
        {(keys_ / (name + ".key_secret")).string(), trust_.string(), "", false}, true);
    EXPECT_OK(id);
    return *id;
  }
  std::unique_ptr<BrokerAgent> agent(const std::string& name, const transport::CurveIdentity& id,
                                     bool register_key = true) {
    AgentOptions o;
    o.broker_endpoint = broker_.bind();
    o.routes_endpoint = broker_.pub();
    o.self.worker = WorkerId{name};
    o.self.backend = BackendKind::kCpu;
    o.self.capacity = 8;
    held_.push_back(std::make_unique<ReservedPort>());  // an endpoint nobody serves
    o.self.data_endpoint = held_.back()->tcp();
    o.self.node = "n-" + name;
    o.self.curve_key = register_key ? id.self.public_key : "";
    o.heartbeat_interval_ns = 50'000'000;
    o.curve = id;
    auto a = startBrokerAgent(o, {});
    return a ? std::move(*a) : nullptr;
  }
  json workers() {
    auto r = broker_.call({{"op", "workers"}});
    return r ? (*r)["workers"] : json::array();
  }

  RedisServer redis_;
  BrokerProcess broker_{redis_};
  fs::path keys_, trust_;
  std::vector<std::unique_ptr<ReservedPort>> held_;
};

TEST_F(BrokerCurveTest, OnlyAuthorisedKeysRegisterCallAdminAndReadRoutes) {
  auto w1 = agent("w1", identity("w1"));
  ASSERT_TRUE(waitFor([&] { return w1->connected(); })) << "an authorised worker registers";
  ASSERT_OK(broker_.deploy(writeModel(redis_.dir(), "alpha")));

  // The stranger's key is valid CURVE but not in the broker's trust directory.
  transport::CurveIdentity stranger = identity("stranger");
  auto forged = agent("w1", stranger);  // even under a live worker's name
  auto rogue = agent("rogue", stranger);
  auto plain = agent("plain", transport::CurveIdentity{});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_FALSE(rogue->connected());
  EXPECT_FALSE(forged->connected());
  EXPECT_FALSE(plain->connected());
  const json listed = workers();
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["name"], "w1");
  EXPECT_TRUE(listed[0].value("up", false)) << "the forger did not touch w1's health";

  auto admin = makeAdminClient(broker_.bind(), stranger);
  ASSERT_OK(admin);
  auto answer = (*admin)->call(R"({"op":"workers"})", {}, 700);
  EXPECT_EQ(answer.status().code(), StatusCode::kDeadlineExceeded)
      << "an unauthorised admin call gets no answer at all";

  auto sub = startRouteSubscriber({broker_.bind(), broker_.pub(), 100, stranger},
                                  [](const wire::RouteTable&) {});
  ASSERT_OK(sub);
  auto ok_sub = startRouteSubscriber({broker_.bind(), broker_.pub(), 100, identity("cli")},
                                     [](const wire::RouteTable&) {});
  ASSERT_OK(ok_sub);
  ASSERT_TRUE(waitFor([&] { return (*ok_sub)->routes().epoch > 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // > 1 republication
  EXPECT_EQ((*sub)->routes().epoch, 0u) << "an unauthorised subscriber must not read routes";

  // The routes carry w1's data-port key, so senders can authenticate it.
  const wire::RouteTable table = (*ok_sub)->routes();
  ASSERT_FALSE(table.models.empty());
  bool found = false;
  for (const auto& s : table.models[0].stages) {
    for (const auto& r : s.replicas) {
      if (r.worker.name == "w1") {
        found = true;
        EXPECT_EQ(r.curve_key, identity("w1").self.public_key);
      }
    }
  }
  EXPECT_TRUE(found) << "w1 serves a stage of alpha";
  EXPECT_NE(broker_.log().find("refused a CURVE handshake"), std::string::npos);
}

TEST_F(BrokerCurveTest, AWorkerWithoutADataPortKeyIsRefusedOnBothSides) {
  auto bare = agent("w1", identity("w1"), /*register_key=*/false);
  ASSERT_TRUE(waitFor([&] { return !bare->refusal().empty(); })) << "the worker is told";
  EXPECT_NE(bare->refusal().find("this broker runs CURVE"), std::string::npos) << bare->refusal();
  EXPECT_TRUE(workers().empty());
  EXPECT_NE(broker_.log().find("this broker runs CURVE"), std::string::npos);
}

// The broker's exit code and log for `args`, run alone (the harness's --bind would repeat).
// Ports are 0 unless `args` names them, so a broker that did start would bind nothing fixed.
std::pair<int, std::string> runBroker(const RedisServer& redis, std::vector<std::string> args) {
  std::vector<std::string> argv{SPIKELINE_BROKER_PATH, "--redis", redis.address()};
  for (const char* flag : {"--bind", "--pub"}) {
    if (std::find(args.begin(), args.end(), flag) == args.end()) {
      argv.insert(argv.end(), {flag, "tcp://127.0.0.1:0"});
    }
  }
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = (redis.dir() / "alone.log").string();
  harness::Process broker;
  if (Status s = broker.start(argv, log); !s.isOk()) return {-1, s.toString()};
  const int code = broker.reap(5000);
  broker.kill();
  return {code, readText(log)};
}

TEST(BrokerCurveStartTest, PlaintextOffLoopbackNeedsKeysOrInsecure) {
  RedisServer redis;
  const std::string wide = "tcp://0.0.0.0:0";
  auto [code, log] = runBroker(redis, {"--bind", wide});
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("--bind/--pub " + wide +
                     " reaches beyond this machine without "
                     "authentication"),
            std::string::npos)
      << log;
  std::tie(code, log) =
      runBroker(redis, {"--curve-key", (redis.dir() / "absent.key_secret").string(),
                        "--curve-trust", redis.dir().string()});
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("absent.key_secret: no such file"), std::string::npos) << log;
}

}  // namespace
}  // namespace spikeline::broker
