#include "broker/state_json.h"

#include <nlohmann/json.hpp>

namespace spikeline::broker {
namespace {

using nlohmann::json;

json placementJson(const Placement& p) {
  json backends = json::array();
  for (auto b : p.backends) backends.push_back(std::string(backendKindName(b)));
  return {{"backends", backends},
          {"replicas", p.replicas},
          {"standby", p.standby},
          {"fallback", p.allow_fallback}};
}

Placement placementOf(const json& j) {
  Placement p;
  p.backends.clear();
  for (const auto& b : j.at("backends")) {
    auto kind = parseBackendKind(b.get<std::string>());
    if (!kind) throw std::invalid_argument(kind.status().message());
    p.backends.push_back(*kind);
  }
  p.replicas = j.at("replicas").get<uint32_t>();
  p.standby = j.at("standby").get<uint32_t>();
  p.allow_fallback = j.at("fallback").get<bool>();
  return p;
}

OperatorId opOf(const json& j) {
  auto id = OperatorId::fromHex(j.get<std::string>());
  if (!id) throw std::invalid_argument(id.status().message());
  return *id;
}

std::vector<WorkerId> idsOf(const json& j) {
  std::vector<WorkerId> out;
  for (const auto& n : j) out.push_back(WorkerId{n.get<std::string>()});
  return out;
}

json idsJson(const std::vector<WorkerId>& ids) {
  json out = json::array();
  for (const auto& id : ids) out.push_back(id.name);
  return out;
}

// The one place JSON exceptions are turned into Status.
template <typename T, typename F>
Result<T> parseWith(std::string_view text, const char* what, F&& build) {
  try {
    return build(json::parse(text));
  } catch (const std::exception& e) {
    return invalidArgument(std::string("malformed ") + what + " JSON: " + e.what());
  }
}

}  // namespace

std::string toJson(const DeployedModel& m) {
  json stages = json::array();
  for (const auto& s : m.stages) {
    stages.push_back({{"name", s.name},
                      {"pool", s.pool.toHex()},
                      {"operators", s.operators},
                      {"placement", placementJson(s.placement)}});
  }
  return json{{"name", m.model.name},
              {"version", m.model.version},
              {"precision", std::string(precisionName(m.precision))},
              {"stages", stages}}
      .dump();
}

Result<DeployedModel> deployedModelFromJson(std::string_view text) {
  return parseWith<DeployedModel>(text, "model", [](const json& j) {
    DeployedModel m;
    m.model = ModelRef{j.at("name").get<std::string>(), j.at("version").get<uint32_t>()};
    auto precision = parsePrecision(j.at("precision").get<std::string>());
    if (!precision) throw std::invalid_argument(precision.status().message());
    m.precision = *precision;
    for (const auto& s : j.at("stages")) {
      m.stages.push_back(DeployedStage{s.at("name").get<std::string>(), opOf(s.at("pool")),
                                       s.at("operators").get<std::vector<std::string>>(),
                                       placementOf(s.at("placement"))});
    }
    return m;
  });
}

std::string toJson(const WorkerInfo& w) {
  json precisions = json::array();
  for (auto p : w.precisions) precisions.push_back(std::string(precisionName(p)));
  return json{{"name", w.id.name},      {"backend", std::string(backendKindName(w.backend))},
              {"capacity", w.capacity}, {"endpoint", w.endpoint},
              {"node", w.node},         {"precisions", precisions},
              {"curve_key", w.curve_key}}
      .dump();
}

Result<WorkerInfo> workerInfoFromJson(std::string_view text) {
  return parseWith<WorkerInfo>(text, "worker", [](const json& j) {
    WorkerInfo w;
    w.id = WorkerId{j.at("name").get<std::string>()};
    auto backend = parseBackendKind(j.at("backend").get<std::string>());
    if (!backend) throw std::invalid_argument(backend.status().message());
    w.backend = *backend;
    w.capacity = j.at("capacity").get<uint32_t>();
    w.endpoint = j.at("endpoint").get<std::string>();
    w.node = j.at("node").get<std::string>();
    w.curve_key = j.value("curve_key", std::string());  // absent in state written before 0010
    for (const auto& p : j.at("precisions")) {
      auto precision = parsePrecision(p.get<std::string>());
      if (!precision) throw std::invalid_argument(precision.status().message());
      w.precisions.push_back(*precision);
    }
    return w;
  });
}

std::string toJson(const PlacementMap& placement) {
  json pools = json::object();
  for (const auto& [pool, a] : placement.pools) {
    pools[pool.toHex()] = {{"serving", idsJson(a.serving)}, {"standby", idsJson(a.standby)}};
  }
  return pools.dump();
}

Result<PlacementMap> placementFromJson(std::string_view text) {
  return parseWith<PlacementMap>(text, "placement", [](const json& j) {
    PlacementMap out;
    for (const auto& [hex, a] : j.items()) {
      out.pools[opOf(json(hex))] = PoolAssignment{idsOf(a.at("serving")), idsOf(a.at("standby"))};
    }
    return out;
  });
}

std::string toJson(const HealthSnapshot& health) { return json(health.down).dump(); }

Result<HealthSnapshot> healthFromJson(std::string_view text) {
  return parseWith<HealthSnapshot>(text, "health", [](const json& j) {
    return HealthSnapshot{j.get<std::map<std::string, std::string>>()};
  });
}

}  // namespace spikeline::broker
