// spikeline-gateway: the OIP v2 front door (issue 12). Loads the models it serves (--model),
// follows the broker's route stream (--broker), serves REST + /metrics (--http) and gRPC
// (--grpc), prints "READY http=HOST:PORT grpc=HOST:PORT", and stops on SIGTERM/SIGINT. With
// --api-keys FILE (or SPIKELINE_GATEWAY_API_KEYS_FILE) callers need one of the file's keys
// (gateway/auth.h); SIGHUP re-reads the file. With --tls-cert/--tls-key (or the
// SPIKELINE_GATEWAY_TLS_* variables) both listeners speak TLS only (gateway/tls.h); SIGHUP
// re-reads and re-checks the certificate for both. Exceptions (CLI11) end here.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/grpc_server.h"
#include "gateway/http_server.h"
#include "gateway/tls.h"
#include "core/ready_line.h"
#include "metrics/probe_server.h"
#include "topology/topology_loader.h"

namespace {

std::atomic<bool> g_stop{false};    // set by the signal handler only
std::atomic<bool> g_reload{false};  // SIGHUP: re-read the API keys file and the certificate

void onSignal(int) { g_stop.store(true); }
void onHangup(int) { g_reload.store(true); }

std::string hostOf(const std::string& host_port) {
  return host_port.substr(0, host_port.rfind(':'));
}

// A file that fails to parse keeps the keys in force (the gateway never opens up on a typo).
void reloadKeys(const std::string& file, spikeline::gateway::ApiKeyStore& store) {
  auto keys = spikeline::gateway::loadApiKeysFile(file);
  if (!keys.isOk()) {
    spdlog::error("SIGHUP: keeping the previous API keys: {}", keys.status().message());
    return;
  }
  spdlog::info("SIGHUP: {} API keys loaded from {}", keys->keys.size(), file);
  store.replace(std::move(keys).value());
}

// A certificate that fails to load (or a mismatched key) keeps the one in force, on both.
void reloadTls(const spikeline::gateway::TlsOptions& options,
               spikeline::gateway::HttpServer& http, spikeline::gateway::GrpcServer& grpc) {
  auto files = spikeline::gateway::loadTlsFiles(options);
  if (!files.isOk()) {
    spdlog::error("SIGHUP: keeping the previous TLS certificate: {}", files.status().message());
    return;
  }
  if (spikeline::Status s = http.reloadTls(*files); !s.isOk())
    spdlog::error("SIGHUP: keeping the previous TLS certificate (REST): {}", s.message());
  if (spikeline::Status s = grpc.reloadTls(*files); !s.isOk())
    spdlog::error("SIGHUP: keeping the previous TLS certificate (gRPC): {}", s.message());
  spdlog::info("SIGHUP: TLS certificate reloaded from {}", options.cert_file);
}

// The certificate files, read and checked (before anything listens); nullopt without TLS (then
// warns when a listener is reachable from other hosts).
spikeline::Result<std::optional<spikeline::gateway::TlsFiles>> loadTls(
    const spikeline::gateway::TlsOptions& options, const std::string& http,
    const std::string& grpc) {
  namespace gw = spikeline::gateway;
  SPIKELINE_RETURN_IF_ERROR(gw::validateTlsOptions(options));
  if (!options.enabled()) {
    if (!gw::isLoopbackHost(hostOf(http)) || !gw::isLoopbackHost(hostOf(grpc)))
      spdlog::warn("no --tls-cert: requests (and API keys) cross the network in clear on {} and {}",
                   http, grpc);
    return std::optional<gw::TlsFiles>();
  }
  SPIKELINE_ASSIGN_OR_RETURN(gw::TlsFiles files, gw::loadTlsFiles(options));
  const std::string mtls =
      options.client_ca_file.empty() ? "" : ", client certificates of " + options.client_ca_file;
  spdlog::info("TLS on REST and gRPC with the certificate in {}{}", options.cert_file, mtls);
  return std::optional<gw::TlsFiles>(std::move(files));
}

// The keys of `file`; null without one (then warns when a listener is reachable from other
// hosts). kInvalidArgument naming the file and line for a file that is not usable.
spikeline::Result<std::unique_ptr<spikeline::gateway::ApiKeyStore>> makeKeyStore(
    const std::string& file, const std::string& http, const std::string& grpc) {
  namespace gw = spikeline::gateway;
  if (file.empty()) {
    if (!gw::isLoopbackHost(hostOf(http)) || !gw::isLoopbackHost(hostOf(grpc)))
      spdlog::warn("no --api-keys: the gateway accepts unauthenticated requests on {} and {}", http,
                   grpc);
    return std::unique_ptr<gw::ApiKeyStore>();
  }
  SPIKELINE_ASSIGN_OR_RETURN(gw::KeySet keys, gw::loadApiKeysFile(file));
  spdlog::info("{} API keys loaded from {}", keys.keys.size(), file);
  return std::make_unique<gw::ApiKeyStore>(std::move(keys));
}

// CURVE keys from the flags (or the environment) into `options`; 2 with a logged reason on error.
int loadCurve(spikeline::transport::CurveFlags flags, spikeline::gateway::GatewayOptions& options) {
  using namespace spikeline;
  flags = transport::curveFlagsFromEnvironment(flags);
  auto identity = transport::loadCurveIdentity(flags, /*needs_broker=*/true);
  if (!identity.isOk()) return spdlog::error("{}", identity.status().message()), 2;
  for (const std::string& w : identity->warnings) spdlog::warn("{}", w);
  for (const std::string& endpoint : {options.client_bind, options.client_advertise}) {
    if (endpoint.empty()) continue;
    Status allowed = transport::requireCurveOffLoopback(*identity, flags.insecure, endpoint,
                                                        "the data-plane reply endpoint");
    if (!allowed.isOk()) return spdlog::error("{}", allowed.message()), 2;
  }
  options.curve = std::move(identity).value();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace gw = spikeline::gateway;
  CLI::App app{"spikeline-gateway: KServe Open Inference Protocol v2 (REST + gRPC) over spikeline"};
  gw::GatewayOptions options;
  std::vector<std::string> model_files;
  std::string http = "127.0.0.1:8000", grpc = "127.0.0.1:8001", log_level = "info", keys_file;
  int threads = 16;
  gw::TlsOptions tls_options;
  std::string tls_dir;
  app.add_option("--broker", options.broker_endpoint, "Broker ROUTER, e.g. tcp://127.0.0.1:5555")
      ->required();
  app.add_option("--broker-routes", options.routes_endpoint,
                 "Broker route PUB (default: broker port + 1)");
  app.add_option("--model", model_files, "Model YAML file served (repeatable; as deployed)")
      ->required();
  app.add_option("--http", http, "REST + /metrics address HOST:PORT (port 0: any)")
      ->capture_default_str();
  app.add_option("--grpc", grpc, "gRPC address HOST:PORT (port 0: any)")->capture_default_str();
  app.add_option("--bind", options.client_bind,
                 "Data-plane reply ROUTER; tcp://0.0.0.0:* with --advertise when workers run "
                 "on other hosts or containers")
      ->capture_default_str();
  app.add_option("--advertise", options.client_advertise,
                 "Reply-to put in every frame, reachable from the last stage's workers: "
                 "tcp://HOST:PORT, or tcp://HOST:* for the port --bind got (default: the bound one)");
  app.add_option("--timeout-ms", options.default_timeout_ms, "Default request deadline (ms)")
      ->capture_default_str();
  app.add_option("--threads", threads, "HTTP server threads")->capture_default_str();
  app.add_option("--api-keys", keys_file,
                 "File of API keys, one `KEY` or `NAME:KEY` a line (# comments); every endpoint "
                 "but health and /metrics then needs one. SIGHUP re-reads it")
      ->envname("SPIKELINE_GATEWAY_API_KEYS_FILE");
  app.add_option("--tls-cert", tls_options.cert_file,
                 "PEM certificate (then intermediates): REST and gRPC serve TLS only (1.2+)")
      ->envname("SPIKELINE_GATEWAY_TLS_CERT");
  app.add_option("--tls-key", tls_options.key_file, "PEM private key of --tls-cert (unencrypted)")
      ->envname("SPIKELINE_GATEWAY_TLS_KEY");
  app.add_option("--tls-client-ca", tls_options.client_ca_file,
                 "PEM CA certificates: every client then needs a certificate they signed (mTLS)")
      ->envname("SPIKELINE_GATEWAY_TLS_CLIENT_CA");
  app.add_option("--tls-dir", tls_dir,
                 "Where gRPC's private copy of the checked certificate and key goes (a 0700 "
                 "directory made here, removed at exit; default: $TMPDIR or /tmp)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  spikeline::transport::CurveFlags curve;
  app.add_option("--curve-key", curve.key_file,
                 "this gateway's NAME.key_secret (`spikeline keygen`): CURVE to the broker and "
                 "the workers (or SPIKELINE_CURVE_KEY)");
  app.add_option("--curve-trust", curve.trust_dir,
                 "directory of *.key public keys allowed to send results back (the workers'; "
                 "or SPIKELINE_CURVE_TRUST)");
  app.add_option("--curve-broker-key", curve.broker_key_file,
                 "the broker's public key (default: CURVE_TRUST/broker.key)");
  app.add_flag("--insecure", curve.insecure,
               "accept a plaintext data plane on a non-loopback --bind/--advertise");
  CLI11_PARSE(app, argc, argv);
  // Logs go to stderr: stdout carries the READY line (and nobody reads it afterwards).
  spdlog::set_default_logger(spdlog::stderr_color_mt("gateway"));
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto keys = makeKeyStore(keys_file, http, grpc);  // null: no authentication
  if (!keys.isOk()) {
    spdlog::error("--api-keys: {}", keys.status().message());
    return 2;
  }
  if (int code = loadCurve(curve, options); code != 0) return code;
  auto tls = loadTls(tls_options, http, grpc);  // nullopt: plaintext
  if (!tls.isOk()) {
    spdlog::error("TLS: {}", tls.status().message());
    return 2;
  }
  std::vector<spikeline::Topology> models;
  for (const std::string& f : model_files) {
    auto t = spikeline::topology::loadTopologyFile(f);
    if (!t.isOk()) {
      spdlog::error("{}: {}", f, t.status().toString());
      return 2;
    }
    models.push_back(std::move(t).value());
  }
  auto http_addr = spikeline::metrics::parseHostPort(http);
  if (!http_addr.isOk()) {
    spdlog::error("--http: {}", http_addr.status().toString());
    return 2;
  }
  auto gateway = gw::makeGateway(options, std::move(models));
  if (!gateway.isOk()) {
    spdlog::error("{}", gateway.status().toString());
    return 1;
  }
  gw::HttpOptions ho;
  ho.host = http_addr->first;
  ho.port = http_addr->second;
  ho.threads = threads;
  ho.api_keys = keys->get();
  ho.tls = *tls;
  auto http_server = gw::startHttpServer(**gateway, ho);
  if (!http_server.isOk()) {
    spdlog::error("{}", http_server.status().toString());
    return 1;
  }
  gw::GrpcOptions go;
  go.address = grpc;
  go.api_keys = keys->get();
  go.tls = *tls;
  go.tls_dir = tls_dir;
  auto grpc_server = gw::startGrpcServer(**gateway, go);
  if (!grpc_server.isOk()) {
    spdlog::error("{}", grpc_server.status().toString());
    return 1;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  // Without keys or TLS SIGHUP keeps its default (exit).
  if (*keys || *tls) std::signal(SIGHUP, onHangup);
  // The READY line: both listeners as bound (port 0 resolved); /metrics is on the HTTP port.
  // Each model's reply ROUTER is bound when the model is first called and logged then.
  spikeline::ReadyLine ready;
  ready.endpoints = {{"http", ho.host + ":" + std::to_string((*http_server)->port())},
                     {"grpc", hostOf(grpc) + ":" + std::to_string((*grpc_server)->port())},
                     {"metrics", ho.host + ":" + std::to_string((*http_server)->port())}};
  std::cout << ready.format() << std::endl;
  spdlog::info("gateway: listening on {}", ready.format().substr(6));
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!g_reload.exchange(false)) continue;
    if (*keys) reloadKeys(keys_file, **keys);
    if (*tls) reloadTls(tls_options, **http_server, **grpc_server);
  }
  spdlog::info("gateway: stopping");
  grpc_server->reset();
  http_server->reset();
  return 0;
}
