#include "transport/dedup_window.h"

#include <gtest/gtest.h>

namespace spikeline::transport {
namespace {

TEST(DedupWindowTest, SecondDeliveryIsDuplicate) {
  DedupWindow window(8);
  EXPECT_EQ(window.offer(42), DedupVerdict::kFirst);
  EXPECT_EQ(window.offer(42), DedupVerdict::kDuplicate);
  EXPECT_EQ(window.offer(43), DedupVerdict::kFirst);
}

TEST(DedupWindowTest, MemoryStaysBoundedAndOldestIsForgotten) {
  DedupWindow window(3);
  for (RequestId id = 1; id <= 100; ++id) EXPECT_EQ(window.offer(id), DedupVerdict::kFirst);
  EXPECT_EQ(window.size(), 3u);
  EXPECT_TRUE(window.contains(100));
  EXPECT_TRUE(window.contains(98));
  EXPECT_FALSE(window.contains(97));
  EXPECT_EQ(window.offer(99), DedupVerdict::kDuplicate);
  EXPECT_EQ(window.offer(1), DedupVerdict::kFirst);  // outside the window
}

}  // namespace
}  // namespace spikeline::transport
