// runOpenLoop: drives a Client at a fixed arrival rate (request i is due at i / rate seconds,
// whatever the earlier ones are doing), re-submitting inputs refused as overloaded about every
// 1 ms, oldest first, until one is refused again,
// and records every callback (to count duplicates) and, per input, the time from its first
// submission to its result. For the custody integration test and workers_custody_bench.
// Blocks the calling thread; bounded by `timeout_ms`. Callbacks run on the client's thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "workers/client/client.h"

namespace spikeline::testing {

struct OpenLoopRecord {
  std::map<RequestId, int> callbacks;               // outcomes delivered per request id (must be 1)
  std::map<size_t, Tensor> results;                 // per input index: its ok result
  std::map<size_t, RequestId> id_of;                // per input index: the id that answered
  std::map<size_t, std::vector<std::string>> hops;  // per input index: the workers in its trace
  std::map<size_t, int> ok_per_input;               // ok outcomes per input (must be 1)
  std::map<StatusCode, int> errors;                 // error outcomes (overloaded retries excluded)
  std::vector<std::string> error_messages;          // their messages, in arrival order
  std::vector<double> latency_ms;                   // per ok input: first submit -> result
  std::map<size_t, double> latency_of;              // the same, by input index
  int overloaded_retries = 0;
  bool timed_out = false;
};

struct OpenLoopOptions {
  double rate_per_s = 600;
  size_t count = 3000;  // inputs sent; inputs[i % inputs.size()]
  int64_t deadline_ms = 15'000;
  int timeout_ms = 120'000;
  // Called on the driving thread before input i is first submitted (i = 0, 1, ...): the test
  // injects its failures here, at a known point of the load.
  std::function<void(size_t)> before_send;
};

inline OpenLoopRecord runOpenLoop(client::Client& client, const ModelRef& model,
                                  const std::vector<Tensor>& inputs, const OpenLoopOptions& o) {
  using Steady = std::chrono::steady_clock;
  std::unique_ptr<Clock> clock = makeSystemClock();
  OpenLoopRecord rec;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<size_t> retry;  // inputs refused as overloaded, to submit again
  std::vector<Steady::time_point> first_sent(o.count);
  size_t done = 0;
  const Steady::time_point t0 = Steady::now();
  const Steady::time_point until = t0 + std::chrono::milliseconds(o.timeout_ms);
  auto submit = [&](size_t index) {
    client.submit(
        model, inputs[index % inputs.size()], client::deadlineAfterMs(*clock, o.deadline_ms),
        [&, index](RequestId id, Result<client::InferenceResult> r) {
          const Steady::time_point now = Steady::now();
          std::lock_guard<std::mutex> g(mu);
          ++rec.callbacks[id];
          if (r.isOk()) {
            if (++rec.ok_per_input[index] == 1) {
              rec.results[index] = std::move(r->output);
              rec.id_of[index] = id;
              for (const auto& h : r->trace) rec.hops[index].push_back(h.hop);
              const double ms =
                  std::chrono::duration<double, std::milli>(now - first_sent[index]).count();
              rec.latency_ms.push_back(ms);
              rec.latency_of[index] = ms;
              ++done;
            }
          } else if (r.status().code() == StatusCode::kOverloaded) {
            ++rec.overloaded_retries;
            retry.push_back(index);
          } else {
            ++rec.errors[r.status().code()];
            rec.error_messages.push_back(r.status().toString());
            ++done;
          }
          cv.notify_all();
        });
  };
  size_t next = 0;
  while (Steady::now() < until) {
    std::vector<size_t> again;
    {
      std::unique_lock<std::mutex> lock(mu);
      if (done >= o.count) break;
      const Steady::time_point due =
          next < o.count
              ? t0 + std::chrono::nanoseconds(static_cast<int64_t>(next * 1e9 / o.rate_per_s))
              : until;
      const Steady::time_point wake = std::min(due, Steady::now() + std::chrono::milliseconds(1));
      cv.wait_until(lock, wake, [&] { return done >= o.count; });
      again.assign(retry.begin(), retry.end());
      retry.clear();
    }
    // Outside the lock: a refusal calls back inline (and queues the input again). Stop at the
    // first refusal: retrying every waiting input every ms would load the machine it measures.
    for (size_t k = 0; k < again.size(); ++k) {
      int refused_before = 0;
      {
        std::lock_guard<std::mutex> g(mu);
        refused_before = rec.overloaded_retries;
      }
      submit(again[k]);
      std::lock_guard<std::mutex> g(mu);
      if (rec.overloaded_retries != refused_before) {
        retry.insert(retry.begin(), again.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                     again.end());
        break;
      }
    }
    if (next < o.count && Steady::now() >= t0 + std::chrono::nanoseconds(static_cast<int64_t>(
                                                    next * 1e9 / o.rate_per_s))) {
      if (o.before_send) o.before_send(next);
      {
        std::lock_guard<std::mutex> g(mu);
        first_sent[next] = Steady::now();
      }
      submit(next);
      ++next;
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  rec.timed_out = done < o.count;
  // Let duplicates still in flight land (they must be dropped by the client, not delivered).
  cv.wait_for(lock, std::chrono::milliseconds(500), [] { return false; });
  return rec;
}

// The q-quantile (0..1) of `v` (sorted copy); 0 when empty.
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

}  // namespace spikeline::testing
