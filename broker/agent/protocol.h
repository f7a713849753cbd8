// The broker protocol (docs/decisions/0004): ZeroMQ multipart messages between the broker's
// ROUTER and each worker agent's or CLI's DEALER, and the broker's PUB of route tables.
// Part 0 of every message is a tag below. Worker messages reuse wire/ (Cap'n Proto); the
// broker-specific ones (assignment, fault injection, admin request/reply) are JSON plus raw
// binary attachment parts. Values and pure codecs; never throw. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/result.h"
#include "wire/control.h"

namespace spikeline::broker {

// DEALER -> broker: ["wire", encoded RegisterWorker | Heartbeat | Deregister | HardwareFault];
// a RegisterWorker may carry a third part, JSON options: {"replace": true} (decision 0008).
inline constexpr const char* kTagWire = "wire";
// DEALER -> broker: ["admin", request JSON, attachment...]; the broker answers ["reply", ...].
inline constexpr const char* kTagAdmin = "admin";
// broker -> DEALER: ["reply", reply JSON, attachment...]. Reply JSON: {"id", "ok", "code",
// "message", ...}; id 0 answers a worker message (e.g. heartbeat of an unknown worker).
inline constexpr const char* kTagReply = "reply";
// broker -> worker: ["assign", assignment JSON, weight file bytes...].
inline constexpr const char* kTagAssign = "assign";
// broker -> worker: ["inject", encoded wire::InjectFault, {"ticket": N}]; the worker answers
// ["injected", {"ticket": N, "ok": bool, "code", "message"}] (`spikeline fault` waits for it).
inline constexpr const char* kTagInject = "inject";
inline constexpr const char* kTagInjected = "injected";
// broker PUB: ["routes", encoded RouteTable]; on every change and re-sent periodically.
inline constexpr const char* kTagRoutes = "routes";

using Parts = std::vector<std::string>;

// The largest frame (one part of a message) a control-plane socket accepts (ZMQ_MAXMSGSIZE):
// the broker's ROUTER, the agents' DEALER and every route SUB. A larger one drops the sender's
// connection before it is buffered. The largest part is a weight file of a deploy (and of the
// assignment that carries it); the largest shipped model's is 460 KiB (fmnist_vgg), so 4 MiB
// leaves ~9x margin. Models with larger weights need a shared-volume reference (decision 0004).
inline constexpr int64_t kMaxControlFrameBytes = int64_t{4} << 20;

// One stage a worker is to host: the model's YAML and the weight files it references.
struct AssignedStage {
  ModelRef model;
  std::string stage;
  std::vector<std::string> operators;
  std::string file_name;  // the YAML's file name as deployed (for diagnostics)
  std::string yaml;
  std::map<std::string, std::string> files;  // path relative to the YAML -> bytes
  friend bool operator==(const AssignedStage&, const AssignedStage&) = default;
};

enum class AssignmentRole : uint8_t { kNone = 0, kServing = 1, kStandby = 2 };

// What a worker should host now. Every stage shares the pool (one operator pool, possibly used
// by several models); kNone with no stages = host nothing.
struct Assignment {
  std::string pool;  // OperatorId hex; empty for kNone
  AssignmentRole role = AssignmentRole::kNone;
  std::vector<AssignedStage> stages;
  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// `spikeline fault`: the broker forwards wire::InjectFault (defined by workers/ in wire/) to the
// worker's agent, which hands it to the worker.
using InjectFault = wire::InjectFault;

std::string_view assignmentRoleName(AssignmentRole role);  // "none" | "serving" | "standby"

// ["assign", json, files...] and back; kInvalidArgument for anything malformed.
Parts encodeAssignment(const Assignment& assignment);
Result<Assignment> decodeAssignment(const Parts& parts);

// `ticket` 0: no answer wanted.
Parts encodeInjectFault(const InjectFault& fault, uint64_t ticket = 0);
Result<InjectFault> decodeInjectFault(const Parts& parts);
// The ticket of an inject message; 0 when it carries none (or a malformed one).
uint64_t injectTicket(const Parts& parts);
// The worker's answer to an inject: the ticket and what applying the fault gave.
struct InjectResult {
  uint64_t ticket = 0;
  Status status;
};
Parts encodeInjectResult(const InjectResult& result);
Result<InjectResult> decodeInjectResult(const Parts& parts);

// A route table as published on the PUB (part 1 of a `routes` message) or attached to the
// `routes` admin reply. kInvalidArgument when the bytes hold another message.
Result<wire::RouteTable> decodeRouteTable(const std::string& bytes);

}  // namespace spikeline::broker
