#include "gateway/grpc_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace spikeline::gateway {
namespace {

TEST(GrpcCodecTest, ReadsTypedAndRawContents) {
  inference::ModelInferRequest req;
  req.set_model_name("m");
  req.set_id("x");
  auto* in = req.add_inputs();
  in->set_name("input");
  in->set_datatype("FP32");
  in->add_shape(2);
  in->mutable_contents()->add_fp32_contents(0.5f);
  in->mutable_contents()->add_fp32_contents(1.0f);
  auto r = fromProto(req);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{0.5f, 1.0f}));
  EXPECT_EQ(r->id, "x");

  in->clear_contents();
  const uint8_t px[2] = {0, 255};
  req.add_raw_input_contents(std::string(reinterpret_cast<const char*>(px), 2));
  in->set_datatype("UINT8");
  r = fromProto(req);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{0.0f, 255.0f}));

  in->set_datatype("FP32");  // 2 bytes are not whole FP32 elements
  EXPECT_EQ(fromProto(req).status().code(), StatusCode::kInvalidArgument);
  req.add_raw_input_contents("more");  // two raw contents for one input
  EXPECT_EQ(fromProto(req).status().code(), StatusCode::kInvalidArgument);
}

TEST(GrpcCodecTest, WritesRawOutputContents) {
  inference::ModelInferResponse out;
  toProto(InferResponse{"m", "1", "id", {{"output", "FP32", {1, 2}, {1.0f, -3.0f}, false}}}, out);
  ASSERT_EQ(out.outputs_size(), 1);
  EXPECT_EQ(out.outputs(0).shape_size(), 2);
  ASSERT_EQ(out.raw_output_contents_size(), 1);
  float v[2];
  ASSERT_EQ(out.raw_output_contents(0).size(), sizeof v);
  std::memcpy(v, out.raw_output_contents(0).data(), sizeof v);
  EXPECT_EQ(v[1], -3.0f);
  EXPECT_EQ(out.id(), "id");
}

}  // namespace
}  // namespace spikeline::gateway
