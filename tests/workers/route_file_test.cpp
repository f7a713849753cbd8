#include "workers/route_file.h"

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
  EXPECT_EQ(r.stages[1].endpoints, (std::vector<std::string>{"tcp://a:1", "tcp://b:2"}));
  ASSERT_NE(r.findStage("features"), nullptr);
  EXPECT_EQ(r.findStage("nope"), nullptr);
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

}  // namespace
}  // namespace spikeline::workers
