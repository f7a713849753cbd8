#include "workers/hop_group.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "transport/envelope.h"
#include "wire/codec.h"
#include "workers/protocol.h"

namespace spikeline::workers {

using transport::AckOutcome;
using transport::CustodyAction;
using transport::ReplicaId;

HopGroup::HopGroup(transport::TransportContext& context, const Clock& clock, HopOptions options)
    : context_(context),
      clock_(clock),
      options_(std::move(options)),
      ledger_(clock, options_.ledger),
      custody_(clock, options_.custody) {}

Result<std::unique_ptr<HopGroup>> HopGroup::make(
    transport::TransportContext& context, const Clock& clock,
    const std::vector<transport::PeerAddress>& endpoints, HopOptions options) {
  std::unique_ptr<HopGroup> g(new HopGroup(context, clock, std::move(options)));
  for (const transport::PeerAddress& endpoint : endpoints)
    SPIKELINE_RETURN_IF_ERROR(g->addEndpoint(endpoint));
  return g;
}

Status HopGroup::addEndpoint(const transport::PeerAddress& endpoint) {
  transport::SocketOptions so;
  so.routing_id = options_.routing_id;
  so.curve_self = options_.curve_self;
  so.curve_server_key = endpoint.curve_key;
  SPIKELINE_ASSIGN_OR_RETURN(auto socket,
                             transport::makeDataSocket(context_, transport::SocketRole::kSender, so));
  SPIKELINE_RETURN_IF_ERROR(socket->connect(endpoint.endpoint));
  const auto r = static_cast<ReplicaId>(sockets_.size());
  SPIKELINE_RETURN_IF_ERROR(ledger_.addReplica(r));
  sockets_.push_back(std::move(socket));
  endpoints_.push_back(endpoint);
  (void)sockets_.back()->send(heartbeatOnDealer());  // hello: ask for credit at once
  hello_backoff_ns_ = kFirstHelloRetryNs;            // and again soon (see helloDueInNs)
  next_hello_ns_ = clock_.monotonicNs() + hello_backoff_ns_;
  return Status::ok();
}

Status HopGroup::setEndpoints(const std::vector<transport::PeerAddress>& endpoints) {
  const std::set<transport::PeerAddress> wanted(endpoints.begin(), endpoints.end());
  std::set<transport::PeerAddress> have;
  for (ReplicaId r = 0; r < sockets_.size(); ++r) {
    if (sockets_[r] == nullptr) continue;
    if (wanted.count(endpoints_[r]) != 0) {
      have.insert(endpoints_[r]);
      continue;
    }
    spdlog::info("hop: replica {} ({}) left the route", r, endpoints_[r].endpoint);
    replicaDown(r);  // its frames in custody become due again, elsewhere
    (void)ledger_.removeReplica(r);
    sockets_[r].reset();
    endpoints_[r] = {};
  }
  for (const transport::PeerAddress& endpoint : endpoints) {
    if (have.count(endpoint) != 0) continue;
    spdlog::info("hop: replica {} joined the route", endpoint.endpoint);
    SPIKELINE_RETURN_IF_ERROR(addEndpoint(endpoint));
    have.insert(endpoint);
  }
  if (replicaCount() == 0) {
    if (unrouted_since_ns_ < 0) unrouted_since_ns_ = clock_.monotonicNs();
  } else {
    unrouted_since_ns_ = -1;
  }
  return Status::ok();
}

size_t HopGroup::replicaCount() const {
  size_t n = 0;
  for (const auto& s : sockets_) n += s != nullptr ? 1 : 0;
  return n;
}

Status HopGroup::hold(RequestId request_id, transport::Bytes frame, int64_t deadline_ns) {
  SPIKELINE_RETURN_IF_ERROR(custody_.hold(request_id, std::move(frame), deadline_ns));
  ++pending_;
  return Status::ok();
}

int64_t HopGroup::admissible() const {
  return static_cast<int64_t>(ledger_.totalFreeCredit()) - static_cast<int64_t>(pending_);
}

const transport::ReplicaCredit* HopGroup::replica(size_t r) const {
  return ledger_.find(static_cast<ReplicaId>(r));
}

void HopGroup::addToPoll(PollSet& poll) {
  poll_base_ = poll.size();
  for (auto& s : sockets_) poll.addSocket(s != nullptr ? s->nativeHandle() : nullptr);
}

void HopGroup::onPolled(const PollSet& poll, std::vector<HopEvent>& events) {
  for (ReplicaId r = 0; r < sockets_.size(); ++r) {
    if (sockets_[r] != nullptr && poll.readable(poll_base_ + r)) drain(r, events);
  }
}

void HopGroup::drain(ReplicaId r, std::vector<HopEvent>& events) {
  for (int budget = 0; budget < 256; ++budget) {
    Result<transport::Multipart> m = sockets_[r]->recv(0);
    if (!m.isOk()) return;
    Result<transport::Envelope> e =
        transport::parseEnvelope(std::move(m).value(), transport::Side::kDealer);
    if (!e.isOk() || e->kind != transport::MessageKind::kControl) continue;
    onControl(r, e->payload, events);
  }
}

void HopGroup::onControl(ReplicaId r, const transport::Bytes& payload,
                         std::vector<HopEvent>& events) {
  Result<wire::Message> msg = wire::decode(payload);
  if (!msg.isOk()) {
    spdlog::warn("hop: undecodable control message from replica {}: {}", r,
                 msg.status().toString());
    return;
  }
  ledger_.onHeard(r);
  if (const auto* grant = std::get_if<wire::CreditGrant>(&*msg)) {
    (void)ledger_.onGrant(r, grant->incarnation, grant->granted_total);
    return;
  }
  const auto* ack = std::get_if<wire::Ack>(&*msg);
  if (ack == nullptr) return;
  switch (ack->kind) {
    case wire::AckKind::kReceived:
      if (custody_.onReceived(ack->request_id, ack->attempt).outcome == AckOutcome::kApplied &&
          received_.insert(ack->request_id).second) {
        events.push_back({HopEvent::Kind::kReceived, ack->request_id, {}});
      }
      break;
    case wire::AckKind::kHandedOn: {
      const transport::AckResult res = custody_.onHandedOn(ack->request_id, ack->attempt);
      if (res.outcome != AckOutcome::kApplied) break;
      ledger_.onReleased(res.replica);
      last_nack_.erase(ack->request_id);
      if (received_.erase(ack->request_id) == 0) {
        events.push_back({HopEvent::Kind::kReceived, ack->request_id, {}});
      }
      events.push_back({HopEvent::Kind::kReleased, ack->request_id, {}});
      break;
    }
    case wire::AckKind::kNack:
      ++stats_.nacks;
      if (custody_.onNack(ack->request_id, ack->attempt, ack->code).outcome ==
          AckOutcome::kApplied) {
        ledger_.onReleased(r);
        if (!ack->message.empty()) last_nack_[ack->request_id] = ack->message;
        if (ack->code == StatusCode::kUnavailable) replicaDown(r);
      }
      break;
  }
}

void HopGroup::replicaDown(ReplicaId r) {
  ledger_.markDown(r);
  custody_.onReplicaDown(r);
}

bool HopGroup::awaitingGrant(ReplicaId r) const {
  const transport::ReplicaCredit* c = ledger_.find(r);
  return sockets_[r] != nullptr && c != nullptr && c->incarnation == 0;
}

int64_t HopGroup::helloDueInNs() const {
  for (ReplicaId r = 0; r < sockets_.size(); ++r) {
    if (awaitingGrant(r)) return std::max<int64_t>(0, next_hello_ns_ - clock_.monotonicNs());
  }
  return -1;
}

int HopGroup::pollTimeoutMs(int idle_ms) const {
  if (hasPending()) return 1;
  if (custody_.size() != 0) {  // wake in time to probe a replica holding our frames (0009)
    idle_ms = std::min<int>(idle_ms, int(std::max<int64_t>(
                                         1, options_.ledger.probe_interval_ns / 2'000'000)));
  }
  const int64_t hello_ns = helloDueInNs();
  if (hello_ns < 0) return idle_ms;
  return std::min<int>(idle_ms, int((hello_ns + 999'999) / 1'000'000));
}

void HopGroup::tick(std::vector<HopEvent>& events) {
  const int64_t now = clock_.monotonicNs();
  if (now >= next_heartbeat_ns_) {
    next_heartbeat_ns_ = now + options_.heartbeat_interval_ns;
    next_hello_ns_ = now + hello_backoff_ns_;
    for (auto& s : sockets_) {
      if (s != nullptr) (void)s->send(heartbeatOnDealer());
    }
  } else if (now >= next_hello_ns_) {
    hello_backoff_ns_ = std::min(2 * hello_backoff_ns_, options_.heartbeat_interval_ns);
    next_hello_ns_ = now + hello_backoff_ns_;
    for (ReplicaId r = 0; r < sockets_.size(); ++r) {
      if (awaitingGrant(r)) (void)sockets_[r]->send(heartbeatOnDealer());  // hello again
    }
  }
  // Busy replicas are probed when quiet and dropped when a probe goes unanswered (0009); a
  // probe the socket refuses means the connection is gone (kill -9): down at once.
  const transport::LivenessSweep sweep = ledger_.sweepLiveness(custody_.busyReplicas());
  for (ReplicaId r : sweep.probe) {
    ++stats_.probes;
    if (!sockets_[r]->send(heartbeatOnDealer()).isOk()) {
      ++stats_.declared_down;
      replicaDown(r);
    }
  }
  stats_.declared_down += sweep.down.size();
  for (ReplicaId r : sweep.down) custody_.onReplicaDown(r);
  if (unrouted_since_ns_ >= 0 && now - unrouted_since_ns_ >= options_.no_replica_grace_ns) {
    stats_.no_replica += custody_.failAll(unavailable(
        "stage '" + options_.stage + "' has no replica in the route table (for " +
        std::to_string((now - unrouted_since_ns_) / 1'000'000) +
        " ms; `spikeline routes` says why)"));
  }
  pending_ = 0;
  for (const CustodyAction& a : custody_.expired()) {
    if (a.kind == CustodyAction::Kind::kFail) {
      ++stats_.failed;
      received_.erase(a.request_id);
      Status error = a.error;
      auto nack = last_nack_.find(a.request_id);
      if (nack != last_nack_.end()) {
        error = Status(error.code(), error.message() + ": " + nack->second);
        last_nack_.erase(nack);
      }
      events.push_back({HopEvent::Kind::kFailed, a.request_id, std::move(error)});
      continue;
    }
    sendDue(a, events);
  }
}

void HopGroup::sendDue(const CustodyAction& action, std::vector<HopEvent>& events) {
  Result<ReplicaId> pick = ledger_.pickReplica(action.avoid);
  if (!pick.isOk()) {
    ++stats_.no_credit;
    ++pending_;
    return;
  }
  const transport::CustodyEntry* entry = custody_.find(action.request_id);
  if (entry == nullptr) return;
  transport::Bytes bytes;
  if (entry->attempt == 0) {
    bytes = entry->payload;
  } else {
    Result<transport::Bytes> restamped = restampAttempt(entry->payload, entry->attempt + 1);
    if (!restamped.isOk()) {
      last_nack_.erase(action.request_id);
      events.push_back({HopEvent::Kind::kFailed, action.request_id, restamped.status()});
      return;
    }
    bytes = std::move(restamped).value();
  }
  const Status sent = sockets_[*pick]->send(dataOnDealer(std::move(bytes)));
  if (!sent.isOk()) {
    replicaDown(*pick);  // the frame stays pending and goes elsewhere on the next tick
    ++pending_;
    return;
  }
  if (entry->attempt > 0) ++stats_.resent;
  if (entry->attempt > 0 && !entry->tried.empty() && entry->tried.back() != *pick) {
    ++stats_.rerouted;
  }
  ++stats_.sent;
  (void)ledger_.onSent(*pick);
  Result<uint32_t> attempt = custody_.onSent(action.request_id, *pick);
  if (!attempt.isOk()) {
    last_nack_.erase(action.request_id);
    events.push_back({HopEvent::Kind::kFailed, action.request_id, attempt.status()});
  }
}

}  // namespace spikeline::workers
