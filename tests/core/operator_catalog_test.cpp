#include "core/operator_catalog.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline {
namespace {

WeightTensor zeros(Shape shape) {
  WeightTensor w;
  w.values.assign(shape.numel(), 0.0f);
  w.shape = std::move(shape);
  return w;
}

OperatorSpec spec(std::string kind) {
  OperatorSpec s;
  s.name = "op";
  s.kind = std::move(kind);
  return s;
}

Result<OperatorSignature> infer1(const OperatorSpec& s, Shape in, ValueKind k) {
  Shape shapes[] = {std::move(in)};
  ValueKind kinds[] = {k};
  return inferOperator(s, shapes, kinds);
}

// Asserts an error whose message starts with `field`.
void expectFieldError(const Result<OperatorSignature>& r, std::string_view field) {
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message().rfind(std::string(field) + ": ", 0), 0u) << r.status();
}

TEST(OperatorCatalogTest, ListsKnownKinds) {
  EXPECT_EQ(operatorKinds().size(), 18u);
  EXPECT_EQ(operatorKinds().back(), "to_tokens");  // appended: the existing order is kept
  EXPECT_TRUE(isKnownOperatorKind("conv2d"));
  EXPECT_FALSE(isKnownOperatorKind("conv3d"));
  EXPECT_EQ(operatorInputCount("self_attention"), 3u);
  EXPECT_EQ(operatorInputCount("iand"), 2u);
}

TEST(OperatorCatalogTest, UnknownKindIsNotFoundAndListsKinds) {
  Result<OperatorSignature> r = infer1(spec("conv3d"), Shape{4}, ValueKind::kSpikes);
  EXPECT_STATUS_CODE(r, StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("conv2d"), std::string::npos);
}

TEST(OperatorCatalogTest, Conv2dOutputShapeFollowsStridePaddingGroups) {
  OperatorSpec s = spec("conv2d");
  s.weights["weight"] = zeros(Shape{8, 1, 3, 3});
  s.params.set("stride", int64_t{2});
  s.params.set("padding", int64_t{1});
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{1, 28, 28}, ValueKind::kSpikes));
  EXPECT_EQ(sig.output_shape, (Shape{8, 14, 14}));
  EXPECT_EQ(sig.output_kind, ValueKind::kDense);

  OperatorSpec g = spec("conv2d");
  g.weights["weight"] = zeros(Shape{4, 2, 3, 3});
  g.params.set("groups", int64_t{2});
  ASSERT_OK_AND_ASSIGN(OperatorSignature gs, infer1(g, Shape{4, 5, 5}, ValueKind::kDense));
  EXPECT_EQ(gs.output_shape, (Shape{4, 3, 3}));
}

TEST(OperatorCatalogTest, Conv2dChannelMismatchNamesWeight) {
  OperatorSpec s = spec("conv2d");
  s.weights["weight"] = zeros(Shape{8, 2, 3, 3});
  expectFieldError(infer1(s, Shape{1, 28, 28}, ValueKind::kSpikes), "weights.weight");
}

TEST(OperatorCatalogTest, BadStrideNamesParameter) {
  OperatorSpec s = spec("conv2d");
  s.weights["weight"] = zeros(Shape{8, 1, 3, 3});
  s.params.set("stride", int64_t{0});
  expectFieldError(infer1(s, Shape{1, 28, 28}, ValueKind::kSpikes), "params.stride");
}

TEST(OperatorCatalogTest, UnknownParameterIsATypo) {
  OperatorSpec s = spec("lif");
  s.params.set("tau", 0.01);
  s.params.set("v_treshold", 1.0);
  expectFieldError(infer1(s, Shape{10}, ValueKind::kDense), "params.v_treshold");
}

TEST(OperatorCatalogTest, LinearChecksFanIn) {
  OperatorSpec s = spec("linear");
  s.weights["weight"] = zeros(Shape{10, 100});
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{4, 5, 5}, ValueKind::kSpikes));
  EXPECT_EQ(sig.output_shape, (Shape{10}));
  expectFieldError(infer1(s, Shape{99}, ValueKind::kSpikes), "weights.weight");
  s.weights["bias"] = zeros(Shape{9});
  expectFieldError(infer1(s, Shape{100}, ValueKind::kSpikes), "weights.bias");
}

TEST(OperatorCatalogTest, LinearAppliesPerRowOnTheLastDimension) {
  OperatorSpec s = spec("linear");
  s.weights["weight"] = zeros(Shape{10, 5});
  s.weights["bias"] = zeros(Shape{10});
  ASSERT_OK_AND_ASSIGN(OperatorSignature rows, infer1(s, Shape{4, 5}, ValueKind::kSpikes));
  EXPECT_EQ(rows.output_shape, (Shape{4, 10}));
  EXPECT_EQ(rows.output_kind, ValueKind::kDense);
  ASSERT_OK_AND_ASSIGN(OperatorSignature deep, infer1(s, Shape{2, 3, 5}, ValueKind::kDense));
  EXPECT_EQ(deep.output_shape, (Shape{2, 3, 10}));
  // in == numel as well: the flattening form wins.
  ASSERT_OK_AND_ASSIGN(OperatorSignature one, infer1(s, Shape{1, 5}, ValueKind::kSpikes));
  EXPECT_EQ(one.output_shape, (Shape{10}));
}

TEST(OperatorCatalogTest, LinearMismatchExplainsBothForms) {
  OperatorSpec s = spec("linear");
  s.weights["weight"] = zeros(Shape{10, 7});
  Result<OperatorSignature> r = infer1(s, Shape{4, 5}, ValueKind::kSpikes);
  expectFieldError(r, "weights.weight");
  EXPECT_NE(r.status().message().find("flattened (in = 20"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("last dimension (in = 5)"), std::string::npos) << r.status();
  expectFieldError(infer1(s, Shape{5}, ValueKind::kSpikes), "weights.weight");
}

TEST(OperatorCatalogTest, ToTokensMovesChannelsLastAndKeepsTheKind) {
  OperatorSpec s = spec("to_tokens");
  ASSERT_OK_AND_ASSIGN(OperatorSignature sp, infer1(s, Shape{8, 4, 6}, ValueKind::kSpikes));
  EXPECT_EQ(sp.output_shape, (Shape{24, 8}));
  EXPECT_EQ(sp.output_kind, ValueKind::kSpikes);
  ASSERT_OK_AND_ASSIGN(OperatorSignature de, infer1(s, Shape{8, 4, 6}, ValueKind::kDense));
  EXPECT_EQ(de.output_kind, ValueKind::kDense);
  expectFieldError(infer1(s, Shape{24, 8}, ValueKind::kSpikes), "inputs");
  s.params.set("heads", int64_t{2});
  expectFieldError(infer1(s, Shape{8, 4, 6}, ValueKind::kSpikes), "params.heads");
}

TEST(OperatorCatalogTest, LifNeedsDenseInputAndParams) {
  OperatorSpec s = spec("lif");
  s.params.set("tau", 0.0025);
  s.params.set("v_threshold", 0.1);
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{10}, ValueKind::kDense));
  EXPECT_EQ(sig.output_kind, ValueKind::kSpikes);
  expectFieldError(infer1(s, Shape{10}, ValueKind::kSpikes), "inputs");
  s.params.set("reset", std::string("zero"));
  expectFieldError(infer1(s, Shape{10}, ValueKind::kDense), "params.reset");
  OperatorSpec missing = spec("lif");
  missing.params.set("v_threshold", 0.1);
  expectFieldError(infer1(missing, Shape{10}, ValueKind::kDense), "params.tau");
}

TEST(OperatorCatalogTest, PoolKeepsKindForMaxOnly) {
  OperatorSpec s = spec("maxpool2d");
  s.params.set("kernel", int64_t{2});
  ASSERT_OK_AND_ASSIGN(OperatorSignature mx, infer1(s, Shape{8, 14, 14}, ValueKind::kSpikes));
  EXPECT_EQ(mx.output_shape, (Shape{8, 7, 7}));
  EXPECT_EQ(mx.output_kind, ValueKind::kSpikes);
  s.kind = "avgpool2d";
  ASSERT_OK_AND_ASSIGN(OperatorSignature av, infer1(s, Shape{8, 14, 14}, ValueKind::kSpikes));
  EXPECT_EQ(av.output_kind, ValueKind::kDense);
}

TEST(OperatorCatalogTest, TwoInputKindsCheckShapesAndCount) {
  OperatorSpec s = spec("iand");
  Shape shapes[] = {Shape{4}, Shape{5}};
  ValueKind kinds[] = {ValueKind::kSpikes, ValueKind::kSpikes};
  expectFieldError(inferOperator(s, shapes, kinds), "inputs");
  expectFieldError(infer1(s, Shape{4}, ValueKind::kSpikes), "inputs");
}

TEST(OperatorCatalogTest, GraphAggregateChecksEdges) {
  OperatorSpec s = spec("graph_aggregate");
  s.params.set("edge_src", std::vector<int64_t>{0, 1});
  s.params.set("edge_dst", std::vector<int64_t>{1, 5});
  expectFieldError(infer1(s, Shape{3, 4}, ValueKind::kSpikes), "params.edge_src");
  s.params.set("edge_dst", std::vector<int64_t>{1, 2});
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{3, 4}, ValueKind::kSpikes));
  EXPECT_EQ(sig.output_shape, (Shape{3, 4}));
}

TEST(OperatorCatalogTest, ReadoutHasNoTimeAxis) {
  OperatorSpec s = spec("readout");
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{10}, ValueKind::kSpikes));
  EXPECT_FALSE(sig.output_has_time);
  s.params.set("mode", std::string("membrane"));
  expectFieldError(infer1(s, Shape{10}, ValueKind::kDense), "params.tau");
}

TEST(OperatorCatalogTest, WeightValueCountMustMatchShape) {
  OperatorSpec s = spec("linear");
  s.weights["weight"] = zeros(Shape{2, 3});
  s.weights["weight"].values.pop_back();
  expectFieldError(infer1(s, Shape{3}, ValueKind::kSpikes), "weights.weight");
}

}  // namespace
}  // namespace spikeline
