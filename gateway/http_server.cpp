#include "gateway/http_server.h"

#include <charconv>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "gateway/error_map.h"
#include "gateway/json_codec.h"
#include "gateway/tls_openssl.h"

namespace spikeline::gateway {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kModel = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";

void sendError(httplib::Response& res, const Status& s) {
  res.status = httpStatusFor(s.code());
  if (auto after = retryAfterSeconds(s.code()))
    res.set_header("Retry-After", std::to_string(*after));
  res.set_content(encodeError(s.message()), kJson);
}

std::string versionOf(const httplib::Request& req) {
  return req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
}

Result<std::optional<size_t>> headerLength(const httplib::Request& req) {
  if (!req.has_header("Inference-Header-Content-Length")) return std::optional<size_t>();
  const std::string v = req.get_header_value("Inference-Header-Content-Length");
  size_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return invalidArgument("Inference-Header-Content-Length '" + v + "' is not a byte count");
  }
  return std::optional<size_t>(n);
}

std::optional<std::string> headerOf(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(Gateway& gateway, HttpOptions options)
      : gateway_(gateway), options_(std::move(options)) {}
  ~HttpServerImpl() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const override { return port_; }

  Status reloadTls(const TlsFiles& files) override {
    if (!options_.tls) return invalidArgument("the REST listener was started without TLS");
    SPIKELINE_ASSIGN_OR_RETURN(std::shared_ptr<const SslIdentity> id, parseSslIdentity(files));
    if ((id->client_cas != nullptr) != (options_.tls->client_ca_pem.size() > 0))
      return invalidArgument("turning client certificates on or off needs a restart");
    std::lock_guard lock(identity_mu_);
    identity_ = std::move(id);
    return Status::ok();
  }

  Status start() {
    if (options_.tls) {
      SPIKELINE_ASSIGN_OR_RETURN(identity_, parseSslIdentity(*options_.tls));
      server_ = std::make_unique<httplib::SSLServer>(
          [this](SSL_CTX& ctx) { return setUpTls(ctx); });
      if (!server_->is_valid()) return internalError("cannot set up the TLS context");
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    httplib::Server& server = *server_;
    const int threads = options_.threads;
    server.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    server.set_tcp_nodelay(true);  // headers and body go out as separate writes: no Nagle delay
    server.set_payload_max_length(options_.max_body_bytes);
    server.set_read_timeout(options_.read_timeout_s, 0);
    if (options_.api_keys != nullptr) {
      using Handled = httplib::Server::HandlerResponse;
      server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        return admit(req, res, true) ? Handled::Unhandled : Handled::Handled;
      });
      // "Expect: 100-continue": refused before the client sends its body.
      server.set_expect_100_continue_handler(
          [this](const httplib::Request& req, httplib::Response& res) {
            return admit(req, res, false) ? 100 : res.status;
          });
    }
    routes(server);
    port_ = options_.port == 0
                ? server.bind_to_any_port(options_.host)
                : (server.bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port_ <= 0)
      return unavailable("cannot bind HTTP on " + options_.host + ":" +
                         std::to_string(options_.port));
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    return Status::ok();
  }

 private:
  void routes(httplib::Server& server) {
    server.Get("/v2", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(encodeServerMetadata(gateway_.serverMetadata()), kJson);
    });
    server.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"live":true})", kJson);
    });
    server.Get("/v2/health/ready", [this](const httplib::Request&, httplib::Response& res) {
      const Readiness r = gateway_.serverReady();
      res.status = r.ready ? 200 : 503;
      res.set_content(encodeReadiness(r), kJson);
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(gateway_.metricsText(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server.Get(std::string(kModel) + "/ready",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Result<Readiness> r = gateway_.modelReady(req.matches[1], versionOf(req));
                  if (!r.isOk()) return sendError(res, r.status());
                  res.status = r->ready ? 200 : 503;
                  res.set_content(encodeReadiness(*r), kJson);
                });
    server.Get(kModel, [this](const httplib::Request& req, httplib::Response& res) {
      Result<ModelMetadata> m = gateway_.modelMetadata(req.matches[1], versionOf(req));
      if (!m.isOk()) return sendError(res, m.status());
      res.set_content(encodeModelMetadata(*m), kJson);
    });
    server.Post(std::string(kModel) + "/infer",
                 [this](const httplib::Request& req, httplib::Response& res) { infer(req, res); });
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const std::string what =
          res.status == 404   ? "no such endpoint: " + req.method + " " + req.path
          : res.status == 413 ? "request body too large"
          : res.status == 400 ? "bad request (truncated body or malformed HTTP)"
                              : "HTTP " + std::to_string(res.status);
      res.set_content(encodeError(what), kJson);
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content(encodeError("internal error"), kJson);
        });
  }

  // True when the request may go on (counted by caller name when `count_allowed`); else the
  // refusal is counted and written into `res`: 401 + WWW-Authenticate without a key, 403 with a
  // wrong one. A refused request's body is never read (an unknown caller cannot make the gateway
  // read 64 MiB), so the connection closes after the answer.
  bool admit(const httplib::Request& req, httplib::Response& res, bool count_allowed) {
    if (isOpenHttpEndpoint(req.method, req.path)) return true;
    const AuthDecision d =
        options_.api_keys->authorize({headerOf(req, "Authorization"), headerOf(req, "X-API-Key")});
    if (d.outcome == AuthOutcome::kAllowed) {
      if (count_allowed) gateway_.countAuthenticated(d.caller);
      return true;
    }
    gateway_.countAuthFailure(authFailureReason(d.outcome));
    res.status = d.outcome == AuthOutcome::kMissing ? 401 : 403;
    if (res.status == 401) res.set_header("WWW-Authenticate", R"(Bearer realm="spikeline")");
    res.set_header("Connection", "close");
    res.set_content(encodeError(d.message), kJson);
    return false;
  }

  void infer(const httplib::Request& req, httplib::Response& res) {
    Result<std::optional<size_t>> length = headerLength(req);
    Result<InferRequest> parsed =
        length.isOk() ? parseInferRequest(req.body, *length, req.matches[1], versionOf(req))
                      : Result<InferRequest>(length.status());
    if (!parsed.isOk()) {
      gateway_.countRejected("rest", parsed.status().code());
      return sendError(res, parsed.status());
    }
    Result<InferResponse> out = gateway_.infer(*parsed, "rest");
    if (!out.isOk()) return sendError(res, out.status());
    applyBinaryChoice(*parsed, *out);
    EncodedBody body = encodeInferResponse(*out);
    if (body.json_length)
      res.set_header("Inference-Header-Content-Length", std::to_string(*body.json_length));
    res.set_content(std::move(body.body), body.content_type);
  }

  // The context every connection's SSL is made from: TLS 1.2 or newer, no compression or
  // renegotiation, the certificate chosen per handshake by onCertificate (so a reload needs no
  // new context), and with a client CA, a verified client certificate required.
  bool setUpTls(SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
    static constexpr unsigned char kSessionContext[] = "spikeline-gateway";
    SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof(kSessionContext) - 1);
    if (identity_->client_cas != nullptr) {
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      SSL_CTX_set_client_CA_list(&ctx, SSL_dup_CA_list(identity_->ca_names));
      SSL_CTX_set1_verify_cert_store(&ctx, identity_->client_cas);
    }
    SSL_CTX_set_cert_cb(&ctx, &HttpServerImpl::onCertificate, this);
    return SSL_CTX_use_cert_and_key(&ctx, identity_->cert, identity_->key, identity_->chain, 1) ==
           1;
  }

  // OpenSSL's certificate callback, on the handshaking server thread: the identity in force.
  static int onCertificate(SSL* ssl, void* self) {
    std::shared_ptr<const SslIdentity> id;
    {
      auto* server = static_cast<HttpServerImpl*>(self);
      std::lock_guard lock(server->identity_mu_);
      id = server->identity_;
    }
    if (SSL_use_cert_and_key(ssl, id->cert, id->key, id->chain, 1) != 1) return 0;
    return id->client_cas == nullptr || SSL_set1_verify_cert_store(ssl, id->client_cas) == 1;
  }

  Gateway& gateway_;
  const HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;  // an httplib::SSLServer with options_.tls
  std::mutex identity_mu_;
  // Shared with the handshake that is reading it while a reload swaps in the next. Null without
  // TLS.
  std::shared_ptr<const SslIdentity> identity_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> startHttpServer(Gateway& gateway, HttpOptions options) {
  auto s = std::make_unique<HttpServerImpl>(gateway, std::move(options));
  SPIKELINE_RETURN_IF_ERROR(s->start());
  return std::unique_ptr<HttpServer>(std::move(s));
}

}  // namespace spikeline::gateway
