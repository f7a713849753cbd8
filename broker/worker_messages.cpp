// The worker messages of the broker protocol (docs/decisions/0004, 0008): register, heartbeat,
// deregister and hardware fault. Each is accepted only from the worker's session (the connection
// its accepted registration came from); anything else is refused with a reply, logged once.
// Part of BrokerService (service_state.h). Thread safety: the broker loop's thread only.
#include <ctime>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "broker/service_state.h"
#include "transport/curve.h"

namespace spikeline::broker {
namespace {

// "2026-11-30T18:29:17Z" (UTC) for wall-clock nanoseconds.
std::string utcTime(int64_t wall_ns) {
  const std::time_t t = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The session `peer` must hold to speak for `worker`; a refusal (already_exists: the agent
// stops claiming the name) or, for a known worker without a session (broker restarted),
// not_found (the agent registers again). True when `peer` is the session.
bool fromSession(BrokerService::State& s, const std::string& peer, const std::string& worker,
                 const std::string& what, Outbox& out) {
  auto it = s.sessions.find(worker);
  if (it == s.sessions.end()) {
    out.to_peers.emplace_back(
        peer, errorReply(0, notFound(what + ": worker '" + worker + "' has no session; register")));
    return false;
  }
  if (it->second.peer == peer) return true;
  s.refuse(peer, worker, what,
           alreadyExists(what + " for worker '" + worker +
                         "' refused: it does not come from the connection that registered it (" +
                         utcTime(it->second.registered_ns) + " from " + it->second.endpoint + ")"),
           out);
  return false;
}

}  // namespace

// Register options (an optional third part, JSON): {"replace": true} takes over a name held
// by a live session (`spikeline-worker --replace`).
bool wantsReplace(const Parts& parts) {
  if (parts.size() < 3) return false;
  auto j = nlohmann::json::parse(parts[2], nullptr, false);
  if (!j.is_object()) return false;
  auto it = j.find("replace");
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

void onRegister(BrokerService::State& s, const std::string& peer, const wire::RegisterWorker& r,
                bool replace, Outbox& out) {
  if (r.worker.name.empty() || r.data_endpoint.empty()) {
    out.to_peers.emplace_back(
        peer, errorReply(0, invalidArgument("register: worker name and data endpoint "
                                            "are required")));
    return;
  }
  if (!r.curve_key.empty() && !transport::isCurveKey(r.curve_key)) {
    s.refuse(peer, r.worker.name, "registration",
             invalidArgument("register: curve_key is not a CURVE public key"), out);
    return;
  }
  if (s.options.require_curve_keys && r.curve_key.empty()) {
    s.refuse(peer, r.worker.name, "registration",
             invalidArgument("register: this broker runs CURVE; start the worker with "
                             "--curve-key so its data port is authenticated too"),
             out);
    return;
  }
  const std::string& name = r.worker.name;
  auto held = s.sessions.find(name);
  const bool live = held != s.sessions.end() && held->second.peer != peer &&
                    s.workers.count(name) > 0 && s.health.snapshot().isUp(r.worker);
  if (live && !replace) {
    s.refuse(peer, name, "registration",
             alreadyExists("worker name '" + name + "' is held by a live session (registered " +
                           utcTime(held->second.registered_ns) + " from " +
                           held->second.endpoint + "); start with --replace to take it over"),
             out);
    return;
  }
  if (live) {
    s.event({"replaced", name,
             "session from " + held->second.endpoint + " ended by --replace from " +
                 r.data_endpoint});
  }
  WorkerInfo info{r.worker, r.backend, r.capacity, r.data_endpoint, r.node, r.precisions,
                  r.curve_key};
  const bool known = s.workers.count(name) > 0;
  const WorkerInfo before = known ? s.workers[name] : WorkerInfo{};
  s.workers[name] = info;
  s.sessions[name] = {peer, s.clock.wallNs(), r.data_endpoint};
  s.sent.erase(name);
  s.health.markRegistered(r.worker);
  s.persist([&] { return s.store.putWorker(info); });
  s.event({known ? "reregistered" : "registered", name,
           std::string(backendKindName(r.backend)) + " capacity " + std::to_string(r.capacity) +
               " at " + r.data_endpoint + " on " + r.node});
  checkEndpointIfNew(s, before, known, info);
  s.recompute(out);
}

void onHeartbeat(BrokerService::State& s, const std::string& peer, const wire::Heartbeat& hb,
                 Outbox& out) {
  if (s.workers.count(hb.worker.name) > 0 && !fromSession(s, peer, hb.worker.name, "heartbeat", out))
    return;
  const bool was_up = s.health.snapshot().isUp(hb.worker);
  Status st = s.health.observeHeartbeat(hb.worker, hb.seq);
  if (st.code() == StatusCode::kNotFound) {
    out.to_peers.emplace_back(peer, errorReply(0, st));  // the agent registers again
    return;
  }
  if (!st.isOk()) {
    spdlog::debug("{}", st.toString());
    return;
  }
  if (hb.health == wire::BackendHealth::kFailed) {
    // One event per change of state: a worker already down for a fault keeps its precise cause
    // (the HardwareFault it reported) and the repeated heartbeats record nothing more.
    const HealthSnapshot now = s.health.snapshot();
    auto down = now.down.find(hb.worker.name);
    if (down != now.down.end() && isFaultReason(down->second)) return;
    (void)s.health.reportFault(hb.worker, "heartbeat reports the backend failed");
    s.event({"hardware_fault", hb.worker.name, "heartbeat reports the backend failed"});
    s.recompute(out);
  } else if (!was_up && s.health.snapshot().isUp(hb.worker)) {
    s.event({"worker_up", hb.worker.name, "heartbeats resumed"});
    s.recompute(out);
  }
}

void onDeregister(BrokerService::State& s, const std::string& peer, const wire::Deregister& d,
                  Outbox& out) {
  if (!s.workers.count(d.worker.name)) {
    spdlog::warn("deregister from unknown worker '{}' ignored", d.worker.name);
    return;
  }
  if (!fromSession(s, peer, d.worker.name, "deregister", out)) return;
  s.workers.erase(d.worker.name);
  s.sessions.erase(d.worker.name);
  s.unverified.erase(d.worker.name);
  s.sent.erase(d.worker.name);
  s.health.forget(d.worker);
  s.persist([&] { return s.store.deleteWorker(d.worker); });
  s.event({"deregistered", d.worker.name, d.reason});
  s.recompute(out);
}

void onFault(BrokerService::State& s, const std::string& peer, const wire::HardwareFault& f,
             Outbox& out) {
  std::string detail =
      std::string(backendKindName(f.backend)) + (f.whole_device ? " whole device" : " cores");
  for (auto c : f.failed_cores) detail += " " + std::to_string(c);
  if (!f.detail.empty()) detail += ": " + f.detail;
  if (s.workers.count(f.worker.name) > 0 &&
      !fromSession(s, peer, f.worker.name, "hardware fault", out)) {
    return;
  }
  Status st = s.health.reportFault(f.worker, detail);
  if (!st.isOk()) {
    spdlog::warn("{}", st.toString());
    out.to_peers.emplace_back(peer, errorReply(0, st));
    return;
  }
  s.event({"hardware_fault", f.worker.name, detail});
  s.recompute(out);
}

}  // namespace spikeline::broker
