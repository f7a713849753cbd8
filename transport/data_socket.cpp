#include "transport/data_socket.h"

#include <zmq.hpp>

#include <cerrno>
#include <mutex>

#include "transport/zap_handler.h"

namespace spikeline::transport {
namespace {

Status fromZmqError(const zmq::error_t& e, std::string_view what) {
  const std::string msg = std::string(what) + ": " + e.what();
  switch (e.num()) {
    case EHOSTUNREACH:
    case ENOTCONN:
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case ECONNREFUSED:
      return unavailable(msg);
    case EAGAIN:
      return overloaded(msg);
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
      return invalidArgument(msg);
    case ETERM:
      return unavailable(msg);
    default:
      return internalError(msg);
  }
}

class ContextImpl final : public TransportContext {
 public:
  explicit ContextImpl(int io_threads) : context_(io_threads) {}
  void* nativeHandle() override { return context_.handle(); }
  zmq::context_t& context() { return context_; }

  Status authorizeCurveClients(AuthorizedKeys keys) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (zap_ != nullptr) {
      zap_->setAuthorized(std::move(keys));
      return Status::ok();
    }
    auto zap = startZapHandler(context_.handle(), std::move(keys));
    if (!zap) return zap.status();
    zap_ = std::move(*zap);
    return Status::ok();
  }

 private:
  zmq::context_t context_;
  std::mutex mu_;
  std::unique_ptr<ZapHandler> zap_;  // declared after context_: stopped before it terminates
};

class DataSocketImpl final : public DataSocket {
 public:
  DataSocketImpl(zmq::context_t& context, SocketRole role)
      : role_(role),
        socket_(context, role == SocketRole::kReceiver ? zmq::socket_type::router
                                                       : zmq::socket_type::dealer) {}

  // Applies the options of docs/decisions/0002 section 4. Throws zmq::error_t (caught by the
  // factory).
  Status configure(const SocketOptions& o) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, o.send_hwm);
    socket_.set(zmq::sockopt::rcvhwm, o.recv_hwm);
    socket_.set(zmq::sockopt::maxmsgsize, o.max_message_bytes);
    socket_.set(zmq::sockopt::heartbeat_ivl, o.heartbeat_ivl_ms);
    socket_.set(zmq::sockopt::heartbeat_timeout, o.heartbeat_timeout_ms);
    socket_.set(zmq::sockopt::heartbeat_ttl, o.heartbeat_ttl_ms);
    if (!o.routing_id.empty()) socket_.set(zmq::sockopt::routing_id, o.routing_id);
    if (role_ == SocketRole::kReceiver) {
      socket_.set(zmq::sockopt::router_mandatory, 1);
      socket_.set(zmq::sockopt::router_handover, 1);
    } else {
      socket_.set(zmq::sockopt::immediate, 1);
      socket_.set(zmq::sockopt::reconnect_ivl, o.reconnect_ivl_ms);
      socket_.set(zmq::sockopt::reconnect_ivl_max, o.reconnect_ivl_max_ms);
    }
    if (role_ == SocketRole::kReceiver) return applyCurveServer(socket_.handle(), o.curve_self);
    return applyCurveClient(socket_.handle(), o.curve_self, o.curve_server_key);
  }

  SocketRole role() const override { return role_; }

  Status bind(const std::string& endpoint) override {
    try {
      socket_.bind(endpoint);
      return Status::ok();
    } catch (const zmq::error_t& e) {
      return fromZmqError(e, "bind " + endpoint);
    }
  }

  Status connect(const std::string& endpoint) override {
    try {
      socket_.connect(endpoint);
      return Status::ok();
    } catch (const zmq::error_t& e) {
      return fromZmqError(e, "connect " + endpoint);
    }
  }

  Result<std::string> lastEndpoint() const override {
    try {
      return socket_.get(zmq::sockopt::last_endpoint);
    } catch (const zmq::error_t& e) {
      return fromZmqError(e, "last endpoint");
    }
  }

  Status send(const Multipart& parts) override;
  Result<Multipart> recv(int timeout_ms) override;
  void* nativeHandle() override { return socket_.handle(); }

 private:
  SocketRole role_;
  zmq::socket_t socket_;
  int recv_timeout_ms_ = -1;  // ZMQ_RCVTIMEO as last set; libzmq's default is -1
};

Status DataSocketImpl::send(const Multipart& parts) {
  if (parts.empty()) return invalidArgument("send of a message with no parts");
  try {
    for (size_t i = 0; i < parts.size(); ++i) {
      zmq::send_flags flags = zmq::send_flags::dontwait;
      if (i + 1 < parts.size()) flags = flags | zmq::send_flags::sndmore;
      zmq::const_buffer buffer(parts[i].data(), parts[i].size());
      if (!socket_.send(buffer, flags)) {
        // EAGAIN. On the first part nothing was queued; later parts of an accepted message
        // cannot block (libzmq accepts a multipart message atomically).
        if (role_ == SocketRole::kSender) return unavailable("no live connection or pipe full");
        return overloaded("peer pipe at its high-water mark");
      }
    }
    return Status::ok();
  } catch (const zmq::error_t& e) {
    return fromZmqError(e, "send");
  }
}

Result<Multipart> DataSocketImpl::recv(int timeout_ms) {
  try {
    zmq::message_t msg;
    // A blocking recv bounded by ZMQ_RCVTIMEO: cheaper than zmq_poll + recv on the hot path.
    if (timeout_ms != recv_timeout_ms_) {
      socket_.set(zmq::sockopt::rcvtimeo, timeout_ms);
      recv_timeout_ms_ = timeout_ms;
    }
    if (!socket_.recv(msg, zmq::recv_flags::none)) {
      return deadlineExceeded("no message within " + std::to_string(timeout_ms) + " ms");
    }
    Multipart parts;
    for (;;) {
      const auto* data = static_cast<const uint8_t*>(msg.data());
      parts.emplace_back(data, data + msg.size());
      if (!msg.more()) break;
      // The rest of a multipart message arrives with its first part.
      if (!socket_.recv(msg, zmq::recv_flags::dontwait)) {
        return internalError("multipart message cut short");
      }
    }
    return parts;
  } catch (const zmq::error_t& e) {
    return fromZmqError(e, "recv");
  }
}

}  // namespace

Result<std::unique_ptr<TransportContext>> makeTransportContext(int io_threads) {
  if (io_threads < 1) return invalidArgument("io_threads must be >= 1");
  try {
    return std::unique_ptr<TransportContext>(std::make_unique<ContextImpl>(io_threads));
  } catch (const zmq::error_t& e) {
    return fromZmqError(e, "context");
  }
}

Result<std::unique_ptr<DataSocket>> makeDataSocket(TransportContext& context, SocketRole role,
                                                   const SocketOptions& options) {
  try {
    // ContextImpl is the only TransportContext implementation.
    auto& impl = static_cast<ContextImpl&>(context);
    auto socket = std::make_unique<DataSocketImpl>(impl.context(), role);
    if (Status s = socket->configure(options); !s.isOk()) return s;
    return std::unique_ptr<DataSocket>(std::move(socket));
  } catch (const zmq::error_t& e) {
    return fromZmqError(e, "socket");
  }
}

Result<std::unique_ptr<DataSocket>> makeReceiver(TransportContext& context,
                                                 const CurveIdentity& curve) {
  SocketOptions options;
  if (curve.enabled()) {
    SPIKELINE_RETURN_IF_ERROR(context.authorizeCurveClients(curve.authorized));
    options.curve_self = curve.self;
  }
  return makeDataSocket(context, SocketRole::kReceiver, options);
}

Result<std::vector<size_t>> pollReadable(const std::vector<DataSocket*>& sockets, int timeout_ms) {
  std::vector<zmq::pollitem_t> items;
  items.reserve(sockets.size());
  for (DataSocket* s : sockets) items.push_back({s->nativeHandle(), 0, ZMQ_POLLIN, 0});
  try {
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    return fromZmqError(e, "poll");
  }
  std::vector<size_t> ready;
  for (size_t i = 0; i < items.size(); ++i) {
    if ((items[i].revents & ZMQ_POLLIN) != 0) ready.push_back(i);
  }
  return ready;
}

}  // namespace spikeline::transport
