#include "gateway/error_map.h"

namespace spikeline::gateway {

int httpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kOverloaded:
    case StatusCode::kResourceExhausted:
      return 503;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kOk:
    case StatusCode::kInternal:
      break;
  }
  return 500;
}

int grpcCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 3;  // INVALID_ARGUMENT
    case StatusCode::kNotFound:
      return 5;  // NOT_FOUND
    case StatusCode::kAlreadyExists:
      return 6;  // ALREADY_EXISTS
    case StatusCode::kUnavailable:
      return 14;  // UNAVAILABLE
    case StatusCode::kOverloaded:
    case StatusCode::kResourceExhausted:
      return 8;  // RESOURCE_EXHAUSTED
    case StatusCode::kUnimplemented:
      return 12;  // UNIMPLEMENTED
    case StatusCode::kDeadlineExceeded:
      return 4;  // DEADLINE_EXCEEDED
    case StatusCode::kOk:
    case StatusCode::kInternal:
      break;
  }
  return 13;  // INTERNAL
}

std::optional<int> retryAfterSeconds(StatusCode code) {
  if (httpStatusFor(code) == 503) return 1;
  return std::nullopt;
}

std::string failureReason(StatusCode code) { return std::string(statusCodeName(code)); }

}  // namespace spikeline::gateway
