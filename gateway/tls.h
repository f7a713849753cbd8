// Gateway TLS (issue 14): which files make the gateway's certificate (TlsOptions, checked by the
// pure validateTlsOptions) and loadTlsFiles, which reads them and checks that each parses, that
// the key matches the certificate and that the client CA file holds certificates -- before
// anything listens, and again on every reload. The PEM text it returns is what REST serves.
// Values; no sockets, no logging. Thread safety: pure functions; loadTlsFiles only reads files.
#pragma once

#include <string>

#include "core/result.h"

namespace spikeline::gateway {

struct TlsOptions {
  std::string cert_file;       // PEM: the server certificate first, then its intermediates
  std::string key_file;        // PEM private key of the first certificate, not encrypted
  std::string client_ca_file;  // PEM CA certificates; set: every client needs a cert they signed
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
  bool operator==(const TlsOptions&) const = default;
};

// OK when TLS is off (no file named) or the certificate and key are both named;
// kInvalidArgument naming the missing option otherwise (a key without a certificate, a
// certificate without a key, a client CA without a certificate).
Status validateTlsOptions(const TlsOptions& options);

// The checked contents of TlsOptions' files. A value; never printed (holds the private key).
struct TlsFiles {
  TlsOptions source;
  std::string cert_pem;       // the certificate chain as read
  std::string key_pem;        // the private key as read
  std::string client_ca_pem;  // empty: client certificates are not requested
  bool operator==(const TlsFiles&) const = default;
};

// Checks PEM text already read: kInvalidArgument "FILE: why" naming the file at fault -- no
// certificate in the certificate file, not an (unencrypted) private key, a key that does not
// match the first certificate, no certificate in the client CA file. Names come from `source`.
Status checkTlsPem(const TlsFiles& files);

// Reads `options`' files and checkTlsPem's them. kInvalidArgument "FILE: cannot read ..." for a
// missing or unreadable file, validateTlsOptions' and checkTlsPem's errors otherwise.
// REQUIRES: options.enabled().
Result<TlsFiles> loadTlsFiles(const TlsOptions& options);

}  // namespace spikeline::gateway
