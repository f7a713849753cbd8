// HttpServer: the REST side of the gateway (the cpp-httplib adapter): OIP v2 endpoints, the
// binary tensor data extension and GET /metrics, answering every error as {"error": "..."} with
// the mapped status (error_map.h), after the API-key check (auth.h) when keys are set; HTTPS only
// when given a certificate (tls.h). Owns its listening socket and threads; borrows the Gateway,
// which must outlive it. Thread safety: construction and destruction on one thread; reloadTls
// from any thread; requests are served on the server's own thread pool (each blocks in
// Gateway::infer).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/tls.h"

namespace spikeline::gateway {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                    // 0 = any free port (see HttpServer::port)
  size_t max_body_bytes = 64u << 20;  // larger bodies get 413. Default: 64 MiB
  int threads = 16;                   // concurrent requests (each may wait on the pipeline)
  int read_timeout_s = 2;             // a body shorter than its Content-Length gets 400 after it
  // Borrowed, must outlive the server; null = no authentication. Otherwise every endpoint but
  // isOpenHttpEndpoint's needs a key: 401 + WWW-Authenticate without one, 403 with a wrong one.
  const ApiKeyStore* api_keys = nullptr;
  // Set: the port speaks HTTPS only (TLS 1.2 or newer; a plaintext request gets its connection
  // closed), with this certificate; with a client CA, a client without a certificate it signed
  // fails the handshake. Unset: plain HTTP.
  std::optional<TlsFiles> tls;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;  // stops listening and joins
  virtual int port() const = 0;
  // Serves `files` to handshakes that start after the call (connections already open keep
  // theirs). kInvalidArgument when the server has no TLS, when `files` does not parse
  // (checkTlsPem), or when it turns client certificates on or off (that needs a restart); the
  // certificate in force then stays.
  virtual Status reloadTls(const TlsFiles& files) = 0;
};

// Binds and starts serving. kUnavailable when the address cannot be bound; kInvalidArgument
// when options.tls does not parse.
Result<std::unique_ptr<HttpServer>> startHttpServer(Gateway& gateway, HttpOptions options);

}  // namespace spikeline::gateway
