// Data-plane and broker metrics end to end (issue 12), real processes (tests/e2e/cluster.h):
// redis-server, spikeline-broker --metrics, spikeline-worker --broker --metrics (cpu encoder and
// classifier, two chip workers for features, a spare). Load runs while one chip fails: every
// request succeeds, and the counters say what happened (chip faults and unavailable nacks on the
// failed chip, re-sends and re-routes at the encoder, hardware fault, route changes and heartbeat
// misses at the broker, queue depth back to 0); promtool accepts every /metrics. Then the errors
// a client gets name the stage, the operator and the worker: an operator's bad input, and the
// last chip failing with frames on it.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/e2e/cluster.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/workers/closed_loop.h"

namespace spikeline::testing {
namespace {

using broker::testing::waitFor;
using broker::testing::writeModel;

constexpr const char* kModel = "fmnist-mx@1";

// Sum of every sample of `family` whose labels contain each of `has` (e.g. "stage=\"encoder\"").
double sumOf(const std::string& text, const std::string& family,
             const std::vector<std::string>& has = {}) {
  double total = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(family + "{", 0) != 0 && line.rfind(family + " ", 0) != 0) continue;
    bool all = true;
    for (const std::string& h : has) all = all && line.find(h) != std::string::npos;
    if (all) total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

class MetricsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_metrics_ = cluster_.broker().enableMetrics();
    ASSERT_TRUE(cluster_.brokerReady()) << cluster_.broker().log();
    const auto path = writeModel(cluster_.dir(), "fmnist-mx",
                                 {{broker::testing::kScnnFeaturesPlacement,
                                   "{backends: [chip], replicas: 2, fallback: false}"}});
    topology_ = loadModel(path);
    for (const auto& [name, backend] : std::vector<std::pair<std::string, std::string>>{
             {"cpu-0", "cpu"}, {"cpu-1", "cpu"}, {"chip-0", "chip"}, {"chip-1", "chip"}}) {
      startWorker(name, backend);
    }
    auto deployed = cluster_.deploy(path);
    ASSERT_TRUE(deployed.isOk()) << deployed.status().toString();
    ASSERT_TRUE(waitFor([&] {
      return cluster_.routedAs(kModel, {{"encoder", 1}, {"features", 2}, {"classifier", 1}});
    }, 15'000)) << cluster_.routes().dump();
    client_ = cluster_.makeClient(topology_);
    ASSERT_NE(client_, nullptr);
  }

  void startWorker(const std::string& name, const std::string& backend) {
    auto child = std::make_unique<harness::Process>();
    ASSERT_OK(child->start({SPIKELINE_WORKER_BIN, "--broker", cluster_.broker().bind(),
                              "--broker-routes", cluster_.broker().pub(), "--name", name,
                              "--backend", backend, "--node", "node-" + name, "--work-dir",
                              (cluster_.dir() / name).string(), "--metrics", "127.0.0.1:0"},
                             (cluster_.dir() / (name + ".log")).string()));
    auto ready = child->waitReady(20'000);
    ASSERT_OK(ready) << name;
    metrics_[name] = ready->find("metrics");
    workers_[name] = std::move(child);
  }
  std::string scrape(const std::string& addr) {
    return curl(cluster_.dir(), {}, "http://" + addr + "/metrics").body;
  }
  std::string scrapeWorker(const std::string& name) { return scrape(metrics_.at(name)); }
  // Every worker's text concatenated (the encoder and classifier land on either cpu worker).
  std::string scrapeAll() {
    std::string all;
    for (const auto& [name, addr] : metrics_) all += scrape(addr);
    return all;
  }
  void expectPromtoolAccepts(const std::string& what, const std::string& text) {
    const auto file = cluster_.dir() / "scrape.txt";
    const auto out = cluster_.dir() / "promtool.out";
    std::ofstream(file) << text;
    const std::string cmd = "promtool check metrics < '" + file.string() + "' > '" +
                            out.string() + "' 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << what;
    EXPECT_EQ(broker::testing::readText(out), "") << what << ": promtool must say nothing";
  }
  void fault(const std::string& worker) {
    auto r = cluster_.broker().call(
        {{"op", "fault"}, {"worker", worker}, {"whole_chip", true}, {"permanent", true}});
    ASSERT_TRUE(r.isOk()) << r.status().toString();
  }

  Cluster cluster_;
  std::string broker_metrics_;
  Topology topology_;
  std::map<std::string, std::unique_ptr<harness::Process>> workers_;
  std::map<std::string, std::string> metrics_;  // worker -> its --metrics address
  std::unique_ptr<client::Client> client_;
};

TEST_F(MetricsE2ETest, CountersFollowAChipFaultUnderLoadAndErrorsNameWhereTheyFailed) {
  // Load, with chip-0 failing after 40 results.
  const auto inputs = images(200, 50000);
  std::atomic<bool> fault_now{false};
  LoadRecord rec;
  std::thread load([&] {
    rec = runClosedLoop(*client_, topology_.model, inputs, 16, 20'000, 60'000,
                        [&](size_t done) { if (done == 40) fault_now.store(true); });
  });
  ASSERT_TRUE(waitFor([&] { return fault_now.load(); }, 30'000));
  fault("chip-0");
  load.join();
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << rec.errors.size() << " error kinds";
  EXPECT_EQ(rec.completed, inputs.size());

  const std::string chip0 = scrapeWorker("chip-0");
  EXPECT_GT(sumOf(chip0, "spikeline_worker_chip_faults_total", {"stage=\"features\""}), 0) << chip0;
  EXPECT_GT(sumOf(chip0, "spikeline_worker_nacks_sent_total", {"reason=\"unavailable\""}), 0);
  EXPECT_GT(sumOf(chip0, "spikeline_operator_failures_total"), 0);
  std::string all;
  ASSERT_TRUE(waitFor([&] {  // queue depth and credits back to 0 everywhere once load is done
    all = scrapeAll();
    return sumOf(all, "spikeline_stage_queue_depth") == 0 &&
           sumOf(all, "spikeline_worker_credits_in_flight") == 0;
  }, 5'000)) << all;
  const std::vector<std::string> enc{"stage=\"encoder\""};
  EXPECT_GT(sumOf(all, "spikeline_worker_resends_total", enc), 0) << all;
  EXPECT_GT(sumOf(all, "spikeline_worker_reroutes_total", enc), 0) << all;
  EXPECT_GE(sumOf(all, "spikeline_worker_frames_received_total", enc), double(inputs.size()));
  EXPECT_GE(sumOf(all, "spikeline_worker_frames_sent_total", {"stage=\"classifier\""}),
            double(inputs.size()));
  EXPECT_GT(sumOf(all, "spikeline_worker_bytes_sent_total", enc), 0);
  EXPECT_GE(sumOf(all, "spikeline_stage_compute_duration_seconds_count", {"stage=\"features\""}),
            double(inputs.size()));
  EXPECT_GT(sumOf(all, "spikeline_operator_compute_duration_seconds_count",
                  {"stage=\"features\"", "operator=\""}), 0);
  EXPECT_GT(sumOf(all, "spikeline_worker_route_epoch"), 0);

  // The broker: the fault report, a new route epoch, and a spare killed: heartbeat misses.
  startWorker("spare", "cpu");
  ASSERT_TRUE(waitFor([&] {
    return sumOf(scrape(broker_metrics_), "spikeline_broker_workers", {"state=\"idle\""}) >= 1;
  }, 5'000));
  workers_.at("spare")->kill();
  std::string broker;
  ASSERT_TRUE(waitFor([&] {
    broker = scrape(broker_metrics_);
    // The miss is counted when the event is recorded and the state gauge a moment later, in
    // the same recompute: a scrape may fall between the two, so wait for both.
    return sumOf(broker, "spikeline_broker_heartbeat_misses_total", {"worker=\"spare\""}) == 1 &&
           sumOf(broker, "spikeline_broker_workers", {"state=\"down\""}) >= 2;
  }, 5'000)) << broker;
  EXPECT_GE(sumOf(broker, "spikeline_broker_hardware_faults_total", {"worker=\"chip-0\""}), 1)
      << broker;
  EXPECT_GT(sumOf(broker, "spikeline_broker_route_changes_total"), 0);
  EXPECT_GT(sumOf(broker, "spikeline_broker_route_epoch"), 0);
  EXPECT_EQ(sumOf(broker, "spikeline_broker_deploys_total"), 1);
  expectPromtoolAccepts("broker", broker);
  for (const auto& [name, addr] : metrics_) {
    if (name != "spare") expectPromtoolAccepts(name, scrape(addr));
  }

  // An operator's error: a wrong-shaped input fails in the encoder's first operator.
  auto bad = client_->submit(topology_.model, Tensor(DenseTensor(Shape{3}, 1, std::vector<float>{0.5f, 0.5f, 0.5f})),
                             client::deadlineAfterMs(*makeSystemClock(), 5000)).get();
  ASSERT_FALSE(bad.isOk());
  std::cout << "client saw: " << bad.status().toString() << "\n";
  EXPECT_TRUE(std::regex_search(bad.status().message(),
                                std::regex("stage 'encoder' operator '[^']+' on worker 'cpu-[01]'")))
      << bad.status().toString();
  EXPECT_GT(sumOf(scrapeAll(), "spikeline_worker_nacks_sent_total",
                  {"reason=\"" + std::string(statusCodeName(bad.status().code())) + "\""}), 0);

  // The last chip fails with frames on it: those requests fail naming stage, operator, worker.
  std::atomic<bool> second{false};
  std::thread load2([&] {
    rec = runClosedLoop(*client_, topology_.model, images(60, 60000), 16, 20'000, 60'000,
                        [&](size_t done) { if (done == 10) second.store(true); });
  });
  ASSERT_TRUE(waitFor([&] { return second.load(); }, 30'000));
  fault("chip-1");
  load2.join();
  ASSERT_FALSE(rec.timed_out);
  EXPECT_GT(rec.errors[StatusCode::kUnavailable], 0);
  bool named = false;
  for (const std::string& m : rec.error_messages) {
    named = named || std::regex_search(m, std::regex("stage 'features' operator '[^']+' on "
                                                     "worker 'chip-1': chip"));
  }
  EXPECT_TRUE(named) << (rec.error_messages.empty() ? "" : rec.error_messages.front());
  if (!rec.error_messages.empty()) std::cout << "client saw: " << rec.error_messages.front() << "\n";
}

}  // namespace
}  // namespace spikeline::testing
