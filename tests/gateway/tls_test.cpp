#include "gateway/tls.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace spikeline::gateway {
namespace {

// Throwaway EC P-256 material (openssl req -x509 -newkey ec ...; CN=unit-a): A's certificate and
// key, and an unrelated key B. Test data only, never served.
constexpr const char* kCertA = R"(-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIUJTFsGlx3oFpsZYTmxtX9vfDRClwwCgYIKoZIzj0EAwIw
ETEPMA0GA1UEAwwGdW5pdC1hMB4XDTI2MTEzMDIzNDIyOVoXDTM2MTEyNzIzNDIy
OVowETEPMA0GA1UEAwwGdW5pdC1hMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
EZJgZQp0Ce0uAApOA5VKQ1cFJ3RH4uiRloh6hiwRSdrPM7bDUK7VC1vF1emWAqLo
em9mRBdPa3XTUQEJM6QMNqNTMFEwHQYDVR0OBBYEFO8JrgSOrEcIVltFvTyuelSg
eATbMB8GA1UdIwQYMBaAFO8JrgSOrEcIVltFvTyuelSgeATbMA8GA1UdEwEB/wQF
MAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgU7IbroCytPsjfxFcxDoNslz3SX0Oijhp
xn0Er1F9E84CIQDI0DwOH4zCqVqYSVkJWjxegdrtTi2R82zM+5tAdlZopg==
-----END CERTIFICATE-----
)";
constexpr const char* kKeyA = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNucWT7vM/dotBFse
9hYZz4FAlPG7XXQ6gmHM1R+hMhyhRANCAAQRkmBlCnQJ7S4ACk4DlUpDVwUndEfi
6JGWiHqGLBFJ2s8ztsNQrtULW8XV6ZYCouh6b2ZEF09rddNRAQkzpAw2
-----END PRIVATE KEY-----
)";
constexpr const char* kKeyB = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMSTjGFzARoxhF7kV
Kb/vNIazxmRBv3D88A9Ma8HH8RKhRANCAAQCTCTVeasrMXBo1/BpNpIInCa5h3cb
badPfqo+L/S63T7UDV2NMxXxvnOAxV3Tm6qY6EmXO+JxHvB9MK42YB37
-----END PRIVATE KEY-----
)";

TlsFiles files(std::string cert, std::string key, std::string ca = "") {
  TlsFiles f;
  f.source = {"server.crt", "server.key", ca.empty() ? "" : "ca.crt"};
  f.cert_pem = std::move(cert);
  f.key_pem = std::move(key);
  f.client_ca_pem = std::move(ca);
  return f;
}

TEST(TlsOptionsTest, CertificateAndKeyGoTogether) {
  EXPECT_TRUE(validateTlsOptions({}).isOk());
  EXPECT_FALSE(TlsOptions{}.enabled());
  EXPECT_TRUE(validateTlsOptions({"c.pem", "k.pem", ""}).isOk());
  EXPECT_TRUE(validateTlsOptions({"c.pem", "k.pem", "ca.pem"}).isOk());
  Status s = validateTlsOptions({"c.pem", "", ""});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--tls-cert needs --tls-key"), std::string::npos) << s.message();
  s = validateTlsOptions({"", "k.pem", ""});
  EXPECT_NE(s.message().find("--tls-key needs --tls-cert"), std::string::npos) << s.message();
  EXPECT_TRUE(TlsOptions({"", "k.pem", ""}).enabled());  // so that main() refuses it
  s = validateTlsOptions({"", "", "ca.pem"});
  EXPECT_NE(s.message().find("--tls-client-ca needs --tls-cert"), std::string::npos) << s.message();
}

TEST(TlsPemTest, AcceptsAMatchingPairAndACa) {
  EXPECT_TRUE(checkTlsPem(files(kCertA, kKeyA)).isOk());
  EXPECT_TRUE(checkTlsPem(files(kCertA, kKeyA, kCertA)).isOk());
  // Intermediates after the leaf are a chain, not an error.
  EXPECT_TRUE(checkTlsPem(files(std::string(kCertA) + kCertA, kKeyA)).isOk());
}

TEST(TlsPemTest, NamesTheFileAtFault) {
  Status s = checkTlsPem(files(kCertA, kKeyB));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "server.key: the private key does not match the certificate in server.crt");
  s = checkTlsPem(files("not a certificate", kKeyA));
  EXPECT_EQ(s.message().rfind("server.crt: no PEM certificate", 0), 0u) << s.message();
  s = checkTlsPem(files(kKeyA, kKeyA));  // the key given as the certificate
  EXPECT_EQ(s.message().rfind("server.crt: no PEM certificate", 0), 0u) << s.message();
  s = checkTlsPem(files(kCertA, kCertA));  // the certificate given as the key
  EXPECT_EQ(s.message().rfind("server.key: not a PEM private key", 0), 0u) << s.message();
  s = checkTlsPem(files(kCertA, kKeyA, kKeyB));
  EXPECT_EQ(s.message().rfind("ca.crt: no PEM CA certificate", 0), 0u) << s.message();
}

TEST(TlsFilesTest, ReadsTheFilesAndNamesAMissingOne) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "tls_files_test";
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "a.crt").string(), key = (dir / "a.key").string();
  std::ofstream(cert) << kCertA;
  std::ofstream(key) << kKeyA;
  auto f = loadTlsFiles({cert, key, ""});
  ASSERT_TRUE(f.isOk()) << f.status().toString();
  EXPECT_EQ(f->cert_pem, kCertA);
  EXPECT_EQ(f->key_pem, kKeyA);
  EXPECT_TRUE(f->client_ca_pem.empty());
  const std::string missing = (dir / "missing.key").string();
  auto bad = loadTlsFiles({cert, missing, ""});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), missing + ": cannot read the TLS private key");
  bad = loadTlsFiles({cert, key, missing});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), missing + ": cannot read the TLS client CA file");
}

}  // namespace
}  // namespace spikeline::gateway
