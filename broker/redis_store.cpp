// Store over Redis (key layout: broker/README.md). Values are JSON (broker/state_json.h) except
// the route table, which is the wire encoding (wire/codec.h) so it is published byte-for-byte.
#include "broker/redis_connection.h"
#include "broker/state_json.h"
#include "broker/store.h"
#include "wire/codec.h"

#include <charconv>
#include <fstream>

namespace spikeline::broker {
namespace {

using Kind = RedisValue::Kind;

std::string fieldOf(const RedisValue& array, const std::string& name) {
  for (size_t i = 0; i + 1 < array.elements.size(); i += 2) {
    if (array.elements[i].str == name) return array.elements[i + 1].str;
  }
  return {};
}

int64_t toInt(const std::string& s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

class RedisStore final : public Store {
 public:
  explicit RedisStore(const RedisOptions& options)
      : p_(options.prefix), retention_(std::to_string(options.event_retention)), conn_(options) {}

  Status ping() override { return conn_.run({"PING"}).status(); }
  uint64_t connectionCount() const override { return conn_.connectionCount(); }

  Status putModel(const StoredModel& m) override {
    const std::string ref = m.summary.model.toString();
    std::vector<std::vector<std::string>> cmds;
    cmds.push_back({"DEL", p_ + "model:" + ref + ":files"});
    cmds.push_back({"HSET", p_ + "model:" + ref, "summary", toJson(m.summary), "file_name",
                    m.file_name, "yaml", m.yaml, "deployed_ns", std::to_string(m.deployed_ns)});
    if (!m.files.empty()) {
      std::vector<std::string> hset{"HSET", p_ + "model:" + ref + ":files"};
      for (const auto& [name, bytes] : m.files) {
        hset.push_back(name);
        hset.push_back(bytes);
      }
      cmds.push_back(std::move(hset));
    }
    cmds.push_back({"SADD", p_ + "models", ref});
    return conn_.runAtomically(cmds);
  }

  Status deleteModel(const ModelRef& model) override {
    const std::string ref = model.toString();
    return conn_.runAtomically({{"SREM", p_ + "models", ref},
                                {"DEL", p_ + "model:" + ref, p_ + "model:" + ref + ":files"}});
  }

  Result<std::vector<StoredModel>> loadModels() override {
    SPIKELINE_ASSIGN_OR_RETURN(auto refs, conn_.run({"SMEMBERS", p_ + "models"}));
    std::vector<StoredModel> out;
    for (const auto& ref : refs.elements) {
      SPIKELINE_ASSIGN_OR_RETURN(auto h, conn_.run({"HGETALL", p_ + "model:" + ref.str}));
      if (h.elements.empty()) continue;  // set and hash out of step: the hash decides
      auto summary = deployedModelFromJson(fieldOf(h, "summary"));
      if (!summary) return summary.status().withContext("redis model " + ref.str);
      StoredModel m{*summary,
                    fieldOf(h, "file_name"),
                    fieldOf(h, "yaml"),
                    {},
                    toInt(fieldOf(h, "deployed_ns"))};
      SPIKELINE_ASSIGN_OR_RETURN(auto files,
                                 conn_.run({"HGETALL", p_ + "model:" + ref.str + ":files"}));
      for (size_t i = 0; i + 1 < files.elements.size(); i += 2) {
        m.files[files.elements[i].str] = files.elements[i + 1].str;
      }
      out.push_back(std::move(m));
    }
    return out;
  }

  Status putWorker(const WorkerInfo& w) override {
    return conn_.run({"HSET", p_ + "workers", w.id.name, toJson(w)}).status();
  }
  Status deleteWorker(const WorkerId& w) override {
    return conn_.run({"HDEL", p_ + "workers", w.name}).status();
  }
  Result<std::vector<WorkerInfo>> loadWorkers() override {
    SPIKELINE_ASSIGN_OR_RETURN(auto h, conn_.run({"HGETALL", p_ + "workers"}));
    std::vector<WorkerInfo> out;
    for (size_t i = 0; i + 1 < h.elements.size(); i += 2) {
      SPIKELINE_ASSIGN_OR_RETURN(auto w, workerInfoFromJson(h.elements[i + 1].str));
      out.push_back(std::move(w));
    }
    return out;
  }

  Status putHealth(const HealthSnapshot& health) override {
    return conn_.run({"SET", p_ + "health", toJson(health)}).status();
  }
  Result<HealthSnapshot> loadHealth() override {
    SPIKELINE_ASSIGN_OR_RETURN(auto v, conn_.run({"GET", p_ + "health"}));
    if (v.kind != Kind::kString) return HealthSnapshot{};
    return healthFromJson(v.str);
  }

  Status putPlacement(const PlacementMap& placement) override {
    return conn_.run({"SET", p_ + "placement", toJson(placement)}).status();
  }
  Result<PlacementMap> loadPlacement() override {
    SPIKELINE_ASSIGN_OR_RETURN(auto v, conn_.run({"GET", p_ + "placement"}));
    if (v.kind != Kind::kString) return PlacementMap{};
    return placementFromJson(v.str);
  }

  Status putRoutes(const wire::RouteTable& routes) override {
    SPIKELINE_ASSIGN_OR_RETURN(auto bytes, wire::encode(wire::Message{routes}));
    std::string raw(reinterpret_cast<const char*>(bytes.bytes().data()), bytes.size());
    return conn_.runAtomically(
        {{"SET", p_ + "routes", raw}, {"SET", p_ + "route_epoch", std::to_string(routes.epoch)}});
  }
  Result<wire::RouteTable> loadRoutes() override {
    SPIKELINE_ASSIGN_OR_RETURN(auto v, conn_.run({"GET", p_ + "routes"}));
    if (v.kind != Kind::kString) return wire::RouteTable{};
    auto msg = wire::decode({reinterpret_cast<const uint8_t*>(v.str.data()), v.str.size()});
    if (!msg) return msg.status().withContext("redis routes");
    if (!std::holds_alternative<wire::RouteTable>(*msg)) {
      return invalidArgument("redis routes: not a route table");
    }
    return std::get<wire::RouteTable>(*msg);
  }

  Result<std::string> appendEvent(const BrokerEvent& e, int64_t at_ns) override {
    SPIKELINE_ASSIGN_OR_RETURN(
        auto id,
        conn_.run({"XADD", p_ + "events", "MAXLEN", "~", retention_, "*", "kind", e.kind, "subject",
                   e.subject, "detail", e.detail, "at_ns", std::to_string(at_ns)}));
    return id.str;
  }

  Result<std::vector<StoredEvent>> readEvents(size_t max) override {
    SPIKELINE_ASSIGN_OR_RETURN(
        auto v, conn_.run({"XREVRANGE", p_ + "events", "+", "-", "COUNT", std::to_string(max)}));
    std::vector<StoredEvent> out;
    for (auto it = v.elements.rbegin(); it != v.elements.rend(); ++it) {
      if (it->elements.size() != 2) continue;
      const RedisValue& fields = it->elements[1];
      out.push_back(StoredEvent{it->elements[0].str, toInt(fieldOf(fields, "at_ns")),
                                BrokerEvent{fieldOf(fields, "kind"), fieldOf(fields, "subject"),
                                            fieldOf(fields, "detail")}});
    }
    return out;
  }

 private:
  std::string p_;
  std::string retention_;
  RedisConnection conn_;
};

}  // namespace

std::unique_ptr<Store> makeRedisStore(const RedisOptions& options) {
  return std::make_unique<RedisStore>(options);
}

Result<RedisOptions> parseRedisAddress(const std::string& address) {
  RedisOptions o;
  auto colon = address.rfind(':');
  o.host = address.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = address.substr(colon + 1);
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value <= 0 || value > 65535) {
      return invalidArgument("bad redis address '" + address + "': port must be 1..65535");
    }
    o.port = value;
  }
  if (o.host.empty()) return invalidArgument("bad redis address '" + address + "': no host");
  return o;
}

Result<std::string> loadRedisPassword(const std::string& password_file,
                                      const char* env_password) {
  if (!password_file.empty() && env_password != nullptr && *env_password != '\0') {
    return invalidArgument(
        "--redis-password-file and SPIKELINE_REDIS_PASSWORD are both set: give one");
  }
  if (password_file.empty()) return std::string(env_password != nullptr ? env_password : "");
  std::ifstream in(password_file);
  if (!in) return invalidArgument("--redis-password-file " + password_file + ": cannot read it");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return invalidArgument("--redis-password-file " + password_file +
                           ": the first line (the password) is empty");
  }
  return line;
}

}  // namespace spikeline::broker
