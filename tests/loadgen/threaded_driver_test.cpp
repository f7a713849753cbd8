// LoadDriver with the real clock and pacer, and a Target that answers from its own thread:
// checks the cross-thread hand-off (no timing assertions; the run is ~0.1 s).
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "loadgen/load_driver.h"
#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

// Queues each request to a worker thread, which answers it (every 7th twice).
class ThreadedTarget final : public Target {
 public:
  ThreadedTarget() : worker_([this] { serve(); }) {}
  ~ThreadedTarget() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    worker_.join();
  }
  void submit(uint64_t index, int64_t, CompletionSink& sink) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.emplace_back(index, &sink);
    }
    cv_.notify_one();
  }

 private:
  void serve() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [index, sink] = queue_.front();
      queue_.pop_front();
      lock.unlock();
      const Completion c{index, Outcome::kOk, static_cast<int32_t>(index % 10)};
      sink->complete(c);
      if (index % 7 == 0) sink->complete(c);
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, CompletionSink*>> queue_;
  bool stop_ = false;
  std::thread worker_;
};

TEST(ThreadedDriverTest, RepliesFromAnotherThreadAreAllCounted) {
  auto clock = makeSystemClock();
  auto pacer = makeRealPacer(*clock);
  ThreadedTarget target;
  DriverOptions options;
  options.recorder.labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 8};  // class 9 is always "wrong"
  LoadDriver driver(target, *clock, *pacer, options);
  ASSERT_OK_AND_ASSIGN(ArrivalSchedule schedule,
                       ArrivalSchedule::make({{Phase::steady(100'000'000, 20'000)}}));
  ASSERT_OK_AND_ASSIGN(RunReport r, driver.runOpenLoop(std::move(schedule)));
  EXPECT_EQ(r.sent, 2000u);
  EXPECT_EQ(r.completed, 2000u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.duplicates, 286u);  // ceil(2000 / 7)
  EXPECT_EQ(r.labelled, 2000u);
  EXPECT_EQ(r.correct, 1800u);
  EXPECT_EQ(r.latency.count, 2000u);
}

TEST(ThreadedDriverTest, ClosedLoopWithRealThreadsDrainsCleanly) {
  auto clock = makeSystemClock();
  auto pacer = makeRealPacer(*clock);
  ThreadedTarget target;
  LoadDriver driver(target, *clock, *pacer, {});
  ASSERT_OK_AND_ASSIGN(RunReport r, driver.runClosedLoop({8, 0, 50'000'000}));
  EXPECT_GT(r.completed, 0u);
  EXPECT_EQ(r.completed, r.sent);
  EXPECT_EQ(r.lost, 0u);
}

}  // namespace
}  // namespace spikeline::loadgen
