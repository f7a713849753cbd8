// CURVE key files and the loopback rule (transport/curve.h): pure file handling, no sockets.
#include "transport/curve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/support/status_matchers.h"

namespace spikeline::transport {
namespace {

namespace fs = std::filesystem;

class CurveFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spikeline-curve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

TEST_F(CurveFilesTest, KeygenWritesAPublicAndAPrivateFileThatReadBack) {
  ASSERT_OK_AND_ASSIGN(CurveKeyPair keys, generateCurveKeyPair());
  EXPECT_TRUE(isCurveKey(keys.public_key));
  EXPECT_TRUE(isCurveKey(keys.secret_key));
  ASSERT_OK(writeCurveKeyFiles(dir_.string(), "worker-1", keys));

  struct stat st {};
  ASSERT_EQ(::stat(path("worker-1.key_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the secret file must be private from its creation";
  ASSERT_OK_AND_ASSIGN(CurveKeyPair back, readCurveSecretFile(path("worker-1.key_secret")));
  EXPECT_EQ(back, keys);
  ASSERT_OK_AND_ASSIGN(std::string pub, readCurvePublicFile(path("worker-1.key")));
  EXPECT_EQ(pub, keys.public_key);
  std::ifstream in(path("worker-1.key"));
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find(keys.secret_key), std::string::npos) << "the public file holds no secret";
}

TEST_F(CurveFilesTest, KeysAreNeverOverwritten) {
  ASSERT_OK_AND_ASSIGN(CurveKeyPair a, generateCurveKeyPair());
  ASSERT_OK_AND_ASSIGN(CurveKeyPair b, generateCurveKeyPair());
  ASSERT_OK(writeCurveKeyFiles(dir_.string(), "broker", a));
  Status again = writeCurveKeyFiles(dir_.string(), "broker", b);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.toString();
  ASSERT_OK_AND_ASSIGN(CurveKeyPair kept, readCurveSecretFile(path("broker.key_secret")));
  EXPECT_EQ(kept, a);
  EXPECT_EQ(writeCurveKeyFiles(dir_.string(), "../escape", a).code(), StatusCode::kInvalidArgument);
}

TEST_F(CurveFilesTest, BadKeyFilesAreRefusedNamingTheFileAndTheProblem) {
  ASSERT_OK_AND_ASSIGN(CurveKeyPair a, generateCurveKeyPair());
  ASSERT_OK_AND_ASSIGN(CurveKeyPair b, generateCurveKeyPair());
  write("mismatch.key_secret", "curve\n    public-key = \"" + a.public_key +
                                   "\"\n    secret-key = \"" + b.secret_key + "\"\n");
  write("short.key", "curve\n    public-key = \"abc\"\n");
  write("public-only.key", "curve\n    public-key = \"" + a.public_key + "\"\n");
  auto mismatch = readCurveSecretFile(path("mismatch.key_secret"));
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("public-key does not belong to secret-key"),
            std::string::npos)
      << mismatch.status().message();
  auto shortkey = readCurvePublicFile(path("short.key"));
  EXPECT_NE(shortkey.status().message().find("short.key: public-key is not a CURVE key"),
            std::string::npos)
      << shortkey.status().message();
  auto no_secret = readCurveSecretFile(path("public-only.key"));
  EXPECT_NE(no_secret.status().message().find("no secret-key"), std::string::npos)
      << no_secret.status().message();
  EXPECT_EQ(readCurveSecretFile(path("absent.key_secret")).status().code(), StatusCode::kNotFound);
}

TEST_F(CurveFilesTest, TheTrustDirectoryIsEveryPublicKeyFileInIt) {
  ASSERT_OK_AND_ASSIGN(CurveKeyPair a, generateCurveKeyPair());
  ASSERT_OK_AND_ASSIGN(CurveKeyPair b, generateCurveKeyPair());
  ASSERT_OK(writeCurveKeyFiles(dir_.string(), "a", a));
  ASSERT_OK(writeCurveKeyFiles(dir_.string(), "b", b));
  write("README", "not a key");
  ASSERT_OK_AND_ASSIGN(AuthorizedKeys keys, readAuthorizedKeys(dir_.string()));
  EXPECT_EQ(keys, (AuthorizedKeys{a.public_key, b.public_key}));

  fs::create_directories(dir_ / "empty");
  EXPECT_NE(readAuthorizedKeys((dir_ / "empty").string()).status().message().find("no *.key"),
            std::string::npos);
}

TEST_F(CurveFilesTest, AnIdentityNeedsATrustDirectoryAndTheBrokersKey) {
  ASSERT_OK_AND_ASSIGN(CurveKeyPair self, generateCurveKeyPair());
  ASSERT_OK_AND_ASSIGN(CurveKeyPair broker, generateCurveKeyPair());
  ASSERT_OK(writeCurveKeyFiles(dir_.string(), "w1", self));
  ASSERT_OK(writeCurveKeyFiles((dir_ / "trust").string(), "broker", broker));

  ASSERT_OK_AND_ASSIGN(CurveIdentity off, loadCurveIdentity(CurveFlags{}, true));
  EXPECT_FALSE(off.enabled());
  auto no_trust = loadCurveIdentity(CurveFlags{path("w1.key_secret"), "", "", false}, true);
  EXPECT_NE(no_trust.status().message().find("--curve-trust"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(
      CurveIdentity id,
      loadCurveIdentity(CurveFlags{path("w1.key_secret"), (dir_ / "trust").string(), "", false},
                        true));
  EXPECT_EQ(id.self, self);
  EXPECT_EQ(id.broker_public_key, broker.public_key);  // TRUST/broker.key by default
  EXPECT_EQ(id.authorized.count(broker.public_key), 1u);
  // A client-only process (the CLI) needs no trust directory, only the broker's key.
  ASSERT_OK_AND_ASSIGN(CurveIdentity cli,
                       loadCurveIdentity(CurveFlags{path("w1.key_secret"), "",
                                                    (dir_ / "trust/broker.key").string(), false},
                                         true, /*serves=*/false));
  EXPECT_EQ(cli.broker_public_key, broker.public_key);
  EXPECT_FALSE(loadCurveIdentity(CurveFlags{"", (dir_ / "trust").string(), "", false}, true).isOk())
      << "a trust directory without a key of our own is a mistake, not plaintext";
}

TEST(CurveRuleTest, PlaintextOffLoopbackNeedsKeysOrInsecure) {
  EXPECT_TRUE(isLoopbackEndpoint("tcp://127.0.0.1:5555"));
  EXPECT_TRUE(isLoopbackEndpoint("tcp://localhost:*"));
  EXPECT_TRUE(isLoopbackEndpoint("tcp://[::1]:7000"));
  EXPECT_TRUE(isLoopbackEndpoint("ipc:///tmp/x"));
  EXPECT_FALSE(isLoopbackEndpoint("tcp://0.0.0.0:5555"));
  EXPECT_FALSE(isLoopbackEndpoint("tcp://10.0.0.5:7001"));
  EXPECT_FALSE(isLoopbackEndpoint("tcp://broker:5555"));
  EXPECT_FALSE(isLoopbackEndpoint("tcp://*:5555"));

  const CurveIdentity off;
  EXPECT_OK(requireCurveOffLoopback(off, false, "tcp://127.0.0.1:5555", "--bind"));
  EXPECT_OK(requireCurveOffLoopback(off, true, "tcp://0.0.0.0:5555", "--bind"));
  Status refused = requireCurveOffLoopback(off, false, "tcp://0.0.0.0:5555", "--bind");
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("--bind tcp://0.0.0.0:5555"), std::string::npos);
  EXPECT_NE(refused.message().find("--insecure"), std::string::npos);
  CurveIdentity on;
  on.self = CurveKeyPair{"x", "y"};
  EXPECT_OK(requireCurveOffLoopback(on, false, "tcp://0.0.0.0:5555", "--bind"));
}

}  // namespace
}  // namespace spikeline::transport
