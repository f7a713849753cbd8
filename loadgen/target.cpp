#include "loadgen/target.h"

namespace spikeline::loadgen {

std::string_view outcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kOverloaded:
      return "overloaded";
    case Outcome::kDeadline:
      return "deadline";
    case Outcome::kUnavailable:
      return "unavailable";
    case Outcome::kInvalid:
      return "invalid";
    case Outcome::kOther:
      return "other";
  }
  return "other";
}

Outcome outcomeFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return Outcome::kOk;
    case StatusCode::kOverloaded:
    case StatusCode::kResourceExhausted:
      return Outcome::kOverloaded;
    case StatusCode::kDeadlineExceeded:
      return Outcome::kDeadline;
    case StatusCode::kUnavailable:
      return Outcome::kUnavailable;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return Outcome::kInvalid;
    default:
      return Outcome::kOther;
  }
}

namespace {

class NullTarget final : public Target {
 public:
  void submit(uint64_t request_index, int64_t, CompletionSink& sink) override {
    sink.complete(Completion{request_index, Outcome::kOk, -1});
  }
};

}  // namespace

std::unique_ptr<Target> makeNullTarget() { return std::make_unique<NullTarget>(); }

}  // namespace spikeline::loadgen
