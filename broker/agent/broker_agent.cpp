#include "broker/agent/broker_agent.h"

#include <atomic>
#include <cstdio>
#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/agent/detail/zmq_io.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

// A routing id unique to this agent: the worker's name plus 64 random bits, so a second process
// started under the same name is a different connection to the broker, never a handover of
// this one (docs/decisions/0008).
std::string sessionRoutingId(const std::string& name) {
  std::random_device rd;
  const uint64_t bits = (uint64_t{rd()} << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(bits));
  return name + "/" + hex;
}

std::string bytesOf(const wire::Message& m) {
  auto buf = wire::encode(m);
  if (!buf) return {};
  return std::string(reinterpret_cast<const char*>(buf->bytes().data()), buf->size());
}

class BrokerAgentImpl final : public BrokerAgent {
 public:
  BrokerAgentImpl(AgentOptions options, AgentCallbacks callbacks)
      : options_(std::move(options)),
        callbacks_(std::move(callbacks)),
        context_(1),
        dealer_(context_, zmq::socket_type::dealer),
        sub_(context_, zmq::socket_type::sub),
        inner_(context_, zmq::socket_type::pair),
        outer_(context_, zmq::socket_type::pair) {
    const std::string inproc = "inproc://broker-agent";
    for (auto* s : {&sub_, &inner_, &outer_}) s->set(zmq::sockopt::linger, 0);
    dealer_.set(zmq::sockopt::linger, 300);  // lets a Deregister leave on stop()
    dealer_.set(zmq::sockopt::maxmsgsize, kMaxControlFrameBytes);
    sub_.set(zmq::sockopt::maxmsgsize, kMaxControlFrameBytes);
    dealer_.set(zmq::sockopt::routing_id, sessionRoutingId(options_.self.worker.name));
    sub_.set(zmq::sockopt::subscribe, kTagRoutes);
    for (zmq::socket_t* s : {&dealer_, &sub_}) {
      Status curve = transport::applyCurveClient(s->handle(), options_.curve.self,
                                                 options_.curve.broker_public_key);
      if (!curve.isOk()) throw std::invalid_argument(curve.message());
    }
    inner_.bind(inproc);
    outer_.connect(inproc);
    dealer_.connect(options_.broker_endpoint);
    sub_.connect(options_.routes_endpoint);
    thread_ = std::thread([this] { run(); });
  }
  ~BrokerAgentImpl() override { stop("agent destroyed", true); }

  wire::RouteTable routes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return routes_;
  }
  std::optional<Assignment> assignment() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return assignment_;
  }
  bool connected() const override { return connected_.load(); }
  std::string refusal() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return refusal_;
  }

  void reportFault(const wire::HardwareFault& fault) override {
    command({"fault", bytesOf(wire::Message{fault})});
  }
  void setLoad(float load, wire::BackendHealth health) override {
    std::lock_guard<std::mutex> lock(mu_);
    load_ = load;
    health_ = health;
  }
  void pauseHeartbeats(bool paused) override { paused_.store(paused); }

  void stop(const std::string& reason, bool deregister) override {
    if (stopped_.exchange(true)) return;
    command({deregister ? "stop" : "abandon", reason});
    if (thread_.joinable()) thread_.join();
  }

 private:
  void command(const Parts& parts) {
    std::lock_guard<std::mutex> lock(outer_mu_);
    detail::sendParts(outer_, parts);
  }

  void sendWire(const wire::Message& m) { detail::sendParts(dealer_, {kTagWire, bytesOf(m)}); }

  void registerSelf() {
    Parts parts{kTagWire, bytesOf(wire::Message{options_.self})};
    if (options_.replace) parts.push_back(R"({"replace":true})");
    detail::sendParts(dealer_, parts);
    requestSnapshot();
  }
  void requestSnapshot() { detail::sendParts(dealer_, {kTagAdmin, R"({"op":"routes","id":0})"}); }

  void heartbeat() {
    wire::Heartbeat hb;
    hb.worker = options_.self.worker;
    hb.seq = ++seq_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hb.load = load_;
      hb.health = health_;
    }
    sendWire(wire::Message{hb});
  }

  void applyRoutes(const std::string& bytes) {
    auto table = decodeRouteTable(bytes);
    if (!table) return;
    bool gap = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (table->epoch <= routes_.epoch) return;  // stale or repeated
      gap = routes_.epoch != 0 && table->epoch > routes_.epoch + 1;
      routes_ = *table;
    }
    connected_.store(true);
    if (gap) requestSnapshot();  // Clone: missed updates; the snapshot confirms the latest
    if (callbacks_.on_routes) callbacks_.on_routes(*table);
  }

  void onDealer(const Parts& parts) {
    if (parts.empty()) return;
    if (parts[0] == kTagAssign) {
      auto a = decodeAssignment(parts);
      if (!a) return;
      connected_.store(true);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (assignment_ == *a) return;
        assignment_ = *a;
      }
      if (callbacks_.on_assignment) callbacks_.on_assignment(*a);
    } else if (parts[0] == kTagInject) {
      auto f = decodeInjectFault(parts);
      Status applied = !f ? f.status()
                       : callbacks_.on_inject_fault
                           ? callbacks_.on_inject_fault(*f)
                           : unimplemented("this worker does not take injected faults");
      if (const uint64_t ticket = injectTicket(parts); ticket != 0) {
        detail::sendParts(dealer_, encodeInjectResult({ticket, applied}));
      }
    } else if (parts[0] == kTagReply && parts.size() >= 2) {
      onReply(parts);
    }
  }

  void onReply(const Parts& parts) {
    auto reply = nlohmann::json::parse(parts[1], nullptr, false);
    if (!reply.is_object()) return;
    auto code = reply.find("code");
    if (code != reply.end() && code->is_string() && *code == "not_found") {
      if (!refused_.load()) registerSelf();  // the broker lost us, or we were deregistered
      return;
    }
    // already_exists: another live session holds the name; invalid_argument: the registration
    // itself is refused (e.g. no data-port key for a CURVE broker). Either way, stop claiming.
    if (code != reply.end() && code->is_string() &&
        (*code == "already_exists" || *code == "invalid_argument")) {
      onRefused(reply.value("message", std::string("refused by the broker")));
      return;
    }
    if (parts.size() >= 3) applyRoutes(parts[2]);
  }

  // Another live session holds our name: stop claiming it (no heartbeats, no re-registering).
  void onRefused(const std::string& message) {
    if (refused_.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      refusal_ = message;
    }
    if (callbacks_.on_refused) callbacks_.on_refused(message);
  }

  // Returns false when the thread should end.
  bool onCommand(const Parts& parts) {
    if (parts.empty()) return true;
    if (parts[0] == "fault" && parts.size() == 2) {
      detail::sendParts(dealer_, {kTagWire, parts[1]});
      return true;
    }
    if (parts[0] == "stop" && !refused_.load()) {
      sendWire(
          wire::Message{wire::Deregister{options_.self.worker, parts.size() > 1 ? parts[1] : ""}});
    }
    return parts[0] != "stop" && parts[0] != "abandon";
  }

  void run() {
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::nanoseconds(options_.heartbeat_interval_ns);
    registerSelf();
    auto next_beat = Clock::now() + interval;
    zmq::pollitem_t items[] = {{dealer_.handle(), 0, ZMQ_POLLIN, 0},
                               {sub_.handle(), 0, ZMQ_POLLIN, 0},
                               {inner_.handle(), 0, ZMQ_POLLIN, 0}};
    while (true) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_beat - Clock::now());
      try {
        zmq::poll(items, 3, std::max(wait, std::chrono::milliseconds(0)));
      } catch (const zmq::error_t&) {
        return;
      }
      while (auto p = detail::recvParts(dealer_)) onDealer(*p);
      while (auto p = detail::recvParts(sub_)) {
        if (p->size() >= 2) applyRoutes((*p)[1]);
      }
      while (auto p = detail::recvParts(inner_)) {
        if (!onCommand(*p)) return;
      }
      if (Clock::now() >= next_beat) {
        if (!paused_.load() && !refused_.load()) heartbeat();
        next_beat += interval;
        if (next_beat < Clock::now()) next_beat = Clock::now() + interval;
      }
    }
  }

  AgentOptions options_;
  AgentCallbacks callbacks_;
  zmq::context_t context_;
  zmq::socket_t dealer_;  // agent thread
  zmq::socket_t sub_;     // agent thread
  zmq::socket_t inner_;   // agent thread
  zmq::socket_t outer_;   // callers, under outer_mu_
  std::mutex outer_mu_;
  mutable std::mutex mu_;  // guards the fields below
  wire::RouteTable routes_;
  std::optional<Assignment> assignment_;
  float load_ = 0.0f;
  wire::BackendHealth health_ = wire::BackendHealth::kHealthy;
  uint64_t seq_ = 0;  // agent thread only
  std::atomic<bool> connected_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> refused_{false};  // the broker refused our session
  std::string refusal_;               // guarded by mu_
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<BrokerAgent>> startBrokerAgent(const AgentOptions& options,
                                                      AgentCallbacks callbacks) {
  if (options.broker_endpoint.empty() || options.routes_endpoint.empty()) {
    return invalidArgument("broker agent: broker and routes endpoints are required");
  }
  if (options.self.worker.name.empty()) return invalidArgument("broker agent: worker name empty");
  if (options.heartbeat_interval_ns <= 0) return invalidArgument("broker agent: interval <= 0");
  try {
    return std::unique_ptr<BrokerAgent>(
        std::make_unique<BrokerAgentImpl>(options, std::move(callbacks)));
  } catch (const zmq::error_t& e) {
    return invalidArgument(std::string("broker agent: ") + e.what());
  } catch (const std::invalid_argument& e) {  // CURVE options (a malformed broker key)
    return invalidArgument(std::string("broker agent: ") + e.what());
  }
}

const wire::ModelRoute* findModelRoute(const wire::RouteTable& table, const ModelRef& model) {
  for (const auto& m : table.models) {
    if (m.model == model) return &m;
  }
  return nullptr;
}

}  // namespace spikeline::broker
