// Integration tests of the data plane: real spikeline-worker processes on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <iostream>

#include "tests/support/status_matchers.h"

#include "tests/workers/closed_loop.h"
#include "tests/workers/pipeline_fixture.h"

namespace spikeline::testing {
namespace {

std::vector<Tensor> images(size_t n, uint64_t seed) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < n; ++i) out.push_back(imageInput(seed + i));
  return out;
}

// Every ok result equals the monolith's for the same input and request id; each id answered once.
void expectMatchesMonolith(PipelineFixture& p, const LoadRecord& rec,
                           const std::vector<Tensor>& inputs) {
  for (const auto& [id, count] : rec.callbacks) EXPECT_EQ(count, 1) << "request " << id;
  size_t checked = 0;
  for (const auto& [id, output] : rec.results) {
    const Tensor expected = p.reference(inputs[rec.input_of.at(id)], id);
    EXPECT_TRUE(output == expected) << "request " << id << " differs from the monolith";
    ++checked;
  }
  EXPECT_EQ(checked, inputs.size());
}

std::vector<StageSpec> threeStages(std::vector<std::string> features_args = {}) {
  return {{"encoder", 2, {}}, {"features", 2, std::move(features_args)}, {"classifier", 2, {}}};
}

TEST(PipelineTest, ThreeStagePipelineMatchesMonolithBitForBit) {
  PipelineFixture p;
  p.start(threeStages(), {"--backend", "cpu"});
  const auto inputs = images(300, 1000);
  LoadRecord rec = runClosedLoop(p.client(), p.topology().model, inputs, 16, 10'000, 120'000);
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  expectMatchesMonolith(p, rec, inputs);
  EXPECT_EQ(p.client().stats().results, rec.results.size());
}

TEST(PipelineTest, KilledReplicaLosesNoRequestAndDeliversNoDuplicate) {
  PipelineFixture p;
  p.start(threeStages(), {"--backend", "cpu"});
  const auto inputs = images(400, 2000);
  std::atomic<bool> killed{false};
  LoadRecord rec = runClosedLoop(p.client(), p.topology().model, inputs, 16, 15'000, 120'000,
                                 [&](size_t done) {
                                   if (done == 100 && !killed.exchange(true)) {
                                     p.worker("features-0").kill();
                                   }
                                 });
  ASSERT_TRUE(killed.load());
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << "lost requests: " << rec.errors.size() << " error kinds";
  expectMatchesMonolith(p, rec, inputs);
  // The killed replica had carried frames (so the kill hit a loaded path).
  size_t via_killed = 0;
  for (const auto& [id, hops] : rec.hops) {
    for (const auto& h : hops) via_killed += h == "features-0";
  }
  EXPECT_GT(via_killed, 0u);
  const client::ClientStats st = p.client().stats();
  std::cout << "kill -9: results=" << st.results << " duplicates dropped=" << st.duplicates
            << " late=" << st.late << " backstop re-sends=" << st.backstop_resends << "\n";
}

TEST(PipelineTest, ChipFaultReroutesToTheOtherReplicaWithSameResults) {
  PipelineFixture p;
  p.start(threeStages({"--backend", "chip"}), {});
  const auto inputs = images(300, 3000);
  std::atomic<size_t> progress{0};
  auto load = std::async(std::launch::async, [&] {
    return runClosedLoop(p.client(), p.topology().model, inputs, 16, 15'000, 120'000,
                         [&](size_t done) { progress.store(done); });
  });
  while (progress.load() < 50 && load.wait_for(std::chrono::milliseconds(1)) ==
                                     std::future_status::timeout) {
  }
  wire::InjectFault fault;  // a permanent whole-chip fault
  ASSERT_OK(p.injectFault("features-0", fault));
  const size_t at_fault = progress.load();
  LoadRecord rec = load.get();
  ASSERT_FALSE(rec.timed_out);
  EXPECT_LT(at_fault, inputs.size()) << "the fault came after the load";
  EXPECT_TRUE(rec.errors.empty());
  expectMatchesMonolith(p, rec, inputs);
  const std::string log = p.logOf("features-0");
  EXPECT_NE(log.find("injected a permanent whole-chip fault"), std::string::npos) << log;
  EXPECT_NE(log.find("reporting unhealthy"), std::string::npos) << log;
  // A worker without a chip refuses the message instead of pretending.
  EXPECT_STATUS_CODE(p.injectFault("encoder-0", fault), StatusCode::kUnimplemented);
}

TEST(PipelineTest, SigtermDrainsAndExitsZeroWithoutLosingRequests) {
  PipelineFixture p;
  p.start(threeStages(), {"--backend", "cpu"});
  const auto inputs = images(300, 5000);
  std::atomic<bool> stopped{false};
  LoadRecord rec = runClosedLoop(p.client(), p.topology().model, inputs, 16, 15'000, 120'000,
                                 [&](size_t done) {
                                   if (done == 100 && !stopped.exchange(true)) {
                                     p.worker("features-0").signal(SIGTERM);
                                   }
                                 });
  ASSERT_TRUE(stopped.load());
  EXPECT_EQ(p.worker("features-0").reap(10'000), 0) << p.logOf("features-0");
  ASSERT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty());
  expectMatchesMonolith(p, rec, inputs);
  EXPECT_NE(p.logOf("features-0").find("draining"), std::string::npos);
}

TEST(PipelineTest, OverloadAnswersOverloadedAndKeepsMemoryBounded) {
  PipelineFixture p;
  p.start({{"encoder", 1, {}}, {"features", 1, {}}, {"classifier", 1, {}}},
          {"--backend", "cpu", "--capacity", "4", "--threads", "1"});
  const std::vector<std::string> names{"encoder-0", "features-0", "classifier-0"};
  // Warm up so every process has its steady-state allocations.
  const auto warm = images(20, 4000);
  ASSERT_FALSE(runClosedLoop(p.client(), p.topology().model, warm, 4, 10'000, 60'000).timed_out);
  std::map<std::string, long> before;
  for (const auto& n : names) before[n] = p.worker(n).rssKib();
  std::atomic<int> ok{0}, over{0}, other{0};
  const Tensor input = imageInput(4100);
  // 10000 requests in 40 bursts over about a second: sustained load far beyond capacity.
  for (int round = 0; round < 40; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    for (int i = 0; i < 250; ++i) {
      p.client().submit(p.topology().model, input, client::deadlineAfterMs(p.clock(), 20'000),
                        [&](RequestId, Result<client::InferenceResult> r) {
                          if (r.isOk()) {
                            ++ok;
                          } else if (r.status().code() == StatusCode::kOverloaded) {
                            ++over;
                          } else {
                            ++other;
                          }
                        });
    }
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ok + over + other < 10'000 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::cout << "overload: ok=" << ok << " overloaded=" << over << " other=" << other << "\n";
  EXPECT_EQ(ok + over + other, 10'000);
  EXPECT_GT(over.load(), 5'000);  // far beyond capacity: most are refused at once...
  EXPECT_GT(ok.load(), 20);       // ...and the admitted ones are served
  EXPECT_EQ(other.load(), 0);     // no timeouts, no other errors
  for (const auto& n : names) {
    const long after = p.worker(n).rssKib();
    EXPECT_GT(after, 0);
    std::cout << n << " VmRSS " << before[n] << " -> " << after << " KiB\n";
    EXPECT_LT(after, before[n] + 64 * 1024) << n << " grew from " << before[n] << " KiB";
  }
}

}  // namespace
}  // namespace spikeline::testing
