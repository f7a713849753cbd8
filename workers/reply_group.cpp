#include "workers/reply_group.h"

#include <spdlog/spdlog.h>

#include "transport/envelope.h"
#include "wire/codec.h"
#include "workers/protocol.h"

namespace spikeline::workers {

using transport::ReplicaId;

ReplyGroup::ReplyGroup(transport::TransportContext& context, const Clock& clock,
                       ReplyOptions options)
    : context_(context),
      clock_(clock),
      options_(std::move(options)),
      custody_(clock, options_.custody) {}

Result<ReplicaId> ReplyGroup::clientFor(const transport::PeerAddress& endpoint) {
  auto it = by_endpoint_.find(endpoint);
  if (it != by_endpoint_.end()) {
    clients_[it->second].last_used_ns = clock_.monotonicNs();
    return it->second;
  }
  if (clients_.size() >= options_.max_clients) evictOldest();
  transport::SocketOptions so;
  so.routing_id = options_.routing_id;
  so.curve_self = options_.curve_self;
  so.curve_server_key = endpoint.curve_key;
  SPIKELINE_ASSIGN_OR_RETURN(auto socket,
                             transport::makeDataSocket(context_, transport::SocketRole::kSender, so));
  SPIKELINE_RETURN_IF_ERROR(socket->connect(endpoint.endpoint));
  const ReplicaId id = next_id_++;
  clients_[id] = Client{endpoint, std::move(socket), clock_.monotonicNs()};
  by_endpoint_[endpoint] = id;
  return id;
}

void ReplyGroup::evictOldest() {
  auto oldest = clients_.begin();
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    if (it->second.last_used_ns < oldest->second.last_used_ns) oldest = it;
  }
  if (oldest == clients_.end()) return;
  custody_.onReplicaDown(oldest->first);
  by_endpoint_.erase(oldest->second.endpoint);
  answered_.erase(oldest->first);
  clients_.erase(oldest);
}

void ReplyGroup::unusable(const std::string& reply_to, const std::string& why) {
  if (options_.unusable_reply_to != nullptr) options_.unusable_reply_to->add();
  if (logged_unusable_.size() >= 1024 || !logged_unusable_.insert(reply_to).second) return;
  spdlog::warn("reply_to '{}' unusable ({}): replies to it are dropped (logged once per address)",
               reply_to, why);
}

Result<ReplicaId> ReplyGroup::usableClient(const transport::PeerAddress& reply_to) {
  if (reply_to.endpoint.empty()) {
    unusable(reply_to.endpoint, "empty");
    return invalidArgument("frame has no reply-to address");
  }
  Result<ReplicaId> client = clientFor(reply_to);
  if (!client.isOk()) unusable(reply_to.endpoint, client.status().message());
  return client;
}

Status ReplyGroup::hold(RequestId request_id, const transport::PeerAddress& reply_to,
                        transport::Bytes frame, int64_t deadline_ns) {
  SPIKELINE_ASSIGN_OR_RETURN(const ReplicaId id, usableClient(reply_to));
  SPIKELINE_RETURN_IF_ERROR(custody_.hold(request_id, std::move(frame), deadline_ns));
  destination_[request_id] = id;
  ++pending_;
  return Status::ok();
}

Status ReplyGroup::sendError(const transport::PeerAddress& reply_to,
                             const wire::ErrorReply& error) {
  SPIKELINE_ASSIGN_OR_RETURN(const ReplicaId id, usableClient(reply_to));
  SPIKELINE_ASSIGN_OR_RETURN(transport::Multipart parts, controlOnDealer(error));
  if (clients_[id].socket->send(parts).isOk()) return Status::ok();
  if (errors_.size() >= options_.max_pending_errors) errors_.erase(errors_.begin());
  errors_.push_back(PendingError{id, std::move(parts), clock_.monotonicNs() + options_.error_retry_ns});
  return Status::ok();
}

void ReplyGroup::retryErrors() {
  const int64_t now = clock_.monotonicNs();
  std::vector<PendingError> left;
  for (PendingError& e : errors_) {
    auto client = clients_.find(e.client);
    if (client == clients_.end() || now > e.give_up_ns) continue;  // evicted or too late
    if (!client->second.socket->send(e.parts).isOk()) left.push_back(std::move(e));
  }
  errors_.swap(left);
}

void ReplyGroup::addToPoll(PollSet& poll) {
  poll_base_ = poll.size();
  polled_.clear();
  for (auto& [id, client] : clients_) {
    poll.addSocket(client.socket->nativeHandle());
    polled_.push_back(id);
  }
}

void ReplyGroup::onPolled(const PollSet& poll, std::vector<HopEvent>& events) {
  for (size_t i = 0; i < polled_.size(); ++i) {
    if (poll.readable(poll_base_ + i) && clients_.count(polled_[i]) != 0) drain(polled_[i], events);
  }
}

void ReplyGroup::drain(ReplicaId id, std::vector<HopEvent>& events) {
  for (int budget = 0; budget < 256; ++budget) {
    Result<transport::Multipart> m = clients_[id].socket->recv(0);
    if (!m.isOk()) return;
    Result<transport::Envelope> e =
        transport::parseEnvelope(std::move(m).value(), transport::Side::kDealer);
    if (!e.isOk() || e->kind != transport::MessageKind::kControl) continue;
    Result<wire::Message> msg = wire::decode(e->payload);
    const auto* ack = msg.isOk() ? std::get_if<wire::Ack>(&*msg) : nullptr;
    if (ack == nullptr || ack->kind != wire::AckKind::kReceived) continue;
    // The client's `received` ends the last stage's custody (decision 0003 §4).
    answered_.insert(id);
    if (custody_.onHandedOn(ack->request_id, ack->attempt).outcome ==
        transport::AckOutcome::kApplied) {
      destination_.erase(ack->request_id);
      events.push_back({HopEvent::Kind::kReceived, ack->request_id, {}});
      events.push_back({HopEvent::Kind::kReleased, ack->request_id, {}});
    }
  }
}

void ReplyGroup::tick(std::vector<HopEvent>& events) {
  pending_ = 0;
  if (!errors_.empty()) retryErrors();
  for (const transport::CustodyAction& a : custody_.expired()) {
    auto dest = destination_.find(a.request_id);
    auto client = dest == destination_.end() ? clients_.end() : clients_.find(dest->second);
    if (a.kind == transport::CustodyAction::Kind::kFail) {
      // The client's backstop re-sends the request; this hop's duty ends here. A client that
      // never acknowledged anything had an unusable address (e.g. one nothing listens on).
      if (client != clients_.end() && answered_.count(client->first) == 0) {
        unusable(client->second.endpoint.endpoint, "no client answered there before the deadline");
      }
      destination_.erase(a.request_id);
      events.push_back({HopEvent::Kind::kFailed, a.request_id, a.error});
      continue;
    }
    if (client == clients_.end()) {
      (void)custody_.onSent(a.request_id, 0);  // client evicted: burn attempts until kFail
      continue;
    }
    const transport::CustodyEntry* entry = custody_.find(a.request_id);
    Result<transport::Bytes> bytes =
        entry->attempt == 0 ? Result<transport::Bytes>(entry->payload)
                            : restampAttempt(entry->payload, entry->attempt + 1);
    if (!bytes.isOk()) continue;
    Status sent = client->second.socket->send(dataOnDealer(std::move(bytes).value()));
    if (!sent.isOk()) {
      ++pending_;  // not connected yet (IMMEDIATE): try again on the next tick
      continue;
    }
    (void)custody_.onSent(a.request_id, client->first);
  }
}

}  // namespace spikeline::workers
