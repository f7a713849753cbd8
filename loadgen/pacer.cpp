#include "loadgen/pacer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace spikeline::loadgen {
namespace {

constexpr int64_t kSpinWindowNs = 100'000;

class RealPacer final : public Pacer {
 public:
  explicit RealPacer(const Clock& clock) : clock_(clock) {}

  void waitUntil(int64_t deadline_ns) override {
    int64_t remaining = deadline_ns - clock_.monotonicNs();
    if (remaining > kSpinWindowNs) {
      std::unique_lock<std::mutex> lock(mu_);
      sleeping_.store(true);
      cv_.wait_for(lock, std::chrono::nanoseconds(remaining - kSpinWindowNs),
                   [this] { return woken_.load(); });
      sleeping_.store(false);
    }
    while (!woken_.load(std::memory_order_relaxed) && clock_.monotonicNs() < deadline_ns) {
      std::this_thread::yield();
    }
    woken_.store(false);
  }

  // Dekker-style handshake: either the sleeper sees woken_ in its predicate, or we see
  // sleeping_ and notify under the mutex it holds while checking; no wake-up is lost.
  void wake() override {
    if (woken_.exchange(true)) return;
    if (sleeping_.load()) {
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_one();
    }
  }

 private:
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> woken_{false};
  std::atomic<bool> sleeping_{false};
};

}  // namespace

std::unique_ptr<Pacer> makeRealPacer(const Clock& clock) {
  return std::make_unique<RealPacer>(clock);
}

}  // namespace spikeline::loadgen
