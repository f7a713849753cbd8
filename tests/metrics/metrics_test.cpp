#include <gtest/gtest.h>

#include <httplib.h>

#include <thread>

#include "metrics/hot_counters.h"
#include "metrics/probe_server.h"
#include "metrics/registry.h"

namespace spikeline::metrics {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndCumulativeHistograms) {
  MetricsRegistry m;
  m.declare("x_total", MetricType::kCounter, "Things.");
  m.declare("g", MetricType::kGauge, "A gauge.");
  m.declare("d_seconds", MetricType::kHistogram, "Durations.", {0.1, 1});
  m.increment("x_total", {{"model", "a\"b"}});
  m.increment("x_total", {{"model", "a\"b"}}, 2);
  m.set("g", {}, 5);
  m.observe("d_seconds", {}, 0.05);
  m.observe("d_seconds", {}, 0.5);
  m.observe("d_seconds", {}, 5);
  m.increment("undeclared_total", {});
  EXPECT_EQ(m.value("x_total", {{"model", "a\"b"}}), 3.0);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE x_total counter\nx_total{model=\"a\\\"b\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("g 5\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_count 3\n"), std::string::npos);
  EXPECT_EQ(text.find("undeclared"), std::string::npos);
}

TEST(MetricsTest, DurationHistogramFoldsIntoTheRegistryWithItsBounds) {
  DurationHistogram h;
  h.observeNs(5'000);          // <= 10 µs
  h.observeNs(10'000);         // le is inclusive
  h.observeNs(300'000);        // <= 500 µs
  h.observeNs(2'000'000'000);  // above 1 s: only in +Inf
  h.observeNs(-5);             // a clock step counts as 0
  const DurationHistogram::Snapshot s = h.snapshot();
  ASSERT_EQ(s.buckets.size(), hopBucketsSeconds().size());
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.buckets[0], 3u);
  EXPECT_EQ(s.buckets[5], 1u);
  EXPECT_NEAR(s.sum_seconds, 2.000315, 1e-9);
  MetricsRegistry m;
  m.declare("h_seconds", MetricType::kHistogram, "H.", hopBucketsSeconds());
  m.setHistogram("h_seconds", {{"stage", "s"}}, s.buckets, s.count, s.sum_seconds);
  m.setHistogram("h_seconds", {{"stage", "bad"}}, {1, 2}, 3, 1);  // wrong size: ignored
  const std::string text = m.render();
  EXPECT_NE(text.find("h_seconds_bucket{stage=\"s\",le=\"1e-05\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{stage=\"s\",le=\"1\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{stage=\"s\",le=\"+Inf\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_count{stage=\"s\"} 5\n"), std::string::npos);
  EXPECT_EQ(text.find("bad"), std::string::npos);
}

TEST(MetricsTest, HotCountersAddFromManyThreads) {
  Counter c;
  Gauge g;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.add();
        g.add(1);
        g.add(-1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.load(), 40000u);
  EXPECT_EQ(g.load(), 0);
}

TEST(ProbeServerTest, ServesMetricsLiveAndReadyWithReason) {
  bool ready = false;
  std::mutex mu;
  auto server = startProbeServer("127.0.0.1:0", {[] { return std::string("x_total 1\n"); },
                                                 [&] {
                                                   std::lock_guard lock(mu);
                                                   return Probe{ready, ready ? "" : "no backend"};
                                                 }});
  ASSERT_TRUE(server.isOk()) << server.status().toString();
  httplib::Client http("127.0.0.1", (*server)->port());
  auto m = http.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->body, "x_total 1\n");
  EXPECT_EQ(http.Get("/live")->status, 200);
  auto r = http.Get("/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("no backend"), std::string::npos);
  {
    std::lock_guard lock(mu);
    ready = true;
  }
  EXPECT_EQ(http.Get("/ready")->status, 200);
  EXPECT_EQ(startProbeServer("127.0.0.1:x", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ProbeServerTest, FetchProbeReportsStatusBodyAndWhyNothingAnswered) {
  bool ready = false;
  std::mutex mu;
  auto server = startProbeServer("127.0.0.1:0", {[] { return std::string(); },
                                                 [&] {
                                                   std::lock_guard lock(mu);
                                                   return Probe{ready, "chip emu0 failed"};
                                                 }});
  ASSERT_TRUE(server.isOk()) << server.status().toString();
  const std::string addr = "127.0.0.1:" + std::to_string((*server)->port());
  auto r = fetchProbe(addr, "/ready", 2000);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "not ready: chip emu0 failed\n");
  {
    std::lock_guard lock(mu);
    ready = true;
  }
  EXPECT_EQ(fetchProbe(addr, "/ready", 2000)->status, 200);
  EXPECT_EQ(fetchProbe(addr, "/nope", 2000)->status, 404);
  EXPECT_EQ(fetchProbe(addr, "ready", 2000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fetchProbe("127.0.0.1", "/ready", 2000).status().code(), StatusCode::kInvalidArgument);
  server->reset();  // nothing listens there now
  auto none = fetchProbe(addr, "/ready", 500);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(none.status().message().find(addr), std::string::npos) << none.status().message();
}

}  // namespace
}  // namespace spikeline::metrics
