#include "broker/server.h"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "broker/agent/detail/zmq_io.h"
#include "broker/endpoint_checker.h"
#include "transport/zap_handler.h"

namespace spikeline::broker {
namespace {

void flush(Outbox& out, zmq::socket_t& router, zmq::socket_t& pub, EndpointChecker& checker) {
  for (const EndpointCheck& c : out.to_check) checker.start(c);
  for (auto& [peer, parts] : out.to_peers) {
    Parts framed{peer};
    framed.insert(framed.end(), parts.begin(), parts.end());
    if (!detail::sendParts(router, framed)) spdlog::debug("could not send to a peer");
  }
  for (auto& parts : out.to_publish) detail::sendParts(pub, parts);
  out = Outbox{};
}

// Waits for the store and restores state; false when asked to stop first.
bool restoreWithBackoff(BrokerService& service, Outbox& out, const std::atomic<bool>& stop) {
  int backoff_ms = 50;
  while (!stop.load()) {
    Status s = service.restore(out);
    if (s.isOk()) return true;
    spdlog::warn("cannot restore state from the store (retrying in {} ms): {}", backoff_ms,
                 s.toString());
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
  return false;
}

}  // namespace

Status runBroker(const ServerOptions& options, Store& store, const Clock& clock,
                 const std::atomic<bool>& stop) {
  zmq::context_t context(1);
  std::unique_ptr<transport::ZapHandler> zap;  // before the sockets: destroyed after them
  if (options.curve.enabled()) {
    auto started = transport::startZapHandler(context.handle(), options.curve.authorized);
    if (!started) return started.status();
    zap = std::move(*started);
  }
  zmq::socket_t router(context, zmq::socket_type::router);
  zmq::socket_t pub(context, zmq::socket_type::pub);
  for (zmq::socket_t* s : {&router, &pub}) {
    SPIKELINE_RETURN_IF_ERROR(transport::applyCurveServer(s->handle(), options.curve.self));
  }
  try {
    router.set(zmq::sockopt::linger, 0);
    pub.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::router_handover, 1);
    router.set(zmq::sockopt::maxmsgsize, kMaxControlFrameBytes);
    pub.set(zmq::sockopt::maxmsgsize, kMaxControlFrameBytes);  // inbound: subscriptions only
    router.bind(options.bind);
    pub.bind(options.pub);
  } catch (const zmq::error_t& e) {
    return unavailable("cannot bind " + options.bind + " / " + options.pub + ": " + e.what());
  }
  const BoundEndpoints bound{router.get(zmq::sockopt::last_endpoint),
                             pub.get(zmq::sockopt::last_endpoint)};
  spdlog::info("broker listening on {} (routes on {}){}", bound.control, bound.routes,
               options.curve.enabled() ? ", CURVE on: " +
                                             std::to_string(options.curve.authorized.size()) +
                                             " authorised keys"
                                       : ", plaintext");
  if (options.on_listening) options.on_listening(bound);
  BrokerService service(store, clock, options.service);
  EndpointChecker checker(clock, options.curve.self);
  Outbox out;
  if (!restoreWithBackoff(service, out, stop)) return Status::ok();
  flush(out, router, pub, checker);
  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  while (!stop.load()) {
    // Checks in progress are polled every 5 ms (their sockets are not in this poll).
    const int64_t wait_ms = std::min<int64_t>(service.msUntilTick(), checker.busy() ? 5 : 100);
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(wait_ms));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return internalError(std::string("poll: ") + e.what());
    }
    while (auto parts = detail::recvParts(router)) {
      if (parts->size() < 2) continue;
      const std::string peer = parts->front();
      parts->erase(parts->begin());
      service.onMessage(peer, *parts, out);
      flush(out, router, pub, checker);
    }
    for (const EndpointCheckResult& r : checker.poll()) service.onEndpointChecked(r, out);
    service.tick(out);
    flush(out, router, pub, checker);
  }
  spdlog::info("broker stopping");
  return Status::ok();
}

}  // namespace spikeline::broker
