// Integration tests of fast custody on silent peers (decision 0009): real spikeline-worker
// processes on loopback, 3 stages x 2 replicas, open-loop load at 600 req/s; a serving middle
// replica is killed (kill -9) or paused for 3 s (SIGSTOP, then SIGCONT). Each input gets exactly
// one result, equal to the monolith's; no request id is answered twice. No timing assertions
// here (house rule): the latency figures come from workers_custody_bench.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "tests/workers/open_loop.h"
#include "tests/workers/pipeline_fixture.h"

namespace spikeline::testing {
namespace {

constexpr double kRate = 600;  // req/s

std::vector<Tensor> images(size_t n, uint64_t seed) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < n; ++i) out.push_back(imageInput(seed + i));
  return out;
}

std::vector<StageSpec> threeByTwo() {
  return {{"encoder", 2, {}}, {"features", 2, {}}, {"classifier", 2, {}}};
}

// 0 lost, 0 duplicates delivered, every result the monolith's (bit for bit, fixed precision).
void expectExactlyOnceAndExact(PipelineFixture& p, const OpenLoopRecord& rec,
                               const std::vector<Tensor>& inputs, size_t count) {
  EXPECT_FALSE(rec.timed_out);
  EXPECT_TRUE(rec.errors.empty()) << "lost: " << rec.error_messages.size() << " errors, first: "
                                  << (rec.error_messages.empty() ? "" : rec.error_messages[0]);
  for (const auto& [id, n] : rec.callbacks) EXPECT_EQ(n, 1) << "request " << id;
  ASSERT_EQ(rec.ok_per_input.size(), count);
  for (const auto& [index, n] : rec.ok_per_input) EXPECT_EQ(n, 1) << "input " << index;
  size_t differ = 0;
  for (const auto& [index, output] : rec.results) {
    const Tensor expected = p.reference(inputs[index % inputs.size()], rec.id_of.at(index));
    differ += output == expected ? 0 : 1;
  }
  EXPECT_EQ(differ, 0u) << "results differing from the monolith";
}

// Inputs from `from` on whose result went through worker `name`.
size_t servedBy(const OpenLoopRecord& rec, const std::string& name, size_t from = 0) {
  size_t n = 0;
  for (auto it = rec.hops.lower_bound(from); it != rec.hops.end(); ++it) {
    for (const auto& h : it->second) n += h == name ? 1 : 0;
  }
  return n;
}

void printStats(const char* what, PipelineFixture& p, const OpenLoopRecord& rec) {
  const client::ClientStats st = p.client().stats();
  std::cout << what << ": results=" << st.results << " duplicates dropped=" << st.duplicates
            << " late=" << st.late << " backstop re-sends=" << st.backstop_resends
            << " overloaded retries=" << rec.overloaded_retries << "\n";
}

TEST(CustodyTest, KillNineOfAServingMiddleReplicaUnderLoadLosesAndDuplicatesNothing) {
  PipelineFixture p;
  p.start(threeByTwo(), {"--backend", "cpu"});
  const auto inputs = images(64, 7000);
  OpenLoopOptions o;
  o.rate_per_s = kRate;
  o.count = 1800;  // 3 s
  o.before_send = [&](size_t i) {
    if (i == 600) p.worker("features-0").kill();  // 1 s in, under load
  };
  const OpenLoopRecord rec = runOpenLoop(p.client(), p.topology().model, inputs, o);
  printStats("kill -9", p, rec);
  expectExactlyOnceAndExact(p, rec, inputs, o.count);
  EXPECT_GT(servedBy(rec, "features-0"), 0u) << "the kill did not hit a serving replica";
}

TEST(CustodyTest, ThreeSecondPauseOfAServingMiddleReplicaLosesAndDuplicatesNothing) {
  PipelineFixture p;
  p.start(threeByTwo(), {"--backend", "cpu"});
  const auto inputs = images(64, 8000);
  OpenLoopOptions o;
  o.rate_per_s = kRate;
  o.count = 3300;  // 5.5 s: 1 s of load, a 3 s pause, 1.5 s after it
  bool stopped = false;
  o.before_send = [&](size_t i) {
    if (i == 600) {
      p.worker("features-0").signal(SIGSTOP);
      stopped = true;
    }
    if (i == 600 + 1800) p.worker("features-0").signal(SIGCONT);
  };
  const OpenLoopRecord rec = runOpenLoop(p.client(), p.topology().model, inputs, o);
  ASSERT_TRUE(stopped);
  printStats("SIGSTOP 3 s", p, rec);
  expectExactlyOnceAndExact(p, rec, inputs, o.count);
  EXPECT_GT(servedBy(rec, "features-0"), 0u) << "the pause did not hit a serving replica";
  // The resumed replica is taken back (its next grant marks it up) and serves again.
  EXPECT_GT(servedBy(rec, "features-0", 600 + 1800 + 300), 0u);
  EXPECT_EQ(p.worker("features-0").reap(0), -1) << p.logOf("features-0");
}

}  // namespace
}  // namespace spikeline::testing
