#include "core/ready_line.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline {
namespace {

TEST(ReadyLineTest, FormatsAndParsesBack) {
  ReadyLine r;
  r.endpoints = {{"control", "tcp://127.0.0.1:40123"}, {"metrics", "127.0.0.1:40124"}};
  EXPECT_EQ(r.format(), "READY control=tcp://127.0.0.1:40123 metrics=127.0.0.1:40124");
  ASSERT_OK_AND_ASSIGN(ReadyLine back, parseReadyLine(r.format() + "\n"));
  EXPECT_EQ(back.endpoints, r.endpoints);
  EXPECT_EQ(back.find("metrics"), "127.0.0.1:40124");
  EXPECT_EQ(back.find("routes"), "");
}

TEST(ReadyLineTest, ValuesMayHoldEqualsSigns) {
  ASSERT_OK_AND_ASSIGN(ReadyLine r, parseReadyLine("READY data=ipc:///tmp/a=b  metrics=h:1\r\n"));
  EXPECT_EQ(r.find("data"), "ipc:///tmp/a=b");
  EXPECT_EQ(r.find("metrics"), "h:1");
}

TEST(ReadyLineTest, RefusesWhatIsNotAReadyLine) {
  EXPECT_STATUS_CODE(parseReadyLine("READY"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseReadyLine("READYdata=x"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseReadyLine("ready data=x"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseReadyLine("READY tcp://127.0.0.1:5"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseReadyLine("READY =x"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseReadyLine("READY data="), StatusCode::kInvalidArgument);
  const Status bad = parseReadyLine("READY data=x junk").status();
  EXPECT_NE(bad.message().find("'junk'"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace spikeline
