#include "tests/harness/redis_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/harness/process.h"

namespace spikeline::harness {
namespace {

// "+PONG" when a Redis answers PING on 127.0.0.1:`port`.
std::string ping(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, "PING\r\n", 6) == 6) {
    char buf[16] = {};
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n > 0) reply.assign(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply.substr(0, reply.find('\r'));
}

TEST(RedisServerTest, ServersPickTheirOwnPortsAndKeepThemAcrossARestart) {
  RedisServer a, b;
  ASSERT_NE(a.port(), 0);
  ASSERT_NE(b.port(), 0);
  EXPECT_NE(a.port(), b.port());
  EXPECT_EQ(ping(a.port()), "+PONG");
  EXPECT_EQ(ping(b.port()), "+PONG");
  const int before = a.port();
  a.stop();
  EXPECT_EQ(ping(before), "");
  ASSERT_TRUE(a.start());
  EXPECT_EQ(a.port(), before);
  EXPECT_EQ(ping(a.port()), "+PONG");
}

TEST(RedisServerTest, PortsAreBelowTheEphemeralRange) {
  int low = 32768, high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  for (int i = 0; i < 1000; ++i) {
    const int p = randomPortBelowEphemeral();
    ASSERT_GE(p, 10000);
    ASSERT_LT(p, std::max(low, 10002));
  }
}

}  // namespace
}  // namespace spikeline::harness
