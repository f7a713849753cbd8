// AdminClient: the request/reply side of the broker protocol used by the CLI, tests and tools:
// one DEALER connected to the broker; one request at a time. A resource owned by unique_ptr;
// one thread. Requests and replies are JSON objects (docs/decisions/0004 lists the ops).
#pragma once

#include <memory>
#include <string>

#include "broker/agent/protocol.h"
#include "core/result.h"
#include "transport/curve.h"

namespace spikeline::broker {

struct AdminReply {
  std::string json;   // the whole reply object, e.g. {"id":1,"ok":true,"models":[...]}
  Parts attachments;  // binary parts (e.g. "routes": the encoded RouteTable)
};

class AdminClient {
 public:
  virtual ~AdminClient() = default;
  // Sends `request_json` (an object with "op"; an "id" is added) and waits up to timeout_ms.
  // kDeadlineExceeded when the broker does not answer in time; when it answers "ok": false,
  // the Status carries the broker's code and message (e.g. kNotFound "unknown model x@1").
  // A resource_exhausted reply with "retry_after_ms" (the broker's per-connection rate limit) is
  // sent again after that long when it fits in timeout_ms, and returned otherwise.
  virtual Result<AdminReply> call(const std::string& request_json, const Parts& attachments,
                                  int timeout_ms) = 0;
};

// kInvalidArgument for a malformed endpoint (or, with CURVE, a malformed broker key).
// Connecting is lazy (the broker may start later). With `curve` enabled the connection is a
// CURVE client of `curve.broker_public_key` (docs/decisions/0010).
Result<std::unique_ptr<AdminClient>> makeAdminClient(const std::string& broker_endpoint,
                                                     const transport::CurveIdentity& curve = {});

// "not_found" -> kNotFound, ...; kInternal for a name it does not know.
StatusCode statusCodeFromName(std::string_view name);

}  // namespace spikeline::broker
