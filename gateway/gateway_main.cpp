// spikeline-gateway: the OIP v2 front door (issue 12). Loads the models it serves (--model),
// follows the broker's route stream (--broker), serves REST + /metrics (--http) and gRPC
// (--grpc), prints "READY http=HOST:PORT grpc=HOST:PORT", and stops on SIGTERM/SIGINT.
// Exceptions (CLI11) end here.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "gateway/gateway.h"
#include "gateway/grpc_server.h"
#include "gateway/http_server.h"
#include "metrics/probe_server.h"
#include "topology/topology_loader.h"

namespace {

std::atomic<bool> g_stop{false};  // set by the signal handler only

void onSignal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  namespace gw = spikeline::gateway;
  CLI::App app{"spikeline-gateway: KServe Open Inference Protocol v2 (REST + gRPC) over spikeline"};
  gw::GatewayOptions options;
  std::vector<std::string> model_files;
  std::string http = "127.0.0.1:8000", grpc = "127.0.0.1:8001", log_level = "info";
  int threads = 16;
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
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

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
  auto http_server = gw::startHttpServer(**gateway, ho);
  if (!http_server.isOk()) {
    spdlog::error("{}", http_server.status().toString());
    return 1;
  }
  gw::GrpcOptions go;
  go.address = grpc;
  auto grpc_server = gw::startGrpcServer(**gateway, go);
  if (!grpc_server.isOk()) {
    spdlog::error("{}", grpc_server.status().toString());
    return 1;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  const std::string grpc_host = grpc.substr(0, grpc.rfind(':'));
  std::cout << "READY http=" << ho.host << ":" << (*http_server)->port() << " grpc=" << grpc_host
            << ":" << (*grpc_server)->port() << std::endl;
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  spdlog::info("gateway: stopping");
  grpc_server->reset();
  http_server->reset();
  return 0;
}
