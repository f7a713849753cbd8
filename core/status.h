// Status: the outcome of an operation that can fail, with a code that tells the caller what to do.
// A value type: copyable, comparable by code, cheap when ok (no allocation).
// Thread safety: immutable after construction; safe to share across threads.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace spikeline {

// What the caller should do about a failure. Every code has one intended reaction.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,    // reject: the input is wrong, retrying the same input will not help
  kNotFound = 2,           // reject: a named thing does not exist
  kAlreadyExists = 3,      // reject: a named thing exists already
  kUnavailable = 4,        // re-route: this replica/device cannot serve now, another may
  kOverloaded = 5,         // back off: out of credit or capacity
  kUnimplemented = 6,      // fall back: this backend cannot do this operator/precision
  kDeadlineExceeded = 7,   // give up: the request's deadline passed
  kInternal = 8,           // a bug: mark the component unhealthy
  kResourceExhausted = 9,  // the operator does not fit (chip cores, synapse memory)
};

// Stable lowercase name, e.g. "invalid_argument". Used in logs and on the wire.
std::string_view statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message);

  static Status ok() { return Status(); }
  bool isOk() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Empty when ok.
  const std::string& message() const;
  // "ok" or "<code name>: <message>".
  std::string toString() const;

  // Returns a copy whose message is "<context>: <message>"; ok stays ok.
  Status withContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // shared: immutable payload, cheap copies of error statuses
};

std::ostream& operator<<(std::ostream& os, const Status& s);

Status invalidArgument(std::string message);
Status notFound(std::string message);
Status alreadyExists(std::string message);
Status unavailable(std::string message);
Status overloaded(std::string message);
Status unimplemented(std::string message);
Status deadlineExceeded(std::string message);
Status internalError(std::string message);
Status resourceExhausted(std::string message);

}  // namespace spikeline

#define SPIKELINE_CONCAT_INNER(a, b) a##b
#define SPIKELINE_CONCAT(a, b) SPIKELINE_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not ok.
#define SPIKELINE_RETURN_IF_ERROR(expr)                      \
  do {                                                       \
    ::spikeline::Status spikeline_status_ = (expr);          \
    if (!spikeline_status_.isOk()) return spikeline_status_; \
  } while (0)
