// Test-only peers over real DataSockets: a receiver (ROUTER + CreditGrantor, answers `received`
// at once and `handed-on` when told) and a sender (one DEALER per replica + CreditLedger +
// CustodyTable). They stand in for workers/ in transport's integration tests, with a tiny
// test-only control encoding in place of wire/. Owned by one test thread; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/clock.h"
#include "tests/support/status_matchers.h"
#include "transport/credit_grantor.h"
#include "transport/credit_ledger.h"
#include "transport/custody_table.h"
#include "transport/data_socket.h"
#include "transport/envelope.h"

namespace spikeline::transport::testpeers {

enum : uint8_t { kGrant = 1, kReceived = 2, kHandedOn = 3, kNack = 4 };

inline void putU64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline uint64_t getU64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
  return v;
}
// Control: [type][a u64][b u64]; data: [request id u64][attempt u64][body...].
inline Bytes control(uint8_t type, uint64_t a, uint64_t b) {
  Bytes out{type};
  putU64(out, a);
  putU64(out, b);
  return out;
}

class TestReceiver {
 public:
  TestReceiver(TransportContext& ctx, const Clock& clock, uint64_t incarnation, uint32_t window)
      : grantor_(clock, GrantorOptions{incarnation, window, 300'000'000}) {
    auto socket = makeDataSocket(ctx, SocketRole::kReceiver);
    EXPECT_OK(socket);
    socket_ = std::move(socket).value();
    EXPECT_OK(socket_->bind("tcp://127.0.0.1:*"));
    endpoint_ = socket_->lastEndpoint().valueOr("");
  }
  const std::string& endpoint() const { return endpoint_; }
  bool open() const { return socket_ != nullptr; }
  void close() { socket_.reset(); }

  // Handles every waiting message, waiting up to timeout_ms for the first.
  void pump(int timeout_ms) {
    if (!socket_) return;
    for (Result<Multipart> m = socket_->recv(timeout_ms); m.isOk(); m = socket_->recv(0)) {
      Result<Envelope> e = parseEnvelope(std::move(m).value(), Side::kRouter);
      if (!e.isOk()) continue;
      const std::string sender(e->routing_id.begin(), e->routing_id.end());
      if (e->kind == MessageKind::kHeartbeat) {
        reply(sender, grantMsg(grantor_.onHeard(sender)));
      } else if (e->kind == MessageKind::kData && e->payload.size() >= 16) {
        onData(sender, e->payload);
      }
    }
  }
  // Hands on the oldest held frame: answers `handed-on` and the replenished grant.
  bool completeOne() {
    if (held_.empty() || !socket_) return false;
    auto [sender, id, attempt] = held_.front();
    held_.pop_front();
    reply(sender, control(kHandedOn, id, attempt));
    Result<Grant> g = grantor_.onCompleted(sender);
    if (g.isOk()) reply(sender, grantMsg(*g));
    completed_.push_back(id);
    return true;
  }
  // Application heartbeat: the current grant to every known sender.
  void announceGrants() {
    for (const SenderId& s : grantor_.senders()) {
      Result<Grant> g = grantor_.grantFor(s);
      if (g.isOk()) reply(s, grantMsg(*g));
    }
  }

  bool ack_received = true;  // false: a hung receiver that never answers `received`
  uint32_t max_held = 0;     // most frames of one sender inside at once
  int rejected = 0;          // frames that arrived beyond credit
  size_t arrived = 0;
  const std::vector<RequestId>& completed() const { return completed_; }

 private:
  static Bytes grantMsg(const Grant& g) { return control(kGrant, g.incarnation, g.granted_total); }
  void reply(const std::string& sender, Bytes payload) {
    Envelope e{Bytes(sender.begin(), sender.end()), MessageKind::kControl, std::move(payload)};
    (void)socket_->send(toMultipart(std::move(e), Side::kRouter));
  }
  void onData(const std::string& sender, const Bytes& payload) {
    const RequestId id = getU64(payload, 0);
    const uint64_t attempt = getU64(payload, 8);
    if (!grantor_.onArrived(sender).isOk()) {
      ++rejected;
      reply(sender, control(kNack, id, attempt));
      return;
    }
    ++arrived;
    max_held = std::max(max_held, grantor_.held(sender));
    held_.push_back({sender, id, attempt});
    if (ack_received) reply(sender, control(kReceived, id, attempt));
  }

  struct Held {
    std::string sender;
    RequestId id;
    uint64_t attempt;
  };
  CreditGrantor grantor_;
  std::unique_ptr<DataSocket> socket_;
  std::string endpoint_;
  std::deque<Held> held_;
  std::vector<RequestId> completed_;
};

class TestSender {
 public:
  TestSender(TransportContext& ctx, const Clock& clock, const std::vector<std::string>& endpoints)
      : ledger_(clock), custody_(clock) {
    for (ReplicaId r = 0; r < endpoints.size(); ++r) {
      auto socket = makeDataSocket(ctx, SocketRole::kSender, SocketOptions{"sender-1"});
      EXPECT_OK(socket);
      sockets_.push_back(std::move(socket).value());
      EXPECT_OK(sockets_.back()->connect(endpoints[r]));
      EXPECT_OK(ledger_.addReplica(r));
    }
  }
  // Hello / keep-alive on every replica. Sent until the connection is up (IMMEDIATE).
  void heartbeat() {
    for (auto& s : sockets_) {
      (void)s->send(toMultipart(Envelope{{}, MessageKind::kHeartbeat, {}}, Side::kDealer));
    }
  }
  // Takes custody of a frame. With reject_without_credit, answers kOverloaded instead when no
  // replica has credit (what a client does).
  Status submit(RequestId id, bool reject_without_credit) {
    if (reject_without_credit && ledger_.totalFreeCredit() == 0) {
      return overloaded("no credit anywhere");
    }
    return custody_.hold(id, Bytes{static_cast<uint8_t>(id)});
  }
  // Reads every waiting ack/grant, applies liveness, then sends what custody says is due.
  void pump(int timeout_ms) {
    std::vector<DataSocket*> raw;
    for (auto& s : sockets_) raw.push_back(s.get());
    Result<std::vector<size_t>> ready = pollReadable(raw, timeout_ms);
    if (ready.isOk()) {
      for (size_t r : *ready) drain(static_cast<ReplicaId>(r));
    }
    for (ReplicaId r : ledger_.expireSilent()) custody_.onReplicaDown(r);
    for (const CustodyAction& a : custody_.expired()) act(a);
  }

  std::set<RequestId> handed_on;
  std::vector<Status> failures;
  int no_credit_picks = 0;
  int resends = 0;
  const CreditLedger& ledger() const { return ledger_; }
  const CustodyTable& custody() const { return custody_; }

 private:
  void drain(ReplicaId r) {
    for (Result<Multipart> m = sockets_[r]->recv(0); m.isOk(); m = sockets_[r]->recv(0)) {
      Result<Envelope> e = parseEnvelope(std::move(m).value(), Side::kDealer);
      if (!e.isOk() || e->kind != MessageKind::kControl || e->payload.size() != 17) continue;
      const uint64_t a = getU64(e->payload, 1);
      const uint64_t b = getU64(e->payload, 9);
      const auto attempt = static_cast<uint32_t>(b);
      ledger_.onHeard(r);
      switch (e->payload[0]) {
        case kGrant:
          (void)ledger_.onGrant(r, a, b);
          break;
        case kReceived:
          custody_.onReceived(a, attempt);
          break;
        case kNack:
          custody_.onNack(a, attempt, StatusCode::kOverloaded);
          break;
        case kHandedOn:
          if (custody_.onHandedOn(a, attempt).outcome == AckOutcome::kApplied) {
            ledger_.onReleased(r);
            handed_on.insert(a);
          }
          break;
        default:
          break;
      }
    }
  }
  void act(const CustodyAction& a) {
    if (a.kind == CustodyAction::Kind::kFail) {
      failures.push_back(a.error);
      return;
    }
    Result<ReplicaId> pick = ledger_.pickReplica(a.avoid);
    if (!pick.isOk()) {
      ++no_credit_picks;
      return;
    }
    const CustodyEntry* entry = custody_.find(a.request_id);
    Bytes payload;
    putU64(payload, a.request_id);
    putU64(payload, entry->attempt + 1);
    payload.insert(payload.end(), entry->payload.begin(), entry->payload.end());
    Status sent = sockets_[*pick]->send(
        toMultipart(Envelope{{}, MessageKind::kData, std::move(payload)}, Side::kDealer));
    if (!sent.isOk()) {
      ledger_.markDown(*pick);  // stays pending; picked elsewhere next pump
      custody_.onReplicaDown(*pick);
      return;
    }
    if (!a.avoid.empty()) ++resends;
    EXPECT_OK(ledger_.onSent(*pick));
    EXPECT_OK(custody_.onSent(a.request_id, *pick));
  }

  CreditLedger ledger_;
  CustodyTable custody_;
  std::vector<std::unique_ptr<DataSocket>> sockets_;
};

}  // namespace spikeline::transport::testpeers
