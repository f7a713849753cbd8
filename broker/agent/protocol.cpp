#include "broker/agent/protocol.h"

#include <nlohmann/json.hpp>

#include <variant>

#include "wire/codec.h"

namespace spikeline::broker {
namespace {
using nlohmann::json;
}  // namespace

std::string_view assignmentRoleName(AssignmentRole role) {
  switch (role) {
    case AssignmentRole::kServing:
      return "serving";
    case AssignmentRole::kStandby:
      return "standby";
    case AssignmentRole::kNone:
      break;
  }
  return "none";
}

Parts encodeAssignment(const Assignment& a) {
  Parts parts{kTagAssign, ""};
  json stages = json::array();
  for (const auto& s : a.stages) {
    json files = json::array();
    for (const auto& [name, bytes] : s.files) {
      files.push_back(name);
      parts.push_back(bytes);
    }
    stages.push_back({{"model", s.model.name},
                      {"version", s.model.version},
                      {"stage", s.stage},
                      {"operators", s.operators},
                      {"file_name", s.file_name},
                      {"yaml", s.yaml},
                      {"files", files}});
  }
  parts[1] =
      json{{"pool", a.pool}, {"role", std::string(assignmentRoleName(a.role))}, {"stages", stages}}
          .dump();
  return parts;
}

Result<Assignment> decodeAssignment(const Parts& parts) {
  if (parts.size() < 2 || parts[0] != kTagAssign) return invalidArgument("not an assignment");
  try {
    json j = json::parse(parts[1]);
    Assignment a;
    a.pool = j.at("pool").get<std::string>();
    const std::string role = j.at("role").get<std::string>();
    a.role = role == "serving"   ? AssignmentRole::kServing
             : role == "standby" ? AssignmentRole::kStandby
                                 : AssignmentRole::kNone;
    size_t next = 2;
    for (const auto& s : j.at("stages")) {
      AssignedStage st{ModelRef{s.at("model").get<std::string>(), s.at("version").get<uint32_t>()},
                       s.at("stage").get<std::string>(),
                       s.at("operators").get<std::vector<std::string>>(),
                       s.at("file_name").get<std::string>(),
                       s.at("yaml").get<std::string>(),
                       {}};
      for (const auto& f : s.at("files")) {
        if (next >= parts.size()) return invalidArgument("assignment: missing file attachment");
        st.files[f.get<std::string>()] = parts[next++];
      }
      a.stages.push_back(std::move(st));
    }
    return a;
  } catch (const std::exception& e) {
    return invalidArgument(std::string("malformed assignment: ") + e.what());
  }
}

Parts encodeInjectFault(const InjectFault& f, uint64_t ticket) {
  auto bytes = wire::encode(wire::Message{f});
  Parts parts{kTagInject, bytes ? std::string(reinterpret_cast<const char*>(bytes->bytes().data()),
                                              bytes->size())
                                : std::string()};
  if (ticket != 0) parts.push_back(nlohmann::json{{"ticket", ticket}}.dump());
  return parts;
}

uint64_t injectTicket(const Parts& parts) {
  if (parts.size() < 3) return 0;
  auto j = nlohmann::json::parse(parts[2], nullptr, false);
  if (!j.is_object() || !j.contains("ticket") || !j["ticket"].is_number_unsigned()) return 0;
  return j["ticket"].get<uint64_t>();
}

Parts encodeInjectResult(const InjectResult& r) {
  return {kTagInjected, nlohmann::json{{"ticket", r.ticket},
                                       {"ok", r.status.isOk()},
                                       {"code", std::string(statusCodeName(r.status.code()))},
                                       {"message", r.status.message()}}
                            .dump()};
}

Result<InjectResult> decodeInjectResult(const Parts& parts) {
  if (parts.size() != 2 || parts[0] != kTagInjected) return invalidArgument("not an inject result");
  auto j = nlohmann::json::parse(parts[1], nullptr, false);
  if (!j.is_object() || !j.contains("ticket") || !j["ticket"].is_number_unsigned() ||
      !j.contains("ok") || !j["ok"].is_boolean()) {
    return invalidArgument("inject result: needs an unsigned `ticket` and a boolean `ok`");
  }
  InjectResult r{j["ticket"].get<uint64_t>(), Status::ok()};
  if (!j["ok"].get<bool>()) {
    const std::string message = j.value("message", std::string("refused"));
    auto code = j.find("code");
    StatusCode c = StatusCode::kInvalidArgument;
    if (code != j.end() && code->is_string()) {
      for (int i = 1; i <= static_cast<int>(StatusCode::kResourceExhausted); ++i) {
        if (statusCodeName(static_cast<StatusCode>(i)) == code->get<std::string>()) {
          c = static_cast<StatusCode>(i);
        }
      }
    }
    r.status = Status(c, message);
  }
  return r;
}

Result<InjectFault> decodeInjectFault(const Parts& parts) {
  if (parts.size() < 2 || parts[0] != kTagInject) return invalidArgument("not an inject-fault");
  auto m = wire::decode({reinterpret_cast<const uint8_t*>(parts[1].data()), parts[1].size()});
  if (!m) return m.status();
  if (!std::holds_alternative<InjectFault>(*m)) return invalidArgument("not an inject-fault");
  return std::get<InjectFault>(*m);
}

Result<wire::RouteTable> decodeRouteTable(const std::string& bytes) {
  auto m = wire::decode({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (!m) return m.status();
  if (!std::holds_alternative<wire::RouteTable>(*m)) return invalidArgument("not a route table");
  return std::get<wire::RouteTable>(*m);
}

}  // namespace spikeline::broker
