#include "gateway/grpc_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "gateway/error_map.h"
#include "gateway/grpc_codec.h"
#include "gateway/inference.grpc.pb.h"

namespace spikeline::gateway {
namespace {

// The checked PEM that grpc's file watcher polls: DIR/current -> gen-N/{key,cert,ca}.pem, DIR a
// private temporary directory (0700, files 0600) removed with the server. A generation is
// written in full before `current` is swapped by one rename (the watcher re-reads when a file's
// time changes under it), so grpc sees the old pair or the new one, never a mix, and never a
// pair loadTlsFiles did not check. One thread at a time (the gateway's main thread).
class TlsDir {
 public:
  ~TlsDir() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Status create(const std::string& parent) {
    std::error_code ec;
    const std::filesystem::path base =
        parent.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(parent);
    std::string tmpl = (base / "spikeline-gateway-tls-XXXXXX").string();
    if (ec || ::mkdtemp(tmpl.data()) == nullptr)
      return unavailable("cannot create a private directory under " + base.string() +
                         " for gRPC's certificate: " + std::strerror(errno));
    dir_ = tmpl;
    return Status::ok();
  }
  std::string path(const char* file) const { return (dir_ / "current" / file).string(); }
  Status publish(const TlsFiles& f) {
    const std::string gen = "gen-" + std::to_string(++generation_);
    std::error_code ec;
    std::filesystem::create_directory(dir_ / gen, ec);
    if (ec) return unavailable("cannot write gRPC's certificate: " + ec.message());
    SPIKELINE_RETURN_IF_ERROR(write(dir_ / gen / "key.pem", f.key_pem));
    SPIKELINE_RETURN_IF_ERROR(write(dir_ / gen / "cert.pem", f.cert_pem));
    SPIKELINE_RETURN_IF_ERROR(write(dir_ / gen / "ca.pem", f.client_ca_pem));
    std::filesystem::create_symlink(gen, dir_ / "current.next", ec);
    if (!ec) std::filesystem::rename(dir_ / "current.next", dir_ / "current", ec);
    if (ec) return unavailable("cannot switch gRPC's certificate: " + ec.message());
    if (generation_ > 2)  // the one before the previous: nobody reads it any more
      std::filesystem::remove_all(dir_ / ("gen-" + std::to_string(generation_ - 2)), ec);
    return Status::ok();
  }

 private:
  static Status write(const std::filesystem::path& file, const std::string& text) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < text.size();) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) done += static_cast<size_t>(n);
    }
    if (fd >= 0 && ::close(fd) != 0) ok = false;
    if (!ok) return unavailable("cannot write " + file.string() + ": " + std::strerror(errno));
    return Status::ok();
  }

  std::filesystem::path dir_;
  int generation_ = 0;
};

// Plaintext without TLS; otherwise grpc's TLS credentials over its file watcher on `dir` (the
// only rotation grpc++ offers; its default minimum version is TLS 1.2).
std::shared_ptr<grpc::ServerCredentials> credentialsFor(const GrpcOptions& o, const TlsDir& dir) {
  if (!o.tls) return grpc::InsecureServerCredentials();
  namespace gx = grpc::experimental;
  const bool client_certs = !o.tls->client_ca_pem.empty();
  auto files = std::make_shared<gx::FileWatcherCertificateProvider>(
      dir.path("key.pem"), dir.path("cert.pem"), client_certs ? dir.path("ca.pem") : "",
      o.tls_refresh_s);
  gx::TlsServerCredentialsOptions options(files);
  options.watch_identity_key_cert_pairs();
  if (client_certs) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return gx::TlsServerCredentials(options);
}

grpc::Status toGrpc(const Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(grpcCodeFor(s.code())), s.message());
}

std::optional<std::string> metadataOf(const grpc::ServerContext& ctx, const char* key) {
  const auto& md = ctx.client_metadata();  // keys are lower case
  auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

class Service final : public inference::GRPCInferenceService::Service {
 public:
  Service(Gateway& gateway, const ApiKeyStore* keys) : gateway_(gateway), keys_(keys) {}

  grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*,
                          inference::ServerLiveResponse* out) override {
    out->set_live(true);
    return grpc::Status::OK;
  }
  grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*,
                           inference::ServerReadyResponse* out) override {
    out->set_ready(gateway_.serverReady().ready);
    return grpc::Status::OK;
  }
  grpc::Status ModelReady(grpc::ServerContext* ctx, const inference::ModelReadyRequest* req,
                          inference::ModelReadyResponse* out) override {
    if (grpc::Status a = authorize(*ctx); !a.ok()) return a;
    Result<Readiness> r = gateway_.modelReady(req->name(), req->version());
    if (!r.isOk()) return toGrpc(r.status());
    out->set_ready(r->ready);
    return grpc::Status::OK;
  }
  grpc::Status ServerMetadata(grpc::ServerContext* ctx, const inference::ServerMetadataRequest*,
                              inference::ServerMetadataResponse* out) override {
    if (grpc::Status a = authorize(*ctx); !a.ok()) return a;
    const gateway::ServerMetadata m = gateway_.serverMetadata();
    out->set_name(m.name);
    out->set_version(m.version);
    for (const auto& e : m.extensions) out->add_extensions(e);
    return grpc::Status::OK;
  }
  grpc::Status ModelMetadata(grpc::ServerContext* ctx, const inference::ModelMetadataRequest* req,
                             inference::ModelMetadataResponse* out) override {
    if (grpc::Status a = authorize(*ctx); !a.ok()) return a;
    Result<gateway::ModelMetadata> m = gateway_.modelMetadata(req->name(), req->version());
    if (!m.isOk()) return toGrpc(m.status());
    toProto(*m, *out);
    return grpc::Status::OK;
  }
  grpc::Status ModelInfer(grpc::ServerContext* ctx, const inference::ModelInferRequest* req,
                          inference::ModelInferResponse* out) override {
    if (grpc::Status a = authorize(*ctx); !a.ok()) return a;
    Result<InferRequest> parsed = fromProto(*req);
    if (!parsed.isOk()) {
      gateway_.countRejected("grpc", parsed.status().code());
      return toGrpc(parsed.status());
    }
    // The caller's gRPC deadline bounds the pipeline's unless the request names a timeout.
    const auto left = ctx->deadline() - std::chrono::system_clock::now();
    const int64_t left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
    if (parsed->timeout_ms == 0 && left_ms > 0 && left_ms < 24 * 3600 * 1000)
      parsed->timeout_ms = left_ms;
    Result<InferResponse> r = gateway_.infer(*parsed, "grpc");
    if (!r.isOk()) return toGrpc(r.status());
    toProto(*r, *out);
    return grpc::Status::OK;
  }

 private:
  // OK when no keys are set or the caller's key is one of them; ServerLive and ServerReady skip
  // it (probes).
  grpc::Status authorize(const grpc::ServerContext& ctx) {
    if (keys_ == nullptr) return grpc::Status::OK;
    const AuthDecision d =
        keys_->authorize({metadataOf(ctx, "authorization"), metadataOf(ctx, "x-api-key")});
    if (d.outcome == AuthOutcome::kAllowed) {
      gateway_.countAuthenticated(d.caller);
      return grpc::Status::OK;
    }
    gateway_.countAuthFailure(authFailureReason(d.outcome));
    return grpc::Status(d.outcome == AuthOutcome::kMissing ? grpc::StatusCode::UNAUTHENTICATED
                                                           : grpc::StatusCode::PERMISSION_DENIED,
                        d.message);
  }

  Gateway& gateway_;
  const ApiKeyStore* keys_;  // null: no authentication
};

class GrpcServerImpl final : public GrpcServer {
 public:
  GrpcServerImpl(Gateway& gateway, const ApiKeyStore* keys) : service_(gateway, keys) {}
  ~GrpcServerImpl() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  int port() const override { return port_; }

  Status reloadTls(const TlsFiles& files) override {
    if (!client_certs_) return invalidArgument("the gRPC listener was started without TLS");
    if (*client_certs_ != !files.client_ca_pem.empty())
      return invalidArgument("turning client certificates on or off needs a restart");
    return tls_dir_.publish(files);
  }

  Status start(const GrpcOptions& o) {
    if (o.tls) {
      SPIKELINE_RETURN_IF_ERROR(tls_dir_.create(o.tls_dir));
      SPIKELINE_RETURN_IF_ERROR(tls_dir_.publish(*o.tls));
      client_certs_ = !o.tls->client_ca_pem.empty();
    }
    grpc::ServerBuilder b;
    b.AddListeningPort(o.address, credentialsFor(o, tls_dir_), &port_);
    b.SetMaxReceiveMessageSize(o.max_message_bytes);
    b.SetMaxSendMessageSize(o.max_message_bytes);
    // Bound what gRPC buffers (it reads a message before checking its size): no BDP-driven
    // window growth, and a memory quota of one largest message + 16 MiB for the whole server.
    b.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    grpc::ResourceQuota quota("spikeline-gateway");
    quota.Resize(size_t(o.max_message_bytes) + (16u << 20));
    b.SetResourceQuota(quota);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    if (!server_ || port_ == 0) return unavailable("cannot bind gRPC on " + o.address);
    return Status::ok();
  }

 private:
  Service service_;
  TlsDir tls_dir_;                     // before server_: outlives it
  std::optional<bool> client_certs_;  // set with TLS: whether client certificates are required
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<GrpcServer>> startGrpcServer(Gateway& gateway, GrpcOptions options) {
  auto s = std::make_unique<GrpcServerImpl>(gateway, options.api_keys);
  SPIKELINE_RETURN_IF_ERROR(s->start(options));
  return std::unique_ptr<GrpcServer>(std::move(s));
}

}  // namespace spikeline::gateway
