// The OpenSSL view of TlsFiles, for the adapters in this folder (private: never included outside
// gateway/): the parsed certificate chain, key and client-CA store that a TLS handshake uses.
// SslIdentity owns its OpenSSL objects; it is immutable once built, so any thread may read it.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

#include "core/result.h"
#include "gateway/tls.h"

namespace spikeline::gateway {

struct SslIdentity {
  SslIdentity() = default;
  SslIdentity(const SslIdentity&) = delete;
  SslIdentity& operator=(const SslIdentity&) = delete;
  ~SslIdentity();

  X509* cert = nullptr;                      // owned: the server certificate
  STACK_OF(X509) * chain = nullptr;          // owned: intermediates after it (may be empty)
  EVP_PKEY* key = nullptr;                   // owned
  X509_STORE* client_cas = nullptr;          // owned; null: client certificates are not requested
  STACK_OF(X509_NAME) * ca_names = nullptr;  // owned; the CAs' subjects (sent to clients)
};

// Parses `files` (checkTlsPem's checks and errors). Clears OpenSSL's error queue on failure.
Result<std::unique_ptr<SslIdentity>> parseSslIdentity(const TlsFiles& files);

}  // namespace spikeline::gateway
