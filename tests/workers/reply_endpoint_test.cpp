// The client's advertised reply-to: the bound endpoint by default, the advertised one as given,
// the bound port filled into a port placeholder, and malformed values rejected.
#include "workers/client/reply_endpoint.h"

#include <gtest/gtest.h>

namespace spikeline::client {
namespace {

TEST(ReplyEndpointTest, DefaultIsTheBoundEndpoint) {
  EXPECT_EQ(*advertisedEndpoint("", "tcp://127.0.0.1:40001"), "tcp://127.0.0.1:40001");
}

TEST(ReplyEndpointTest, AnExplicitPortIsKept) {
  EXPECT_EQ(*advertisedEndpoint("tcp://gw.example:7000", "tcp://0.0.0.0:40001"),
            "tcp://gw.example:7000");
}

TEST(ReplyEndpointTest, APlaceholderTakesTheBoundPort) {
  for (const char* a : {"tcp://10.1.2.3:*", "tcp://10.1.2.3:0", "tcp://10.1.2.3"}) {
    EXPECT_EQ(*advertisedEndpoint(a, "tcp://0.0.0.0:40001"), "tcp://10.1.2.3:40001") << a;
  }
  EXPECT_EQ(*advertisedEndpoint("tcp://[fd00::5]:*", "tcp://[::]:40002"), "tcp://[fd00::5]:40002");
  EXPECT_EQ(*advertisedEndpoint("tcp://[fd00::5]", "tcp://[::]:40002"), "tcp://[fd00::5]:40002");
}

TEST(ReplyEndpointTest, MalformedAdvertisedEndpointsAreRejected) {
  for (const char* a : {"ipc:///tmp/r", "10.1.2.3:7000", "tcp://", "tcp://:7000",
                        "tcp://h:70000", "tcp://h:port"}) {
    Result<std::string> r = advertisedEndpoint(a, "tcp://0.0.0.0:40001");
    ASSERT_FALSE(r.isOk()) << a;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << a;
  }
  EXPECT_FALSE(advertisedEndpoint("tcp://h:*", "ipc:///tmp/r").isOk());
}

TEST(ReplyEndpointTest, WildcardBindsAreRecognised) {
  EXPECT_TRUE(isWildcardEndpoint("tcp://0.0.0.0:40001"));
  EXPECT_TRUE(isWildcardEndpoint("tcp://*:40001"));
  EXPECT_TRUE(isWildcardEndpoint("tcp://[::]:40001"));
  EXPECT_FALSE(isWildcardEndpoint("tcp://127.0.0.1:40001"));
  EXPECT_FALSE(isWildcardEndpoint("tcp://10.0.0.7:40001"));
}

}  // namespace
}  // namespace spikeline::client
