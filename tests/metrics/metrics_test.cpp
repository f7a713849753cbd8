#include <gtest/gtest.h>

#include <httplib.h>

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

}  // namespace
}  // namespace spikeline::metrics
