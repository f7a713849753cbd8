#include "workers/route_file.h"
#include "workers/route_source.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline::workers {
namespace {

TEST(RouteFileTest, ParsesStagesInFileOrderAndResolvesTopologyPath) {
  ASSERT_OK_AND_ASSIGN(StaticRoutes r, parseRouteText("topology: models/m.yaml\n"
                                                      "stages:\n"
                                                      "  encoder: [tcp://127.0.0.1:7001]\n"
                                                      "  features: [tcp://a:1, tcp://b:2]\n",
                                                      "routes.yaml", "/etc/spikeline"));
  EXPECT_EQ(r.topology_path, std::filesystem::path("/etc/spikeline/models/m.yaml"));
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(r.stages[0].stage, "encoder");
  EXPECT_EQ(r.stages[1].endpoints, (std::vector<transport::PeerAddress>{"tcp://a:1", "tcp://b:2"}));
  ASSERT_NE(r.findStage("features"), nullptr);
  EXPECT_EQ(r.findStage("nope"), nullptr);
}

TEST(RouteFileTest, AnEndpointMayNameItsCurveKey) {
  const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  ASSERT_OK_AND_ASSIGN(StaticRoutes r,
                       parseRouteText("topology: m.yaml\nstages:\n  a: [tcp://x:1, {endpoint: "
                                      "tcp://y:2, curve_key: \"" + key + "\"}]\n",
                                      "r.yaml", "/"));
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_EQ(r.stages[0].endpoints,
            (std::vector<transport::PeerAddress>{{"tcp://x:1"}, {"tcp://y:2", key}}));
  Result<StaticRoutes> bad = parseRouteText(
      "topology: m.yaml\nstages:\n  a: [{endpoint: tcp://y:2, curve_key: short}]\n", "r.yaml", "/");
  EXPECT_STATUS_CODE(bad, StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("r.yaml:3:"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("curve_key must be a CURVE public key"), std::string::npos)
      << bad.status();
}

TEST(RouteFileTest, StagesMayBeAbsentForALastStageWorker) {
  ASSERT_OK_AND_ASSIGN(StaticRoutes r, parseRouteText("topology: /m.yaml\n", "r.yaml", "/"));
  EXPECT_TRUE(r.stages.empty());
}

TEST(RouteFileTest, MissingTopologyIsReportedWithFileAndLine) {
  Result<StaticRoutes> r = parseRouteText("stages:\n  a: [tcp://x:1]\n", "r.yaml", "/");
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("r.yaml:1:"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("topology"), std::string::npos) << r.status();
}

TEST(RouteFileTest, EndpointWithoutSchemeNamesItsLine) {
  Result<StaticRoutes> r =
      parseRouteText("topology: m.yaml\nstages:\n  a: [tcp://x:1]\n  b: [localhost:7]\n", "r.yaml", "/");
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("r.yaml:4:"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("stages.b"), std::string::npos) << r.status();
}

TEST(RouteFileTest, MalformedYamlIsAnErrorNotAnException) {
  Result<StaticRoutes> r = parseRouteText("topology: [unclosed\n", "bad.yaml", "/");
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad.yaml:"), std::string::npos) << r.status();
}

TEST(RouteFileTest, UnreadableFileIsNotFound) {
  EXPECT_STATUS_CODE(parseRouteFile("/nonexistent/routes.yaml"), StatusCode::kNotFound);
}

TEST(RouteSourceTest, FromRouteTablePicksTheModelsStagesInOrder) {
  wire::RouteTable table;
  table.epoch = 42;
  table.models.push_back({ModelRef{"other", 1}, {{"a", OperatorId{1}, {{WorkerId{"x"}, "tcp://x:1"}}}}});
  table.models.push_back(
      {ModelRef{"m", 2},
       {{"encoder", OperatorId{2}, {{WorkerId{"e0"}, "tcp://e0:1"}, {WorkerId{"e1"}, "tcp://e1:1"}}},
        {"features", OperatorId{3}, {}}}});
  const PipelineRoute r = fromRouteTable(table, ModelRef{"m", 2});
  EXPECT_EQ(r.epoch, 42u);
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(r.stages[0].stage, "encoder");
  EXPECT_EQ(r.stages[0].endpoints, (std::vector<transport::PeerAddress>{"tcp://e0:1", "tcp://e1:1"}));
  EXPECT_TRUE(r.stages[1].endpoints.empty());
  EXPECT_TRUE(fromRouteTable(table, ModelRef{"absent", 1}).stages.empty());
}

TEST(RouteSourceTest, DefaultRoutesEndpointIsTheBrokersPortPlusOne) {
  ASSERT_OK_AND_ASSIGN(std::string pub, defaultRoutesEndpoint("tcp://broker:5555"));
  EXPECT_EQ(pub, "tcp://broker:5556");
  EXPECT_STATUS_CODE(defaultRoutesEndpoint("tcp://broker").status(), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(defaultRoutesEndpoint("tcp://broker:x1").status(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::workers
