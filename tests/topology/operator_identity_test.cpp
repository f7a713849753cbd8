#include "topology/operator_identity.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "tests/topology/model_fixture.h"
#include "topology/safetensors.h"
#include "topology/topology_loader.h"

namespace spikeline::topology {
namespace {

using ::spikeline::testing::rampValues;
using ::spikeline::testing::replaceOnce;
using ::spikeline::testing::ScratchDir;

OperatorSpec convSpec() {
  OperatorSpec spec;
  spec.name = "conv1";
  spec.kind = "conv2d";
  spec.precision = Precision::kFixed;
  spec.frac_bits = 10;
  spec.params.set("stride", int64_t{2});
  spec.params.set("padding", std::vector<int64_t>{1, 1});
  spec.params.set("bn_eps", 1e-5);
  spec.weights["weight"] = WeightTensor{Shape{2, 1, 1, 1}, {0.5f, -0.25f}};
  spec.weights["bias"] = WeightTensor{Shape{2}, {0.0f, 1.0f}};
  return spec;
}

TEST(OperatorIdentityTest, GoldenValueIsStable) {
  // Pinned: changing this value breaks operator sharing across releases. Bump
  // kOperatorIdEncodingVersion (and this value) only on purpose. Cross-checked against an
  // independent Python implementation of the encoding in topology/SCHEMA.md.
  EXPECT_EQ(computeOperatorId(convSpec()).toHex(), "c03972759d13358c");
}

TEST(OperatorIdentityTest, NameInputsAndShapesAreNotPartOfIdentity) {
  OperatorSpec other = convSpec();
  other.name = "features.0";
  other.inputs = {"encode"};
  other.input_shape = Shape{1, 28, 28};
  EXPECT_EQ(computeOperatorId(other), computeOperatorId(convSpec()));
}

TEST(OperatorIdentityTest, ChangesWithEveryComputedField) {
  const OperatorId base = computeOperatorId(convSpec());
  std::vector<OperatorSpec> variants(8, convSpec());
  variants[0].kind = "linear";
  variants[1].params.set("stride", int64_t{1});
  variants[2].params.set("stride", 2.0);  // same number, other type
  variants[3].params.set("groups", int64_t{1});
  variants[4].weights["weight"].values[1] = -0.25000003f;
  variants[5].weights["weight"].shape = Shape{1, 2, 1, 1};
  variants[6].precision = Precision::kFloat32;
  variants[7].frac_bits = 11;
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(computeOperatorId(variants[i]), base) << "variant " << i;
  }
}

TEST(OperatorIdentityTest, FracBitsDoNotMatterInFloat32) {
  OperatorSpec a = convSpec(), b = convSpec();
  a.precision = b.precision = Precision::kFloat32;
  b.frac_bits = 16;
  EXPECT_EQ(computeOperatorId(a), computeOperatorId(b));
}

TEST(OperatorIdentityTest, RenamingAWeightRoleChangesTheDigest) {
  OperatorSpec renamed = convSpec();
  renamed.weights["bn_bias"] = renamed.weights["bias"];
  renamed.weights.erase("bias");
  EXPECT_NE(weightsDigest(renamed), weightsDigest(convSpec()));
}

TEST(OperatorIdentityTest, TwoModelFilesShareAnIdenticalOperator) {
  ScratchDir dir;
  const std::string small = ::spikeline::testing::writeSmallModelWeights(dir);
  // A second model, another name, another weights file holding the same conv tensors under other
  // names; a different back half. Its conv operator is called "stem".
  std::vector<SafetensorsTensorF32> tensors = {{"stem.w", {2, 1, 3, 3}, rampValues(18)},
                                               {"stem.b", {2}, rampValues(2)},
                                               {"head.w", {3, 128}, rampValues(384)}};
  ASSERT_OK_AND_ASSIGN(std::string bytes, encodeSafetensorsF32(tensors));
  dir.write("other.safetensors", bytes);
  std::string other = replaceOnce(small, "name: small", "name: other");
  other = replaceOnce(other, "small.safetensors", "other.safetensors");
  other = replaceOnce(other, small.substr(small.find("sha256: \"") + 9, 64), toHex(sha256(bytes)));
  other = replaceOnce(other, "name: conv", "name: stem");
  other = replaceOnce(other, "[enc, conv, lif1]", "[enc, stem, lif1]");
  other = replaceOnce(other, "tensor: conv.weight", "tensor: stem.w");
  other = replaceOnce(other, "tensor: conv.bias", "tensor: stem.b");
  other = replaceOnce(other, "{file: w, tensor: fc.weight}", "{file: w, tensor: head.w}");
  other = replaceOnce(other, "      bias: {file: w, tensor: fc.bias}\n", "");
  ASSERT_OK_AND_ASSIGN(Topology a, loadTopologyFile(dir.write("small.yaml", small)));
  ASSERT_OK_AND_ASSIGN(Topology b, loadTopologyFile(dir.write("other.yaml", other)));
  EXPECT_EQ(a.findOperator("conv")->id, b.findOperator("stem")->id);
  EXPECT_NE(a.findOperator("fc")->id, b.findOperator("fc")->id);
}

}  // namespace
}  // namespace spikeline::topology
