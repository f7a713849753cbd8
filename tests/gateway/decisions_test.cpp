// error_map, readiness and metrics: the gateway's other pure decisions.
#include <gtest/gtest.h>

#include "gateway/error_map.h"
#include "gateway/metrics.h"
#include "gateway/readiness.h"

namespace spikeline::gateway {
namespace {

TEST(ErrorMapTest, MapsCodesToHttpGrpcAndRetryAfter) {
  EXPECT_EQ(httpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(httpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(httpStatusFor(StatusCode::kOverloaded), 503);
  EXPECT_EQ(httpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(httpStatusFor(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(httpStatusFor(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(httpStatusFor(StatusCode::kInternal), 500);
  EXPECT_EQ(grpcCodeFor(StatusCode::kInvalidArgument), 3);
  EXPECT_EQ(grpcCodeFor(StatusCode::kNotFound), 5);
  EXPECT_EQ(grpcCodeFor(StatusCode::kUnavailable), 14);
  EXPECT_EQ(grpcCodeFor(StatusCode::kOverloaded), 8);
  EXPECT_EQ(grpcCodeFor(StatusCode::kDeadlineExceeded), 4);
  EXPECT_EQ(grpcCodeFor(StatusCode::kUnimplemented), 12);
  EXPECT_EQ(retryAfterSeconds(StatusCode::kOverloaded), 1);
  EXPECT_EQ(retryAfterSeconds(StatusCode::kInvalidArgument), std::nullopt);
}

Topology twoStages() {
  Topology t;
  t.model = {"m", 1};
  t.stages = {{"a", {}, {}}, {"b", {}, {}}};
  return t;
}

wire::RouteTable table(size_t b_replicas) {
  wire::ModelRoute m{{"m", 1}, {}};
  m.stages.push_back({"a", {}, {{{"w1"}, "tcp://x:1"}}});
  wire::StageRoute b{"b", {}, {}};
  for (size_t i = 0; i < b_replicas; ++i) b.replicas.push_back({{"w2"}, "tcp://x:2"});
  m.stages.push_back(b);
  return {7, {m}};
}

TEST(ReadinessTest, ReadyOnlyWhenEveryStageHasAReplica) {
  EXPECT_TRUE(modelReadiness(twoStages(), table(1)).ready);
  const Readiness r = modelReadiness(twoStages(), table(0));
  EXPECT_FALSE(r.ready);
  EXPECT_NE(r.reason.find("stage 'b'"), std::string::npos) << r.reason;
  EXPECT_FALSE(modelReadiness(twoStages(), wire::RouteTable{}).ready);
  EXPECT_FALSE(serverReadiness({twoStages()}, table(0)).ready);
  EXPECT_TRUE(serverReadiness({twoStages()}, table(2)).ready);
  EXPECT_FALSE(serverReadiness({}, table(2)).ready);
}

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

}  // namespace
}  // namespace spikeline::gateway
