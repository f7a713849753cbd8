// Error mapping: one spikeline StatusCode to the HTTP status, the gRPC status code and the
// Retry-After a REST/gRPC caller gets (issue 12: 400 bad input, 404 unknown model or version,
// 503 + Retry-After overloaded or no healthy replica, 504 deadline, 501 unsupported).
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace spikeline::gateway {

// 400, 404, 409, 503, 501, 504 or 500 (kInternal). REQUIRES: code != kOk.
int httpStatusFor(StatusCode code);

// The numeric grpc::StatusCode (INVALID_ARGUMENT 3, NOT_FOUND 5, UNAVAILABLE 14, ...), kept as
// an int so this header needs no gRPC. REQUIRES: code != kOk.
int grpcCodeFor(StatusCode code);

// Seconds for Retry-After: 1 for overloaded/unavailable/resource-exhausted; none otherwise.
std::optional<int> retryAfterSeconds(StatusCode code);

// The reason label of the failure metric: "invalid_argument", "unavailable", ...
std::string failureReason(StatusCode code);

}  // namespace spikeline::gateway
