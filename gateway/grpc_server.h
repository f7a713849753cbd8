// GrpcServer: the gRPC side of the gateway (the grpc++/protobuf adapter):
// inference.GRPCInferenceService (ServerLive, ServerReady, ModelReady, ServerMetadata,
// ModelMetadata, ModelInfer) over the same Gateway as REST; errors carry the mapped gRPC status
// code (error_map.h); TLS only when given a certificate (tls.h). Owns the grpc::Server and its
// threads; borrows the Gateway, which must outlive it. Thread safety: RPCs run on gRPC's
// sync-server threads, each blocking in infer; reloadTls on one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/tls.h"

namespace spikeline::gateway {

struct GrpcOptions {
  std::string address = "127.0.0.1:8001";  // "HOST:0" picks a free port (see port())
  // The largest request or response. gRPC buffers a message before it checks its size, so the
  // server's memory quota is this + 16 MiB: a hostile 1 GB message costs at most that much RSS.
  int max_message_bytes = 32 << 20;        // Default: 32 MiB
  // Borrowed, must outlive the server; null = no authentication. Otherwise every RPC but
  // ServerLive/ServerReady needs `authorization: Bearer <key>` or `x-api-key` metadata:
  // UNAUTHENTICATED without one, PERMISSION_DENIED with a wrong one.
  const ApiKeyStore* api_keys = nullptr;
  // Set: the port speaks TLS only (1.2 or newer) with this (checked) certificate and key; with
  // a client CA, a client needs a certificate it signed. Unset: plaintext.
  std::optional<TlsFiles> tls;
  // grpc reads the certificate from files it polls: a private directory (mode 0700) made under
  // this one, removed with the server. Default: the system's temporary directory.
  std::string tls_dir;
  unsigned tls_refresh_s = 1;  // how often grpc polls them (a reload waits up to this). Default: 1
};

class GrpcServer {
 public:
  virtual ~GrpcServer() = default;  // shuts down (in-flight RPCs get 1 s) and joins
  virtual int port() const = 0;
  // Serves `files` (checked by loadTlsFiles: grpc itself would serve a key that does not match)
  // to handshakes that start within tls_refresh_s of the call. kInvalidArgument without TLS or
  // when it turns client certificates on or off (a restart); kUnavailable when the files cannot
  // be written. The certificate in force then stays.
  virtual Status reloadTls(const TlsFiles& files) = 0;
};

// Builds and starts the server. kUnavailable when the address cannot be bound or the TLS
// directory cannot be written.
Result<std::unique_ptr<GrpcServer>> startGrpcServer(Gateway& gateway, GrpcOptions options);

}  // namespace spikeline::gateway
