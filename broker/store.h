// Store: the broker's durable state (docs/decisions/0004 and broker/README.md give the Redis key
// layout). The broker keeps nothing it cannot reload from here. A resource owned by unique_ptr;
// one thread at a time (the broker loop). Every call returns kUnavailable while the backing
// server is unreachable; the implementation reconnects with backoff on later calls.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/state.h"
#include "core/result.h"
#include "wire/control.h"

namespace spikeline::broker {

// A deployed model as stored: its summary, the YAML text and the weight files it references
// (file name relative to the YAML -> bytes), so workers need no shared filesystem.
struct StoredModel {
  DeployedModel summary;
  std::string file_name;  // as the user named it, for messages
  std::string yaml;
  std::map<std::string, std::string> files;
  int64_t deployed_ns = 0;  // wall clock
  friend bool operator==(const StoredModel&, const StoredModel&) = default;
};

struct StoredEvent {
  std::string id;  // stream entry id, e.g. "1763780000000-0"
  int64_t at_ns = 0;
  BrokerEvent event;
};

class Store {
 public:
  virtual ~Store() = default;

  // Ok when the server answers; reconnects (with backoff) when it did not before.
  virtual Status ping() = 0;
  // How many connections were established so far. A change means the server may have restarted
  // (possibly empty): the broker then rewrites its state.
  virtual uint64_t connectionCount() const = 0;

  virtual Status putModel(const StoredModel& model) = 0;
  virtual Status deleteModel(const ModelRef& model) = 0;
  virtual Result<std::vector<StoredModel>> loadModels() = 0;

  virtual Status putWorker(const WorkerInfo& worker) = 0;
  virtual Status deleteWorker(const WorkerId& worker) = 0;
  virtual Result<std::vector<WorkerInfo>> loadWorkers() = 0;

  virtual Status putHealth(const HealthSnapshot& health) = 0;
  virtual Result<HealthSnapshot> loadHealth() = 0;
  virtual Status putPlacement(const PlacementMap& placement) = 0;
  virtual Result<PlacementMap> loadPlacement() = 0;
  // The last published table; epoch 0 and no models when none was ever stored.
  virtual Status putRoutes(const wire::RouteTable& routes) = 0;
  virtual Result<wire::RouteTable> loadRoutes() = 0;

  // XADD to the event stream (capped at about RedisOptions::event_retention entries); returns the
  // entry id.
  virtual Result<std::string> appendEvent(const BrokerEvent& event, int64_t at_ns) = 0;
  // The newest `max` events, oldest first.
  virtual Result<std::vector<StoredEvent>> readEvents(size_t max) = 0;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string prefix = "spikeline:";  // every key starts with it. Default: "spikeline:"
  // Events kept in the stream (XADD MAXLEN ~: Redis trims in whole nodes, so about this many).
  uint64_t event_retention = 10000;   // Default: 10000
  int connect_timeout_ms = 300;       // Default: 300
  int command_timeout_ms = 1000;      // Default: 1000
  int backoff_initial_ms = 50;        // first retry after a failure. Default: 50
  int backoff_max_ms = 2000;          // doubling, capped. Default: 2000
  // ACL credentials (Redis 6+: AUTH user password; an empty user authenticates as `default`).
  // No AUTH when `password` is empty. Never logged.
  std::string user;
  std::string password;
};

// Connects lazily; never fails to construct. Redis replies are validated, never asserted.
std::unique_ptr<Store> makeRedisStore(const RedisOptions& options);

// "host:port" -> options (port defaults to 6379). kInvalidArgument on a malformed address.
Result<RedisOptions> parseRedisAddress(const std::string& address);

// The Redis password, from `password_file` (its first line; the flag names a file, so the secret
// never appears in a command line or `ps`) or else from `env_password` (SPIKELINE_REDIS_PASSWORD;
// nullptr when unset). Empty when neither is given. kInvalidArgument naming the file when it
// cannot be read or holds an empty first line, or when both are given.
Result<std::string> loadRedisPassword(const std::string& password_file, const char* env_password);

}  // namespace spikeline::broker
