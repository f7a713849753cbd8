// The broker against a Redis that requires credentials (issue 14): an ACL user whose password
// comes from a file or the environment, never the command line; wrong or missing credentials stop
// the broker at start with a clear message.
#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "broker/store.h"
#include "tests/broker/broker_harness.h"
#include "tests/support/status_matchers.h"

namespace spikeline::broker {
namespace {

using namespace spikeline::broker::testing;  // NOLINT: test helpers

constexpr const char* kPassword = "s3cret-password-for-tests";

// A Redis with the default user locked by a password and a `spikeline` user allowed only the
// broker's keys (spikeline:*), as docs/security.md recommends.
std::vector<std::string> aclArgs() {
  return {"--requirepass", "admin-only-password", "--user", "spikeline", "on",
          std::string(">") + kPassword, "~spikeline:*", "&*", "+@all"};
}

std::string writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p.string();
}

TEST(RedisAuthTest, TheBrokerConnectsAsAnAclUserAndPersistsUnderItsPrefix) {
  RedisServer redis(aclArgs());
  const std::string file = writeFile(redis.dir() / "redis-password", std::string(kPassword) + "\n");
  BrokerProcess broker(redis);
  // No credentials: refused at start, naming the cause.
  EXPECT_EQ(broker.waitExit(5000), 2) << broker.log();
  EXPECT_NE(broker.log().find("NOAUTH"), std::string::npos) << broker.log();

  broker.restartWith({"--redis-user", "spikeline", "--redis-password-file", file});
  ASSERT_TRUE(broker.waitReady()) << broker.log();
  ASSERT_OK(broker.deploy(writeModel(redis.dir(), "alpha")));
  // Persisted through the ACL user: a restarted broker finds the model.
  broker.restartWith({"--redis-user", "spikeline", "--redis-password-file", file});
  ASSERT_TRUE(broker.waitReady()) << broker.log();
  auto models = broker.call({{"op", "models"}});
  ASSERT_OK(models.status());
  EXPECT_EQ((*models)["models"].size(), 1u) << models->dump();
  EXPECT_EQ(broker.log().find(kPassword), std::string::npos) << "the password must not be logged";
}

TEST(RedisAuthTest, WrongCredentialsStopTheBrokerAtStartWithAClearMessage) {
  RedisServer redis(aclArgs());
  BrokerProcess broker(redis);
  broker.restartWith({"--redis-user", "spikeline", "--redis-password-file",
                      writeFile(redis.dir() / "wrong", "not-the-password\n")});
  EXPECT_EQ(broker.waitExit(5000), 2) << broker.log();
  EXPECT_NE(broker.log().find("AUTH as 'spikeline' refused: WRONGPASS"), std::string::npos)
      << broker.log();

  broker.restartWith({"--redis-password-file", (redis.dir() / "missing").string()});
  EXPECT_EQ(broker.waitExit(5000), 2) << broker.log();
  EXPECT_NE(broker.log().find("--redis-password-file " + (redis.dir() / "missing").string() +
                              ": cannot read it"),
            std::string::npos)
      << broker.log();
}

TEST(RedisAuthTest, ThePasswordMayComeFromTheEnvironment) {
  RedisServer redis(aclArgs());
  ::setenv("SPIKELINE_REDIS_PASSWORD", kPassword, 1);
  ::setenv("SPIKELINE_REDIS_USER", "spikeline", 1);
  BrokerProcess broker(redis);
  ::unsetenv("SPIKELINE_REDIS_PASSWORD");
  ::unsetenv("SPIKELINE_REDIS_USER");
  ASSERT_TRUE(broker.waitReady()) << broker.log();
  ASSERT_OK(broker.deploy(writeModel(redis.dir(), "alpha")));
}

TEST(RedisAuthTest, LoadRedisPasswordReadsTheFirstLineAndNamesWhatIsWrong) {
  const auto dir = makeTempDir("spikeline-redis-auth");
  EXPECT_EQ(*loadRedisPassword(writeFile(dir / "p", "pw\r\nsecond line\n"), nullptr), "pw");
  EXPECT_EQ(*loadRedisPassword("", "from-env"), "from-env");
  EXPECT_EQ(*loadRedisPassword("", nullptr), "");
  auto empty = loadRedisPassword(writeFile(dir / "empty", "\n"), nullptr);
  EXPECT_THAT(empty.status().message(), ::testing::HasSubstr("the first line (the password) is empty"));
  auto both = loadRedisPassword((dir / "p").string(), "x");
  EXPECT_THAT(both.status().message(), ::testing::HasSubstr("both set"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spikeline::broker
