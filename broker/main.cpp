// spikeline-broker: the control plane process (docs/decisions/0004). Wires the Redis store, the
// system clock and the socket loop; SIGTERM/SIGINT stop it cleanly. Exceptions (CLI11) end here.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "broker/broker_metrics.h"
#include "broker/server.h"
#include "transport/curve.h"
#include "broker/store.h"
#include "core/ready_line.h"
#include "metrics/probe_server.h"
#include "metrics/registry.h"

namespace {

std::atomic<bool> g_stop{false};  // set by the signal handler only

void onSignal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spikeline-broker: control plane (placement, health, routes) backed by Redis"};
  std::string redis = "127.0.0.1:6379";
  std::string log_level = "info";
  std::string metrics;  // --metrics HOST:PORT; empty = off
  double heartbeat_ms = 200;
  uint32_t liveness = 3;
  spikeline::broker::ServerOptions options;
  std::string redis_user;
  std::string redis_password_file;
  app.add_option("--redis", redis, "Redis address host:port")->capture_default_str();
  uint64_t event_retention = 10000;
  app.add_option("--event-retention", event_retention,
                 "events kept in Redis (about; the oldest are trimmed)")
      ->check(CLI::Range(uint64_t{100}, uint64_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--redis-user", redis_user,
                 "Redis ACL user (default: `default`; or SPIKELINE_REDIS_USER)");
  app.add_option("--redis-password-file", redis_password_file,
                 "file whose first line is the Redis password (or SPIKELINE_REDIS_PASSWORD; "
                 "never on the command line)");
  app.add_option("--bind", options.bind, "ROUTER endpoint for workers and the CLI")
      ->capture_default_str();
  app.add_option("--pub", options.pub, "PUB endpoint for route tables")->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms, "Expected heartbeat interval (ms)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--liveness", liveness, "Missed heartbeats before a worker is down")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  spikeline::broker::RateLimit& admin_rate = options.service.admin_rate;
  app.add_option("--admin-rate", admin_rate.per_second,
                 "admin requests per second per connection, sustained (0 = no limit)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  app.add_option("--admin-burst", admin_rate.burst,
                 "admin requests per connection served at once after a quiet spell")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  app.add_option("--admin-connections", admin_rate.max_peers,
                 "connections whose admin rate is tracked; beyond, new ones share one limit")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--metrics", metrics, "serve /metrics, /live, /ready on HOST:PORT (default: off)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  spikeline::transport::CurveFlags curve;
  app.add_option("--curve-key", curve.key_file,
                 "this broker's NAME.key_secret (`spikeline keygen`): CURVE on both sockets "
                 "(or SPIKELINE_CURVE_KEY)");
  app.add_option("--curve-trust", curve.trust_dir,
                 "directory of *.key public keys allowed to connect (or SPIKELINE_CURVE_TRUST)");
  app.add_flag("--insecure", curve.insecure,
               "accept a plaintext, unauthenticated control plane on a non-loopback address");
  bool no_endpoint_check = false;
  app.add_flag("--no-endpoint-check", no_endpoint_check,
               "route a newly registered worker without first checking that its advertised "
               "data endpoint answers a hello (tests with workers that serve nothing)");
  CLI11_PARSE(app, argc, argv);

  // Logs go to stderr: stdout carries the READY line only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("broker"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  auto redis_options = spikeline::broker::parseRedisAddress(redis);
  if (!redis_options) {
    spdlog::error("{}", redis_options.status().toString());
    return 2;
  }
  auto password = spikeline::broker::loadRedisPassword(redis_password_file,
                                                       std::getenv("SPIKELINE_REDIS_PASSWORD"));
  if (!password) {
    spdlog::error("{}", password.status().message());
    return 2;
  }
  redis_options->password = *password;
  redis_options->event_retention = event_retention;
  const char* env_user = std::getenv("SPIKELINE_REDIS_USER");
  redis_options->user = !redis_user.empty() ? redis_user : (env_user != nullptr ? env_user : "");
  curve = spikeline::transport::curveFlagsFromEnvironment(curve);
  auto identity = spikeline::transport::loadCurveIdentity(curve, /*needs_broker=*/false);
  if (!identity) {
    spdlog::error("{}", identity.status().message());
    return 2;
  }
  for (const std::string& w : identity->warnings) spdlog::warn("{}", w);
  for (const std::string* endpoint : {&options.bind, &options.pub}) {
    auto allowed = spikeline::transport::requireCurveOffLoopback(*identity, curve.insecure,
                                                                 *endpoint, "--bind/--pub");
    if (!allowed.isOk()) {
      spdlog::error("{}", allowed.message());
      return 2;
    }
  }
  options.curve = *identity;
  options.service.require_curve_keys = identity->enabled();
  options.service.check_endpoints = !no_endpoint_check;
  options.service.health.heartbeat_interval_ns = static_cast<int64_t>(heartbeat_ms * 1e6);
  options.service.health.liveness = liveness;
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  // Ready while the broker's loop runs (it serves from memory when Redis is away, decision 0004).
  std::atomic<bool> serving{false};
  spikeline::metrics::MetricsRegistry registry;
  spikeline::broker::declareBrokerMetrics(registry);
  options.service.metrics = &registry;
  spikeline::metrics::declareProcessMetrics(
      registry,
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::unique_ptr<spikeline::metrics::ProbeServer> probe;
  if (!metrics.empty()) {
    auto s = spikeline::metrics::startProbeServer(
        metrics,
        {[&registry] {
           spikeline::metrics::refreshProcessMetrics(registry);
           return registry.render();
         },
         [&serving] {
           return spikeline::metrics::Probe{serving.load(), "the broker is not serving yet"};
         }});
    if (!s.isOk()) {
      spdlog::error("--metrics: {}", s.status().toString());
      return 2;
    }
    probe = std::move(s).value();
  }
  auto store = spikeline::broker::makeRedisStore(*redis_options);
  // Wrong or missing credentials will not heal by waiting: refuse to start. An unreachable Redis
  // may come back: start and serve from memory meanwhile (decision 0004).
  if (spikeline::Status first = store->ping(); first.code() == spikeline::StatusCode::kInvalidArgument) {
    spdlog::error("{}", first.message());
    return 2;
  }
  // One machine-readable line with every endpoint bound (port 0 resolved), for supervisors and
  // test harnesses; logs go to stderr.
  options.on_listening = [&probe](const spikeline::broker::BoundEndpoints& bound) {
    spikeline::ReadyLine ready;
    ready.endpoints = {{"control", bound.control}, {"routes", bound.routes}};
    if (probe) ready.endpoints.emplace_back("metrics", probe->address());
    std::cout << ready.format() << std::endl;
  };
  auto clock = spikeline::makeSystemClock();
  serving.store(true);
  spikeline::Status s = spikeline::broker::runBroker(options, *store, *clock, g_stop);
  serving.store(false);
  if (!s.isOk()) {
    spdlog::error("{}", s.toString());
    return 1;
  }
  return 0;
}
