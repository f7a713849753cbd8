// The broker's values: deployed models (as the broker needs them), registered workers, health,
// the placement of operator pools on workers, and the events a decision produces.
// Value types: copyable, comparable. Thread safety: as values.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/operator_spec.h"
#include "core/topology.h"

namespace spikeline::broker {

// One stage of a deployed model. `pool` is the stage's identity: the operator id when the stage
// holds one operator, else a hash of its operators' ids in order (broker/pool_id.h). Stages with
// equal pools, in any model, are served by one shared pool of workers.
struct DeployedStage {
  std::string name;
  OperatorId pool;
  std::vector<std::string> operators;
  Placement placement;
  friend bool operator==(const DeployedStage&, const DeployedStage&) = default;
};

struct DeployedModel {
  ModelRef model;
  Precision precision = Precision::kFloat32;
  std::vector<DeployedStage> stages;  // pipeline order
  friend bool operator==(const DeployedModel&, const DeployedModel&) = default;
};

struct WorkerInfo {
  WorkerId id;
  BackendKind backend = BackendKind::kCpu;
  uint32_t capacity = 0;              // frames in flight; 0 = cannot host anything
  std::string endpoint;               // data endpoint
  std::string node;                   // host; placement spreads a pool's workers across nodes
  std::vector<Precision> precisions;  // empty = any
  std::string curve_key;              // the data port's CURVE public key; "" = plaintext
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

// Which workers are down, and why. A worker not listed is up.
struct HealthSnapshot {
  std::map<std::string, std::string> down;  // worker name -> reason
  bool isUp(const WorkerId& w) const { return down.find(w.name) == down.end(); }
  friend bool operator==(const HealthSnapshot&, const HealthSnapshot&) = default;
};

// The workers hosting one pool. Serving workers are in routes; standby workers hold the stage
// loaded and take over when a serving one fails. Each worker hosts at most one pool.
struct PoolAssignment {
  std::vector<WorkerId> serving;
  std::vector<WorkerId> standby;
  friend bool operator==(const PoolAssignment&, const PoolAssignment&) = default;
};

struct PlacementMap {
  std::map<OperatorId, PoolAssignment> pools;
  // The pool a worker hosts, or nullptr.
  const OperatorId* findPoolOf(const WorkerId& w) const;
  friend bool operator==(const PlacementMap&, const PlacementMap&) = default;
};

// Something a user should be able to see afterwards (Redis stream `spikeline:events`).
struct BrokerEvent {
  std::string kind;     // e.g. "worker_down", "assigned", "promoted", "unplaced", "routes"
  std::string subject;  // worker name, pool hex or model ref
  std::string detail;
  friend bool operator==(const BrokerEvent&, const BrokerEvent&) = default;
};

}  // namespace spikeline::broker
