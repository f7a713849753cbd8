#include "loadgen/cli/process_action_sink.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <variant>

#include "transport/data_socket.h"
#include "transport/envelope.h"
#include "wire/codec.h"
#include "wire/control.h"
#include "workers/protocol.h"

namespace spikeline::loadgen::cli {
namespace {

Status sendInjectFault(const std::string& endpoint, const wire::InjectFault& fault,
                       int ack_timeout_ms) {
  SPIKELINE_ASSIGN_OR_RETURN(auto ctx, transport::makeTransportContext(1));
  SPIKELINE_ASSIGN_OR_RETURN(auto socket,
                             transport::makeDataSocket(*ctx, transport::SocketRole::kSender,
                                                       transport::SocketOptions{"loadgen-fault"}));
  SPIKELINE_RETURN_IF_ERROR(socket->connect(endpoint));
  SPIKELINE_ASSIGN_OR_RETURN(transport::Multipart msg, workers::controlOnDealer(fault));
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ack_timeout_ms);
  while (!socket->send(msg).isOk()) {
    if (std::chrono::steady_clock::now() > until) return unavailable("cannot send to " + endpoint);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto m = socket->recv(ack_timeout_ms); m.isOk(); m = socket->recv(ack_timeout_ms)) {
    auto envelope = transport::parseEnvelope(std::move(m).value(), transport::Side::kDealer);
    if (!envelope.isOk()) continue;
    auto decoded = wire::decode(envelope->payload);
    const auto* ack = decoded.isOk() ? std::get_if<wire::Ack>(&*decoded) : nullptr;
    if (ack == nullptr || ack->stage != "inject-fault") continue;
    return ack->kind == wire::AckKind::kReceived ? Status::ok() : Status(ack->code, ack->message);
  }
  return deadlineExceeded("no ack for the injected fault from " + endpoint);
}

class ProcessActionSink final : public ActionSink {
 public:
  explicit ProcessActionSink(ProcessActionOptions options) : options_(std::move(options)) {}

  Status execute(const ScenarioAction& action) override {
    switch (action.kind) {
      case ActionKind::kKillWorker: return killWorker(action.worker);
      case ActionKind::kInjectChipFault: return injectFault(action);
      case ActionKind::kRestartBroker: return restartBroker();
    }
    return internalError("unknown action kind");
  }

 private:
  Status killWorker(const std::string& worker) const {
    const auto it = options_.pids.find(worker);
    if (it == options_.pids.end()) return notFound("no PID for worker '" + worker + "' (--pid)");
    if (::kill(it->second, SIGKILL) != 0) {
      return unavailable("kill " + std::to_string(it->second) + ": " + std::strerror(errno));
    }
    return Status::ok();
  }

  Status injectFault(const ScenarioAction& action) const {
    const auto it = options_.endpoints.find(action.worker);
    if (it == options_.endpoints.end()) {
      return notFound("no endpoint for worker '" + action.worker + "' (--worker-endpoint)");
    }
    wire::InjectFault fault;
    fault.whole_chip = !action.core.has_value();
    fault.core = action.core.value_or(0);
    fault.permanent = true;
    return sendInjectFault(it->second, fault, options_.ack_timeout_ms);
  }

  Status restartBroker() const {
    if (options_.restart_broker_command.empty()) {
      return unimplemented("restart_broker: no --restart-broker-cmd configured");
    }
    const int rc = std::system(options_.restart_broker_command.c_str());
    if (rc != 0) return unavailable("restart-broker command exited with " + std::to_string(rc));
    return Status::ok();
  }

  ProcessActionOptions options_;
};

}  // namespace

Result<std::pair<std::string, std::string>> splitAssignment(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return invalidArgument("expected name=value, got '" + text + "'");
  }
  return std::pair<std::string, std::string>{text.substr(0, eq), text.substr(eq + 1)};
}

Result<pid_t> parsePid(const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v <= 0) return invalidArgument("bad PID '" + text + "'");
  return static_cast<pid_t>(v);
}

Result<std::map<std::string, pid_t>> readPidFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return notFound("cannot read pid file " + path);
  std::map<std::string, pid_t> pids;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const size_t last = line.find_last_not_of(" \t\r");
    auto kv = splitAssignment(line.substr(first, last - first + 1));
    auto pid = kv.isOk() ? parsePid(kv->second) : Result<pid_t>(kv.status());
    if (!pid.isOk()) return invalidArgument(path + ":" + std::to_string(n) + ": " +
                                            pid.status().message());
    pids[kv->first] = *pid;
  }
  return pids;
}

std::unique_ptr<ActionSink> makeProcessActionSink(ProcessActionOptions options) {
  return std::make_unique<ProcessActionSink>(std::move(options));
}

}  // namespace spikeline::loadgen::cli
