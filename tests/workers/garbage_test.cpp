// A worker fed garbage on its data port logs, answers errors where it can, and keeps serving.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>

#include "metrics/probe_server.h"
#include "tests/support/proc_status.h"
#include "tests/support/status_matchers.h"
#include "tests/workers/pipeline_fixture.h"
#include "transport/data_socket.h"
#include "transport/envelope.h"
#include "wire/codec.h"
#include "workers/protocol.h"

namespace spikeline::testing {
namespace {

using transport::Bytes;
using transport::MessageKind;

Bytes frameBytes(const std::string& stage, OperatorId target, RequestId id) {
  wire::SpikeFrame f;
  f.request_id = id;
  f.model = ModelRef{"fmnist-scnn", 1};
  f.target = target;
  f.stage = stage;
  f.attempt = 1;
  f.deadline_ns = makeSystemClock()->wallNs() + 10'000'000'000;
  f.payload = imageInput(id);
  auto bytes = workers::encodeBytes(f);
  EXPECT_TRUE(bytes.isOk());
  return bytes.valueOr({});
}

// Reads control messages from `s` for up to timeout_ms; returns the nacks seen.
std::vector<wire::Ack> nacks(transport::DataSocket& s, int timeout_ms) {
  std::vector<wire::Ack> out;
  for (auto m = s.recv(timeout_ms); m.isOk(); m = s.recv(timeout_ms)) {
    auto e = transport::parseEnvelope(std::move(m).value(), transport::Side::kDealer);
    if (!e.isOk() || e->kind != MessageKind::kControl) continue;
    auto msg = wire::decode(e->payload);
    if (!msg.isOk()) continue;
    if (const auto* ack = std::get_if<wire::Ack>(&*msg)) {
      if (ack->kind == wire::AckKind::kNack) out.push_back(*ack);
    }
  }
  return out;
}

TEST(GarbageTest, WorkerSurvivesGarbageAndStillServes) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  ASSERT_OK_AND_ASSIGN(auto ctx, transport::makeTransportContext(1));
  ASSERT_OK_AND_ASSIGN(auto raw, transport::makeDataSocket(*ctx, transport::SocketRole::kSender,
                                                           transport::SocketOptions{"vandal"}));
  ASSERT_OK(raw->connect(p.endpoint("mono")));
  // Wait for the connection (IMMEDIATE refuses sends until it is up).
  for (int i = 0; i < 200 && !raw->send({Bytes{uint8_t(MessageKind::kHeartbeat)}}).isOk(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 50; ++i) {  // random bytes as data frames, and as bare parts
    Bytes junk(size_t(rng() % 300 + 1));
    for (auto& b : junk) b = uint8_t(rng());
    (void)raw->send({Bytes{uint8_t(MessageKind::kData)}, junk});
    (void)raw->send({junk, junk, junk});
    (void)raw->send({Bytes{0x7f}, junk});
  }
  const Bytes good = frameBytes("encoder", p.topology().stages.empty()
                                               ? OperatorId{}
                                               : p.topology().findOperator("encode")->id, 77);
  for (size_t cut : {size_t(1), size_t(8), good.size() / 2, good.size() - 8}) {  // truncated
    (void)raw->send({Bytes{uint8_t(MessageKind::kData)}, Bytes(good.begin(), good.begin() + cut)});
  }
  // A well-formed frame for an operator this worker does not host.
  (void)raw->send({Bytes{uint8_t(MessageKind::kData)},
                   frameBytes("features", p.topology().findOperator("conv1")->id, 78)});
  const std::vector<wire::Ack> seen = nacks(*raw, 1500);
  bool not_hosted = false;
  int malformed = 0;
  for (const wire::Ack& a : seen) {
    if (a.request_id == 78 && a.code == StatusCode::kInvalidArgument) not_hosted = true;
    if (a.request_id == 0 && a.code == StatusCode::kInvalidArgument) ++malformed;
  }
  EXPECT_TRUE(not_hosted) << "no nack(invalid_argument) for the unhosted operator";
  EXPECT_GE(malformed, 50) << "undecodable frames should be answered with nack(invalid_argument)";
  // Still serving: a good request through the client succeeds and matches the reference.
  const Tensor input = imageInput(5);
  RequestId id = 0;
  std::promise<Result<client::InferenceResult>> done;
  id = p.client().submit(p.topology().model, input, client::deadlineAfterMs(p.clock(), 10'000),
                         [&](RequestId, Result<client::InferenceResult> r) {
                           done.set_value(std::move(r));
                         });
  auto fut = done.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  Result<client::InferenceResult> r = fut.get();
  ASSERT_OK(r);
  EXPECT_TRUE(r->output == p.reference(input, id));
  EXPECT_EQ(r->trace.size(), 1u);  // monolith: one hop
  EXPECT_NE(p.logOf("mono").find("malformed"), std::string::npos);
  EXPECT_EQ(::kill(p.worker("mono").pid(), 0), 0) << "the worker died";
}

// A request whose deadline has passed gets exactly one explicit deadline_exceeded, never silence.
TEST(DeadlineTest, PastDeadlineRequestGetsDeadlineExceededOnce) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  std::mutex mu;
  std::map<RequestId, std::vector<StatusCode>> outcomes;
  for (int i = 0; i < 10; ++i) {  // within the first stage's credit (16)
    p.client().submit(p.topology().model, imageInput(uint64_t(i)), p.clock().wallNs() - 1'000'000,
                      [&](RequestId id, Result<client::InferenceResult> r) {
                        std::lock_guard<std::mutex> lock(mu);
                        outcomes[id].push_back(r.isOk() ? StatusCode::kOk : r.status().code());
                      });
  }
  const auto answered = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return outcomes.size() == 10u;
  };
  ASSERT_TRUE(harness::waitUntil(answered, 10'000)) << "not every request was answered";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a window for late duplicates
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(outcomes.size(), 10u);
  for (const auto& [id, codes] : outcomes) {
    ASSERT_EQ(codes.size(), 1u) << "request " << id;
    EXPECT_EQ(codes[0], StatusCode::kDeadlineExceeded) << "request " << id;
  }
}

// A request the stage rejects (wrong input shape) gets invalid_argument, once, and the worker
// keeps serving.
TEST(GarbageTest, WrongInputShapeComesBackAsInvalidArgument) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  auto bad = p.client().submit(p.topology().model, DenseTensor(Shape{3, 5}, 1, DType::kFloat32),
                               client::deadlineAfterMs(p.clock(), 10'000));
  ASSERT_EQ(bad.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_STATUS_CODE(bad.get(), StatusCode::kInvalidArgument);
  auto good = p.client().submit(p.topology().model, imageInput(1),
                                client::deadlineAfterMs(p.clock(), 10'000));
  ASSERT_EQ(good.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_OK(good.get());
}

// Precision (issue 14): a float32 model given int32 values gets invalid_argument naming both,
// before any compute, once, and the worker keeps serving.
TEST(GarbageTest, DenseValuesOfAnotherPrecisionComeBackAsInvalidArgument) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"},
                        SPIKELINE_SOURCE_DIR "/topology/models/fmnist_scnn_f32.yaml");
  ASSERT_EQ(p.topology().precision, Precision::kFloat32);
  auto bad = p.client().submit(p.topology().model,
                               DenseTensor(Shape{1, 28, 28}, 1, std::vector<int32_t>(784, 512)),
                               client::deadlineAfterMs(p.clock(), 10'000));
  ASSERT_EQ(bad.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto r = bad.get();
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(
                "stage input: int32 values, op 'encode' (float32) takes float32 values"),
            std::string::npos)
      << r.status();
  auto good = p.client().submit(p.topology().model, imageInput(1),
                                client::deadlineAfterMs(p.clock(), 10'000));
  ASSERT_EQ(good.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_OK(good.get());
}

// The worker's own deadline check: a frame past its deadline gets an error reply to its reply-to
// and `received` + `handed-on` upstream (its explicit outcome is given), not compute.
TEST(DeadlineTest, WorkerRepliesDeadlineExceededToTheReplyAddress) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  ASSERT_OK_AND_ASSIGN(auto ctx, transport::makeTransportContext(1));
  ASSERT_OK_AND_ASSIGN(auto reply, transport::makeDataSocket(*ctx, transport::SocketRole::kReceiver));
  ASSERT_OK(reply->bind("tcp://127.0.0.1:*"));
  ASSERT_OK_AND_ASSIGN(auto up, transport::makeDataSocket(*ctx, transport::SocketRole::kSender,
                                                          transport::SocketOptions{"upstream"}));
  ASSERT_OK(up->connect(p.endpoint("mono")));
  for (int i = 0; i < 200 && !up->send({Bytes{uint8_t(MessageKind::kHeartbeat)}}).isOk(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  wire::SpikeFrame f;
  f.request_id = 91;
  f.model = p.topology().model;
  f.target = p.topology().findOperator("encode")->id;
  f.stage = "encoder";
  f.attempt = 1;
  f.deadline_ns = p.clock().wallNs() - 1'000'000;
  ASSERT_OK_AND_ASSIGN(f.reply_to, reply->lastEndpoint());
  f.payload = imageInput(91);
  ASSERT_OK_AND_ASSIGN(Bytes bytes, workers::encodeBytes(f));
  ASSERT_OK(up->send({Bytes{uint8_t(MessageKind::kData)}, bytes}));
  ASSERT_OK_AND_ASSIGN(transport::Multipart m, reply->recv(5000));
  ASSERT_OK_AND_ASSIGN(transport::Envelope e, transport::parseEnvelope(m, transport::Side::kRouter));
  ASSERT_OK_AND_ASSIGN(wire::Message msg, wire::decode(e.payload));
  ASSERT_TRUE(std::holds_alternative<wire::ErrorReply>(msg));
  EXPECT_EQ(std::get<wire::ErrorReply>(msg).request_id, 91u);
  EXPECT_EQ(std::get<wire::ErrorReply>(msg).code, StatusCode::kDeadlineExceeded);
  bool handed_on = false;
  for (auto a = up->recv(2000); a.isOk() && !handed_on; a = up->recv(2000)) {
    auto env = transport::parseEnvelope(std::move(a).value(), transport::Side::kDealer);
    auto dec = env.isOk() ? wire::decode(env->payload) : Result<wire::Message>(internalError("x"));
    const auto* ack = dec.isOk() ? std::get_if<wire::Ack>(&*dec) : nullptr;
    handed_on = ack != nullptr && ack->request_id == 91 && ack->kind == wire::AckKind::kHandedOn;
  }
  EXPECT_TRUE(handed_on);
}

// A frame whose reply_to nobody can use (malformed, or nothing listens there) is computed and
// its result dropped, as before, but no longer silently: each address is logged once and every
// drop is counted in spikeline_worker_unusable_reply_to_total (issue 14).
TEST(GarbageTest, AnUnusableReplyToIsLoggedOncePerAddressAndCounted) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu", "--metrics", "127.0.0.1:0"});
  const std::string metrics_at = p.worker("mono").endpoint("metrics");  // from its READY line
  ASSERT_FALSE(metrics_at.empty()) << p.worker("mono").ready().format();
  ASSERT_OK_AND_ASSIGN(auto ctx, transport::makeTransportContext(1));
  ASSERT_OK_AND_ASSIGN(auto up, transport::makeDataSocket(*ctx, transport::SocketRole::kSender,
                                                          transport::SocketOptions{"upstream"}));
  ASSERT_OK(up->connect(p.endpoint("mono")));
  for (int i = 0; i < 200 && !up->send({Bytes{uint8_t(MessageKind::kHeartbeat)}}).isOk(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::vector<std::string> addresses{"tcp://127.0.0.1:9", "not an endpoint"};
  RequestId id = 200;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& reply_to : addresses) {
      wire::SpikeFrame f;
      f.request_id = ++id;
      f.model = p.topology().model;
      f.target = p.topology().findOperator("encode")->id;
      f.stage = "encoder";
      f.attempt = 1;
      f.deadline_ns = p.clock().wallNs() + 1'000'000'000;
      f.reply_to = reply_to;
      f.payload = imageInput(id);
      ASSERT_OK_AND_ASSIGN(Bytes bytes, workers::encodeBytes(f));
      ASSERT_OK(up->send({Bytes{uint8_t(MessageKind::kData)}, bytes}));
    }
  }
  // The unreachable address counts when custody gives its results up, at their deadline.
  double dropped = 0;
  for (int i = 0; i < 100 && dropped < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto text = metrics::fetchProbe(metrics_at, "/metrics", 1000);
    ASSERT_OK(text.status());
    std::smatch m;
    if (std::regex_search(text->body, m,
                          std::regex("\nspikeline_worker_unusable_reply_to_total (\\S+)"))) {
      dropped = std::stod(m[1].str());
    }
  }
  EXPECT_EQ(dropped, 6);
  const std::string after = p.logOf("mono");
  for (const std::string& reply_to : addresses) {
    const std::string line = "reply_to '" + reply_to + "' unusable";
    size_t count = 0;
    for (size_t at = after.find(line); at != std::string::npos; at = after.find(line, at + 1)) ++count;
    EXPECT_EQ(count, 1u) << line << "\n" << after;
  }
  // And it still serves.
  auto good = p.client().submit(p.topology().model, imageInput(1),
                                client::deadlineAfterMs(p.clock(), 10'000));
  ASSERT_EQ(good.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_OK(good.get());
}

// A frame 4x over the data port's cap (ZMQ_MAXMSGSIZE, 64 MiB) drops the sender's connection
// before it is buffered: the worker's peak RSS grows by less than 64 MiB and it keeps serving
// (issue 14; the client library's reply socket is the same transport::DataSocket).
TEST(GarbageTest, OversizedFrameOnTheDataPortIsDroppedWithRssBounded) {
  PipelineFixture p;
  p.startMonolithWorker({"--backend", "cpu"});
  const pid_t pid = p.worker("mono").pid();
  const long before_kib = rssKiB(pid, "VmHWM");
  ASSERT_GT(before_kib, 0);
  {
    ASSERT_OK_AND_ASSIGN(auto ctx, transport::makeTransportContext(1));
    ASSERT_OK_AND_ASSIGN(auto raw, transport::makeDataSocket(*ctx, transport::SocketRole::kSender,
                                                             transport::SocketOptions{"bulky"}));
    ASSERT_OK(raw->connect(p.endpoint("mono")));
    for (int i = 0; i < 200 && !raw->send({Bytes{uint8_t(MessageKind::kHeartbeat)}}).isOk(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Bytes huge(size_t{256} << 20, 0x5a);
    ASSERT_OK(raw->send({Bytes{uint8_t(MessageKind::kData)}, std::move(huge)}));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  }
  const long peak_kib = rssKiB(pid, "VmHWM");
  std::cout << "worker peak RSS " << before_kib << " KiB -> " << peak_kib << " KiB\n";
  EXPECT_LT(peak_kib - before_kib, 64 * 1024);
  auto good = p.client().submit(p.topology().model, imageInput(1),
                                client::deadlineAfterMs(p.clock(), 10'000));
  ASSERT_EQ(good.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_OK(good.get());
}

}  // namespace
}  // namespace spikeline::testing
