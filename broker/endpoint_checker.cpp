#include "broker/endpoint_checker.h"

#include "transport/envelope.h"

namespace spikeline::broker {

EndpointChecker::EndpointChecker(const Clock& clock, transport::CurveKeyPair self,
                                 int64_t timeout_ns)
    : clock_(clock), self_(std::move(self)), timeout_ns_(timeout_ns) {
  auto context = transport::makeTransportContext(1);
  if (context.isOk()) context_ = std::move(context).value();
}

EndpointChecker::~EndpointChecker() { checks_.clear(); }  // sockets before the context

void EndpointChecker::start(const EndpointCheck& check) {
  checks_.erase(check.worker);
  Pending p{check, nullptr, clock_.monotonicNs() + timeout_ns_, false};
  if (context_ != nullptr) {
    transport::SocketOptions so;
    so.routing_id = "broker-endpoint-check";
    so.curve_self = self_;
    so.curve_server_key = check.curve_key;
    auto socket = transport::makeDataSocket(*context_, transport::SocketRole::kSender, so);
    if (socket.isOk() && (*socket)->connect(check.endpoint).isOk()) p.socket = std::move(*socket);
  }
  checks_[check.worker] = std::move(p);
}

std::vector<EndpointCheckResult> EndpointChecker::poll() {
  std::vector<EndpointCheckResult> done;
  const int64_t now = clock_.monotonicNs();
  const transport::Multipart hello = transport::toMultipart(
      transport::Envelope{{}, transport::MessageKind::kHeartbeat, {}}, transport::Side::kDealer);
  for (auto it = checks_.begin(); it != checks_.end();) {
    Pending& p = it->second;
    Status status = unavailable("no answer to a hello within " +
                                std::to_string(timeout_ns_ / 1'000'000) + " ms");
    bool finished = false;
    if (p.socket == nullptr) {
      status = invalidArgument("cannot connect to the advertised endpoint (or its CURVE key)");
      finished = true;
    } else {
      // IMMEDIATE: the hello is refused until the connection (and CURVE handshake) is up.
      if (!p.hello_sent) p.hello_sent = p.socket->send(hello).isOk();
      if (p.hello_sent && p.socket->recv(0).isOk()) {
        status = Status::ok();
        finished = true;
      } else if (now >= p.deadline_ns) {
        finished = true;
      }
    }
    if (!finished) {
      ++it;
      continue;
    }
    done.push_back({p.check, status});
    it = checks_.erase(it);
  }
  return done;
}

}  // namespace spikeline::broker
