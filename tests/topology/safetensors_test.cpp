#include "topology/safetensors.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "tests/topology/model_fixture.h"

namespace spikeline::topology {
namespace {

using ::spikeline::testing::f32Bytes;
using ::spikeline::testing::rawSafetensors;
using ::spikeline::testing::ScratchDir;

std::string messageOf(const Result<SafetensorsFile>& r) { return r.status().message(); }

TEST(SafetensorsTest, RoundTripsFloat32Tensors) {
  ASSERT_OK_AND_ASSIGN(
      std::string bytes,
      encodeSafetensorsF32({{"a", {2, 3}, {1, -2, 3.5f, 0, 1e-3f, -7}}, {"b", {1}, {42}}}));
  ASSERT_OK_AND_ASSIGN(SafetensorsFile file, SafetensorsFile::parse(bytes));
  EXPECT_EQ(file.entries().size(), 2u);
  ASSERT_OK_AND_ASSIGN(WeightTensor a, file.tensor("a"));
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(a.values, (std::vector<float>{1, -2, 3.5f, 0, 1e-3f, -7}));
  ASSERT_OK_AND_ASSIGN(WeightTensor b, file.tensor("b"));
  EXPECT_EQ(b.values, std::vector<float>{42});
}

TEST(SafetensorsTest, ReadsFromDisk) {
  ScratchDir dir;
  ASSERT_OK_AND_ASSIGN(std::string bytes, encodeSafetensorsF32({{"w", {2}, {1, 2}}}));
  ASSERT_OK_AND_ASSIGN(SafetensorsFile file, SafetensorsFile::read(dir.write("w.st", bytes)));
  EXPECT_TRUE(file.has("w"));
  EXPECT_STATUS_CODE(SafetensorsFile::read(dir.path() / "absent.st"), StatusCode::kNotFound);
}

TEST(SafetensorsTest, ConvertsEveryDtypeToFloat32) {
  // F16 1.0 = 0x3C00, -2.0 = 0xC000, 2^-24 (smallest subnormal) = 0x0001.
  // BF16 1.5 = 0x3FC0. I8 -3. I32 -100000.
  const std::string data = std::string("\x00\x3C\x00\xC0\x01\x00", 6) + std::string("\xC0\x3F", 2) +
                           std::string("\xFD", 1) + std::string("\x60\x79\xFE\xFF", 4);
  const std::string header = R"({"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},)"
                             R"("bf":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]},)"
                             R"("i8":{"dtype":"I8","shape":[1],"data_offsets":[8,9]},)"
                             R"("i32":{"dtype":"I32","shape":[1],"data_offsets":[9,13]},)"
                             R"("__metadata__":{"format":"pt"}})";
  ASSERT_OK_AND_ASSIGN(SafetensorsFile file, SafetensorsFile::parse(rawSafetensors(header, data)));
  EXPECT_EQ(file.entries().size(), 4u);  // __metadata__ is not a tensor
  ASSERT_OK_AND_ASSIGN(WeightTensor h, file.tensor("h"));
  EXPECT_EQ(h.values, (std::vector<float>{1.0f, -2.0f, 5.9604645e-08f}));
  ASSERT_OK_AND_ASSIGN(WeightTensor bf, file.tensor("bf"));
  EXPECT_EQ(bf.values, std::vector<float>{1.5f});
  ASSERT_OK_AND_ASSIGN(WeightTensor i8, file.tensor("i8"));
  EXPECT_EQ(i8.values, std::vector<float>{-3.0f});
  ASSERT_OK_AND_ASSIGN(WeightTensor i32, file.tensor("i32"));
  EXPECT_EQ(i32.values, std::vector<float>{-100000.0f});
}

TEST(SafetensorsTest, MissingTensorIsNotFound) {
  ASSERT_OK_AND_ASSIGN(std::string bytes, encodeSafetensorsF32({{"w", {1}, {1}}}));
  ASSERT_OK_AND_ASSIGN(SafetensorsFile file, SafetensorsFile::parse(bytes));
  EXPECT_STATUS_CODE(file.tensor("v"), StatusCode::kNotFound);
}

TEST(SafetensorsTest, RejectsFileShorterThanLengthPrefix) {
  auto r = SafetensorsFile::parse(std::string("\x05\x00\x00", 3));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("too short"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsHeaderLengthPastEndOfFile) {
  auto r = SafetensorsFile::parse(rawSafetensors("{}", "", 1000));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("header length 1000"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsHeaderLongerThanLimit) {
  auto r = SafetensorsFile::parse(rawSafetensors("{}", "", kMaxSafetensorsHeaderBytes + 1));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
}

TEST(SafetensorsTest, RejectsTruncatedData) {
  ASSERT_OK_AND_ASSIGN(std::string bytes, encodeSafetensorsF32({{"w", {4}, {1, 2, 3, 4}}}));
  bytes.resize(bytes.size() - 3);
  auto r = SafetensorsFile::parse(bytes);
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("tensor 'w'"), std::string::npos) << messageOf(r);
  EXPECT_NE(messageOf(r).find("past the data section"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsHeaderThatIsNotJson) {
  auto r = SafetensorsFile::parse(rawSafetensors("{\"w\": [", ""));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("not valid JSON"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsUnsupportedDtypeNamingTheTensor) {
  auto r = SafetensorsFile::parse(rawSafetensors(
      R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("tensor 'w': dtype 'F64'"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsShapeThatDisagreesWithByteLength) {
  auto r = SafetensorsFile::parse(rawSafetensors(
      R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32Bytes({1, 2})));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("tensor 'w': shape holds 3 elements"), std::string::npos)
      << messageOf(r);
}

TEST(SafetensorsTest, RejectsOverlappingTensors) {
  auto r = SafetensorsFile::parse(
      rawSafetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                     f32Bytes({1, 2, 3})));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("overlap"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsBeginAfterEnd) {
  auto r = SafetensorsFile::parse(rawSafetensors(
      R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", f32Bytes({1, 2})));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(messageOf(r).find("begin > end"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, RejectsNegativeDimensionAndMissingFields) {
  EXPECT_STATUS_CODE(
      SafetensorsFile::parse(rawSafetensors(
          R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", f32Bytes({1}))),
      StatusCode::kInvalidArgument);
  auto r = SafetensorsFile::parse(rawSafetensors(R"({"w":{"dtype":"F32","shape":[1]}})", ""));
  EXPECT_NE(messageOf(r).find("missing 'data_offsets'"), std::string::npos) << messageOf(r);
}

TEST(SafetensorsTest, WriterRejectsValueCountMismatch) {
  EXPECT_STATUS_CODE(encodeSafetensorsF32({{"w", {2, 2}, {1, 2, 3}}}),
                     StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::topology
