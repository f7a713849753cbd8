// Admin requests (docs/decisions/0004, "Admin protocol"): deploy, undeploy, models, routes,
// workers, events, fault. Input is validated; a bad request gets an error reply, never a crash.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "broker/pool_id.h"
#include "broker/service_state.h"
#include "broker/state_json.h"
#include "topology/topology_loader.h"
#include "wire/codec.h"

namespace spikeline::broker {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A request field of the wrong type or out of range; handleAdmin answers invalid_argument with
// the message, which names the field (never the JSON library's wording).
struct FieldError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

const json* findField(const json& req, const char* key) {
  auto it = req.find(key);
  return it == req.end() || it->is_null() ? nullptr : &*it;
}

std::string stringField(const json& req, const char* key) {
  const json* v = findField(req, key);
  if (v == nullptr) throw FieldError(std::string("'") + key + "' is required");
  if (!v->is_string()) {
    throw FieldError(std::string("'") + key + "' must be a string, not " + v->type_name());
  }
  return v->get<std::string>();
}

// An integer in [min, max]; `fallback` when absent.
uint64_t unsignedField(const json& req, const char* key, uint64_t fallback, uint64_t min,
                       uint64_t max) {
  const json* v = findField(req, key);
  if (v == nullptr) return fallback;
  const bool in_range = v->is_number_unsigned() && v->get<uint64_t>() >= min &&
                        v->get<uint64_t>() <= max;
  if (!in_range) {
    throw FieldError(std::string("'") + key + "' must be an integer from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not " + v->dump());
  }
  return v->get<uint64_t>();
}

bool boolField(const json& req, const char* key, bool fallback) {
  const json* v = findField(req, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) {
    throw FieldError(std::string("'") + key + "' must be true or false, not " + v->type_name());
  }
  return v->get<bool>();
}

std::vector<std::string> stringsField(const json& req, const char* key) {
  const json* v = findField(req, key);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array()) throw FieldError(std::string("'") + key + "' must be an array of strings");
  for (const auto& e : *v) {
    if (!e.is_string()) throw FieldError(std::string("'") + key + "' must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

// The most events one `events` request may ask for: the stream's cap (broker/README.md).
constexpr uint64_t kMaxEventsPerRequest = 10000;

// A relative path with no "..", so attachments cannot escape the scratch directory.
bool isSafeRelativePath(const std::string& name) {
  if (name.empty()) return false;
  fs::path p(name);
  if (p.is_absolute()) return false;
  for (const auto& part : p) {
    if (part == "..") return false;
  }
  return true;
}

// Checks the YAML with its weight files in a scratch directory (the loader reads files).
Result<Topology> checkDeployment(const StoredModel& m) {
  std::string pattern = (fs::temp_directory_path() / "spikeline-deploy-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return internalError("cannot make a scratch directory");
  const fs::path dir(pattern);
  for (const auto& [name, bytes] : m.files) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary).write(bytes.data(), bytes.size());
  }
  auto check = topology::checkTopologyText(m.yaml, m.file_name, dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!check.isOk()) return topology::diagnosticsToStatus(check.diagnostics);
  return std::move(*check.topology);
}

Parts deploy(BrokerService::State& s, uint64_t id, const json& req, const Parts& parts,
             Outbox& out) {
  StoredModel m;
  m.file_name = stringField(req, "file_name");
  m.yaml = stringField(req, "yaml");
  const auto names = stringsField(req, "files");
  if (names.size() != parts.size() - 2) {
    return errorReply(
        id, invalidArgument("deploy: " + std::to_string(names.size()) + " file names but " +
                            std::to_string(parts.size() - 2) + " attachments"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!isSafeRelativePath(names[i])) {
      return errorReply(id, invalidArgument("deploy: unsafe file name '" + names[i] + "'"));
    }
    m.files[names[i]] = parts[i + 2];
  }
  auto topo = checkDeployment(m);
  if (!topo) return errorReply(id, topo.status());
  m.summary = summarizeTopology(*topo);
  m.deployed_ns = s.clock.wallNs();
  const ModelRef ref = m.summary.model;
  if (s.models.count(ref)) {
    return errorReply(
        id, alreadyExists("model " + ref.toString() + " is deployed already; undeploy it first"));
  }
  s.models[ref] = m;
  s.persist([&] { return s.store.putModel(m); });
  s.event({"deployed", ref.toString(),
           m.file_name + ", " + std::to_string(m.summary.stages.size()) + " stage(s)"});
  s.recompute(out);
  return okReply(
      id, json{{"model", ref.toString()}, {"epoch", s.routes.epoch}, {"warnings", s.last_errors}}
              .dump());
}

Parts undeploy(BrokerService::State& s, uint64_t id, const json& req, Outbox& out) {
  const std::string name = stringField(req, "model");
  const auto version = static_cast<uint32_t>(
      unsignedField(req, "version", 0, 0, UINT32_MAX));  // 0 = every version
  std::vector<ModelRef> gone;
  for (const auto& [ref, m] : s.models) {
    if (ref.name == name && (version == 0 || ref.version == version)) gone.push_back(ref);
  }
  if (gone.empty()) {
    std::string what = version == 0 ? name : ModelRef{name, version}.toString();
    return errorReply(id, notFound("unknown model " + what));
  }
  json removed = json::array();
  for (const auto& ref : gone) {
    s.models.erase(ref);
    s.persist([&] { return s.store.deleteModel(ref); });
    s.event({"undeployed", ref.toString(), ""});
    removed.push_back(ref.toString());
  }
  s.recompute(out);
  return okReply(id, json{{"removed", removed}, {"epoch", s.routes.epoch}}.dump());
}

json poolMembers(const BrokerService::State& s, const OperatorId& pool) {
  auto it = s.placement.pools.find(pool);
  json serving = json::array(), standby = json::array();
  if (it != s.placement.pools.end()) {
    for (const auto& w : it->second.serving) serving.push_back(w.name);
    for (const auto& w : it->second.standby) standby.push_back(w.name);
  }
  return {{"serving", serving}, {"standby", standby}};
}

Parts models(const BrokerService::State& s, uint64_t id) {
  json list = json::array();
  for (const auto& [ref, m] : s.models) {
    json entry = json::parse(toJson(m.summary));
    for (auto& st : entry["stages"]) {
      json shared = json::array();
      for (const auto& [other_ref, other] : s.models) {
        for (const auto& os : other.summary.stages) {
          if (os.pool.toHex() == st["pool"] && !(other_ref == ref && os.name == st["name"])) {
            shared.push_back(other_ref.toString() + "/" + os.name);
          }
        }
      }
      st["shared_with"] = shared;
      auto pool = OperatorId::fromHex(st["pool"].get<std::string>());
      if (pool) st["workers"] = poolMembers(s, *pool);
    }
    entry["file_name"] = m.file_name;
    list.push_back(entry);
  }
  return okReply(id, json{{"models", list}}.dump());
}

Parts routes(const BrokerService::State& s, uint64_t id) {
  json list = json::array();
  for (const auto& mr : s.routes.models) {
    json stages = json::array();
    for (const auto& st : mr.stages) {
      json reps = json::array();
      for (const auto& r : st.replicas)
        reps.push_back(
            {{"worker", r.worker.name}, {"endpoint", r.endpoint}, {"curve_key", r.curve_key}});
      stages.push_back({{"stage", st.name}, {"pool", st.op.toHex()}, {"replicas", reps}});
    }
    list.push_back({{"model", mr.model.toString()}, {"stages", stages}});
  }
  auto buf = wire::encode(wire::Message{s.routes});
  Parts attach;
  if (buf) attach.emplace_back(reinterpret_cast<const char*>(buf->bytes().data()), buf->size());
  // Pools that fit nowhere (e.g. a chip failed and fallback is not allowed) are listed with
  // the reason, so `spikeline routes` says why a stage has no replica.
  return okReply(id,
                 json{{"epoch", s.routes.epoch}, {"models", list}, {"problems", s.last_errors}}.dump(),
                 attach);
}

Parts workers(const BrokerService::State& s, uint64_t id) {
  const HealthSnapshot health = s.health.snapshot();
  json list = json::array();
  for (const auto& [name, w] : s.workers) {
    json entry = json::parse(toJson(w));
    auto down = health.down.find(name);
    auto unverified = s.unverified.find(name);
    if (unverified != s.unverified.end() && unverified->second.next_check_ns == 0) {
      unverified = s.unverified.end();  // idle: checked once it is given a pool
    }
    entry["up"] = down == health.down.end() && unverified == s.unverified.end();
    entry["reason"] = down != health.down.end()         ? down->second
                      : unverified != s.unverified.end() ? unverifiedReason(unverified->second)
                                                         : "";
    Assignment a = s.assignmentFor(name);
    entry["pool"] = a.pool;
    entry["role"] = std::string(assignmentRoleName(a.role));
    list.push_back(entry);
  }
  return okReply(id, json{{"workers", list}}.dump());
}

Parts events(BrokerService::State& s, uint64_t id, const json& req) {
  const uint64_t count = unsignedField(req, "count", 50, 1, kMaxEventsPerRequest);
  auto got = s.store.readEvents(static_cast<size_t>(count));
  if (!got) {
    s.dirty = true;  // the store may come back empty: catch up then
    return errorReply(id, got.status());
  }
  json list = json::array();
  for (const auto& e : *got) {
    list.push_back({{"id", e.id},
                    {"at_ns", e.at_ns},
                    {"kind", e.event.kind},
                    {"subject", e.event.subject},
                    {"detail", e.event.detail}});
  }
  return okReply(id, json{{"events", list}}.dump());
}

Parts fault(BrokerService::State& s, const std::string& admin_peer, uint64_t id, const json& req,
            Outbox& out) {
  const std::string worker = stringField(req, "worker");
  InjectFault f{boolField(req, "whole_chip", true),
                static_cast<uint32_t>(unsignedField(req, "core", 0, 0, UINT32_MAX)),
                boolField(req, "permanent", true),
                static_cast<uint32_t>(unsignedField(req, "failing_runs", 0, 0, UINT32_MAX))};
  if (!s.workers.count(worker)) return errorReply(id, notFound("unknown worker '" + worker + "'"));
  const std::string peer = s.peerOf(worker);
  if (peer.empty()) {
    return errorReply(id, unavailable("worker '" + worker + "' has no session (it is down)"));
  }
  const uint64_t ticket = ++s.next_fault_ticket;
  s.pending_faults[ticket] = {
      admin_peer, id, worker,
      std::string(f.whole_chip ? "whole chip" : "core " + std::to_string(f.core)) +
          (f.permanent ? ", permanent" : ", transient " + std::to_string(f.failing_runs)),
      s.clock.monotonicNs() + kFaultAnswerNs};
  out.to_peers.emplace_back(peer, encodeInjectFault(f, ticket));
  return {};  // answered by onInjectResult or expireFaults
}

Parts dispatch(BrokerService::State& s, const std::string& peer, uint64_t id, const json& req,
               const Parts& parts, Outbox& out) {
  const std::string op = stringField(req, "op");
  if (op == "deploy") return deploy(s, id, req, parts, out);
  if (op == "undeploy") return undeploy(s, id, req, out);
  if (op == "models") return models(s, id);
  if (op == "routes") return routes(s, id);
  if (op == "workers") return workers(s, id);
  if (op == "events") return events(s, id, req);
  if (op == "fault") return fault(s, peer, id, req, out);
  return errorReply(id, invalidArgument("unknown admin op '" + op + "'"));
}

}  // namespace

void handleAdmin(BrokerService::State& s, const std::string& peer, const Parts& parts,
                 Outbox& out) {
  if (parts.size() < 2) {
    out.to_peers.emplace_back(peer, errorReply(0, invalidArgument("admin: no request body")));
    return;
  }
  json req = json::parse(parts[1], nullptr, false);
  uint64_t id = 0;
  try {
    if (!req.is_object()) throw std::invalid_argument("request is not a JSON object");
    id = unsignedField(req, "id", 0, 0, UINT64_MAX);
    Parts reply = dispatch(s, peer, id, req, parts, out);
    if (!reply.empty()) out.to_peers.emplace_back(peer, std::move(reply));
  } catch (const FieldError& e) {
    const std::string op = req.is_object() && req.contains("op") && req["op"].is_string()
                               ? req["op"].get<std::string>()
                               : std::string("request");
    out.to_peers.emplace_back(peer, errorReply(id, invalidArgument(op + ": " + e.what())));
  } catch (const std::exception& e) {
    out.to_peers.emplace_back(peer,
                              errorReply(id, invalidArgument(std::string("admin: ") + e.what())));
  }
}

void onInjectResult(BrokerService::State& s, const std::string& peer, const Parts& parts,
                    Outbox& out) {
  auto r = decodeInjectResult(parts);
  if (!r) {
    out.to_peers.emplace_back(peer, errorReply(0, r.status()));
    return;
  }
  auto it = s.pending_faults.find(r->ticket);
  if (it == s.pending_faults.end()) return;  // answered already (timed out): nothing to do
  if (s.peerOf(it->second.worker) != peer) {
    s.refuse(peer, it->second.worker, "inject result",
             invalidArgument("an inject result for '" + it->second.worker +
                             "' from a connection that is not its session"),
             out);
    return;
  }
  const BrokerService::State::PendingFault p = it->second;
  s.pending_faults.erase(it);
  if (r->status.isOk()) {
    s.event({"fault_injected", p.worker, p.what});
    out.to_peers.emplace_back(p.admin_peer, okReply(p.admin_id, json{{"injected", p.worker}}.dump()));
  } else {
    s.event({"fault_refused", p.worker, p.what + ": " + r->status.message()});
    out.to_peers.emplace_back(
        p.admin_peer,
        errorReply(p.admin_id, Status(r->status.code(), "worker '" + p.worker +
                                                            "' refused the fault: " +
                                                            r->status.message())));
  }
}

void expireFaults(BrokerService::State& s, Outbox& out) {
  const int64_t now = s.clock.monotonicNs();
  for (auto it = s.pending_faults.begin(); it != s.pending_faults.end();) {
    if (now < it->second.deadline_ns) {
      ++it;
      continue;
    }
    out.to_peers.emplace_back(
        it->second.admin_peer,
        errorReply(it->second.admin_id,
                   deadlineExceeded("worker '" + it->second.worker + "' did not answer the fault "
                                    "within " + std::to_string(kFaultAnswerNs / 1'000'000) +
                                    " ms (not applied, or an old worker)")));
    it = s.pending_faults.erase(it);
  }
}

}  // namespace spikeline::broker
