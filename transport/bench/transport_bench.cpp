// transport_bench: round trip of one message over tcp loopback through DataSocket + Envelope
// (DEALER -> ROUTER -> DEALER) against raw cppzmq DEALER/ROUTER doing the same, in one binary,
// so the figure that matters is the ratio. Both ends run in the benchmark thread (no thread
// hand-off in either variant). BM_PairedRatio alternates short blocks of both variants so load
// drift on a shared machine hits both alike; its `ratio` counter is the median block ratio and
// `ratio_of_mins` compares the best blocks. BM_CurveRatio does the same for DataSocket with and
// without CURVE (decision 0010: round-trip per hop), BM_CurveStream the one-way throughput of
// bursts of 64 messages, both variants alternating in one run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <zmq.hpp>

#include "transport/data_socket.h"
#include "transport/envelope.h"

namespace spikeline::transport {
namespace {

template <typename T>
T orDie(Result<T> r) {
  if (!r.isOk()) {
    std::fprintf(stderr, "transport_bench: %s\n", r.status().toString().c_str());
    std::abort();
  }
  return std::move(r).value();
}

void check(const Status& s) {
  if (!s.isOk()) {
    std::fprintf(stderr, "transport_bench: %s\n", s.toString().c_str());
    std::abort();
  }
}

// DataSocket DEALER -> ROUTER echo with the transport Envelope framing.
class DataSocketPair {
 public:
  explicit DataSocketPair(size_t bytes, bool curve = false)
      : ctx_(orDie(makeTransportContext())), request_{{}, MessageKind::kData, Bytes(bytes, 0x5a)} {
    SocketOptions server_options, client_options{"bench"};
    if (curve) {
      const CurveKeyPair server_keys = orDie(generateCurveKeyPair());
      const CurveKeyPair client_keys = orDie(generateCurveKeyPair());
      check(ctx_->authorizeCurveClients({client_keys.public_key}));
      server_options.curve_self = server_keys;
      client_options.curve_self = client_keys;
      client_options.curve_server_key = server_keys.public_key;
    }
    server_ = orDie(makeDataSocket(*ctx_, SocketRole::kReceiver, server_options));
    check(server_->bind("tcp://127.0.0.1:*"));
    client_ = orDie(makeDataSocket(*ctx_, SocketRole::kSender, client_options));
    check(client_->connect(orDie(server_->lastEndpoint())));
    // IMMEDIATE refuses sends until the connection is up.
    while (!client_->send(toMultipart(request_, Side::kDealer)).isOk()) (void)client_->recv(1);
    (void)orDie(server_->recv(-1));
  }
  void roundTrip() {
    check(client_->send(toMultipart(request_, Side::kDealer)));
    Envelope in = orDie(parseEnvelope(orDie(server_->recv(-1)), Side::kRouter));
    in.kind = MessageKind::kControl;
    check(server_->send(toMultipart(std::move(in), Side::kRouter)));
    Envelope back = orDie(parseEnvelope(orDie(client_->recv(-1)), Side::kDealer));
    benchmark::DoNotOptimize(back.payload.data());
  }
  // `n` messages one way, then all of them received (n <= the HWM of 1000).
  void burst(int n) {
    const Multipart parts = toMultipart(request_, Side::kDealer);
    for (int i = 0; i < n; ++i) check(client_->send(parts));
    for (int i = 0; i < n; ++i) benchmark::DoNotOptimize(orDie(server_->recv(-1)).size());
  }

 private:
  std::unique_ptr<TransportContext> ctx_;
  std::unique_ptr<DataSocket> server_;
  std::unique_ptr<DataSocket> client_;
  Envelope request_;
};

// Raw cppzmq DEALER -> ROUTER echo of the same [kind][payload] parts.
class RawPair {
 public:
  explicit RawPair(size_t bytes)
      : ctx_(1),
        server_(ctx_, zmq::socket_type::router),
        client_(ctx_, zmq::socket_type::dealer),
        payload_(bytes, 0x5a) {
    server_.set(zmq::sockopt::linger, 0);
    server_.bind("tcp://127.0.0.1:*");
    client_.set(zmq::sockopt::linger, 0);
    client_.set(zmq::sockopt::routing_id, "bench");
    client_.connect(server_.get(zmq::sockopt::last_endpoint));
  }
  void roundTrip() {
    const uint8_t kind = 0x01;
    (void)client_.send(zmq::const_buffer(&kind, 1), zmq::send_flags::sndmore);
    (void)client_.send(zmq::const_buffer(payload_.data(), payload_.size()), zmq::send_flags::none);
    (void)server_.recv(id_);
    (void)server_.recv(kind_);
    (void)server_.recv(body_);
    (void)server_.send(id_, zmq::send_flags::sndmore);
    (void)server_.send(kind_, zmq::send_flags::sndmore);
    (void)server_.send(body_, zmq::send_flags::none);
    (void)client_.recv(kind_);
    (void)client_.recv(body_);
    benchmark::DoNotOptimize(body_.data());
  }

 private:
  zmq::context_t ctx_;
  zmq::socket_t server_;
  zmq::socket_t client_;
  std::vector<uint8_t> payload_;
  zmq::message_t id_, kind_, body_;
};

template <typename Pair>
void BM_RoundTrip(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  Pair pair(bytes);
  for (auto _ : state) pair.roundTrip();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes * 2));
}

template <typename Pair>
double blockUs(Pair& pair, int round_trips) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < round_trips; ++i) pair.roundTrip();
  const std::chrono::duration<double, std::micro> d = std::chrono::steady_clock::now() - start;
  return d.count() / round_trips;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// One block of `a` then one of `b` per iteration: the per-block µs of each and their ratios.
struct Blocks {
  std::vector<double> a_us, b_us, ratios;
};
template <typename A, typename B>
Blocks alternate(benchmark::State& state, A& a, B& b) {
  constexpr int kBlock = 50;
  Blocks blocks;
  for (auto _ : state) {
    blocks.a_us.push_back(blockUs(a, kBlock));
    blocks.b_us.push_back(blockUs(b, kBlock));
    blocks.ratios.push_back(blocks.a_us.back() / blocks.b_us.back());
  }
  return blocks;
}

void BM_PairedRatio(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  DataSocketPair ds(bytes);
  RawPair raw(bytes);
  const Blocks blocks = alternate(state, ds, raw);
  const std::vector<double>& ds_us = blocks.a_us;
  const std::vector<double>& raw_us = blocks.b_us;
  state.counters["datasocket_us"] = median(ds_us);
  state.counters["raw_us"] = median(raw_us);
  state.counters["ratio"] = median(blocks.ratios);
  // Best blocks: the least-disturbed estimate of the intrinsic cost on a loaded machine.
  const double ds_min = *std::min_element(ds_us.begin(), ds_us.end());
  const double raw_min = *std::min_element(raw_us.begin(), raw_us.end());
  state.counters["datasocket_min_us"] = ds_min;
  state.counters["raw_min_us"] = raw_min;
  state.counters["ratio_of_mins"] = ds_min / raw_min;
}

// CURVE against plaintext, both DataSocket, blocks alternating (decision 0010's cost figures).
void BM_CurveRatio(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  DataSocketPair plain(bytes, false), curve(bytes, true);
  const Blocks blocks = alternate(state, curve, plain);
  state.counters["curve_rtt_us"] = median(blocks.a_us);
  state.counters["plain_rtt_us"] = median(blocks.b_us);
  state.counters["ratio"] = median(blocks.ratios);
}

void BM_CurveStream(benchmark::State& state) {
  constexpr int kBurst = 64;
  const auto bytes = static_cast<size_t>(state.range(0));
  DataSocketPair plain(bytes, false), curve(bytes, true);
  std::vector<double> plain_rate, curve_rate, ratios;
  auto rate = [](DataSocketPair& p) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i) p.burst(kBurst);
    const std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    return 4 * kBurst / d.count();
  };
  for (auto _ : state) {
    const double c = rate(curve);
    const double p = rate(plain);
    curve_rate.push_back(c);
    plain_rate.push_back(p);
    ratios.push_back(c / p);
  }
  state.counters["curve_msg_per_s"] = median(curve_rate);
  state.counters["plain_msg_per_s"] = median(plain_rate);
  state.counters["ratio"] = median(ratios);
}

BENCHMARK(BM_CurveRatio)->Arg(1024)->Arg(8192)->Arg(65536)->Iterations(200)->UseRealTime();
BENCHMARK(BM_CurveStream)->Arg(1024)->Arg(8192)->Arg(65536)->Iterations(200)->UseRealTime();
BENCHMARK_TEMPLATE(BM_RoundTrip, DataSocketPair)->Arg(1024)->Arg(8192)->UseRealTime();
BENCHMARK_TEMPLATE(BM_RoundTrip, RawPair)->Arg(1024)->Arg(8192)->UseRealTime();
BENCHMARK(BM_PairedRatio)->Arg(1024)->Arg(8192)->Iterations(400)->UseRealTime();

}  // namespace
}  // namespace spikeline::transport

BENCHMARK_MAIN();
