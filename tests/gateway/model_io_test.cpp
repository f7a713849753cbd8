#include "gateway/model_io.h"

#include <gtest/gtest.h>

namespace spikeline::gateway {
namespace {

Topology denseModel() {
  Topology t;
  t.model = {"m", 3};
  t.timesteps = 4;
  t.input_shape = Shape{1, 2, 2};
  t.input_encoding = InputEncoding::kDense;
  t.precision = Precision::kFixed;
  t.frac_bits = 10;
  OperatorSpec out;
  out.name = "readout";
  out.output_shape = Shape{3};
  t.operators.push_back(out);
  t.stages.push_back({"s0", {"readout"}, {}});
  return t;
}

InferRequest request(std::vector<int64_t> shape, std::string dt, size_t n) {
  InferRequest r;
  r.model_name = "m";
  r.inputs.push_back({"input", std::move(dt), std::move(shape), std::vector<float>(n, 0.5f)});
  return r;
}

TEST(ModelIoTest, DescribesDenseModelWithBatchDimension) {
  const ModelMetadata m = describeModel(denseModel());
  EXPECT_EQ(m.name, "m");
  EXPECT_EQ(m.versions, std::vector<std::string>{"3"});
  EXPECT_EQ(m.platform, "spikeline");
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].datatype, "FP32");
  EXPECT_EQ(m.inputs[0].shape, (std::vector<int64_t>{-1, 1, 2, 2}));
  EXPECT_EQ(m.outputs[0].shape, (std::vector<int64_t>{-1, 3}));
}

TEST(ModelIoTest, AcceptsUnbatchedAndBatchedInputs) {
  auto one = requestToFrames(denseModel(), request({1, 2, 2}, "FP32", 4));
  ASSERT_TRUE(one.isOk()) << one.status().toString();
  EXPECT_EQ(one->size(), 1u);
  auto three = requestToFrames(denseModel(), request({3, 1, 2, 2}, "FP32", 12));
  ASSERT_TRUE(three.isOk()) << three.status().toString();
  EXPECT_EQ(three->size(), 3u);
  EXPECT_TRUE(isBatched(denseModel(), request({3, 1, 2, 2}, "FP32", 12)));
}

TEST(ModelIoTest, ScalesUint8ByOneOver255) {
  InferRequest r = request({1, 2, 2}, "UINT8", 4);
  r.inputs[0].data = {0, 255, 51, 255};
  auto f = requestToFrames(denseModel(), r);
  ASSERT_TRUE(f.isOk());
  const auto& d = std::get<DenseTensor>(f->front());
  EXPECT_FLOAT_EQ(d.floats()[1], 1.0f);
  EXPECT_FLOAT_EQ(d.floats()[2], 0.2f);
}

TEST(ModelIoTest, RejectsWrongShapeDatatypeCountAndNames) {
  const Topology t = denseModel();
  auto shape = requestToFrames(t, request({2, 2}, "FP32", 4));
  EXPECT_EQ(shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(shape.status().message().find("shape [2, 2]"), std::string::npos);
  EXPECT_EQ(requestToFrames(t, request({1, 2, 2}, "BYTES", 4)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(requestToFrames(t, request({1, 2, 2}, "FP32", 5)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(requestToFrames(t, request({0, 1, 2, 2}, "FP32", 0)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(requestToFrames(t, request({65, 1, 2, 2}, "FP32", 260)).status().code(),
            StatusCode::kInvalidArgument);
  InferRequest named = request({1, 2, 2}, "FP32", 4);
  named.inputs[0].name = "x";
  EXPECT_EQ(requestToFrames(t, named).status().code(), StatusCode::kInvalidArgument);
  InferRequest none = request({1, 2, 2}, "FP32", 4);
  none.inputs.clear();
  EXPECT_EQ(requestToFrames(t, none).status().code(), StatusCode::kInvalidArgument);
  InferRequest out = request({1, 2, 2}, "FP32", 4);
  out.outputs.push_back({"logits", false});
  EXPECT_EQ(requestToFrames(t, out).status().code(), StatusCode::kInvalidArgument);
}

TEST(ModelIoTest, ScalesFixedPointOutputsAndStacksTheBatch) {
  const Topology t = denseModel();
  std::vector<Tensor> outs{DenseTensor(Shape{3}, 1, std::vector<int32_t>{1024, -512, 0}),
                           DenseTensor(Shape{3}, 1, std::vector<int32_t>{2048, 0, 1})};
  auto o = framesToOutput(t, outs, true);
  ASSERT_TRUE(o.isOk());
  EXPECT_EQ(o->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(o->datatype, "FP32");
  EXPECT_EQ(o->data, (std::vector<float>{1.0f, -0.5f, 0.0f, 2.0f, 0.0f, 1.0f / 1024}));
  auto single = framesToOutput(t, {outs[0]}, false);
  ASSERT_TRUE(single.isOk());
  EXPECT_EQ(single->shape, (std::vector<int64_t>{3}));
}

TEST(ModelIoTest, SpikeModelTakesBoolTimeMajorSpikes) {
  Topology t = denseModel();
  t.input_encoding = InputEncoding::kSpikes;
  t.timesteps = 2;
  t.input_shape = Shape{3};
  EXPECT_EQ(describeModel(t).inputs[0].datatype, "BOOL");
  EXPECT_EQ(describeModel(t).inputs[0].shape, (std::vector<int64_t>{-1, 2, 3}));
  InferRequest r = request({2, 3}, "BOOL", 6);
  r.inputs[0].data = {1, 0, 0, 0, 0, 1};
  auto f = requestToFrames(t, r);
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  const auto& s = std::get<SpikeTensor>(f->front());
  EXPECT_TRUE(s.get(0, 0));
  EXPECT_FALSE(s.get(0, 1));
  EXPECT_TRUE(s.get(1, 2));
  r.inputs[0].data[1] = 0.5f;  // not a spike
  EXPECT_EQ(requestToFrames(t, r).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(requestToFrames(t, request({2, 3}, "FP32", 6)).status().code(),
            StatusCode::kInvalidArgument);
}

// The RNN reads an image strip by strip: [batch, T, input shape] puts one slice at each step.
TEST(ModelIoTest, DenseModelTakesOneValuePerTimestep) {
  const Topology t = denseModel();  // T = 4, input [1, 2, 2]
  InferRequest r = request({2, 4, 1, 2, 2}, "FP32", 32);
  for (size_t i = 0; i < 32; ++i) r.inputs[0].data[i] = float(i) / 32.0f;
  ASSERT_TRUE(isBatched(t, r));
  auto frames = requestToFrames(t, r, 8);
  ASSERT_TRUE(frames.isOk()) << frames.status().toString();
  ASSERT_EQ(frames->size(), 2u);
  const auto& second = std::get<DenseTensor>((*frames)[1]);
  EXPECT_EQ(second.timesteps(), 4u);
  EXPECT_EQ(second.shape(), (Shape{1, 2, 2}));
  EXPECT_FLOAT_EQ(second.floats()[0], 16.0f / 32.0f);   // item 1, step 0
  EXPECT_FLOAT_EQ(second.floats()[15], 31.0f / 32.0f);  // item 1, step 3, last value
  // A step count other than T is refused, naming the sequence form.
  auto wrong = requestToFrames(t, request({1, 3, 1, 2, 2}, "FP32", 12), 8);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("one value per timestep, [batch, 4, 1, 2, 2]"),
            std::string::npos)
      << wrong.status().toString();
}

TEST(ModelIoTest, UnknownVersionIsNotFound) {
  EXPECT_TRUE(checkVersion(denseModel(), "").isOk());
  EXPECT_TRUE(checkVersion(denseModel(), "3").isOk());
  EXPECT_EQ(checkVersion(denseModel(), "4").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace spikeline::gateway
