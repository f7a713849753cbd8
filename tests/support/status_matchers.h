// Test helpers for Status/Result: ASSERT_OK, EXPECT_OK, ASSERT_OK_AND_ASSIGN, EXPECT_STATUS_CODE.
// Header-only; for tests only. Thread safety: as GoogleTest's assertions.
#pragma once

#include <gtest/gtest.h>

#include "core/result.h"
#include "core/status.h"

namespace spikeline::testing {

inline const Status& toStatus(const Status& s) { return s; }
template <typename T>
const Status& toStatus(const Result<T>& r) {
  return r.status();
}

}  // namespace spikeline::testing

#define EXPECT_OK(expr)                                    \
  EXPECT_TRUE(::spikeline::testing::toStatus(expr).isOk()) \
      << ::spikeline::testing::toStatus(expr).toString()
#define ASSERT_OK(expr)                                    \
  ASSERT_TRUE(::spikeline::testing::toStatus(expr).isOk()) \
      << ::spikeline::testing::toStatus(expr).toString()
#define EXPECT_STATUS_CODE(expr, expected_code)                           \
  EXPECT_EQ(::spikeline::testing::toStatus(expr).code(), (expected_code)) \
      << ::spikeline::testing::toStatus(expr).toString()
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(SPIKELINE_CONCAT(spikeline_test_result_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr)    \
  auto tmp = (rexpr);                                 \
  ASSERT_TRUE(tmp.isOk()) << tmp.status().toString(); \
  lhs = std::move(tmp).value()
