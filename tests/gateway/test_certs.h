// Throwaway TLS material for the gateway's tests and bench, made at test time with the openssl
// CLI into a directory the caller owns: a CA (EC P-256, valid 2 days) and certificates it signs,
// for a server (SAN IP:127.0.0.1, DNS:localhost) or a client. Header-only; tests only; one thread.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace spikeline::testing {

class TestCerts {
 public:
  explicit TestCerts(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Writes ca.crt and ca.key (and the openssl config). False when openssl failed (see log()).
  bool makeCa() {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "openssl.cnf") << R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = spikeline test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
)";
    return openssl("req -x509 -config " + q("openssl.cnf") + " -extensions ca" + kNewKey +
                   " -keyout " + q("ca.key") + " -out " + q("ca.crt") + " -days 2");
  }
  // Writes NAME.crt and NAME.key: subject CN=NAME, signed by the CA (makeCa first), serial
  // `serial`. `server`: for 127.0.0.1 and localhost; otherwise a client certificate.
  bool issue(const std::string& name, bool server, int serial) {
    return openssl("req -new" + std::string(kNewKey) + " -keyout " + q(name + ".key") + " -out " +
                   q(name + ".csr") + " -subj /CN=" + name) &&
           openssl("x509 -req -in " + q(name + ".csr") + " -CA " + q("ca.crt") + " -CAkey " +
                   q("ca.key") + " -set_serial " + std::to_string(serial) + " -days 2 -extfile " +
                   q("openssl.cnf") + " -extensions " + (server ? "server" : "client") + " -out " +
                   q(name + ".crt"));
  }
  std::filesystem::path path(const std::string& file) const { return dir_ / file; }
  std::string ca() const { return path("ca.crt").string(); }
  std::string log() const {
    std::ifstream in(dir_ / "openssl.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  static constexpr const char* kNewKey = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  std::string q(const std::string& file) const { return "'" + (dir_ / file).string() + "'"; }
  bool openssl(const std::string& args) {
    const std::string cmd = "openssl " + args + " >> " + q("openssl.log") + " 2>&1";
    return std::system(cmd.c_str()) == 0;
  }

  std::filesystem::path dir_;
};

}  // namespace spikeline::testing
