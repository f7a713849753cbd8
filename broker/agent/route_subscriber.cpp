#include "broker/agent/route_subscriber.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <variant>

#include "broker/agent/admin_client.h"
#include "broker/agent/detail/zmq_io.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

class RouteSubscriberImpl final : public RouteSubscriber {
 public:
  RouteSubscriberImpl(RouteSubscriberOptions options,
                      std::function<void(const wire::RouteTable&)> on_newer)
      : options_(std::move(options)),
        on_newer_(std::move(on_newer)),
        context_(1),
        sub_(context_, zmq::socket_type::sub) {
    sub_.set(zmq::sockopt::linger, 0);
    sub_.set(zmq::sockopt::maxmsgsize, kMaxControlFrameBytes);
    sub_.set(zmq::sockopt::subscribe, kTagRoutes);
    Status curve = transport::applyCurveClient(sub_.handle(), options_.curve.self,
                                               options_.curve.broker_public_key);
    if (!curve.isOk()) throw std::invalid_argument(curve.message());
    sub_.connect(options_.routes_endpoint);
    thread_ = std::thread([this] { run(); });
  }
  ~RouteSubscriberImpl() override {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  wire::RouteTable routes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return routes_;
  }

 private:
  void offer(const wire::RouteTable& t) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (t.epoch <= routes_.epoch) return;  // stale or repeated (full tables: no gap to fill)
      routes_ = t;
    }
    if (on_newer_) on_newer_(t);
  }

  // One snapshot from the broker's ROUTER; false while the broker does not answer.
  bool snapshot(AdminClient& admin) {
    auto reply = admin.call(R"({"op":"routes"})", {}, options_.snapshot_retry_ms);
    if (!reply || reply->attachments.empty()) return false;
    auto table = decodeRouteTable(reply->attachments.front());
    if (!table) return false;
    offer(*table);
    return true;
  }

  void run() {
    auto admin = makeAdminClient(options_.broker_endpoint, options_.curve);
    bool have_snapshot = false;
    auto next_snapshot = std::chrono::steady_clock::now();
    zmq::pollitem_t items[] = {{sub_.handle(), 0, ZMQ_POLLIN, 0}};
    while (!stop_.load()) {
      if (!have_snapshot && admin && std::chrono::steady_clock::now() >= next_snapshot) {
        have_snapshot = snapshot(**admin);
        next_snapshot = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(options_.snapshot_retry_ms);
      }
      try {
        zmq::poll(items, 1, std::chrono::milliseconds(50));
      } catch (const zmq::error_t&) {
        return;
      }
      while (auto p = detail::recvParts(sub_)) {
        if (p->size() < 2) continue;
        auto table = decodeRouteTable((*p)[1]);
        if (table) offer(*table);
      }
    }
  }

  RouteSubscriberOptions options_;
  std::function<void(const wire::RouteTable&)> on_newer_;
  zmq::context_t context_;
  zmq::socket_t sub_;  // subscriber thread
  mutable std::mutex mu_;
  wire::RouteTable routes_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<RouteSubscriber>> startRouteSubscriber(
    RouteSubscriberOptions options, std::function<void(const wire::RouteTable&)> on_newer) {
  if (options.broker_endpoint.empty() || options.routes_endpoint.empty()) {
    return invalidArgument("route subscriber: the broker's ROUTER and PUB endpoints are required");
  }
  try {
    return std::unique_ptr<RouteSubscriber>(
        new RouteSubscriberImpl(std::move(options), std::move(on_newer)));
  } catch (const zmq::error_t& e) {
    return unavailable(std::string("route subscriber: ") + e.what());
  } catch (const std::invalid_argument& e) {  // CURVE options (a malformed broker key)
    return invalidArgument(std::string("route subscriber: ") + e.what());
  }
}

}  // namespace spikeline::broker
