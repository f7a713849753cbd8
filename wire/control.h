// Control messages of the data plane (credits, acks, error replies) and of the broker (register,
// heartbeat, deregister, hardware fault, route table), and Message: any one of them or a frame.
// Value types: copyable, movable, comparable. Thread safety: as values.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/ids.h"
#include "core/operator_spec.h"
#include "core/status.h"
#include "wire/frame.h"

namespace spikeline::wire {

// Worker -> broker: "I am here, this is what I run and where to send frames".
struct RegisterWorker {
  WorkerId worker;
  BackendKind backend = BackendKind::kCpu;
  uint32_t capacity = 0;      // frames in flight the worker accepts
  std::string data_endpoint;  // e.g. "tcp://10.0.0.5:7001"
  std::string node;           // host / node name
  std::vector<Precision> precisions;
  std::string curve_key;  // the data port's CURVE public key (Z85); "" = plaintext
  friend bool operator==(const RegisterWorker&, const RegisterWorker&) = default;
};

enum class BackendHealth : uint8_t { kHealthy = 0, kDegraded = 1, kFailed = 2 };

struct Heartbeat {
  WorkerId worker;
  uint64_t seq = 0;   // increases by one per heartbeat of a worker process
  float load = 0.0f;  // frames in flight / capacity; finite and >= 0
  BackendHealth health = BackendHealth::kHealthy;
  std::vector<uint32_t> failed_cores;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// Worker -> broker: orderly leave.
struct Deregister {
  WorkerId worker;
  std::string reason;
  friend bool operator==(const Deregister&, const Deregister&) = default;
};

struct HardwareFault {
  WorkerId worker;
  BackendKind backend = BackendKind::kCpu;
  std::vector<uint32_t> failed_cores;
  bool whole_device = false;
  std::string detail;
  int64_t at_ns = 0;  // wall clock
  friend bool operator==(const HardwareFault&, const HardwareFault&) = default;
};

// Receiver -> sender. Absolute, not an increment (docs/decisions/0002): free credit at the
// sender = granted_total - frames sent in this incarnation; a lost or repeated grant is harmless.
struct CreditGrant {
  uint64_t incarnation = 0;    // new after a receiver restart or when it forgot the sender
  uint64_t granted_total = 0;  // frames granted in total to this sender in this incarnation
  friend bool operator==(const CreditGrant&, const CreditGrant&) = default;
};

enum class AckKind : uint8_t { kReceived = 1, kHandedOn = 2, kNack = 3 };

// Custody acknowledgement keyed by (request_id, attempt, stage).
struct Ack {
  RequestId request_id = 0;
  uint32_t attempt = 0;
  std::string stage;
  AckKind kind = AckKind::kReceived;
  // kNack only: why (never kOk) and a message; kOk and empty otherwise.
  StatusCode code = StatusCode::kOk;
  std::string message;
  friend bool operator==(const Ack&, const Ack&) = default;
};

struct Replica {
  WorkerId worker;
  std::string endpoint;
  std::string curve_key;  // its data port's CURVE public key (Z85); "" = plaintext
  friend bool operator==(const Replica&, const Replica&) = default;
};

struct StageRoute {
  std::string name;
  OperatorId op;
  std::vector<Replica> replicas;
  friend bool operator==(const StageRoute&, const StageRoute&) = default;
};

struct ModelRoute {
  ModelRef model;
  std::vector<StageRoute> stages;  // pipeline order
  friend bool operator==(const ModelRoute&, const ModelRoute&) = default;
};

// Broker -> everyone: where each stage of each model is served, as of `epoch` (higher wins).
struct RouteTable {
  RouteEpoch epoch = 0;
  std::vector<ModelRoute> models;
  friend bool operator==(const RouteTable&, const RouteTable&) = default;
};

// The final answer for a request that failed: the client gets this instead of a result.
struct ErrorReply {
  RequestId request_id = 0;
  StatusCode code = StatusCode::kInternal;  // never kOk
  std::string message;
  std::string stage;  // where it failed; empty when unknown
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

// Anyone -> worker (control message on its data port): inject a fault into the worker's chip.
struct InjectFault {
  bool whole_chip = true;     // the whole chip; otherwise `core`
  uint32_t core = 0;
  bool permanent = true;      // otherwise transient
  uint32_t failing_runs = 0;  // transient only: failing runs before it heals; 0 = until cleared
  friend bool operator==(const InjectFault&, const InjectFault&) = default;
};

// Anything a socket may carry. The order of alternatives is not the wire numbering.
using Message = std::variant<SpikeFrame, RegisterWorker, Heartbeat, Deregister, HardwareFault,
                             CreditGrant, Ack, RouteTable, ErrorReply, InjectFault>;

}  // namespace spikeline::wire
