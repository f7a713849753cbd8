#include "broker/agent/admin_client.h"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/agent/detail/zmq_io.h"
#include "broker/agent/protocol.h"

namespace spikeline::broker {
namespace {

using nlohmann::json;

class AdminClientImpl final : public AdminClient {
 public:
  AdminClientImpl() : context_(1), socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::maxmsgsize, kMaxControlFrameBytes);  // replies are bounded too
  }
  Status connect(const std::string& endpoint, const transport::CurveIdentity& curve) {
    SPIKELINE_RETURN_IF_ERROR(
        transport::applyCurveClient(socket_.handle(), curve.self, curve.broker_public_key));
    try {
      socket_.connect(endpoint);
      return Status::ok();
    } catch (const zmq::error_t& e) {
      return invalidArgument("cannot connect to broker '" + endpoint + "': " + e.what());
    }
  }

  Result<AdminReply> call(const std::string& request_json, const Parts& attachments,
                          int timeout_ms) override {
    json request = json::parse(request_json, nullptr, false);
    if (!request.is_object()) return invalidArgument("admin request is not a JSON object");
    uint64_t id = ++next_id_;
    request["id"] = id;
    Parts parts{kTagAdmin, request.dump()};
    parts.insert(parts.end(), attachments.begin(), attachments.end());
    if (!detail::sendParts(socket_, parts)) return unavailable("cannot queue request to broker");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    // Set by a resource_exhausted reply with retry_after_ms that fits in the timeout.
    bool retry = false;
    auto retry_at = std::chrono::steady_clock::now();
    while (true) {
      if (retry) {  // over the broker's rate limit: send again then
        std::this_thread::sleep_until(retry_at);
        retry = false;
        id = ++next_id_;
        request["id"] = id;
        parts[1] = request.dump();
        if (!detail::sendParts(socket_, parts)) {
          return unavailable("cannot queue request to broker");
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0)
        return deadlineExceeded("broker did not answer within " + std::to_string(timeout_ms) +
                                " ms");
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(left));
      } catch (const zmq::error_t& e) {
        return unavailable(std::string("poll: ") + e.what());
      }
      auto got = detail::recvParts(socket_);
      if (!got || got->size() < 2 || (*got)[0] != kTagReply) continue;
      json reply = json::parse((*got)[1], nullptr, false);
      auto rid = reply.is_object() ? reply.find("id") : reply.end();
      if (rid == reply.end() || !rid->is_number_unsigned() || rid->get<uint64_t>() != id) {
        continue;  // stale or foreign
      }
      auto ok = reply.find("ok");
      if (ok == reply.end() || !ok->is_boolean() || !ok->get<bool>()) {
        auto code = reply.find("code");
        auto after = reply.find("retry_after_ms");
        if (code != reply.end() && *code == "resource_exhausted" && after != reply.end() &&
            after->is_number_unsigned() && after->get<uint64_t>() < uint64_t(timeout_ms)) {
          const auto at = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(after->get<uint64_t>());
          if (at < deadline) {
            retry = true;
            retry_at = at;
            continue;
          }
        }
        auto message = reply.find("message");
        return Status(
            statusCodeFromName(code != reply.end() && code->is_string() ? code->get<std::string>()
                                                                        : "internal"),
            message != reply.end() && message->is_string() ? message->get<std::string>()
                                                           : "broker refused the request");
      }
      return AdminReply{(*got)[1], Parts(got->begin() + 2, got->end())};
    }
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  uint64_t next_id_ = 0;
};

}  // namespace

StatusCode statusCodeFromName(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kResourceExhausted); ++c) {
    if (statusCodeName(static_cast<StatusCode>(c)) == name) return static_cast<StatusCode>(c);
  }
  return StatusCode::kInternal;
}

Result<std::unique_ptr<AdminClient>> makeAdminClient(const std::string& broker_endpoint,
                                                     const transport::CurveIdentity& curve) {
  auto client = std::make_unique<AdminClientImpl>();
  SPIKELINE_RETURN_IF_ERROR(client->connect(broker_endpoint, curve));
  return std::unique_ptr<AdminClient>(std::move(client));
}

}  // namespace spikeline::broker
