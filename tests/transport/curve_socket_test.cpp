// CURVE on data sockets over tcp loopback (docs/decisions/0010): a receiver lets in only senders
// whose public key its context authorised (ZAP), and a sender reaches only the server whose key
// it was given. Refused peers never get a message through.
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "transport/curve.h"
#include "transport/data_socket.h"
#include "transport/envelope.h"
#include "transport/zap_handler.h"

namespace spikeline::transport {
namespace {

CurveKeyPair keys() {
  auto k = generateCurveKeyPair();
  EXPECT_OK(k);
  return *k;
}

struct Receiver {
  std::unique_ptr<TransportContext> context;
  std::unique_ptr<DataSocket> socket;
  std::string endpoint;
};

Receiver curveReceiver(const CurveKeyPair& server, const AuthorizedKeys& allowed) {
  Receiver r;
  r.context = std::move(makeTransportContext()).value();
  EXPECT_OK(r.context->authorizeCurveClients(allowed));
  SocketOptions so;
  so.curve_self = server;
  r.socket = std::move(makeDataSocket(*r.context, SocketRole::kReceiver, so)).value();
  EXPECT_OK(r.socket->bind("tcp://127.0.0.1:*"));
  r.endpoint = *r.socket->lastEndpoint();
  return r;
}

// Sends `payload` from a sender with `self` expecting `server_key` (empty self: plaintext);
// true when the receiver got it within `wait_ms`.
bool delivered(Receiver& r, const CurveKeyPair& self, const std::string& server_key,
               const std::string& payload, int wait_ms = 600) {
  auto ctx = std::move(makeTransportContext()).value();
  SocketOptions so{"sender"};
  so.curve_self = self;
  so.curve_server_key = server_key;
  auto sender = makeDataSocket(*ctx, SocketRole::kSender, so);
  EXPECT_OK(sender);
  EXPECT_OK((*sender)->connect(r.endpoint));
  const Envelope e{{}, MessageKind::kData, Bytes(payload.begin(), payload.end())};
  // IMMEDIATE: nothing is queued until a handshake completes, so keep offering it.
  for (int waited = 0; waited < wait_ms; waited += 10) {
    (void)(*sender)->send(toMultipart(e, Side::kDealer));
    auto got = r.socket->recv(10);
    if (!got.isOk()) continue;
    auto in = parseEnvelope(std::move(got).value(), Side::kRouter);
    if (in.isOk() && in->payload == e.payload) return true;
  }
  return false;
}

TEST(CurveSocketTest, OnlyAuthorisedSendersReachACurveReceiver) {
  const CurveKeyPair server = keys(), allowed = keys(), stranger = keys();
  Receiver r = curveReceiver(server, {allowed.public_key});
  EXPECT_TRUE(delivered(r, allowed, server.public_key, "from an authorised key", 5000));
  EXPECT_FALSE(delivered(r, stranger, server.public_key, "from a stranger"))
      << "a key the receiver did not authorise must not get a message through";
  EXPECT_FALSE(delivered(r, CurveKeyPair{}, "", "plaintext"))
      << "a plaintext sender must not get through to a CURVE receiver";
  EXPECT_TRUE(delivered(r, allowed, server.public_key, "authorised again", 5000));
}

TEST(CurveSocketTest, ASenderReachesOnlyTheServerWhoseKeyItWasGiven) {
  const CurveKeyPair server = keys(), impostor = keys(), client = keys();
  // The impostor listens where the client expects `server`: the handshake fails (the impostor
  // cannot prove it holds server's secret), so nothing is sent to it.
  Receiver fake = curveReceiver(impostor, {client.public_key});
  EXPECT_FALSE(delivered(fake, client, server.public_key, "meant for server"));
}

TEST(CurveSocketTest, AuthorisedKeysCanBeReplacedWhileServing) {
  const CurveKeyPair server = keys(), old_key = keys(), new_key = keys();
  Receiver r = curveReceiver(server, {old_key.public_key});
  EXPECT_TRUE(delivered(r, old_key, server.public_key, "old", 5000));
  ASSERT_OK(r.context->authorizeCurveClients({new_key.public_key}));
  EXPECT_TRUE(delivered(r, new_key, server.public_key, "new", 5000));
  EXPECT_FALSE(delivered(r, old_key, server.public_key, "old after rotation"));
}

TEST(CurveSocketTest, AMalformedServerKeyIsRefusedBeforeConnecting) {
  auto ctx = std::move(makeTransportContext()).value();
  SocketOptions so;
  so.curve_self = keys();
  so.curve_server_key = "not-a-key";
  auto sender = makeDataSocket(*ctx, SocketRole::kSender, so);
  ASSERT_FALSE(sender.isOk());
  EXPECT_EQ(sender.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sender.status().message().find("CURVE public key"), std::string::npos);
}

TEST(CurveSocketTest, OneZapHandlerPerContext) {
  auto ctx = std::move(makeTransportContext()).value();
  ASSERT_OK_AND_ASSIGN(auto zap, startZapHandler(ctx->nativeHandle(), {}));
  auto second = startZapHandler(ctx->nativeHandle(), {});
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists);
  zap->stop();
}

}  // namespace
}  // namespace spikeline::transport
