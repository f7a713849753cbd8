#include "cli/broker_commands.h"

#include <charconv>
#include <ctime>

#include <nlohmann/json.hpp>

#include "broker/agent/admin_client.h"
#include "cli/deploy_request.h"
#include "cli/validate_command.h"

namespace spikeline::cli {
namespace {

using nlohmann::json;

std::string joined(const json& list, const char* sep = ",") {
  std::string s;
  for (const auto& x : list) s += (s.empty() ? "" : sep) + x.get<std::string>();
  return s.empty() ? "-" : s;
}

void printModels(const json& reply, std::ostream& out) {
  if (reply["models"].empty()) out << "no models deployed\n";
  for (const auto& m : reply["models"]) {
    out << m["name"].get<std::string>() << "@" << m["version"] << "  ("
        << m["precision"].get<std::string>() << ", " << m["file_name"].get<std::string>() << ")\n";
    for (const auto& s : m["stages"]) {
      const json& p = s["placement"];
      out << "  " << s["name"].get<std::string>() << "  pool " << s["pool"].get<std::string>()
          << "  [" << joined(p["backends"]) << "] x" << p["replicas"] << " +" << p["standby"]
          << " standby" << (p["fallback"].get<bool>() ? "" : ", no fallback")
          << "  serving: " << joined(s["workers"]["serving"])
          << "  standby: " << joined(s["workers"]["standby"]);
      if (!s["shared_with"].empty()) out << "  SHARED with " << joined(s["shared_with"], ", ");
      out << "\n";
    }
  }
}

void printRoutes(const json& reply, std::ostream& out) {
  out << "route epoch " << reply["epoch"] << "\n";
  for (const auto& m : reply["models"]) {
    out << m["model"].get<std::string>() << "\n";
    for (const auto& s : m["stages"]) {
      out << "  " << s["stage"].get<std::string>() << " (pool " << s["pool"].get<std::string>()
          << "):";
      if (s["replicas"].empty()) out << " NO HEALTHY REPLICA";
      for (const auto& r : s["replicas"]) {
        out << " " << r["worker"].get<std::string>() << "=" << r["endpoint"].get<std::string>();
      }
      out << "\n";
    }
  }
  for (const auto& p : reply.value("problems", json::array())) {
    out << "problem: " << p.get<std::string>() << "\n";
  }
}

void printWorkers(const json& reply, std::ostream& out) {
  if (reply["workers"].empty()) out << "no workers registered\n";
  for (const auto& w : reply["workers"]) {
    out << w["name"].get<std::string>() << "  " << w["backend"].get<std::string>() << "  node "
        << w["node"].get<std::string>() << "  "
        << (w["up"].get<bool>() ? "UP" : "DOWN (" + w["reason"].get<std::string>() + ")") << "  "
        << w["role"].get<std::string>()
        << (w["pool"].get<std::string>().empty() ? "" : " pool " + w["pool"].get<std::string>())
        << "  " << w["endpoint"].get<std::string>() << "\n";
  }
}

void printEvents(const json& reply, std::ostream& out) {
  for (const auto& e : reply["events"]) {
    const int64_t at_ns = e["at_ns"];
    std::time_t secs = static_cast<std::time_t>(at_ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>((at_ns / 1'000'000) % 1000));
    out << buf << ms << "Z  " << e["kind"].get<std::string>() << "  "
        << e["subject"].get<std::string>() << "  " << e["detail"].get<std::string>() << "\n";
  }
}

// MODEL or MODEL@VERSION -> {"model", "version"} (version 0 = every version).
Result<json> parseModelArg(const std::string& arg) {
  auto at = arg.rfind('@');
  if (at == std::string::npos) return json{{"model", arg}, {"version", 0}};
  uint32_t v = 0;
  const char* begin = arg.data() + at + 1;
  auto [ptr, ec] = std::from_chars(begin, arg.data() + arg.size(), v);
  if (ec != std::errc() || ptr != arg.data() + arg.size() || at == 0 || v == 0) {
    return invalidArgument("expected MODEL or MODEL@VERSION, got '" + arg + "'");
  }
  return json{{"model", arg.substr(0, at)}, {"version", v}};
}

// The request for `c`, and its attachments; prints local problems (deploy) to err.
Result<std::pair<json, broker::Parts>> buildRequest(const BrokerCommand& c) {
  if (c.name == "deploy") {
    SPIKELINE_ASSIGN_OR_RETURN(auto req, makeDeployRequest(c.argument));
    return std::make_pair(json::parse(req.request_json), std::move(req.attachments));
  }
  json j{{"op", c.name}};
  if (c.name == "undeploy") {
    SPIKELINE_ASSIGN_OR_RETURN(j, parseModelArg(c.argument));
    j["op"] = "undeploy";
  } else if (c.name == "events") {
    j["count"] = c.count;
  } else if (c.name == "fault") {
    j["worker"] = c.argument;
    j["whole_chip"] = !c.core.has_value();
    j["core"] = c.core.value_or(0);
    j["permanent"] = !c.transient_runs.has_value();
    j["failing_runs"] = c.transient_runs.value_or(0);
  }
  return std::make_pair(j, broker::Parts{});
}

void printReply(const BrokerCommand& c, const json& reply, std::ostream& out, std::ostream& err) {
  if (c.name == "deploy") {
    out << "deployed " << reply["model"].get<std::string>() << " (route epoch " << reply["epoch"]
        << ")\n";
    for (const auto& w : reply["warnings"]) err << "warning: " << w.get<std::string>() << "\n";
  } else if (c.name == "undeploy") {
    out << "undeployed " << joined(reply["removed"], ", ") << " (route epoch " << reply["epoch"]
        << ")\n";
  } else if (c.name == "models") {
    printModels(reply, out);
  } else if (c.name == "routes") {
    printRoutes(reply, out);
  } else if (c.name == "workers") {
    printWorkers(reply, out);
  } else if (c.name == "events") {
    printEvents(reply, out);
  } else if (c.name == "fault") {
    out << "fault injected into " << reply["injected"].get<std::string>() << "\n";
  }
}

}  // namespace

int runBrokerCommand(const BrokerCommand& c, std::ostream& out, std::ostream& err) {
  auto request = buildRequest(c);
  if (!request) {
    err << request.status().message() << "\n";
    return request.status().code() == StatusCode::kInvalidArgument ||
                   request.status().code() == StatusCode::kNotFound
               ? kExitInvalid
               : kExitUsage;
  }
  auto curve = transport::loadCurveIdentity(transport::curveFlagsFromEnvironment(c.curve),
                                           /*needs_broker=*/true, /*serves=*/false);
  if (!curve) {
    err << curve.status().message() << "\n";
    return kExitUsage;
  }
  auto client = broker::makeAdminClient(c.broker, *curve);
  if (!client) {
    err << client.status().message() << "\n";
    return kExitUsage;
  }
  auto reply = (*client)->call(request->first.dump(), request->second, c.timeout_ms);
  if (!reply) {
    err << "broker " << c.broker << ": " << reply.status().toString() << "\n";
    return kExitInvalid;
  }
  try {
    printReply(c, json::parse(reply->json), out, err);
  } catch (const std::exception& e) {
    err << "unexpected reply from the broker: " << e.what() << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace spikeline::cli
