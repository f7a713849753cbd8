// The OpenSSL adapter for the gateway's certificate files (tls.h, tls_openssl.h).
#include "gateway/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "gateway/tls_openssl.h"

namespace spikeline::gateway {
namespace {

// Never prompts: an encrypted key is refused instead of asking a terminal for its password.
int noPassword(char*, int, int, void*) { return 0; }

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate in `pem`, in order; the caller owns them (X509_free).
std::vector<X509*> readCertificates(const std::string& pem) {
  std::vector<X509*> out;
  BioPtr bio = memoryBio(pem);
  while (bio) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr);
    if (cert == nullptr) break;
    out.push_back(cert);
  }
  ERR_clear_error();  // the read that ended the loop left "no start line"
  return out;
}

Status failed(const std::string& file, const std::string& why) {
  ERR_clear_error();
  return invalidArgument(file + ": " + why);
}

Result<std::string> readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidArgument(path + ": cannot read the " + what);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return invalidArgument(path + ": cannot read the " + what);
  return text.str();
}

}  // namespace

SslIdentity::~SslIdentity() {
  X509_free(cert);
  sk_X509_pop_free(chain, X509_free);
  EVP_PKEY_free(key);
  X509_STORE_free(client_cas);
  sk_X509_NAME_pop_free(ca_names, X509_NAME_free);
}

Status validateTlsOptions(const TlsOptions& o) {
  if (o.cert_file.empty() && !o.key_file.empty())
    return invalidArgument("--tls-key needs --tls-cert (the certificate of that key)");
  if (!o.cert_file.empty() && o.key_file.empty())
    return invalidArgument("--tls-cert needs --tls-key (the certificate's private key)");
  if (!o.client_ca_file.empty() && o.cert_file.empty())
    return invalidArgument("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)");
  return Status::ok();
}

Result<std::unique_ptr<SslIdentity>> parseSslIdentity(const TlsFiles& f) {
  auto id = std::make_unique<SslIdentity>();
  std::vector<X509*> certs = readCertificates(f.cert_pem);
  if (certs.empty())
    return failed(f.source.cert_file, "no PEM certificate (-----BEGIN CERTIFICATE-----)");
  id->cert = certs[0];
  id->chain = sk_X509_new_null();
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(id->chain, certs[i]);
  BioPtr key_bio = memoryBio(f.key_pem);
  id->key =
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, noPassword, nullptr) : nullptr;
  if (id->key == nullptr)
    return failed(f.source.key_file, "not a PEM private key (or an encrypted one: not supported)");
  if (X509_check_private_key(id->cert, id->key) != 1)
    return failed(f.source.key_file,
                  "the private key does not match the certificate in " + f.source.cert_file);
  if (f.client_ca_pem.empty()) return id;
  std::vector<X509*> cas = readCertificates(f.client_ca_pem);
  if (cas.empty())
    return failed(f.source.client_ca_file, "no PEM CA certificate (-----BEGIN CERTIFICATE-----)");
  id->client_cas = X509_STORE_new();
  id->ca_names = sk_X509_NAME_new_null();
  for (X509* ca : cas) {
    X509_STORE_add_cert(id->client_cas, ca);  // takes its own reference
    sk_X509_NAME_push(id->ca_names, X509_NAME_dup(X509_get_subject_name(ca)));
    X509_free(ca);
  }
  return id;
}

Status checkTlsPem(const TlsFiles& files) {
  auto id = parseSslIdentity(files);
  return id.isOk() ? Status::ok() : id.status();
}

Result<TlsFiles> loadTlsFiles(const TlsOptions& options) {
  SPIKELINE_RETURN_IF_ERROR(validateTlsOptions(options));
  TlsFiles f;
  f.source = options;
  SPIKELINE_ASSIGN_OR_RETURN(f.cert_pem, readFile(options.cert_file, "TLS certificate"));
  SPIKELINE_ASSIGN_OR_RETURN(f.key_pem, readFile(options.key_file, "TLS private key"));
  if (!options.client_ca_file.empty()) {
    SPIKELINE_ASSIGN_OR_RETURN(f.client_ca_pem,
                               readFile(options.client_ca_file, "TLS client CA file"));
    if (f.client_ca_pem.empty())
      return invalidArgument(options.client_ca_file + ": no PEM CA certificate (empty file)");
  }
  SPIKELINE_RETURN_IF_ERROR(checkTlsPem(f));
  return f;
}

}  // namespace spikeline::gateway
