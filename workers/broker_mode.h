// Broker mode of spikeline-worker (decision 0004): a BrokerAgent registers this worker with the
// broker (advertising its data endpoint), heartbeats with the backend's health, reports a failed
// core/chip at once, hosts the stages of its Assignment (materialized YAML + weights; one per
// model when the pool is shared across models), follows the broker's route table (newer epochs
// re-point each model's next-stage replica sets), takes `spikeline fault` injections and
// deregisters on stop. When the assignment changes: stages only added (a model joined the pool)
// are hosted alongside without interrupting the others; stages only removed stay loaded, idle;
// another pool (a standby taken to serve elsewhere) drains the data plane and re-hosts on a fresh
// one bound to the same endpoint. Used only by the binary's main().
// Thread safety: serveWithBroker() blocks the calling thread until `stop` is set.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "workers/worker.h"
#include "workers/worker_setup.h"

namespace spikeline::workers {

struct BrokerModeOptions {
  std::string broker;         // the broker's ROUTER, e.g. tcp://broker:5555
  std::string broker_routes;  // the broker's PUB; empty = the broker's port + 1
  std::string advertise;      // data endpoint told to the broker; empty = the bound one
  std::string node;           // node name for placement spreading; empty = hostname
  std::string work_dir;       // where assignments are materialized; empty = a temp dir
  bool replace = false;       // take the name over from a live session (docs/decisions/0008)
  BackendChoice backend;
  WorkerOptions worker;
  // Called with the backend once it is up and with nullptr before it is destroyed (the
  // `--metrics` readiness probe reads its health). May be empty.
  std::function<void(const hal::Backend*)> on_backend;
  // Called once with the bound data endpoint when the worker has registered (main prints the
  // READY line from it). May be empty.
  std::function<void(const std::string& data_endpoint)> on_ready;
};


// Runs the worker in broker mode until `stop`; returns the process exit code (4 when the broker
// refused the session: the name is held by another live session).
int serveWithBroker(BrokerModeOptions options, const std::atomic<bool>& stop);

}  // namespace spikeline::workers
