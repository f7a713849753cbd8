// runClosedLoop: drives a Client with at most `window` requests outstanding, re-submitting a
// request refused as overloaded, and records every callback (to count duplicates). For the
// workers' integration tests. Blocks the calling thread; bounded by `timeout_ms`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "workers/client/client.h"

namespace spikeline::testing {

struct LoadRecord {
  std::map<RequestId, Tensor> results;     // ok outcomes
  std::map<RequestId, std::vector<std::string>> hops;  // ok outcomes: workers in the trace
  std::map<RequestId, size_t> input_of;    // request id -> input index
  std::map<RequestId, int> callbacks;      // outcomes delivered per id (must be 1)
  std::map<StatusCode, int> errors;        // error outcomes (overloaded retries excluded)
  std::vector<std::string> error_messages; // their messages, in arrival order
  int overloaded_retries = 0;
  size_t completed = 0;                    // inputs with an ok result
  bool timed_out = false;
};

inline LoadRecord runClosedLoop(client::Client& client, const ModelRef& model,
                                const std::vector<Tensor>& inputs, size_t window,
                                int64_t deadline_ms, int timeout_ms,
                                const std::function<void(size_t)>& on_progress = {}) {
  std::unique_ptr<Clock> clock = makeSystemClock();
  LoadRecord rec;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<size_t> retry;
  size_t next = 0;
  size_t outstanding = 0;
  size_t done_inputs = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock<std::mutex> lock(mu);
  while (done_inputs < inputs.size()) {
    if (std::chrono::steady_clock::now() >= until) {  // also while refused requests are retried
      rec.timed_out = true;
      break;
    }
    if (!cv.wait_until(lock, until, [&] {
          return done_inputs >= inputs.size() ||
                 (outstanding < window && (next < inputs.size() || !retry.empty()));
        }) && std::chrono::steady_clock::now() >= until) {
      if (done_inputs < inputs.size()) rec.timed_out = true;
      break;
    }
    if (done_inputs >= inputs.size()) break;
    if (outstanding >= window || (next >= inputs.size() && retry.empty())) continue;
    size_t index = next;
    const bool is_retry = !retry.empty();
    if (is_retry) {
      index = retry.back();
      retry.pop_back();
    } else {
      ++next;
    }
    ++outstanding;
    lock.unlock();
    if (is_retry) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    client.submit(model, inputs[index], client::deadlineAfterMs(*clock, deadline_ms),
                  [&, index](RequestId id, Result<client::InferenceResult> r) {
                    std::lock_guard<std::mutex> g(mu);
                    --outstanding;
                    ++rec.callbacks[id];
                    rec.input_of[id] = index;
                    if (r.isOk()) {
                      for (const auto& h : r->trace) rec.hops[id].push_back(h.hop);
                      rec.results[id] = std::move(r->output);
                      ++done_inputs;
                      if (on_progress) on_progress(done_inputs);
                    } else if (r.status().code() == StatusCode::kOverloaded) {
                      ++rec.overloaded_retries;
                      retry.push_back(index);
                    } else {
                      ++rec.errors[r.status().code()];
                      rec.error_messages.push_back(r.status().toString());
                      ++done_inputs;
                    }
                    cv.notify_all();
                  });
    lock.lock();
  }
  // Let callbacks still in flight land before the record leaves this frame.
  cv.wait_until(lock, until + std::chrono::seconds(5), [&] { return outstanding == 0; });
  rec.completed = rec.results.size();
  return rec;
}

}  // namespace spikeline::testing
