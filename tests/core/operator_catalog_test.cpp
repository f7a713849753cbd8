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
  EXPECT_EQ(operatorKinds().size(), 26u);
  EXPECT_EQ(operatorKinds()[17], "to_tokens");  // appended: the existing order is kept
  EXPECT_EQ(operatorKinds().back(), "conv1d");
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

TEST(OperatorCatalogTest, IfTakesAnOptionalGain) {
  OperatorSpec s = spec("if");
  s.params.set("v_threshold", 1.0);
  s.params.set("gain", 0.5);
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{4}, ValueKind::kDense));
  EXPECT_EQ(sig.output_kind, ValueKind::kSpikes);
  s.params.set("gain", std::string("big"));
  expectFieldError(infer1(s, Shape{4}, ValueKind::kDense), "params.gain");
}

TEST(OperatorCatalogTest, LiAndIntegratorKeepShapeAndEmitDense) {
  OperatorSpec li = spec("li");
  li.params.set("tau", 0.01);
  li.params.set("v_leak", 0.5);
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(li, Shape{2, 3}, ValueKind::kSpikes));
  EXPECT_EQ(sig.output_shape, (Shape{2, 3}));
  EXPECT_EQ(sig.output_kind, ValueKind::kDense);
  EXPECT_TRUE(sig.output_has_time);
  ASSERT_OK(infer1(li, Shape{6}, ValueKind::kDense).status());
  li.params.set("tau", 0.0);
  Result<OperatorSignature> bad = infer1(li, Shape{6}, ValueKind::kDense);
  expectFieldError(bad, "params.tau");
  EXPECT_NE(bad.status().message().find("must be > 0, got 0"), std::string::npos);
  OperatorSpec no_tau = spec("li");
  expectFieldError(infer1(no_tau, Shape{6}, ValueKind::kDense), "params.tau");
  no_tau.params.set("tau", 0.01);
  no_tau.params.set("v_threshold", 1.0);  // li does not spike
  expectFieldError(infer1(no_tau, Shape{6}, ValueKind::kDense), "params.v_threshold");

  OperatorSpec in = spec("integrator");
  ASSERT_OK_AND_ASSIGN(OperatorSignature isig, infer1(in, Shape{5}, ValueKind::kSpikes));
  EXPECT_EQ(isig.output_kind, ValueKind::kDense);
  in.params.set("dt", -1.0);
  expectFieldError(infer1(in, Shape{5}, ValueKind::kDense), "params.dt");
  OperatorSpec typo = spec("integrator");
  typo.params.set("tau", 1.0);
  expectFieldError(infer1(typo, Shape{5}, ValueKind::kDense), "params.tau");
}

TEST(OperatorCatalogTest, CubaNeuronsCheckTimeConstantsAndRecurrence) {
  OperatorSpec li = spec("cuba_li");
  li.params.set("tau_syn", 0.005);
  li.params.set("tau_mem", 0.01);
  li.params.set("w_in", 2.0);
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(li, Shape{4}, ValueKind::kDense));
  EXPECT_EQ(sig.output_kind, ValueKind::kDense);
  li.params.set("tau_syn", -0.5);
  Result<OperatorSignature> bad = infer1(li, Shape{4}, ValueKind::kDense);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().rfind("params.tau_syn: must be > 0, got -0.5", 0), 0u)
      << bad.status();
  OperatorSpec no_mem = spec("cuba_li");
  no_mem.params.set("tau_syn", 0.005);
  expectFieldError(infer1(no_mem, Shape{4}, ValueKind::kDense), "params.tau_mem");

  OperatorSpec lif = spec("cuba_lif");
  lif.params.set("tau_syn", 0.005);
  lif.params.set("tau_mem", 0.01);
  expectFieldError(infer1(lif, Shape{4}, ValueKind::kDense), "params.v_threshold");
  lif.params.set("v_threshold", 1.0);
  lif.params.set("reset", std::string("subtract"));
  ASSERT_OK_AND_ASSIGN(OperatorSignature lsig, infer1(lif, Shape{2, 2}, ValueKind::kSpikes));
  EXPECT_EQ(lsig.output_kind, ValueKind::kSpikes);
  EXPECT_EQ(lsig.output_shape, (Shape{2, 2}));
  lif.weights["recurrent"] = zeros(Shape{4, 4});
  ASSERT_OK(infer1(lif, Shape{2, 2}, ValueKind::kDense).status());
  lif.weights["recurrent"] = zeros(Shape{4, 3});
  expectFieldError(infer1(lif, Shape{2, 2}, ValueKind::kDense), "weights.recurrent");
  lif.weights.erase("recurrent");
  lif.params.set("reset", std::string("zero"));
  expectFieldError(infer1(lif, Shape{4}, ValueKind::kDense), "params.reset");
}

TEST(OperatorCatalogTest, ThresholdAndDelay) {
  OperatorSpec th = spec("threshold");
  expectFieldError(infer1(th, Shape{3}, ValueKind::kDense), "params.v_threshold");
  th.params.set("v_threshold", 0.25);
  ASSERT_OK_AND_ASSIGN(OperatorSignature tsig, infer1(th, Shape{3}, ValueKind::kDense));
  EXPECT_EQ(tsig.output_kind, ValueKind::kSpikes);

  OperatorSpec d = spec("delay");
  expectFieldError(infer1(d, Shape{3}, ValueKind::kDense), "params.steps");
  d.params.set("steps", int64_t{2});
  ASSERT_OK_AND_ASSIGN(OperatorSignature sp, infer1(d, Shape{3, 2}, ValueKind::kSpikes));
  EXPECT_EQ(sp.output_kind, ValueKind::kSpikes);
  EXPECT_EQ(sp.output_shape, (Shape{3, 2}));
  ASSERT_OK_AND_ASSIGN(OperatorSignature de, infer1(d, Shape{3}, ValueKind::kDense));
  EXPECT_EQ(de.output_kind, ValueKind::kDense);
  d.params.set("steps", int64_t{-1});
  expectFieldError(infer1(d, Shape{3}, ValueKind::kDense), "params.steps");
  d.params.set("steps", 1.5);
  expectFieldError(infer1(d, Shape{3}, ValueKind::kDense), "params.steps");
}

TEST(OperatorCatalogTest, ScaleWeightIsShapedLikeTheInput) {
  OperatorSpec s = spec("scale");
  expectFieldError(infer1(s, Shape{2, 3}, ValueKind::kDense), "weights.scale");
  s.weights["scale"] = zeros(Shape{2, 3});
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{2, 3}, ValueKind::kSpikes));
  EXPECT_EQ(sig.output_kind, ValueKind::kDense);
  EXPECT_EQ(sig.output_shape, (Shape{2, 3}));
  s.weights["scale"] = zeros(Shape{6});
  ASSERT_OK(infer1(s, Shape{2, 3}, ValueKind::kDense).status());
  s.weights["scale"] = zeros(Shape{3, 2});
  expectFieldError(infer1(s, Shape{2, 3}, ValueKind::kDense), "weights.scale");
}

TEST(OperatorCatalogTest, Conv1dOutputLengthFollowsPyTorch) {
  OperatorSpec s = spec("conv1d");
  s.weights["weight"] = zeros(Shape{6, 2, 3});
  s.params.set("stride", int64_t{2});
  s.params.set("padding", int64_t{1});
  s.params.set("dilation", std::vector<int64_t>{2});
  s.params.set("groups", int64_t{2});
  // Lo = floor((9 + 2 - 2*(3-1) - 1) / 2) + 1 = 4
  ASSERT_OK_AND_ASSIGN(OperatorSignature sig, infer1(s, Shape{4, 9}, ValueKind::kSpikes));
  EXPECT_EQ(sig.output_shape, (Shape{6, 4}));
  EXPECT_EQ(sig.output_kind, ValueKind::kDense);
  expectFieldError(infer1(s, Shape{4, 1, 9}, ValueKind::kSpikes), "inputs");
  expectFieldError(infer1(s, Shape{3, 9}, ValueKind::kSpikes), "params.groups");
  s.weights["bias"] = zeros(Shape{5});
  expectFieldError(infer1(s, Shape{4, 9}, ValueKind::kSpikes), "weights.bias");
  s.weights.erase("bias");
  s.params.set("stride", int64_t{0});
  expectFieldError(infer1(s, Shape{4, 9}, ValueKind::kSpikes), "params.stride");
  s.params.set("stride", std::vector<int64_t>{1, 1});
  expectFieldError(infer1(s, Shape{4, 9}, ValueKind::kSpikes), "params.stride");
  s.params.set("stride", int64_t{1});
  s.weights["weight"] = zeros(Shape{6, 2, 1, 3});
  expectFieldError(infer1(s, Shape{4, 9}, ValueKind::kSpikes), "weights.weight");
  s.weights["weight"] = zeros(Shape{6, 2, 12});
  expectFieldError(infer1(s, Shape{4, 9}, ValueKind::kSpikes), "weights.weight");
}

}  // namespace
}  // namespace spikeline
