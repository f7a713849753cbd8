// auth: the API-key file parser (errors name the file and line), the bearer/X-API-Key header
// parsing, the constant-time key match, and which endpoints stay open.
#include "gateway/auth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/status_matchers.h"

namespace spikeline::gateway {
namespace {

constexpr const char* kAlice = "alice-0123456789abcdef";
constexpr const char* kBob = "bob-0123456789abcdefgh";

KeySet twoKeys() { return {{{"alice", kAlice}, {"key-2", kBob}}}; }

std::string errorOf(std::string_view text) {
  Result<KeySet> r = parseApiKeys(text, "keys.txt");
  EXPECT_FALSE(r.isOk()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(GatewayApiKeysFileTest, ParsesNamedAndBareKeysSkippingBlanksAndComments) {
  ASSERT_OK_AND_ASSIGN(KeySet set, parseApiKeys(std::string("# callers\n\nalice:") + kAlice +
                                                    "\r\n   \n  " + kBob + "  \n# end",
                                                "keys.txt"));
  EXPECT_EQ(set, (KeySet{{{"alice", kAlice}, {"key-5", kBob}}}));
  ASSERT_OK_AND_ASSIGN(KeySet spaced,
                       parseApiKeys(std::string(" ci.bot-1 : ") + kAlice, "keys.txt"));
  EXPECT_EQ(spaced, (KeySet{{{"ci.bot-1", kAlice}}}));
  // Only the first ':' splits: the key may hold more.
  ASSERT_OK_AND_ASSIGN(KeySet colon, parseApiKeys("svc:abc:0123456789abcdef", "keys.txt"));
  EXPECT_EQ(colon.keys.at(0).key, "abc:0123456789abcdef");
}

TEST(GatewayApiKeysFileTest, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(errorOf("# only\n\n  # comments\n"),
            "keys.txt: no API keys (every line is blank or a comment)");
  EXPECT_EQ(errorOf(""), "keys.txt: no API keys (every line is blank or a comment)");
  EXPECT_EQ(errorOf(std::string(kAlice) + "\n\nshort-key\n"),
            "keys.txt:3: API key shorter than 16 characters (9)");
  EXPECT_EQ(errorOf("bob:0123456789abcde"), "keys.txt:1: API key shorter than 16 characters (15)");
  EXPECT_EQ(errorOf("bob:"), "keys.txt:1: API key shorter than 16 characters (0)");
  EXPECT_EQ(errorOf(std::string(257, 'k')), "keys.txt:1: API key longer than 256 characters");
  EXPECT_EQ(errorOf(std::string("# c\nbad name:") + kAlice),
            "keys.txt:2: the name before ':' must be [A-Za-z0-9_.-]+");
  EXPECT_EQ(errorOf(std::string(":") + kAlice),
            "keys.txt:1: the name before ':' must be [A-Za-z0-9_.-]+");
  EXPECT_EQ(errorOf("0123456789 abcdef0123"),
            "keys.txt:1: API key has spaces or non-printable characters");
  EXPECT_EQ(errorOf(std::string("a:") + kAlice + "\nb:" + kAlice),
            "keys.txt:2: duplicate API key (first on line 1)");
  EXPECT_EQ(errorOf(std::string("a:") + kAlice + "\n\na:" + kBob),
            "keys.txt:3: duplicate name 'a' (first on line 1)");
}

TEST(GatewayApiKeysFileTest, LoadsAFileAndRefusesAnUnreadableOne) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "auth_test_keys.txt";
  std::ofstream(path) << "alice:" << kAlice << "\n";
  ASSERT_OK_AND_ASSIGN(KeySet set, loadApiKeysFile(path.string()));
  EXPECT_EQ(set, (KeySet{{{"alice", kAlice}}}));
  std::filesystem::remove(path);
  Result<KeySet> gone = loadApiKeysFile(path.string());
  ASSERT_FALSE(gone.isOk());
  EXPECT_EQ(gone.status().message(), path.string() + ": cannot read the API keys file");
}

TEST(GatewayBearerTokenTest, SchemeIsCaseInsensitiveAndSpacesAreTrimmed) {
  EXPECT_EQ(bearerToken("Bearer abc"), "abc");
  EXPECT_EQ(bearerToken("bearer abc"), "abc");
  EXPECT_EQ(bearerToken("BEARER abc"), "abc");
  EXPECT_EQ(bearerToken("  Bearer    abc   "), "abc");
  EXPECT_EQ(bearerToken("Bearer\tabc"), "abc");
  EXPECT_EQ(bearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(bearerToken("Bearer    "), std::nullopt);
  EXPECT_EQ(bearerToken("Bearerabc"), std::nullopt);
  EXPECT_EQ(bearerToken("Basic YWxpY2U6cHc="), std::nullopt);
  EXPECT_EQ(bearerToken(""), std::nullopt);
}

TEST(GatewayAuthorizeTest, AllowsEitherHeaderFormAndNamesTheCaller) {
  const KeySet keys = twoKeys();
  EXPECT_EQ(authorize({std::string("Bearer ") + kAlice, std::nullopt}, keys),
            (AuthDecision{AuthOutcome::kAllowed, "alice", ""}));
  EXPECT_EQ(authorize({std::string("bearer  ") + kBob + " ", std::nullopt}, keys).caller, "key-2");
  EXPECT_EQ(authorize({std::nullopt, std::string(kBob)}, keys).caller, "key-2");
  EXPECT_EQ(authorize({std::nullopt, std::string(" ") + kAlice + " "}, keys).outcome,
            AuthOutcome::kAllowed);
  // A non-Bearer Authorization (e.g. for a proxy) does not hide a valid X-API-Key.
  EXPECT_EQ(authorize({std::string("Basic xyz"), std::string(kAlice)}, keys).caller, "alice");
}

TEST(GatewayAuthorizeTest, MissingCredentialsAreMissing) {
  const KeySet keys = twoKeys();
  const AuthDecision none = authorize({}, keys);
  EXPECT_EQ(none.outcome, AuthOutcome::kMissing);
  EXPECT_NE(none.message.find("Authorization: Bearer"), std::string::npos);
  EXPECT_EQ(authorize({std::string("Basic xyz"), std::nullopt}, keys).outcome,
            AuthOutcome::kMissing);
  EXPECT_EQ(authorize({std::string("Bearer "), std::nullopt}, keys).outcome, AuthOutcome::kMissing);
  EXPECT_EQ(authorize({std::nullopt, std::string("  ")}, keys).outcome, AuthOutcome::kMissing);
  EXPECT_STREQ(authFailureReason(AuthOutcome::kMissing), "missing");
}

TEST(GatewayAuthorizeTest, WrongKeysAreInvalidAndNeverEchoed) {
  const KeySet keys = twoKeys();
  const std::string alice = kAlice;
  // Prefixes, extensions, one byte off at either end, case changed: all refused.
  for (const std::string& wrong :
       {alice.substr(0, alice.size() - 1), alice + "x", "x" + alice.substr(1),
        alice.substr(0, alice.size() - 1) + "g", std::string("ALICE-0123456789abcdef"),
        std::string(256, 'a'), std::string(300, 'a'), std::string("wrong-key-0000000000")}) {
    const AuthDecision d = authorize({"Bearer " + wrong, std::nullopt}, keys);
    EXPECT_EQ(d.outcome, AuthOutcome::kInvalid) << wrong;
    EXPECT_EQ(d.message.find(wrong), std::string::npos);
    EXPECT_EQ(authorize({std::nullopt, wrong}, keys).outcome, AuthOutcome::kInvalid) << wrong;
  }
  // The bearer token wins over X-API-Key: a wrong bearer with a right X-API-Key is refused.
  EXPECT_EQ(authorize({"Bearer wrong-key-0000000000", alice}, keys).outcome, AuthOutcome::kInvalid);
  // An empty key set matches nothing (fail closed).
  EXPECT_EQ(authorize({"Bearer " + alice, std::nullopt}, KeySet{}).outcome, AuthOutcome::kInvalid);
  EXPECT_STREQ(authFailureReason(AuthOutcome::kInvalid), "invalid");
}

TEST(GatewayAuthorizeTest, MatchesAnyKeyOfMaximumLength) {
  const std::string longest(kMaxApiKeyBytes, 'z');
  const KeySet keys{{{"a", kAlice}, {"long", longest}}};
  EXPECT_EQ(authorize({std::nullopt, longest}, keys).caller, "long");
  EXPECT_EQ(authorize({std::nullopt, longest.substr(1) + "y"}, keys).outcome,
            AuthOutcome::kInvalid);
}

TEST(GatewayApiKeyStoreTest, ReplaceSwapsTheKeysInForce) {
  ApiKeyStore store(twoKeys());
  EXPECT_EQ(store.authorize({std::nullopt, std::string(kAlice)}).outcome, AuthOutcome::kAllowed);
  const std::shared_ptr<const KeySet> before = store.current();
  store.replace(KeySet{{{"carol", "carol-0123456789abcdef"}}});
  EXPECT_EQ(store.authorize({std::nullopt, std::string(kAlice)}).outcome, AuthOutcome::kInvalid);
  EXPECT_EQ(store.authorize({std::nullopt, std::string("carol-0123456789abcdef")}).caller, "carol");
  EXPECT_EQ(*before, twoKeys());  // a snapshot taken before the reload is unchanged
}

TEST(GatewayOpenEndpointsTest, OnlyProbesAndMetricsAreOpen) {
  EXPECT_TRUE(isOpenHttpEndpoint("GET", "/v2/health/live"));
  EXPECT_TRUE(isOpenHttpEndpoint("GET", "/v2/health/ready"));
  EXPECT_TRUE(isOpenHttpEndpoint("HEAD", "/v2/health/ready"));
  EXPECT_TRUE(isOpenHttpEndpoint("GET", "/metrics"));
  EXPECT_FALSE(isOpenHttpEndpoint("POST", "/v2/health/live"));
  EXPECT_FALSE(isOpenHttpEndpoint("GET", "/v2"));
  EXPECT_FALSE(isOpenHttpEndpoint("GET", "/v2/models/m"));
  EXPECT_FALSE(isOpenHttpEndpoint("GET", "/v2/models/m/ready"));
  EXPECT_FALSE(isOpenHttpEndpoint("POST", "/v2/models/m/infer"));
  EXPECT_FALSE(isOpenHttpEndpoint("GET", "/v2/health/live/"));
  EXPECT_FALSE(isOpenHttpEndpoint("GET", "/metrics/../v2"));
}

TEST(GatewayLoopbackHostTest, TellsLoopbackFromReachableAddresses) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"})
    EXPECT_TRUE(isLoopbackHost(h)) << h;
  for (const char* h : {"0.0.0.0", "", "10.0.0.5", "[::]", "::", "gateway", "128.0.0.1"})
    EXPECT_FALSE(isLoopbackHost(h)) << h;
}

}  // namespace
}  // namespace spikeline::gateway
