#include "core/dense_tensor.h"

#include <gtest/gtest.h>

#include "core/tensor.h"

namespace spikeline {
namespace {

TEST(DenseTensorTest, ZeroFilledWithTimeAxis) {
  DenseTensor d(Shape{3, 4}, 5, DType::kFloat32);
  EXPECT_EQ(d.size(), 60u);
  EXPECT_EQ(d.dtype(), DType::kFloat32);
  for (float v : d.floats()) EXPECT_EQ(v, 0.0f);
}

TEST(DenseTensorTest, HoldsIntsForFixedPoint) {
  DenseTensor d(Shape{2}, 1, std::vector<int32_t>{-5, 7});
  EXPECT_EQ(d.dtype(), DType::kInt32);
  EXPECT_EQ(d.ints()[1], 7);
  EXPECT_NE(d, DenseTensor(Shape{2}, 1, std::vector<int32_t>{-5, 8}));
}

TEST(TensorTest, VariantAccessors) {
  Tensor t = SpikeTensor(Shape{4}, 2);
  EXPECT_TRUE(isSpikes(t));
  EXPECT_EQ(tensorShape(t), (Shape{4}));
  EXPECT_EQ(tensorTimesteps(t), 2u);
  t = DenseTensor(Shape{10}, 1, DType::kFloat32);
  EXPECT_FALSE(isSpikes(t));
  EXPECT_EQ(tensorShape(t).numel(), 10u);
}

}  // namespace
}  // namespace spikeline
