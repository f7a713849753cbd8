// RawChain (bench_pipeline.h): the raw ZeroMQ baseline, K forwarding hops and nothing else.
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "workers/bench/bench_pipeline.h"

namespace spikeline::bench {
namespace {

using Steady = std::chrono::steady_clock;

std::string boundEndpoint(void* socket) {
  char buf[256];
  size_t len = sizeof(buf);
  zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, buf, &len);
  return std::string(buf);
}

struct Hop {
  void* context = nullptr;
  void* in = nullptr;
  void* out = nullptr;
  std::thread thread;
};

void forward(void* in, void* out) {
  for (;;) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, in, 0) < 0) {
      zmq_msg_close(&msg);
      return;  // ETERM: shutting down
    }
    if (zmq_msg_send(&msg, out, 0) < 0) {
      zmq_msg_close(&msg);
      return;
    }
  }
}

}  // namespace

struct RawChain::Impl {
  std::vector<Hop> hops;
  void* context = nullptr;
  void* push = nullptr;
  void* pull = nullptr;
};

Result<std::unique_ptr<RawChain>> RawChain::start(int hops) {
  auto chain = std::make_unique<RawChain>();
  chain->impl_ = std::make_unique<Impl>();
  Impl& im = *chain->impl_;
  im.context = zmq_ctx_new();
  im.pull = zmq_socket(im.context, ZMQ_PULL);
  if (zmq_bind(im.pull, "tcp://127.0.0.1:*") != 0) return internalError("raw chain bind");
  std::string next = boundEndpoint(im.pull);
  im.hops.resize(size_t(hops));
  for (int k = hops; k-- > 0;) {  // last hop first: it pushes to the client
    Hop& h = im.hops[size_t(k)];
    h.context = zmq_ctx_new();
    h.in = zmq_socket(h.context, ZMQ_PULL);
    h.out = zmq_socket(h.context, ZMQ_PUSH);
    if (zmq_bind(h.in, "tcp://127.0.0.1:*") != 0 || zmq_connect(h.out, next.c_str()) != 0) {
      return internalError("raw chain hop setup");
    }
    next = boundEndpoint(h.in);
    void* in = h.in;
    void* out = h.out;
    h.thread = std::thread([in, out] { forward(in, out); });
  }
  im.push = zmq_socket(im.context, ZMQ_PUSH);
  if (zmq_connect(im.push, next.c_str()) != 0) return internalError("raw chain connect");
  (void)chain->latency(64, 10);  // connections up before measuring
  return chain;
}

RawChain::~RawChain() {
  if (impl_ == nullptr) return;
  for (Hop& h : impl_->hops) zmq_ctx_shutdown(h.context);
  for (Hop& h : impl_->hops) {
    h.thread.join();
    int zero = 0;
    zmq_setsockopt(h.in, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(h.out, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_close(h.in);
    zmq_close(h.out);
    zmq_ctx_term(h.context);
  }
  int zero = 0;
  zmq_setsockopt(impl_->push, ZMQ_LINGER, &zero, sizeof(zero));
  zmq_close(impl_->push);
  zmq_close(impl_->pull);
  zmq_ctx_term(impl_->context);
}

double RawChain::throughput(size_t bytes, size_t window, double seconds) {
  std::vector<uint8_t> payload(bytes, 0x5a);
  std::vector<uint8_t> sink(bytes + 64);
  size_t outstanding = 0;
  uint64_t done = 0;
  const auto start = Steady::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  while (Steady::now() < until) {
    while (outstanding < window) {
      zmq_send(impl_->push, payload.data(), payload.size(), 0);
      ++outstanding;
    }
    if (zmq_recv(impl_->pull, sink.data(), sink.size(), 0) >= 0) {
      --outstanding;
      ++done;
    }
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  for (; outstanding > 0; --outstanding) zmq_recv(impl_->pull, sink.data(), sink.size(), 0);
  return double(done) / elapsed;
}

Figures RawChain::latency(size_t bytes, size_t n) {
  std::vector<uint8_t> payload(bytes, 0x5a);
  std::vector<uint8_t> sink(bytes + 64);
  std::vector<double> us;
  for (size_t i = 0; i < n; ++i) {
    const auto t0 = Steady::now();
    zmq_send(impl_->push, payload.data(), payload.size(), 0);
    zmq_recv(impl_->pull, sink.data(), sink.size(), 0);
    us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return Figures{0, us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

}  // namespace spikeline::bench
