#include "transport/zap_handler.h"

#include <zmq.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace spikeline::transport {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr size_t kMaxLoggedPeers = 1024;  // refusals logged once per (address, key), bounded

std::vector<std::string> recvAll(void* socket) {
  std::vector<std::string> parts;
  for (;;) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, socket, 0) < 0) {
      zmq_msg_close(&msg);
      return {};
    }
    parts.emplace_back(static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg));
    const bool more = zmq_msg_more(&msg) != 0;
    zmq_msg_close(&msg);
    if (!more) return parts;
  }
}

void sendAll(void* socket, const std::vector<std::string>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    const int flags = i + 1 < parts.size() ? ZMQ_SNDMORE : 0;
    (void)zmq_send(socket, parts[i].data(), parts[i].size(), flags);
  }
}

class ZapHandlerImpl final : public ZapHandler {
 public:
  ZapHandlerImpl(void* socket, AuthorizedKeys keys) : socket_(socket), keys_(std::move(keys)) {
    thread_ = std::thread([this] { run(); });
  }
  ~ZapHandlerImpl() override { stop(); }

  void setAuthorized(AuthorizedKeys keys) override {
    std::lock_guard<std::mutex> lock(mu_);
    keys_ = std::move(keys);
  }
  uint64_t refusals() const override { return refusals_.load(); }
  uint64_t accepted() const override { return accepted_.load(); }

  void stop() override {
    if (stopping_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
    zmq_close(socket_);
  }

 private:
  void run() {
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    while (!stopping_.load()) {
      if (zmq_poll(&item, 1, 100) <= 0) continue;
      const std::vector<std::string> request = recvAll(socket_);
      // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
      if (request.size() < 6) {
        if (!request.empty())
          sendAll(socket_, {"1.0", request.size() > 1 ? request[1] : "", "500",
                            "malformed ZAP request", "", ""});
        continue;
      }
      sendAll(socket_, answer(request));
    }
  }

  std::vector<std::string> answer(const std::vector<std::string>& request) {
    const std::string& id = request[1];
    const std::string& address = request[3];
    const std::string& mechanism = request[5];
    if (request[0] != "1.0") return {"1.0", id, "500", "unsupported ZAP version", "", ""};
    std::string key;
    if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
      char z85[kCurveKeyChars + 1] = {};
      zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(request[6].data()), 32);
      key = z85;
    }
    bool ok = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ok = !key.empty() && keys_.count(key) > 0;
    }
    if (ok) {
      accepted_.fetch_add(1);
      return {"1.0", id, "200", "OK", key, ""};
    }
    refusals_.fetch_add(1);
    const std::string who = address + " " + (key.empty() ? mechanism : key.substr(0, 8) + "...");
    if (logged_.size() < kMaxLoggedPeers && logged_.insert(who).second) {
      spdlog::warn("refused a {} handshake from {}: {}", mechanism, address,
                   key.empty() ? "no CURVE key (a peer without CURVE, or NULL)"
                               : "public key " + key.substr(0, 8) + "... is not authorised");
    }
    return {"1.0", id, "400", "not authorised", "", ""};
  }

  void* socket_;  // REP, used by the thread only after construction
  std::mutex mu_;
  AuthorizedKeys keys_;           // under mu_
  std::set<std::string> logged_;  // thread only
  std::atomic<uint64_t> refusals_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<ZapHandler>> startZapHandler(void* zmq_context, AuthorizedKeys keys) {
  void* socket = zmq_socket(zmq_context, ZMQ_REP);
  if (socket == nullptr) {
    return unavailable(std::string("ZAP socket: ") + zmq_strerror(zmq_errno()));
  }
  const int linger = 0;
  (void)zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof(linger));
  if (zmq_bind(socket, kZapEndpoint) != 0) {
    const int err = zmq_errno();
    zmq_close(socket);
    if (err == EADDRINUSE) return alreadyExists("this context already has a ZAP handler");
    return unavailable(std::string("ZAP bind: ") + zmq_strerror(err));
  }
  return std::unique_ptr<ZapHandler>(std::make_unique<ZapHandlerImpl>(socket, std::move(keys)));
}

}  // namespace spikeline::transport
