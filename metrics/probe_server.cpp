#include "metrics/probe_server.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

#include <httplib.h>

namespace spikeline::metrics {
namespace {

class ProbeServerImpl final : public ProbeServer {
 public:
  explicit ProbeServerImpl(ProbeHandlers h) : handlers_(std::move(h)) {}
  ~ProbeServerImpl() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const override { return port_; }
  std::string address() const override { return host_ + ":" + std::to_string(port_); }

  Status start(const std::string& host, int port) {
    host_ = host;
    server_.new_task_queue = [] { return new httplib::ThreadPool(2); };
    server_.set_tcp_nodelay(true);
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(handlers_.metrics ? handlers_.metrics() : std::string(),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    server_.Get("/live", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("live\n", "text/plain");
    });
    server_.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
      const Probe p = handlers_.ready ? handlers_.ready() : Probe{true, ""};
      res.status = p.ok ? 200 : 503;
      res.set_content(p.ok ? std::string("ready\n") : "not ready: " + p.reason + "\n",
                      "text/plain");
    });
    port_ =
        port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
    if (port_ <= 0)
      return unavailable("cannot bind --metrics on " + host + ":" + std::to_string(port));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return Status::ok();
  }

 private:
  ProbeHandlers handlers_;
  httplib::Server server_;
  std::string host_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace

Result<std::pair<std::string, int>> parseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return invalidArgument("expected HOST:PORT, got '" + text + "'");
  }
  int port = -1;
  const char* b = text.data() + colon + 1;
  const char* e = text.data() + text.size();
  auto [end, ec] = std::from_chars(b, e, port);
  if (ec != std::errc() || end != e || port < 0 || port > 65535) {
    return invalidArgument("bad port in '" + text + "'");
  }
  return std::make_pair(text.substr(0, colon), port);
}

Result<std::unique_ptr<ProbeServer>> startProbeServer(const std::string& host_port,
                                                      ProbeHandlers handlers) {
  SPIKELINE_ASSIGN_OR_RETURN(auto addr, parseHostPort(host_port));
  auto s = std::make_unique<ProbeServerImpl>(std::move(handlers));
  SPIKELINE_RETURN_IF_ERROR(s->start(addr.first, addr.second));
  return std::unique_ptr<ProbeServer>(std::move(s));
}

Result<ProbeAnswer> fetchProbe(const std::string& host_port, const std::string& path,
                               int timeout_ms) {
  SPIKELINE_ASSIGN_OR_RETURN(auto addr, parseHostPort(host_port));
  if (addr.second == 0) return invalidArgument("port 0 in '" + host_port + "': nothing listens there");
  if (path.empty() || path[0] != '/') {
    return invalidArgument("probe path must start with '/', got '" + path + "'");
  }
  httplib::Client client(addr.first, addr.second);
  const auto timeout = std::chrono::milliseconds(std::max(1, timeout_ms));
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Result r = client.Get(path);
  if (!r) {
    return unavailable("GET http://" + host_port + path + ": " + httplib::to_string(r.error()));
  }
  return ProbeAnswer{r->status, r->body};
}

}  // namespace spikeline::metrics
