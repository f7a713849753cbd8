// error_map and readiness: the gateway's other pure decisions.
#include <gtest/gtest.h>

#include "gateway/error_map.h"
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

}  // namespace
}  // namespace spikeline::gateway
