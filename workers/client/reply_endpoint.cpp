#include "workers/client/reply_endpoint.h"

#include <cctype>

namespace spikeline::client {
namespace {

constexpr const char* kTcp = "tcp://";

// Splits "tcp://HOST[:PORT]" into host and port text ("" when absent). "[v6]:port" keeps the
// brackets in the host.
bool splitTcp(const std::string& endpoint, std::string& host, std::string& port) {
  const std::string prefix = kTcp;
  if (endpoint.rfind(prefix, 0) != 0) return false;
  const std::string rest = endpoint.substr(prefix.size());
  const size_t bracket = rest.rfind(']');
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) {
    host = rest;
    port.clear();
  } else {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  return true;
}

bool isPort(const std::string& s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  const int v = std::stoi(s);
  return v > 0 && v <= 65535;
}

}  // namespace

Result<std::string> advertisedEndpoint(const std::string& advertise, const std::string& bound) {
  if (advertise.empty()) return bound;
  std::string host, port;
  if (!splitTcp(advertise, host, port) || host.empty()) {
    return invalidArgument("advertise '" + advertise + "': expected tcp://HOST[:PORT|:*]");
  }
  if (isPort(port)) return advertise;
  if (!port.empty() && port != "*" && port != "0") {
    return invalidArgument("advertise '" + advertise + "': bad port '" + port + "'");
  }
  std::string bound_host, bound_port;
  if (!splitTcp(bound, bound_host, bound_port) || !isPort(bound_port)) {
    return invalidArgument("advertise '" + advertise + "' takes the bound port, but the bound "
                           "endpoint '" + bound + "' has none");
  }
  return std::string(kTcp) + host + ":" + bound_port;
}

bool isWildcardEndpoint(const std::string& endpoint) {
  std::string host, port;
  if (!splitTcp(endpoint, host, port)) return false;
  return host == "*" || host == "0.0.0.0" || host == "[::]" || host == "::" || host == "[*]";
}

}  // namespace spikeline::client
