// One test per kind of mistake in a model file: each must be reported with the file, the line
// and column of the field at fault, the field path and a message saying what is wrong.
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "tests/topology/model_fixture.h"
#include "topology/topology_loader.h"

namespace spikeline::topology {
namespace {

using ::spikeline::testing::positionOf;
using ::spikeline::testing::replaceOnce;
using ::spikeline::testing::ScratchDir;

class TopologyMistakesTest : public ::testing::Test {
 protected:
  void SetUp() override { base_ = ::spikeline::testing::writeSmallModelWeights(dir_); }

  TopologyCheck check(const std::string& yaml) {
    return checkTopologyFile(dir_.write("m.yaml", yaml));
  }

  // Expects exactly one diagnostic: at the first occurrence of `at` in `yaml`, for `field`, with
  // a message containing `message`.
  void expectOne(const std::string& yaml, const std::string& at, const std::string& field,
                 const std::string& message) {
    TopologyCheck result = check(yaml);
    EXPECT_FALSE(result.isOk());
    ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
    const Diagnostic& d = result.diagnostics[0];
    const auto [line, column] = positionOf(yaml, at);
    EXPECT_EQ(d.file, (dir_.path() / "m.yaml").string());
    EXPECT_EQ(d.line, line) << d.toString();
    EXPECT_EQ(d.column, column) << d.toString();
    EXPECT_EQ(d.field, field) << d.toString();
    EXPECT_NE(d.message.find(message), std::string::npos) << d.toString();
  }

  static std::string dump(const TopologyCheck& r) {
    std::string out;
    for (const Diagnostic& d : r.diagnostics) out += d.toString() + "\n";
    return out;
  }

  ScratchDir dir_;
  std::string base_;
};

TEST_F(TopologyMistakesTest, BaseModelIsValid) {
  TopologyCheck result = check(base_);
  EXPECT_TRUE(result.isOk()) << dump(result);
}

TEST_F(TopologyMistakesTest, UnknownOperatorKind) {
  expectOne(replaceOnce(base_, "kind: conv2d", "kind: conv2"), "conv2\n", "operators[1].kind",
            "unknown operator kind 'conv2' (did you mean 'conv2d'?)");
}

TEST_F(TopologyMistakesTest, MissingWeightsFile) {
  expectOne(replaceOnce(base_, "path: small.safetensors", "path: gone.safetensors"),
            "gone.safetensors", "weight_files.w.path", "cannot read weights file");
}

TEST_F(TopologyMistakesTest, MissingTensorInWeightsFile) {
  expectOne(replaceOnce(base_, "tensor: conv.bias", "tensor: conv.biass"), "conv.biass",
            "operators[1].weights.bias",
            "no tensor 'conv.biass' in weight file 'w' (did you "
            "mean 'conv.bias'?)");
}

TEST_F(TopologyMistakesTest, Sha256Mismatch) {
  const std::string sha = base_.substr(base_.find("sha256: \"") + 9, 64);
  std::string wrong = sha;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  expectOne(replaceOnce(base_, sha, wrong), "\"" + wrong, "weight_files.w.sha256",
            "the file's sha256 is " + sha);
}

TEST_F(TopologyMistakesTest, WeightOfWrongShape) {
  expectOne(replaceOnce(base_, "tensor: fc.weight", "tensor: fc_wrong.weight"),
            "{file: w, tensor: fc_wrong.weight}", "operators[4].weights.weight",
            "[4, 100] expects 100 inputs");
}

TEST_F(TopologyMistakesTest, ShapeThatDoesNotChain) {
  // conv2d needs [C, H, W]; after flatten it gets [128].
  const std::string yaml =
      replaceOnce(base_, "  - name: fc\n    kind: linear\n", "  - name: fc\n    kind: conv2d\n");
  TopologyCheck result = check(yaml);
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
  EXPECT_EQ(result.diagnostics[0].field, "operators[4].inputs");
  EXPECT_EQ(result.diagnostics[0].line, positionOf(yaml, "name: fc").first);
  EXPECT_NE(result.diagnostics[0].message.find("rank 3"), std::string::npos) << dump(result);
}

TEST_F(TopologyMistakesTest, CatalogParamErrorPointsAtTheParam) {
  expectOne(replaceOnce(base_, "{stride: 1, padding: 1}", "{stride: 0, padding: 1}"), "0, padding",
            "operators[1].params.stride", "must be >= 1, got 0");
}

TEST_F(TopologyMistakesTest, CycleInOperatorInputs) {
  std::string yaml =
      replaceOnce(base_, "    kind: lif\n    params: {tau: 0.002, v_threshold: 0.5}\n",
                  "    kind: lif\n    inputs: [flat]\n"
                  "    params: {tau: 0.002, v_threshold: 0.5}\n");
  yaml = replaceOnce(yaml, "    kind: flatten\n", "    kind: flatten\n    inputs: [lif1]\n");
  expectOne(yaml, "[lif1]", "operators[3].inputs", "cycle: lif1 <- flat <- lif1");
}

TEST_F(TopologyMistakesTest, DuplicateOperatorNames) {
  expectOne(replaceOnce(base_, "name: lif2", "name: lif1"),
            "lif1\n    kind: lif\n    params: "
            "{tau: 0.002, v_threshold: 0.5}\n  - name: out",
            "operators[5].name", "duplicate operator name 'lif1'");
}

TEST_F(TopologyMistakesTest, DuplicateStageNames) {
  const std::string yaml = replaceOnce(base_, "name: back", "name: front");
  TopologyCheck result = check(yaml);
  ASSERT_FALSE(result.diagnostics.empty());
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.field, "stages[1].name");
  EXPECT_EQ(d.line, positionOf(yaml, "name: front\n    operators: [flat").first);
  EXPECT_NE(d.message.find("duplicate stage name 'front'"), std::string::npos) << dump(result);
}

TEST_F(TopologyMistakesTest, OperatorInNoStage) {
  const std::string yaml = replaceOnce(base_, "[flat, fc, lif2, out]", "[fc, lif2, out]");
  TopologyCheck result = check(yaml);
  ASSERT_FALSE(result.diagnostics.empty()) << dump(result);
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.field, "operators[3].name");
  EXPECT_EQ(d.line, positionOf(yaml, "name: flat").first);
  EXPECT_NE(d.message.find("'flat' is in no stage"), std::string::npos) << dump(result);
}

TEST_F(TopologyMistakesTest, OperatorInTwoStages) {
  expectOne(replaceOnce(base_, "[flat, fc, lif2, out]", "[lif1, flat, fc, lif2, out]"),
            "lif1, flat", "stages[1].operators[0]", "'lif1' is already in stage 'front'");
}

TEST_F(TopologyMistakesTest, StageOrderInconsistentWithDataFlow) {
  std::string yaml = replaceOnce(base_, "name: front\n    operators: [enc, conv, lif1]",
                                 "name: front\n    operators: [flat, fc, lif2, out]");
  yaml = replaceOnce(yaml, "name: back\n    operators: [flat, fc, lif2, out]",
                     "name: back\n    operators: [enc, conv, lif1]");
  TopologyCheck result = check(yaml);
  ASSERT_FALSE(result.diagnostics.empty());
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.field, "stages[0].operators[0]");
  EXPECT_EQ(d.line, positionOf(yaml, "[flat, fc").first);
  EXPECT_NE(d.message.find("stage 'front' runs before stage 'back'"), std::string::npos)
      << dump(result);
}

TEST_F(TopologyMistakesTest, MoreThanOneTensorCrossesStageBoundary) {
  // fc also reads conv's output (not the last operator of stage front).
  const std::string yaml = replaceOnce(base_, "  - name: fc\n    kind: linear\n",
                                       "  - name: fc\n    kind: linear\n    inputs: [conv]\n");
  TopologyCheck result = check(yaml);
  ASSERT_FALSE(result.diagnostics.empty());
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.field, "stages[1].operators[1]");
  EXPECT_EQ(d.line, positionOf(yaml, "[flat, fc").first);
  EXPECT_NE(d.message.find("a boundary carries exactly one tensor"), std::string::npos)
      << dump(result);
}

TEST_F(TopologyMistakesTest, UnknownBackend) {
  expectOne(replaceOnce(base_, "backends: [cuda, cpu]", "backends: [cuda, tpu]"), "tpu]",
            "stages[0].placement.backends[1]", "unknown backend 'tpu'");
}

TEST_F(TopologyMistakesTest, ZeroReplicas) {
  expectOne(replaceOnce(base_, "replicas: 2", "replicas: 0"), "0\n  - name: back",
            "stages[0].placement.replicas", "must be in 1..1024, got 0");
}

TEST_F(TopologyMistakesTest, EmptyBackends) {
  expectOne(replaceOnce(base_, "backends: [cpu]", "backends: []"), "[]",
            "stages[1].placement.backends", "at least one backend");
}

TEST_F(TopologyMistakesTest, ChipOnlyStageInFloat32Model) {
  expectOne(
      replaceOnce(base_, "backends: [cuda, cpu]", "backends: [chip, cpu]\n      fallback: false"),
      "[chip, cpu]", "stages[0].placement.backends",
      "can run only on chip, which supports precision 'fixed' only");
}

TEST_F(TopologyMistakesTest, TimestepsOutOfRange) {
  expectOne(replaceOnce(base_, "timesteps: 8", "timesteps: 0"), "0\ninput", "timesteps",
            "must be in 1..4096, got 0");
  expectOne(replaceOnce(base_, "timesteps: 8", "timesteps: 4097"), "4097", "timesteps",
            "must be in 1..4096, got 4097");
}

TEST_F(TopologyMistakesTest, UnknownTopLevelField) {
  expectOne(replaceOnce(base_, "timesteps: 8\n", "timesteps: 8\ntimestep: 8\n"), "timestep: 8\ni",
            "timestep", "unknown field (did you mean 'timesteps'?)");
}

TEST_F(TopologyMistakesTest, UnknownOperatorField) {
  expectOne(replaceOnce(base_, "params: {seed: 1}", "param: {seed: 1}"),
            "param:", "operators[0].param", "unknown field (did you mean 'params'?)");
}

TEST_F(TopologyMistakesTest, WrongYamlType) {
  expectOne(replaceOnce(base_, "timesteps: 8", "timesteps: [8]"), "[8]", "timesteps",
            "must be an integer, got a list");
  expectOne(replaceOnce(base_, "version: 3", "version: three"), "three", "model.version",
            "must be an integer, got a string ('three')");
}

TEST_F(TopologyMistakesTest, UnsupportedSchemaVersion) {
  expectOne(replaceOnce(base_, "spikeline: 1", "spikeline: 2"), "2\n", "spikeline",
            "unsupported schema version '2' (this build reads version 1)");
}

TEST_F(TopologyMistakesTest, MissingRequiredField) {
  expectOne(replaceOnce(base_, "    kind: flatten\n", ""), "name: flat", "operators[3].kind",
            "missing required field");
}

TEST_F(TopologyMistakesTest, UnknownInputName) {
  expectOne(replaceOnce(base_, "    kind: flatten\n", "    kind: flatten\n    inputs: [lif]\n"),
            "lif]", "operators[3].inputs[0]", "unknown input 'lif' (did you mean 'lif1'?)");
}

TEST_F(TopologyMistakesTest, BadPrecision) {
  expectOne(replaceOnce(base_, "precision: float32", "precision: float64"), "float64", "precision",
            "must be 'float32' or 'fixed', got 'float64'");
}

TEST_F(TopologyMistakesTest, FracBitsOutOfRange) {
  std::string yaml = replaceOnce(base_, "precision: float32", "precision: fixed\nfrac_bits: 25");
  expectOne(yaml, "25", "frac_bits", "must be in 1..24, got 25");
  expectOne(replaceOnce(base_, "precision: float32", "precision: float32\nfrac_bits: 8"), "8\nw",
            "frac_bits", "applies only to precision 'fixed'");
}

TEST_F(TopologyMistakesTest, MalformedYamlSyntax) {
  const std::string yaml = replaceOnce(base_, "shape: [1, 8, 8]", "shape: [1, 8, 8");
  TopologyCheck result = check(yaml);
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_GT(d.line, 0u);
  EXPECT_GT(d.column, 0u);
  EXPECT_NE(d.message.find("YAML syntax error"), std::string::npos) << d.toString();
}

TEST_F(TopologyMistakesTest, RepeatedKey) {
  expectOne(replaceOnce(base_, "timesteps: 8\n", "timesteps: 8\ntimesteps: 9\n"), "timesteps: 9",
            "timesteps", "appears more than once");
}

TEST_F(TopologyMistakesTest, ReportsEveryMistakeInOnePass) {
  std::string yaml = replaceOnce(base_, "timesteps: 8", "timesteps: 0");
  yaml = replaceOnce(yaml, "precision: float32", "precision: half");
  yaml = replaceOnce(yaml, "kind: conv2d", "kind: conv3d");
  TopologyCheck result = check(yaml);
  ASSERT_EQ(result.diagnostics.size(), 3u) << dump(result);
  EXPECT_EQ(result.diagnostics[0].field, "timesteps");
  EXPECT_EQ(result.diagnostics[1].field, "precision");
  EXPECT_EQ(result.diagnostics[2].field, "operators[1].kind");
}

TEST_F(TopologyMistakesTest, PrintsCompilerStyleLine) {
  const std::string yaml = replaceOnce(base_, "{stride: 1, padding: 1}", "{stride: 0, padding: 1}");
  TopologyCheck result = check(yaml);
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
  const auto [line, column] = positionOf(yaml, "0, padding");
  EXPECT_EQ(result.diagnostics[0].toString(),
            (dir_.path() / "m.yaml").string() + ":" + std::to_string(line) + ":" +
                std::to_string(column) + ": operators[1].params.stride: must be >= 1, got 0");
}

TEST_F(TopologyMistakesTest, LoadTopologyFileListsDiagnosticsInStatus) {
  dir_.write("m.yaml", replaceOnce(base_, "timesteps: 8", "timesteps: 0"));
  Result<Topology> r = loadTopologyFile(dir_.path() / "m.yaml");
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("timesteps: must be in 1..4096"), std::string::npos);
  EXPECT_STATUS_CODE(loadTopologyFile(dir_.path() / "absent.yaml"), StatusCode::kNotFound);
}

}  // namespace
}  // namespace spikeline::topology
