#include "gateway/json_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace spikeline::gateway {
namespace {

TEST(JsonCodecTest, ParsesNestedDataIdAndParameters) {
  auto r = parseInferRequest(
      R"({"id":"r1","parameters":{"binary_data_output":true,"timeout":250},
          "inputs":[{"name":"input","shape":[1,2,2],"datatype":"FP32","data":[[[0.5,1],[0,0.25]]]}],
          "outputs":[{"name":"output"}]})",
      std::nullopt, "m", "2");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->model_name, "m");
  EXPECT_EQ(r->model_version, "2");
  EXPECT_EQ(r->id, "r1");
  EXPECT_TRUE(r->binary_data_output);
  EXPECT_EQ(r->timeout_ms, 250);
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{0.5f, 1, 0, 0.25f}));
  EXPECT_EQ(r->inputs[0].shape, (std::vector<int64_t>{1, 2, 2}));
}

TEST(JsonCodecTest, ReadsBinaryTensorData) {
  const std::string json =
      R"({"inputs":[{"name":"input","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]})";
  const float v[2] = {1.5f, -2.0f};
  std::string body = json + std::string(reinterpret_cast<const char*>(v), sizeof v);
  auto r = parseInferRequest(body, json.size(), "m", "");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{1.5f, -2.0f}));
  // A header that lies about its length, and a binary size larger than what follows.
  EXPECT_EQ(parseInferRequest(body, body.size() + 1, "m", "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(parseInferRequest(json + "1234", json.size(), "m", "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(parseInferRequest(body + "x", json.size(), "m", "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(JsonCodecTest, RejectsHostileBodiesAsInvalidArgument) {
  const std::string valid =
      R"({"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[1]}]})";
  for (size_t cut = 0; cut < valid.size(); ++cut) {
    EXPECT_EQ(parseInferRequest(valid.substr(0, cut), std::nullopt, "m", "").status().code(),
              StatusCode::kInvalidArgument)
        << "truncated at " << cut;
  }
  EXPECT_EQ(parseInferRequest(std::string(100000, '['), std::nullopt, "m", "").status().code(),
            StatusCode::kInvalidArgument);
  std::string garbage(1 << 20, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) & 0xff);
  auto g = parseInferRequest(garbage, std::nullopt, "m", "");
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      encodeError(g.status().message()).empty());  // hostile bytes in a message never throw
  for (const char* bad :
       {R"([])", R"({"inputs":3})", R"({"inputs":[{"name":1}]})",
        R"({"inputs":[{"name":"input","datatype":"FP32","shape":["x"],"data":[]}]})",
        R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1],"data":["a"]}]})",
        R"({"id":5,"inputs":[]})"}) {
    EXPECT_EQ(parseInferRequest(bad, std::nullopt, "m", "").status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(
      parseInferRequest(R"({"parameters":{"sequence_id":1},"inputs":[]})", std::nullopt, "m", "")
          .status()
          .code(),
      StatusCode::kUnimplemented);
}

TEST(JsonCodecTest, EncodesResponsesJsonAndBinary) {
  InferResponse r{"m", "1", "abc", {{"output", "FP32", {2}, {0.5f, 2.0f}, false}}};
  EncodedBody j = encodeInferResponse(r);
  EXPECT_EQ(
      j.body,
      R"({"id":"abc","model_name":"m","model_version":"1","outputs":[{"data":[0.5,2.0],"datatype":"FP32","name":"output","shape":[2]}]})");
  EXPECT_FALSE(j.json_length.has_value());
  InferRequest req;
  req.binary_data_output = true;
  applyBinaryChoice(req, r);
  EncodedBody b = encodeInferResponse(r);
  ASSERT_TRUE(b.json_length.has_value());
  ASSERT_EQ(b.body.size(), *b.json_length + 8);
  float back[2];
  std::memcpy(back, b.body.data() + *b.json_length, 8);
  EXPECT_EQ(back[1], 2.0f);
  EXPECT_NE(b.body.find(R"("binary_data_size":8)"), std::string::npos);
  EXPECT_EQ(encodeError("x"), R"({"error":"x"})");
  EXPECT_EQ(encodeReadiness({false, "why"}), R"({"ready":false,"reason":"why"})");
}

}  // namespace
}  // namespace spikeline::gateway
