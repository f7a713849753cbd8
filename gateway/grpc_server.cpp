#include "gateway/grpc_server.h"

#include <chrono>

#include <grpcpp/grpcpp.h>

#include "gateway/error_map.h"
#include "gateway/grpc_codec.h"
#include "gateway/inference.grpc.pb.h"

namespace spikeline::gateway {
namespace {

grpc::Status toGrpc(const Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(grpcCodeFor(s.code())), s.message());
}

class Service final : public inference::GRPCInferenceService::Service {
 public:
  explicit Service(Gateway& gateway) : gateway_(gateway) {}

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
  grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* req,
                          inference::ModelReadyResponse* out) override {
    Result<Readiness> r = gateway_.modelReady(req->name(), req->version());
    if (!r.isOk()) return toGrpc(r.status());
    out->set_ready(r->ready);
    return grpc::Status::OK;
  }
  grpc::Status ServerMetadata(grpc::ServerContext*, const inference::ServerMetadataRequest*,
                              inference::ServerMetadataResponse* out) override {
    const gateway::ServerMetadata m = gateway_.serverMetadata();
    out->set_name(m.name);
    out->set_version(m.version);
    for (const auto& e : m.extensions) out->add_extensions(e);
    return grpc::Status::OK;
  }
  grpc::Status ModelMetadata(grpc::ServerContext*, const inference::ModelMetadataRequest* req,
                             inference::ModelMetadataResponse* out) override {
    Result<gateway::ModelMetadata> m = gateway_.modelMetadata(req->name(), req->version());
    if (!m.isOk()) return toGrpc(m.status());
    toProto(*m, *out);
    return grpc::Status::OK;
  }
  grpc::Status ModelInfer(grpc::ServerContext* ctx, const inference::ModelInferRequest* req,
                          inference::ModelInferResponse* out) override {
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
  Gateway& gateway_;
};

class GrpcServerImpl final : public GrpcServer {
 public:
  explicit GrpcServerImpl(Gateway& gateway) : service_(gateway) {}
  ~GrpcServerImpl() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  int port() const override { return port_; }

  Status start(const GrpcOptions& o) {
    grpc::ServerBuilder b;
    b.AddListeningPort(o.address, grpc::InsecureServerCredentials(), &port_);
    b.SetMaxReceiveMessageSize(o.max_message_bytes);
    b.SetMaxSendMessageSize(o.max_message_bytes);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    if (!server_ || port_ == 0) return unavailable("cannot bind gRPC on " + o.address);
    return Status::ok();
  }

 private:
  Service service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<GrpcServer>> startGrpcServer(Gateway& gateway, GrpcOptions options) {
  auto s = std::make_unique<GrpcServerImpl>(gateway);
  SPIKELINE_RETURN_IF_ERROR(s->start(options));
  return std::unique_ptr<GrpcServer>(std::move(s));
}

}  // namespace spikeline::gateway
