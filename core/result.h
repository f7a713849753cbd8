// Result<T>: either a value of T or a non-ok Status; shaped like std::expected<T, Status>.
// Owns its value. A value type: copyable/movable when T is.
// Thread safety: as T; no shared state of its own.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "core/status.h"

namespace spikeline {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : value_(value) {}             // NOLINT: implicit by design
  Result(T&& value) : value_(std::move(value)) {}       // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    // REQUIRES: status is not ok (an ok Result must carry a value).
    assert(!status_.isOk());
    if (status_.isOk()) status_ = internalError("Result constructed from ok Status");
  }

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  // Ok when a value is present.
  const Status& status() const { return status_; }

  // REQUIRES: isOk().
  T& value() & {
    assert(isOk());
    return *value_;
  }
  const T& value() const& {
    assert(isOk());
    return *value_;
  }
  T&& value() && {
    assert(isOk());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T valueOr(T fallback) const& { return isOk() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace spikeline

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into `lhs`.
// Usage: SPIKELINE_ASSIGN_OR_RETURN(auto tensor, decode(bytes));
#define SPIKELINE_ASSIGN_OR_RETURN(lhs, rexpr) \
  SPIKELINE_ASSIGN_OR_RETURN_IMPL(SPIKELINE_CONCAT(spikeline_result_, __LINE__), lhs, rexpr)
#define SPIKELINE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                    \
  if (!tmp.isOk()) return tmp.status();                  \
  lhs = std::move(tmp).value()
