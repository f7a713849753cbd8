// Admission of admin requests (issue 14): a token bucket per connection (broker/rate_limiter.h).
// A request over the limit still gets its reply (resource_exhausted, naming the limit and when to
// retry) under its own id, found without building the request's JSON tree, so a refusal costs
// far less than serving.
#include <cstdint>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "broker/broker_metrics.h"
#include "broker/service_state.h"

namespace spikeline::broker {
namespace {

using nlohmann::json;

// Reads the request's top-level "id" and stops there (the client puts it before "op" and the
// YAML: nlohmann orders keys). Anything else, malformed JSON included, leaves id 0.
class IdFinder final : public nlohmann::json_sax<json> {
 public:
  uint64_t id = 0;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ == 1 && is_id_) {
      id = v;
      return false;  // found: stop reading
    }
    return value();
  }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t& k) override {
    is_id_ = depth_ == 1 && k == "id";
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool value() {
    is_id_ = false;
    return true;
  }
  bool open() {
    is_id_ = false;
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return depth_ > 0;  // the top-level object ended without an id
  }
  int depth_ = 0;
  bool is_id_ = false;
};

uint64_t requestId(const Parts& parts) {
  if (parts.size() < 2 || parts[0] != kTagAdmin) return 0;
  IdFinder finder;
  (void)json::sax_parse(parts[1], &finder, json::input_format_t::json, /*strict=*/false);
  return finder.id;
}

// A routing id for the log: printable ASCII kept, other bytes as \xNN, at most 64 bytes read
// (the CLI's ids are 5 binary bytes, agents' are "name/hex").
std::string printablePeer(std::string_view peer) {
  std::string out;
  for (unsigned char c : peer.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (peer.size() > 64) out += "...";
  return out;
}

std::string limitText(const RateLimit& l) {
  return fmt::format("{:g} requests/s per connection, burst {}", l.per_second, l.burst);
}

}  // namespace

bool admitAdmin(BrokerService::State& s, const std::string& peer, const Parts& parts, Outbox& out) {
  const Admission a = s.admin_limiter.admit(peer, s.clock.monotonicNs());
  if (a.allowed) return true;
  const RateLimit& l = s.admin_limiter.limit();
  const int64_t retry_ms = (a.retry_after_ns + 999'999) / 1'000'000;
  const std::string limit = a.shared ? fmt::format(
                                           "{} (shared by new connections beyond {} "
                                           "tracked)",
                                           limitText(l), l.max_peers)
                                     : limitText(l);
  Parts reply = errorReply(requestId(parts),
                           resourceExhausted(fmt::format("admin rate limit exceeded: {}; retry "
                                                         "in {} ms",
                                                         limit, retry_ms)));
  json body = json::parse(reply[1]);
  body["retry_after_ms"] = retry_ms;
  reply[1] = body.dump(-1, ' ', false, json::error_handler_t::replace);
  out.to_peers.emplace_back(peer, std::move(reply));
  if (s.options.metrics != nullptr) countRateLimited(*s.options.metrics, "admin");
  if (a.log) {
    spdlog::warn(
        "admin rate limit: refused {} request(s) from connection '{}' ({}); logged at "
        "most once per {} s per connection",
        a.refused_since_log, a.shared ? "new connections" : printablePeer(peer), limit,
        l.log_period_ns / 1'000'000'000);
  }
  return false;
}

}  // namespace spikeline::broker
