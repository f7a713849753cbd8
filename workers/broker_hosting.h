// Broker mode's hosting state (internal to spikeline-worker, used by broker_mode.cpp): what the
// broker assigned, what this worker hosts of it, and the functions that keep the two together —
// the agent's callbacks, waiting for an assignment, hosting it (also while running, for a model
// added to a shared pool) and the monitor thread (health, load, hot adds). Thread safety: as
// documented on Shared.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/agent/broker_agent.h"
#include "workers/worker.h"

namespace spikeline::workers {

using broker::Assignment;
using broker::AssignmentRole;

// The state broker mode shares between main's thread, the agent's callbacks and the monitor
// thread: the current data plane (replaced when re-hosting), the latest assignment and what is
// hosted of it. Lock order: never hold worker_mu while taking mu.
struct Shared {
  std::mutex worker_mu;
  Worker* worker = nullptr;  // guarded by worker_mu (replaced when re-hosting)
  std::atomic<bool> run_stop{false};  // ends the current Worker::run (stop or re-host)
  std::atomic<bool> rehost{false};    // the assignment names other stages than those hosted
  std::atomic<bool> add_pending{false};  // the assignment adds stages (hosted alongside)
  std::vector<ModelRef> to_expect;       // models about to be hosted alongside, guarded by mu
  std::filesystem::path dir;             // where assignments are materialized
  hal::Backend* backend = nullptr;
  OperatorTiming timing;  // per-operator metrics of the stages compiled here (may be empty)
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Assignment> assignment;  // the latest, guarded by mu
  bool hosting = false;                    // guarded by mu
  uint64_t generation = 0;                 // bumped per fresh data plane, guarded by mu
  std::vector<ModelRef> hosted_models;     // guarded by mu
  std::vector<std::string> hosted_stages;  // "model/stage", guarded by mu
  std::atomic<broker::BrokerAgent*> agent{nullptr};
  std::atomic<bool> fault_reported{false};
  std::atomic<bool> refused{false};  // the broker refused our session: end serving

  // "model/stage" of each stage `a` asks this worker to host (none for role none).
  static std::vector<std::string> stagesOf(const Assignment& a);
  // While hosting, compares the latest assignment with what is hosted: stages only added (a
  // model joined a shared pool) are hosted alongside by the monitor thread without interrupting
  // the others (add_pending, to_expect); stages only removed stay hosted, idle; anything else
  // (another pool) ends the current run to re-host on a fresh data plane. REQUIRES mu.
  void checkRehostLocked();
  // Reports the backend's failure to the broker at once (once until the backend is healthy).
  void reportFault(const std::string& detail);
};

// The agent's callbacks: assignment changes (re-host / host alongside), routes per hosted model,
// fault injection.
broker::AgentCallbacks makeCallbacks(Shared& sh);

// Waits for an assignment with stages; nullopt when stopped first.
std::optional<Assignment> awaitAssignment(Shared& sh, const std::atomic<bool>& stop);

// Materializes, loads, compiles and hosts the assignment's stages not hosted yet: one per model
// using the pool (each model's routes pick its own next hop). Works before the worker runs and
// while it runs (Worker::host is thread-safe).
Status hostAssignment(Shared& sh, const Assignment& a, const broker::BrokerAgent& agent);

// Heartbeat load + health every 100 ms; a failed backend is reported at once; hosts added stages;
// passes the process's stop on to the current Worker::run (every 20 ms). Runs until `stop`.
void monitor(Shared& sh, const std::atomic<bool>& stop, const std::atomic<bool>& process_stop,
             uint32_t capacity);

}  // namespace spikeline::workers
