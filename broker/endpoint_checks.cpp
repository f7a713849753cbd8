// The service side of the endpoint check (issue 14): a worker is routed only once its advertised
// data endpoint answered a hello; what the socket loop's EndpointChecker found comes back here.
#include <spdlog/spdlog.h>

#include "broker/service_state.h"

namespace spikeline::broker {

void checkEndpointIfNew(BrokerService::State& s, const WorkerInfo& before, bool known,
                        const WorkerInfo& now) {
  if (!s.options.check_endpoints) return;
  const std::string& name = now.id.name;
  // The same endpoint and key as a worker already verified (e.g. it registers again after a
  // broker restart): nothing new to believe.
  const bool same = known && before.endpoint == now.endpoint && before.curve_key == now.curve_key;
  if (same && s.unverified.count(name) == 0) return;
  // Checked when it is sent an assignment with a pool (recompute): an idle worker hosts nothing
  // and answers no hello until then.
  s.unverified[name] = {EndpointCheck{name, now.endpoint, now.curve_key}, 0, false};
}

void checkEndpointNow(BrokerService::State& s, const std::string& worker, Outbox& out) {
  auto it = s.unverified.find(worker);
  if (it == s.unverified.end()) return;
  it->second.next_check_ns = s.clock.monotonicNs() + s.options.endpoint_retry_ns;
  out.to_check.push_back(it->second.check);
}

std::string unverifiedReason(const BrokerService::State::Unverified& u) {
  return u.failure_logged
             ? "endpoint unreachable: no answer to a hello at " + u.check.endpoint
             : "endpoint not verified yet: waiting for a hello answer at " + u.check.endpoint;
}

void recheckEndpoints(BrokerService::State& s, int64_t now_ns, Outbox& out) {
  for (auto& [name, u] : s.unverified) {
    // Only workers that were sent a pool (next_check_ns set) and still have a session.
    if (u.next_check_ns == 0 || now_ns < u.next_check_ns || s.sessions.count(name) == 0) continue;
    u.next_check_ns = now_ns + s.options.endpoint_retry_ns;
    out.to_check.push_back(u.check);
  }
}

void BrokerService::onEndpointChecked(const EndpointCheckResult& result, Outbox& out) {
  State& s = *s_;
  auto it = s.unverified.find(result.check.worker);
  if (it == s.unverified.end() || !(it->second.check == result.check)) return;  // moved or left
  if (result.status.isOk()) {
    s.unverified.erase(it);
    s.event(
        {"endpoint_verified", result.check.worker, "answered a hello at " + result.check.endpoint});
    s.recompute(out);
    return;
  }
  spdlog::debug("endpoint check of {} at {} failed: {}", result.check.worker, result.check.endpoint,
                result.status.message());
  if (!it->second.failure_logged) {
    it->second.failure_logged = true;  // one event per registration, not per retry
    s.event({"endpoint_unreachable", result.check.worker,
             result.check.endpoint + ": " + result.status.message() +
                 " (not routed; checked again every " +
                 std::to_string(s.options.endpoint_retry_ns / 1'000'000) + " ms)"});
    s.recompute(out);  // the reason shown for it changes
  }
}

}  // namespace spikeline::broker
