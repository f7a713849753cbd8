// Broken input never crashes the loader: every truncation of a valid model file and of a valid
// weights file is either accepted or reported, and the loader's answer is a value, not a throw.
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "tests/topology/model_fixture.h"
#include "topology/safetensors.h"
#include "topology/topology_loader.h"

namespace spikeline::topology {
namespace {

using ::spikeline::testing::ScratchDir;

TEST(RobustnessTest, EveryPrefixOfAModelFileIsAcceptedOrReported) {
  ScratchDir dir;
  const std::string yaml = ::spikeline::testing::writeSmallModelWeights(dir);
  size_t rejected = 0;
  for (size_t n = 0; n < yaml.size(); ++n) {
    TopologyCheck check = checkTopologyText(yaml.substr(0, n), "m.yaml", dir.path());
    EXPECT_EQ(check.isOk(), check.diagnostics.empty()) << "prefix " << n;
    for (const Diagnostic& d : check.diagnostics) {
      EXPECT_FALSE(d.message.empty()) << "prefix " << n;
      EXPECT_EQ(d.file, "m.yaml");
    }
    rejected += check.isOk() ? 0 : 1;
  }
  // Cutting the stages list short still leaves valid files only at the very end.
  EXPECT_GT(rejected, yaml.size() * 9 / 10);
  EXPECT_TRUE(checkTopologyText(yaml, "m.yaml", dir.path()).isOk());
}

TEST(RobustnessTest, EveryPrefixOfAWeightsFileIsRejected) {
  ASSERT_OK_AND_ASSIGN(std::string bytes,
                       encodeSafetensorsF32(::spikeline::testing::smallModelTensors()));
  for (size_t n = 0; n < bytes.size(); n += (n < 512 ? 1 : 97)) {
    EXPECT_STATUS_CODE(SafetensorsFile::parse(bytes.substr(0, n)), StatusCode::kInvalidArgument)
        << "prefix " << n;
  }
  EXPECT_OK(SafetensorsFile::parse(bytes));
}

TEST(RobustnessTest, FlippedHeaderBytesAreAcceptedOrReported) {
  ASSERT_OK_AND_ASSIGN(std::string bytes,
                       encodeSafetensorsF32(::spikeline::testing::smallModelTensors()));
  for (size_t i = 0; i < 300 && i < bytes.size(); ++i) {
    std::string corrupt = bytes;
    corrupt[i] = char(corrupt[i] ^ 0x5A);
    Result<SafetensorsFile> file = SafetensorsFile::parse(corrupt);
    if (!file.isOk()) {
      EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument) << "byte " << i;
      continue;
    }
    // A corruption the parser accepts (e.g. inside a tensor name) still yields whole tensors.
    for (const auto& [name, entry] : file->entries()) {
      Result<WeightTensor> t = file->tensor(name);
      if (t.isOk()) {
        EXPECT_EQ(t->values.size(), t->shape.numel()) << "byte " << i;
      }
    }
  }
}

}  // namespace
}  // namespace spikeline::topology
